"""Every construction of every small multiplier against the integer product, bit-exactly.

The model (lutgen.simulate) reads only cells and primitive semantics, so this
checks the constructions, not a restatement of them.
"""

import itertools

import numpy as np
import pytest

from lutgen.constructions import CONSTRUCTION_NAMES, CONSTRUCTIONS, _build_variant, build_multiplier, candidates
from lutgen.heap import build_heap
from lutgen.simulate import run_comb
from lutgen.spec import MulSpec

from reference import all_pairs, as_value, break_one_lut, corner_and_random_pairs

SIGNS = list(itertools.product([False, True], repeat=2))
FAMILIES = ["xc7", "xcup"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("signed_w,signed_a", SIGNS)
@pytest.mark.parametrize("w", range(1, 9))
def test_exhaustive_up_to_8_bits(w, signed_w, signed_a, family):
    """All w, a in 1..8, all input combinations, every applicable construction."""
    for a in range(1, 9):
        spec = MulSpec(w, a, signed_w, signed_a, family)
        w_in, a_in = all_pairs(w, a)
        expected = as_value(w_in, w, signed_w) * as_value(a_in, a, signed_a)
        built = candidates(spec)
        assert {dict(n.meta)["construction"] for n in built} >= {"array", "tiles"}
        for netlist in built:
            got = run_comb(netlist, w=w_in, a=a_in)["p"]
            assert np.array_equal(got, expected), (spec, dict(netlist.meta))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("signed_w,signed_a", SIGNS)
@pytest.mark.parametrize("w", range(9, 17))
def test_wide_random_and_corners(w, signed_w, signed_a, family):
    """9..16 bits: corner values (0, max, min, -1, alternating) crossed, plus random vectors."""
    for a in (1, 2, 5, 8, 9, 12, 16):
        spec = MulSpec(w, a, signed_w, signed_a, family)
        w_in, a_in = corner_and_random_pairs(w, a, signed_w, signed_a, 3000, seed=w * 100 + a)
        expected = as_value(w_in, w, signed_w) * as_value(a_in, a, signed_a)
        for netlist in candidates(spec):
            got = run_comb(netlist, w=w_in, a=a_in)["p"]
            assert np.array_equal(got, expected), (spec, dict(netlist.meta))


@pytest.mark.parametrize("construction", CONSTRUCTIONS, ids=CONSTRUCTION_NAMES)
def test_every_variant_exhaustive_up_to_6_bits(construction):
    """candidates() keeps one variant per construction; every variant must be right, not only the winner."""
    for w, a in itertools.product(range(1, 7), repeat=2):
        for signed_w, signed_a in SIGNS:
            spec = MulSpec(w, a, signed_w, signed_a)
            if not construction.applicable(build_heap(spec)):
                continue
            w_in, a_in = all_pairs(w, a)
            expected = as_value(w_in, w, signed_w) * as_value(a_in, a, signed_a)
            for variant in construction.variants:
                got = run_comb(_build_variant(spec, construction, variant), w=w_in, a=a_in)["p"]
                assert np.array_equal(got, expected), (spec, variant[0])


@pytest.mark.parametrize("w,a,signed", [(3, 5, False), (4, 4, False), (8, 8, False), (8, 8, True), (2, 6, True), (5, 7, False)])
def test_variants_are_sized_as_they_are_built(w, a, signed):
    """candidates() compares variants built without INITs: each must count exactly as its real build."""
    from lutgen.constructions import cost

    spec = MulSpec(w, a, signed, signed)
    for construction in CONSTRUCTIONS:
        if not construction.applicable(build_heap(spec)):
            continue
        for variant in construction.variants:
            sized = _build_variant(spec, construction, variant, sizing=True)
            assert cost(sized) == cost(_build_variant(spec, construction, variant)), (construction.name, variant[0])


def test_the_check_catches_a_wrong_init():
    """The comparison above can fail: one flipped INIT bit is seen."""
    broken = break_one_lut(build_multiplier(MulSpec(4, 4)))
    w_in, a_in = all_pairs(4, 4)
    assert not np.array_equal(run_comb(broken, w=w_in, a=a_in)["p"], w_in * a_in)


@pytest.mark.parametrize("name", CONSTRUCTION_NAMES)
def test_forcing_a_construction(name):
    w, a = (4, 4) if name == "gatedrow" else (2, 3)  # gatedrow is the one that needs 4 x 4
    spec = MulSpec(w, a, construction=name)
    netlist = build_multiplier(spec)
    assert dict(netlist.meta)["construction"] == name


def test_3x5_unsigned_meets_the_goal_of_10_luts():
    """Issue 3's goal for the lone 3 x 5 unsigned product, on both families."""
    for family in FAMILIES:
        assert len(build_multiplier(MulSpec(3, 5, family=family)).luts) <= 10


def test_4x4_unsigned_meets_the_goal_of_11_luts():
    """Issue 3's goal for the lone 4 x 4 unsigned product, on both families."""
    for family in FAMILIES:
        assert len(build_multiplier(MulSpec(4, 4, family=family)).luts) <= 11


def test_choice_is_the_cheapest():
    for w, a in [(2, 2), (3, 5), (4, 4), (8, 8), (6, 3)]:
        spec = MulSpec(w, a, True, False)
        chosen = build_multiplier(spec)
        assert len(chosen.luts) == min(len(n.luts) for n in candidates(spec))


@pytest.mark.parametrize(
    "construction,w,a,signed,luts",
    [
        ("table", 2, 2, False, 2),
        ("table", 3, 3, False, 5),
        ("array", 3, 5, False, 9),  # the fused-AND array's (w-1)*a+1, less the low AND and the second chain's lowest position on spare O5s
        ("array", 4, 4, False, 10),
        ("array", 8, 8, False, 50),  # each chain after the first starts one higher
        ("booth", 8, 8, True, 39),  # 4 rows of 10, (a+2)*ceil(w/2), less the first chain's lowest position
        ("booth", 2, 6, True, 7),  # one digit: k + 1, its lowest position and carry-in on two spare O5s
        ("booth", 8, 8, False, 39),  # offset recoding (x[0] row + 4 Booth rows of x >> 1), signs 0 and 2 folded
        ("booth", 4, 4, False, 10),
        ("booth", 5, 5, False, 16),  # the x[4] row shares the first chain's free slots with the x[0] row
        ("booth", 7, 7, False, 31),  # the x[6] row's two lowest bits ride in the first chain
        ("booth", 7, 7, True, 28),  # offset recoding: 3 Booth rows, not 4 (35)
        ("tilechain", 3, 5, False, 8),  # W x A[1:0] + a[2] W on a gated chain (4), then W x A[4:3] on a chain (5)
        ("tilechain", 3, 3, False, 4),  # W x A[1:0] in the LUTs + the gated a[2] W row: 3 positions + 1
        ("tilechain", 2, 4, False, 4),
        ("tilechain", 3, 5, True, 10),
        ("tilechain", 4, 6, False, 16),
        ("heap", 5, 5, False, 19),  # ternary rows beat the array's 21 here
        ("gatedrow", 4, 4, False, 11),  # two 5-input tiles + the gated a[3] row: 2 + 4 + 5
    ],
)
def test_known_lut_counts(construction, w, a, signed, luts):
    spec = MulSpec(w, a, signed, signed, construction=construction)
    assert len(build_multiplier(spec).luts) == luts


def test_offset_booth_saves_a_row_where_the_shifted_operand_needs_fewer_digits():
    booth = next(c for c in CONSTRUCTIONS if c.name == "booth")
    by_name = {v[0]: v for v in booth.variants}
    for w, signed in [(8, False), (6, False), (7, True), (5, True)]:
        spec = MulSpec(w, w, signed, signed)
        plain = len(_build_variant(spec, booth, by_name["recode-a signs-sext"]).luts)
        offset = _build_variant(spec, booth, by_name["offset-recode-a signs-sext absorb-low"])
        assert len(offset.luts) < plain, (w, signed)
        assert any(lut.o5 and lut.inputs[5] == "w[0]" for lut in offset.luts) is False  # recodes a: I5 = a[0]
        assert any(lut.o5 and lut.inputs[5] == "a[0]" for lut in offset.luts)


def test_8x8_meets_the_goals():
    """Issue 3's goals for the lone 8 x 8 product: unsigned <= 40, signed <= 42, on both families."""
    for family in FAMILIES:
        assert len(build_multiplier(MulSpec(8, 8, False, False, family)).luts) <= 40
        assert len(build_multiplier(MulSpec(8, 8, True, True, family)).luts) <= 42


@pytest.mark.parametrize("w", [7, 8])
def test_every_booth_variant_exhaustive_at_7_and_8_bits(w):
    """Folded and constant sign treatments matter most at these widths: all of them, all sign mixes."""
    booth = next(c for c in CONSTRUCTIONS if c.name == "booth")
    w_in, a_in = all_pairs(w, w)
    for signed_w, signed_a in SIGNS:
        spec = MulSpec(w, w, signed_w, signed_a, "xc7")
        expected = as_value(w_in, w, signed_w) * as_value(a_in, w, signed_a)
        for variant in booth.variants:
            got = run_comb(_build_variant(spec, booth, variant), w=w_in, a=a_in)["p"]
            assert np.array_equal(got, expected), (spec, variant[0])


@pytest.mark.parametrize("signed", [False, True])
def test_folding_a_booth_sign_keeps_the_rows_sum(signed):
    """fold_sign rewrites two rows; over every input their sum is unchanged, and the first loses its sign.

    Rows of an unsigned multiplicand fold (their signs are the digits' top bits);
    a signed multiplicand's sign bits read one net too many.
    """
    from lutgen.constructions import booth as booth_module

    width = 16
    digits = booth_module.booth_digits(7, signed, "w", nets={i: f"w[{i + 1}]" for i in range(7)})
    rows = booth_module._booth_rows(digits, 8, False, "a", 1, width)
    w_in, a_in = all_pairs(8, 8)
    env = {f"w[{i}]": (w_in >> i) & 1 for i in range(8)} | {f"a[{i}]": (a_in >> i) & 1 for i in range(8)}

    def value(row):
        total = np.zeros_like(w_in)
        for k, term in row.span(row.lo, width - 1).items():
            total = total + (np.asarray(term.eval(env), dtype=np.int64) << k)
        return total % (1 << width)

    folded = 0
    for k in range(len(rows) - 1):
        result = booth_module.fold_sign(rows[k][0], rows[k + 1][0], width)
        if result is None:
            continue
        folded += 1
        assert not result[0].sext and result[0].top < rows[k][0].top
        before = value(rows[k][0]) + value(rows[k + 1][0])
        assert np.array_equal((value(result[0]) + value(result[1])) % (1 << width), before % (1 << width))
    assert folded == 3


@pytest.mark.parametrize("w,a", [(3, 3), (2, 4), (3, 5), (4, 4), (2, 7)])
def test_every_tiling_exhaustive(w, a):
    """Every tiling tilechain searches (table first or a gated first chain), not only the one it keeps."""
    from lutgen.cells import check
    from lutgen.constructions import tilechain
    from lutgen.constructions.builder import NetlistBuilder
    from lutgen.target import FAMILIES

    gated = 0
    for signed_w, signed_a in SIGNS:
        spec = MulSpec(w, a, signed_w, signed_a)
        w_in, a_in = all_pairs(w, a)
        expected = as_value(w_in, w, signed_w) * as_value(a_in, a, signed_a)
        for tiling in tilechain.tilings(spec):
            builder = NetlistBuilder(FAMILIES["xcup"])
            try:
                nets = tilechain.build_tiling(builder, spec, tiling)
            except ValueError:  # a position over six inputs: the search skips these too
                continue
            netlist = builder.netlist("t", inputs=[("w", w), ("a", a)],
                                      outputs=[("p", tuple(nets[k] for k in range(spec.out_bits)))],
                                      output_signed=(("p", spec.signed_out),))
            check(netlist)
            assert np.array_equal(run_comb(netlist, w=w_in, a=a_in)["p"], expected), (spec, tiling)
            gated += tiling.gated is not None
    assert gated  # the gated first chains were among them

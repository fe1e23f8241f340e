"""The IR stages alone: heap, truth tables, netlist invariants, packing."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from lutgen.cells import GND, VCC, NetlistError, check
from lutgen.constructions import build_multiplier
from lutgen.heap import build_heap
from lutgen.pack import check_placement, pack
from lutgen.spec import MulSpec
from lutgen.truth import init_dual, init_single

from reference import all_pairs, as_value


@pytest.mark.parametrize("signed_w,signed_a", list(itertools.product([False, True], repeat=2)))
def test_heap_sums_to_the_product(signed_w, signed_a):
    for w, a in itertools.product(range(1, 7), repeat=2):
        heap = build_heap(MulSpec(w, a, signed_w, signed_a))
        heap.check()
        w_in, a_in = all_pairs(w, a)
        expected = (as_value(w_in, w, signed_w) * as_value(a_in, a, signed_a)) % (1 << (w + a))
        assert np.array_equal(heap.evaluate(w_in, a_in), expected)


def test_heap_baugh_wooley_shape():
    """8x8 signed: the sign row and column are NAND except their corner; constant 2^8 + 2^15."""
    heap = build_heap(MulSpec(8, 8, True, True))
    nand = {(b.i, b.j) for b in heap.bits if b.negated}
    assert nand == {(7, j) for j in range(7)} | {(i, 7) for i in range(7)}
    assert heap.constant == (1 << 8) + (1 << 15)
    assert heap.constant_weights() == [8, 15]
    assert heap.graph.nodes[("pp", 7, 7)]["kind"] == "and"


def test_heap_check_fails_on_a_wrong_sign():
    heap = build_heap(MulSpec(3, 3, True, False))
    bits = list(heap.bits)
    bits[0] = replace(bits[0], negated=not bits[0].negated)
    with pytest.raises(AssertionError):
        replace(heap, bits=tuple(bits)).check()


def test_init_values():
    assert init_single(lambda x, y: x & y, 2) == 0x8888888888888888
    assert init_single(lambda *b: 1, 0) == (1 << 64) - 1
    # O6 = x ^ y on the high half, O5 = x on the low half
    assert init_dual(lambda x, y: x ^ y, lambda x, y: x, 2) == 0x66666666AAAAAAAA


def _mul():
    return build_multiplier(MulSpec(4, 4))


def test_check_accepts_generated_netlists():
    check(_mul())


def test_check_finds_a_double_driver():
    n = _mul()
    luts = list(n.luts)
    luts[1] = replace(luts[1], o6=luts[0].o6)
    with pytest.raises(NetlistError, match="driven twice"):
        check(replace(n, luts=tuple(luts)))


def test_check_finds_a_cycle():
    n = _mul()
    luts = list(n.luts)
    first = luts[0]
    luts[0] = replace(first, inputs=(first.o6,) + first.inputs[1:])
    with pytest.raises(NetlistError, match="cycle"):
        check(replace(n, luts=tuple(luts)))


def test_check_rejects_grounded_i5_with_two_outputs():
    n = _mul()
    index = next(k for k, lut in enumerate(n.luts) if lut.o5)
    luts = list(n.luts)
    luts[index] = replace(luts[index], inputs=luts[index].inputs[:5] + (GND,))
    with pytest.raises(NetlistError, match="I5"):
        check(replace(n, luts=tuple(luts)))


def test_a_live_i5_carry_position_adds_a_five_input_bit_and_a_gated_and():
    """Six nets, no plain one: I5 = the AND's own input, O5 = the other addend (the LUT6_2's low half)."""
    from lutgen.constructions.builder import NetlistBuilder, Term
    from lutgen.simulate import run_comb
    from lutgen.target import FAMILIES

    builder = NetlistBuilder(FAMILIES["xcup"])
    x = Term("fn", ("v[0]", "v[1]", "v[2]", "v[3]"), 0b0110_1001_1001_0110)  # parity of four
    y = Term("and", ("v[4]", "v[5]"))
    sums = builder.chain_add({0: x}, {0: y}, 0, 0, 0, carry_out=True)
    (lut,) = builder.luts
    assert lut.o5 is not None and lut.inputs[5] in ("v[4]", "v[5]")
    netlist = builder.netlist("t", inputs=[("v", 6)], outputs=[("s", (sums[0], sums[1]))])
    check(netlist)
    v = np.arange(64)
    bits = [(v >> k) & 1 for k in range(6)]
    expected = (bits[0] ^ bits[1] ^ bits[2] ^ bits[3]) + (bits[4] & bits[5])
    assert np.array_equal(run_comb(netlist, v=v)["s"], expected)


def test_a_leftover_gate_rides_on_a_spare_o5():
    """A LUT6 with inputs to spare becomes a LUT6_2: its O6 unchanged, the new term on O5."""
    from lutgen.constructions.builder import NetlistBuilder, Term
    from lutgen.simulate import run_comb
    from lutgen.target import FAMILIES

    builder = NetlistBuilder(FAMILIES["xcup"])
    sums = builder.chain_add({0: Term("fn", ("v[0]", "v[1]", "v[2]"), 0b1001_0110)}, {}, 0, 0, 0, carry_out=True)
    nets = builder.materialise({5: Term("and", ("v[3]", "v[4]"))})
    (lut,) = builder.luts
    assert nets[5] == lut.o5 and lut.inputs[5] == VCC
    netlist = builder.netlist("t", inputs=[("v", 5)], outputs=[("s", (sums[0], sums[1], nets[5]))])
    check(netlist)
    v = np.arange(32)
    bits = [(v >> k) & 1 for k in range(5)]
    expected = (bits[0] ^ bits[1] ^ bits[2]) + 4 * (bits[3] & bits[4])
    assert np.array_equal(run_comb(netlist, v=v)["s"], expected)
    # no room left (six inputs): a LUT of its own
    assert builder.host_on_free_o5(Term("and", ("v[3]", "v[5]"))) is None


def test_a_peeled_lowest_position_rides_on_spare_o5s_or_stays():
    """chain_add(peel=True): the lowest position's sum and carry-in move onto spare O5s, else nothing changes."""
    from lutgen.constructions.builder import NetlistBuilder, Term
    from lutgen.simulate import run_comb
    from lutgen.target import FAMILIES

    def build(peel):
        builder = NetlistBuilder(FAMILIES["xc7"])
        # Plain-net addend a, gated addend b: each position's DI can take a through the bypass,
        # and positions 1 and 2 read the nets of position 0 but for one.
        a = {k: Term("net", (f"v[{k}]",)) for k in range(4)}
        b = {k: Term("and", (f"v[{k + 1}]", "v[5]")) for k in range(4)}
        sums = builder.chain_add(a, b, 0, 0, 3, carry_out=True, peel=peel)
        netlist = builder.netlist("t", inputs=[("v", 6)], outputs=[("s", tuple(sums[k] for k in range(5)))])
        check(netlist)
        return netlist

    v = np.arange(1 << 6)
    expected = (v & 15) + ((v >> 1) & 15) * ((v >> 5) & 1)
    plain, peeled = build(False), build(True)
    assert len(peeled.luts) == len(plain.luts) - 1
    for netlist in (plain, peeled):
        assert np.array_equal(run_comb(netlist, v=v)["s"], expected)

    builder = NetlistBuilder(FAMILIES["xc7"])  # six-input positions leave no O5 to spare: the chain stays whole
    a = {k: Term("fn", tuple(f"v[{k + i}]" for i in range(5)), 0x6996_9669) for k in range(3)}
    b = {k: Term("net", (f"v[{k + 5}]",)) for k in range(3)}
    builder.chain_add(a, b, 0, 0, 2, carry_out=False, peel=True)
    assert len(builder.luts) == 3 and builder.carries[0].ci == GND


def test_a_constant_in_the_top_bit_complements_an_addend():
    """In the product's top bit only the parity counts, so a pending one there needs no free slot."""
    from lutgen.constructions.builder import NetlistBuilder, Term
    from lutgen.constructions.rows import ConstantPlacer, Row, add_rows, finish
    from lutgen.simulate import run_comb
    from lutgen.target import FAMILIES

    builder = NetlistBuilder(FAMILIES["xc7"])
    x = Row({k: Term("net", (f"v[{k}]",)) for k in range(3)})
    y = Row({k: Term("and", (f"v[{k + 3}]", "v[6]")) for k in range(3)})
    consts = ConstantPlacer(0b100, 3)
    total = add_rows(builder, x, y, consts, 3, last=True)
    assert not consts.pending and len(builder.chains) == 1 and len(builder.luts) <= 3  # no extra position or chain
    nets = finish(builder, total, consts, 3)
    netlist = builder.netlist("t", inputs=[("v", 7)], outputs=[("s", tuple(nets[k] for k in range(3)))])
    check(netlist)
    v = np.arange(128)
    expected = ((v & 7) + ((v >> 3) & 7) * ((v >> 6) & 1) + 4) % 8
    assert np.array_equal(run_comb(netlist, v=v)["s"], expected)


def test_check_rejects_di_equal_to_s():
    """DI may come through the bypass from anywhere, but DI = S would make the carry a loop of itself."""
    n = _mul()
    carry = n.carries[0]
    bad = replace(carry, di=(carry.s[0],) + carry.di[1:])
    with pytest.raises(NetlistError, match="DI"):
        check(replace(n, carries=(bad,) + n.carries[1:]))


def test_check_finds_a_chain_break():
    n = build_multiplier(MulSpec(8, 8, family="xc7"))
    chain = next(c for c in n.chains if len(c) > 1)
    carries = [replace(c, ci=VCC) if c.name == chain[1] else c for c in n.carries]
    with pytest.raises(NetlistError, match="chain break"):
        check(replace(n, carries=tuple(carries)))


@pytest.mark.parametrize("family,per_site", [("xc7", 4), ("xcup", 8)])
def test_chains_cascade_and_pack(family, per_site):
    """Chains longer than a site cascade CO[top] -> CI and sit in consecutive sites."""
    n = build_multiplier(MulSpec(16, 16, True, True, family))
    assert all(c.width == per_site for c in n.carries)
    assert any(len(chain) > 1 for chain in n.chains)
    placement = pack(n, family)
    check_placement(n, placement)
    assert placement.sites >= -(-len(n.luts) // per_site)
    assert placement.sites >= len(n.carries)


def test_placement_check_fails_on_a_moved_lut():
    n = _mul()
    placement = pack(n, "xcup")
    moved = list(placement.lut_slot)
    name, site, slot = moved[0]
    moved[0] = (name, site, (slot + 1) % 8)
    with pytest.raises(NetlistError):
        check_placement(n, replace(placement, lut_slot=tuple(moved)))


def test_depth_of_known_shapes():
    from lutgen.depth import critical_depth

    # a table: every output one LUT from the inputs
    assert critical_depth(build_multiplier(MulSpec(3, 3, construction="table"))) == (1, 0)
    # 3x3 unsigned now: one gated chain of three positions up to CO
    assert critical_depth(build_multiplier(MulSpec(3, 3))) == (1, 3)
    # one 2x5 tile: a LUT, then positions 1..5 of one chain up to CO
    assert critical_depth(build_multiplier(MulSpec(2, 5, construction="array"))) == (1, 5)
    # the fused array adds one LUT level per further row
    assert critical_depth(build_multiplier(MulSpec(5, 5, construction="array")))[0] == 4


def test_depth_counts_the_pe_register_inputs():
    from lutgen.depth import critical_depth
    from lutgen.pe import build_pe
    from lutgen.spec import make_mul_spec, make_pe_spec

    mul = build_multiplier(MulSpec(2, 5, construction="array"))
    pe = build_pe(make_pe_spec(make_mul_spec(2, 5, construction="array"), 12))
    levels, bits = critical_depth(pe)
    assert levels == critical_depth(mul)[0] + 1  # the accumulator's LUT level
    assert bits > critical_depth(mul)[1]


def test_a_lut_output_is_reached_only_from_the_pins_it_reads():
    """A ternary row's O5 (majority) ignores the carry-save input that its O6 reads."""
    from lutgen.depth import depends_on

    init = init_dual(lambda x, y, z, c: x ^ y ^ z ^ c, lambda x, y, z, c: (x & y) | (x & z) | (y & z), 4)
    assert [depends_on(init, k, o5=True) for k in range(6)] == [True, True, True, False, False, False]
    assert [depends_on(init, k, o5=False) for k in range(6)] == [True, True, True, True, False, True]


@pytest.mark.parametrize("search,levels", [("greedy", 10), ("ilp", 12)])  # the ILP's five stages cost a level or two
def test_ternary_compressor_rows_do_not_ripple(search, levels):
    """16 lanes of 4x4 as one heap: a handful of LUT levels, not one per column of each row."""
    from lutgen.depth import critical_depth
    from lutgen.dot import build_dot
    from lutgen.spec import DotSpec

    netlist = build_dot(DotSpec(MulSpec(4, 4, True, True), 16, method="heap", search=search))
    assert critical_depth(netlist)[0] <= levels

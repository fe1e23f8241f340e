"""Weight ROMs and wide muxes: every address / select value read back through the bit-exact model."""

import re
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from lutgen.cells import CONSTANTS, NetlistError, check
from lutgen.depth import critical_depth
from lutgen.dot import netlist_counts
from lutgen.emit.verilog import emit_module
from lutgen.mux import build_mux, mux_counts, mux_levels
from lutgen.rom import address_bits, build_rom, built_rom_counts, rom_counts
from lutgen.simulate import evaluate, run_comb, run_seq

DEPTHS = [1, 2, 3, 4, 5, 16, 31, 32, 33, 48, 64, 65, 100, 128, 200, 256]
WIDTHS = [1, 7, 64, 300]
CHUNK = 62  # output bits per port the model reads as one int64


# -- helpers ----------------------------------------------------------------------
def random_words(depth, width, seed):
    rng = np.random.default_rng(seed * 1000 + depth * 7 + width)
    return [int.from_bytes(rng.bytes((width + 7) // 8), "little") & ((1 << width) - 1) for _ in range(depth)]


def crafted_words(depth, width, shift):
    """Columns cycling through constants, address bits, inverted address bits, duplicates and slice patterns."""
    rng = np.random.default_rng(depth * 31 + width + shift)
    a = np.arange(depth)
    ab = address_bits(depth)
    r1, r2, rep = rng.integers(0, 2, depth), rng.integers(0, 2, depth), rng.integers(0, 2, 64)
    kinds = [np.zeros(depth, int), np.ones(depth, int)]
    kinds += [(a >> k) & 1 for k in range(ab)]
    kinds += [1 - ((a >> k) & 1) for k in range(ab)]
    kinds += [r1, r1, 1 - ((a >> (ab - 1)) & 1), r2, r2,
              rep[a % 64],                                # every 64-word slice alike
              ((a >> 6) ^ (a >> 7)) & 1,                  # constant on each slice
              np.where(a < 64, a & 1, r1),                # an address bit in slice 0 only
              np.where(a < 64, 1 - (a & 1), 1)]           # inverted in slice 0, constant after
    columns = [kinds[(j + shift) % len(kinds)] for j in range(width)]
    return [sum(int(columns[j][x]) << j for j in range(width)) for x in range(depth)]


def chunked(netlist):
    """The netlist with its q port cut into ports q0, q1, ... of at most CHUNK bits (the model reads int64)."""
    nets = dict(netlist.outputs)["q"]
    ports = tuple((f"q{i}", nets[lo:lo + CHUNK]) for i, lo in enumerate(range(0, len(nets), CHUNK)))
    return replace(netlist, outputs=ports)


def joined(outputs):
    """Python ints from the chunked ports' values."""
    total = np.zeros(len(next(iter(outputs.values()))), dtype=object)
    for i in range(len(outputs)):
        total = total + (np.asarray(outputs[f"q{i}"]).astype(object) << (CHUNK * i))
    return total


def read_rom(netlist, addresses):
    return joined(run_comb(chunked(netlist), addr=np.asarray(addresses)))


def rom_case(depth, width, seed):
    return random_words(depth, width, seed) if seed >= 0 else crafted_words(depth, width, -seed - 1)


def check_combinational(words, width):
    netlist = build_rom(words, width, "rom_c", registered=False)
    check(netlist)
    assert not netlist.ffs and netlist.clock is None
    depth = len(words)
    got = read_rom(netlist, np.arange(depth))
    assert list(got) == list(words)
    return netlist


def check_registered(words, width):
    netlist = build_rom(words, width, "rom_r")
    check(netlist)
    depth = len(words)
    rng = np.random.default_rng(depth + width)
    every = np.arange(depth)
    other = rng.permutation(depth)
    en3 = rng.integers(0, 2, depth)
    later = rng.integers(0, depth, depth)
    cycles = [dict(addr=every, en=np.ones(depth, int)),      # load words[every]
              dict(addr=other, en=np.zeros(depth, int)),     # shows words[every]; holds
              dict(addr=other, en=np.ones(depth, int)),      # still words[every]; loads words[other]
              dict(addr=later, en=en3),                      # words[other]; loads words[later] where en3
              dict(addr=every, en=np.zeros(depth, int))]
    seen = [joined(out) for out in run_seq(chunked(netlist), cycles)]
    w = np.array(words, dtype=object)
    assert list(seen[1]) == list(w[every])
    assert list(seen[2]) == list(w[every])
    assert list(seen[3]) == list(w[other])
    assert list(seen[4]) == list(np.where(en3 == 1, w[later], w[other]))
    # one FDRE per distinct non-constant column, D = the column's net, CE = en, R = GND
    q = dict(netlist.outputs)["q"]
    assert len(netlist.ffs) == len({n for n in q if n not in CONSTANTS})
    assert all(ff.ce == "en" and ff.r == "1'b0" for ff in netlist.ffs)
    return netlist


# -- ROM: read back -----------------------------------------------------------------
@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("width", WIDTHS)
def test_rom_reads_back_every_address(depth, width):
    seeds = [0, 1, 2] if width < 300 else [0]
    for seed in seeds:
        words = rom_case(depth, width, seed)
        comb = check_combinational(words, width)
        worst = rom_counts(depth, width, registered=False)
        counts = built_rom_counts(comb)
        assert counts["lut_sites"] <= worst["lut_sites"]
        if seed == 0:
            reg = check_registered(words, width)
            assert built_rom_counts(reg)["FDRE"] <= rom_counts(depth, width)["FDRE"]
            assert reg.luts == comb.luts  # the same LUTs, FDREs added


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("width", WIDTHS)
def test_rom_with_crafted_columns(depth, width):
    shifts = range(12) if width == 1 else [0, 5] if width < 300 else [0]
    for shift in shifts:
        words = rom_case(depth, width, -shift - 1)
        comb = check_combinational(words, width)
        assert netlist_counts(comb)["lut_sites"] <= rom_counts(depth, width, False)["lut_sites"]
        if shift == 0:
            check_registered(words, width)


def test_trivial_columns_cost_nothing():
    """Constants, address bits and duplicates need no LUT; the registered ROM puts one FDRE on each distinct net."""
    depth = 32
    a = np.arange(depth)
    cols = [np.zeros(depth, int), np.ones(depth, int), a & 1, (a >> 4) & 1, a & 1, 1 - (a & 1), 1 - (a & 1)]
    words = [sum(int(c[x]) << j for j, c in enumerate(cols)) for x in range(depth)]
    comb = build_rom(words, len(cols), "rom_t", registered=False)
    q = dict(comb.outputs)["q"]
    assert q[:5] == ("1'b0", "1'b1", "addr[0]", "addr[4]", "addr[0]")
    assert q[5] == q[6] and len(comb.luts) == 1  # one LUT for the one inverted address bit
    reg = build_rom(words, len(cols), "rom_t")
    assert len(reg.ffs) == 3  # addr[0], addr[4], NOT addr[0]
    rq = dict(reg.outputs)["q"]
    assert rq[0] == "1'b0" and rq[1] == "1'b1" and rq[2] == rq[4] and rq[5] == rq[6]


def test_rom_pairs_columns_into_lut6_2():
    """D <= 32: two columns per LUT6_2, so ceil(columns / 2) LUTs."""
    words = random_words(32, 64, 3)
    netlist = build_rom(words, 64, "rom_p", registered=False)
    columns = len({n for n in dict(netlist.outputs)["q"] if n not in CONSTANTS})
    assert len(netlist.luts) == (columns + 1) // 2
    assert all(lut.inputs[5] == "1'b1" for lut in netlist.luts if lut.kind == "LUT6_2")


# -- ROM: counts --------------------------------------------------------------------
# Random words, width 64, built against rom_counts (the worst case). Measured over seeds 0..5
# (lut_sites built / worst): equal at D = 16, 31, 32, 40, 48, 64, 65, 66, 80, 96, 128, 129, 256;
# below it where random columns leave room:
#   - D = 8: only 2**8 columns exist, so 64 random ones repeat or come out constant:
#     28..31 / 32 LUTs and 55..62 / 64 FDREs;
#   - D = 33 and 97: the slice's rows 33..63 are free, so greedy drops addr[5] from the
#     columns whose row 32 equals row 0 (about half), and those pair: 46..52 / 64 and 143..147 / 160;
#   - D = 100: the same with 4 rows to agree (1 in 16 columns): 158..159 / 160;
#   - D = 200: the last slice has 8 rows, 251 possible functions, so repeats: 281..286 / 288.
WORST_GAP = {8: 6, 33: 22, 97: 24, 100: 4, 200: 10}


@pytest.mark.parametrize("depth", [8, 16, 31, 32, 33, 48, 64, 65, 66, 80, 96, 97, 100, 128, 129, 200, 256])
def test_random_words_meet_the_worst_case(depth):
    for seed in range(3):
        built = netlist_counts(build_rom(random_words(depth, 64, seed), 64, "rom_w"))
        worst = rom_counts(depth, 64)
        assert worst["FDRE"] == 64 and worst["FDRE"] - (10 if depth == 8 else 0) <= built["FDRE"] <= 64
        assert worst["lut_sites"] - WORST_GAP.get(depth, 0) <= built["lut_sites"] <= worst["lut_sites"]


def test_rom_counts_worst_case_formula():
    assert rom_counts(1, 8) == Counter()
    assert rom_counts(2, 8) == Counter(LUT6=1, lut_sites=1, FDRE=2)  # only NOT addr[0] needs a LUT
    assert rom_counts(32, 64, registered=False) == Counter(LUT6_2=32, lut_sites=32)
    assert rom_counts(32, 7) == Counter(LUT6_2=3, LUT6=1, lut_sites=4, FDRE=7)
    assert rom_counts(64, 10) == Counter(LUT6=10, lut_sites=10, FDRE=10)
    assert rom_counts(128, 10) == Counter(LUT6=20, LUT6_2=5, lut_sites=25, FDRE=10)
    assert rom_counts(256, 10) == Counter(LUT6=50, lut_sites=50, FDRE=10)
    assert rom_counts(80, 10) == Counter(LUT6=10, LUT6_2=10, lut_sites=20, FDRE=10)


@pytest.mark.parametrize("bad,message", [
    (dict(words=[0] * 257, width=4), "ROM depth must be 1..256 words, got 257"),
    (dict(words=[], width=4), "ROM depth must be 1..256 words, got 0"),
    (dict(words=[1, 2], width=0), "ROM width must be an integer >= 1, got 0"),
    (dict(words=[1, 16], width=4), "ROM word 1 is 16, outside 0..2**4-1"),
    (dict(words=[-1], width=4), "ROM word 0 is -1, outside 0..2**4-1"),
    (dict(words=[1, 2.5], width=4), "ROM word 1 is 2.5, outside 0..2**4-1"),
    (dict(words=[[1, 2], [3, 4]], width=4), "ROM words must be a flat sequence of integers, got shape (2, 2)"),
])
def test_bad_roms_are_refused(bad, message):
    with pytest.raises(ValueError) as caught:
        build_rom(bad["words"], bad["width"], "rom_bad")
    assert str(caught.value) == message
    if len(bad["words"]) in (0, 257) or bad["width"] < 1:
        with pytest.raises(ValueError):
            rom_counts(len(bad["words"]), bad["width"])


@pytest.mark.parametrize("depth,width", [(32, 7), (48, 5), (200, 7), (100, 9)])
def test_a_flipped_init_bit_is_caught(depth, width):
    """Every LUT, mutated at the row address 0 reads (O6, and O5 for a LUT6_2), breaks the read-back."""
    words = random_words(depth, width, 5)
    netlist = build_rom(words, width, "rom_m", registered=False)
    env = evaluate(netlist, {"addr": np.zeros(1, dtype=np.int64)})
    assert netlist.luts
    for index, lut in enumerate(netlist.luts):
        row = sum(int(env[n][0]) << k for k, n in enumerate(lut.inputs))
        for flip in ([row, row & 31] if lut.o5 is not None else [row]):
            luts = list(netlist.luts)
            luts[index] = replace(lut, init=lut.init ^ (1 << flip))
            mutant = replace(netlist, luts=tuple(luts))
            check(mutant)
            assert list(read_rom(mutant, np.arange(depth))) != list(words), (lut.name, flip)


# -- mux ------------------------------------------------------------------------
WAYS = list(range(1, 18)) + [24, 64, 72, 100]


@pytest.mark.parametrize("ways", WAYS)
@pytest.mark.parametrize("width", [1, 3, 8])
def test_mux_selects_every_word(ways, width):
    netlist = build_mux(ways, width, "mux_t")
    check(netlist)
    sb = address_bits(ways)
    assert dict(netlist.inputs) == {"d": ways * width, "sel": sb}
    rng = np.random.default_rng(ways * 10 + width)
    words = rng.integers(0, 1 << width, (6, ways)).tolist()
    # and every word a pattern of its own index, so no two words are alike
    words.append([(k ^ 1) & ((1 << width) - 1) for k in range(ways)])
    packed = [sum(int(v) << (k * width) for k, v in enumerate(row)) for row in words]
    d = np.array([packed[v] for sel in range(ways) for v in range(len(words))], dtype=object)
    sel = np.array([sel for sel in range(ways) for _ in words])
    want = [words[v][s] for s in range(ways) for v in range(len(words))]
    assert run_comb(netlist, d=d, sel=sel)["q"].tolist() == want
    assert netlist_counts(netlist) == mux_counts(ways, width)
    assert critical_depth(netlist)[0] == mux_levels(ways)
    assert not netlist.carries and not netlist.ffs


def test_mux_counts_formula():
    assert mux_counts(1, 8) == Counter()
    assert mux_counts(2, 8) == Counter(LUT6_2=4, lut_sites=4)
    assert mux_counts(2, 3) == Counter(LUT6_2=1, LUT6=1, lut_sites=2)
    assert mux_counts(4, 8) == Counter(LUT6=8, lut_sites=8)
    assert mux_counts(16, 8)["lut_sites"] == 40
    assert mux_counts(64, 8)["lut_sites"] == 21 * 8
    assert mux_counts(1024, 1)["lut_sites"] == 341
    assert [mux_levels(w) for w in (1, 2, 4, 5, 16, 17, 64, 65, 1024)] == [0, 1, 1, 2, 2, 3, 3, 4, 5]


def test_big_mux_counts_match_the_netlist():
    for ways, width in [(1024, 2), (300, 5), (129, 4)]:
        netlist = build_mux(ways, width, "mux_b")
        assert netlist_counts(netlist) == mux_counts(ways, width)
        assert critical_depth(netlist)[0] == mux_levels(ways)


@pytest.mark.parametrize("ways,width", [(0, 1), ((1 << 16) + 1, 1), (4, 0)])
def test_bad_muxes_are_refused(ways, width):
    with pytest.raises(ValueError):
        build_mux(ways, width, "mux_bad")
    with pytest.raises(ValueError):
        mux_counts(ways, width)


# -- Verilog ------------------------------------------------------------------------
def instances(text):
    """Primitive name of every instance line of the emitted module body."""
    body = text.split(");", 1)[1]
    kinds = []
    for line in body.splitlines():
        match = re.match(r"\s+(\w+)\s+(#\(|\w+\s*\()", line)  # a primitive, then its parameters or its name
        if match and match.group(1) not in ("wire", "assign"):
            kinds.append(match.group(1))
    return Counter(kinds)


@pytest.mark.parametrize("make", [
    lambda: build_rom(random_words(100, 16, 1), 16, "lutgen_rom_r"),
    lambda: build_rom(crafted_words(200, 40, 0), 40, "lutgen_rom_c", registered=False),
    lambda: build_rom(random_words(20, 9, 1), 9, "lutgen_rom_s", registered=False),
    lambda: build_mux(12, 5, "lutgen_mux_12x5"),
    lambda: build_mux(2, 3, "lutgen_mux_2x3"),
])
def test_emitted_verilog_has_only_luts_and_fdres(make):
    netlist = make()
    text = emit_module(netlist, ["test"])
    kinds = instances(text)
    assert set(kinds) <= {"LUT6", "LUT6_2", "FDRE"}
    assert kinds == Counter(netlist.cell_counts())
    assert f"module {netlist.name} (" in text
    for lut in netlist.luts:
        assert re.search(rf"#\(\.INIT\(64'h{lut.init:016X}\)\) {lut.name} ", text)
    if netlist.ffs:
        assert "input  wire clk" in text and "input  wire en" in text


def test_bad_module_names_are_refused():
    with pytest.raises(ValueError):
        build_rom([1, 2], 2, "bad name")
    with pytest.raises(ValueError):
        build_mux(2, 2, "1mux")


def test_check_catches_a_broken_rom():
    """check() is not a no-op on these netlists: a LUT reading an undriven net fails."""
    netlist = build_rom(random_words(16, 4, 0), 4, "rom_x", registered=False)
    lut = netlist.luts[0]
    broken = replace(netlist, luts=(replace(lut, inputs=("nowhere",) + lut.inputs[1:]),) + netlist.luts[1:])
    with pytest.raises(NetlistError):
        check(broken)


def test_numpy_words_build_the_same_rom():
    words = random_words(100, 40, 4)
    assert build_rom(np.array(words, dtype=np.uint64), 40, "rom_n") == build_rom(words, 40, "rom_n")

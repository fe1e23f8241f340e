"""The PE netlist, clocked in the bit-exact model, against an integer MAC."""

import itertools

import numpy as np
import pytest

from lutgen.pe import build_pe
from lutgen.simulate import run_seq
from lutgen.spec import default_acc_bits, make_mul_spec, make_pe_spec

from reference import to_signed


def reference_mac(cycles, spec):
    """acc as seen before each rising edge, for each stream (numpy arrays over streams)."""
    acc = np.zeros_like(cycles[0]["w"])
    seen = []
    for c in cycles:
        seen.append(acc.copy())
        w = to_signed(c["w"], spec.mul.w) if spec.mul.signed_w else c["w"]
        a = to_signed(c["a"], spec.mul.a) if spec.mul.signed_a else c["a"]
        nxt = np.where(c["clr"] == 1, 0, acc) + w * a
        nxt &= (1 << spec.acc_bits) - 1
        if spec.mul.signed_out:
            nxt = to_signed(nxt, spec.acc_bits)
        acc = np.where(c["rst"] == 1, 0, np.where(c["en"] == 1, nxt, acc))
    return seen


def random_cycles(spec, n, seed, streams=24, p_en=0.7, p_clr=0.1, p_rst=0.02):
    """n cycles of `streams` independent random streams; the model runs them side by side."""
    rng = np.random.default_rng(seed)
    ones = np.ones(streams, dtype=np.int64)
    cycles = [dict(w=0 * ones, a=0 * ones, en=0 * ones, clr=0 * ones, rst=ones)]
    for _ in range(n):
        cycles.append(dict(
            w=rng.integers(0, 1 << spec.mul.w, streams), a=rng.integers(0, 1 << spec.mul.a, streams),
            en=(rng.random(streams) < p_en).astype(np.int64), clr=(rng.random(streams) < p_clr).astype(np.int64),
            rst=(rng.random(streams) < p_rst).astype(np.int64),
        ))
    return cycles


@pytest.mark.parametrize("family", ["xc7", "xcup"])
@pytest.mark.parametrize("signed_w,signed_a", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("w,a,acc", [(3, 5, None), (8, 8, None), (2, 3, 5), (4, 4, 12), (1, 1, None), (16, 16, 40)])
def test_pe_accumulates(w, a, acc, signed_w, signed_a, family):
    spec = make_pe_spec(make_mul_spec(w, a, signed_w, signed_a, family), acc)
    netlist = build_pe(spec)
    cycles = random_cycles(spec, 60, seed=w * 31 + a)
    got = [o["acc"] for o in run_seq(netlist, cycles)]
    want = reference_mac(cycles, spec)
    assert all(np.array_equal(g, r) for g, r in zip(got, want, strict=True))


def test_pe_wraps_at_a_narrow_accumulator():
    """A 5-bit accumulator of 2x3 products wraps modulo 32, as documented."""
    spec = make_pe_spec(make_mul_spec(2, 3), 5)
    cycles = [dict(w=0, a=0, en=0, clr=0, rst=1)] + [dict(w=3, a=7, en=1, clr=0, rst=0)] * 3 + [dict(w=0, a=0, en=0, clr=0, rst=0)]
    got = [int(o["acc"]) for o in run_seq(build_pe(spec), cycles)]
    assert got == [0, 0, 21, 42 % 32, 63 % 32]


def test_default_accumulator_holds_1024_extreme_products():
    for signed_w, signed_a in itertools.product([False, True], repeat=2):
        mul = make_mul_spec(3, 5, signed_w, signed_a)
        bits = default_acc_bits(mul)
        lo, hi = mul.product_range()
        if mul.signed_out:
            assert -(1 << (bits - 1)) <= 1024 * lo and 1024 * hi < (1 << (bits - 1))
            assert not (-(1 << (bits - 2)) <= 1024 * lo and 1024 * hi < (1 << (bits - 2)))
        else:
            assert 1024 * hi < (1 << bits) and 1024 * hi >= (1 << (bits - 1))
    assert default_acc_bits(make_mul_spec(3, 5)) == 18

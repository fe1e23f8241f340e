"""Dot products: the netlist against the integer sum of products, and its counts without building it."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from lutgen.dot import SUM_METHODS, build_dot, dot_counts, heap_mac, heap_sum, netlist_counts, products_sum
from lutgen.simulate import run_comb, run_seq
from lutgen.spec import SpecError, make_dot_spec, make_mul_spec

from reference import to_signed


def lane_values(rng, bits, signed, shape):
    lo, hi = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    return rng.integers(lo, hi, shape)


def packed(values, bits):
    """Lane k of each row in bits [bits*k +: bits]; Python ints, so any number of lanes fits."""
    mask = (1 << bits) - 1
    return np.array([sum((int(v) & mask) << (bits * k) for k, v in enumerate(row)) for row in values], dtype=object)


@pytest.mark.parametrize("family", ["xc7", "xcup"])
@pytest.mark.parametrize("signed_w,signed_a", list(itertools.product([False, True], repeat=2)))
def test_two_lane_2x3_is_exhaustively_right(signed_w, signed_a, family):
    spec = make_dot_spec(make_mul_spec(2, 3, signed_w, signed_a, family), 2)
    everything = np.arange(1 << 10)
    w_word, a_word = everything & 0xF, everything >> 4  # 2 lanes x 2 bits, 2 lanes x 3 bits
    got = run_comb(build_dot(spec), w=w_word, a=a_word)["p"]

    def lane(word, bits, k, signed):
        v = (word >> (bits * k)) & ((1 << bits) - 1)
        return to_signed(v, bits) if signed else v

    want = sum(lane(w_word, 2, k, signed_w) * lane(a_word, 3, k, signed_a) for k in range(2))
    assert np.array_equal(got, want)


@pytest.mark.parametrize("w,a,signed_w,signed_a,lanes,family", [
    (4, 4, True, True, 8, "xc7"), (3, 5, True, False, 16, "xcup"), (8, 8, True, True, 16, "xcup"),
    (1, 1, False, False, 5, "xc7"), (2, 2, True, False, 3, "xcup"), (5, 3, False, False, 7, "xc7"),
])
def test_random_and_corner_vectors(w, a, signed_w, signed_a, lanes, family):
    spec = make_dot_spec(make_mul_spec(w, a, signed_w, signed_a, family), lanes)
    rng = np.random.default_rng(lanes * 100 + w * 10 + a)
    ws = lane_values(rng, w, signed_w, (3000, lanes))
    as_ = lane_values(rng, a, signed_a, (3000, lanes))
    w_lo, w_hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed_w else (0, (1 << w) - 1)
    a_lo, a_hi = (-(1 << (a - 1)), (1 << (a - 1)) - 1) if signed_a else (0, (1 << a) - 1)
    # corners: every lane at the extreme product, both ways
    for wv, av in itertools.product((w_lo, w_hi), (a_lo, a_hi)):
        ws = np.vstack([ws, np.full((1, lanes), wv)])
        as_ = np.vstack([as_, np.full((1, lanes), av)])
    got = run_comb(build_dot(spec), w=packed(ws, w), a=packed(as_, a))["p"]
    assert np.array_equal(got, (ws * as_).sum(axis=1))


@pytest.mark.parametrize("method", list(SUM_METHODS))
@pytest.mark.parametrize("w,a,signed_w,signed_a,lanes,family", [
    (7, 7, True, True, 8, "xc7"), (5, 3, False, True, 5, "xcup"), (2, 2, True, False, 3, "xc7"), (8, 8, False, False, 4, "xcup"),
])
def test_every_sum_method(w, a, signed_w, signed_a, lanes, family, method):
    """Each way to sum is right on its own, not only the one build_dot keeps."""
    spec = replace(make_dot_spec(make_mul_spec(w, a, signed_w, signed_a, family), lanes), method=method)
    netlist = build_dot(spec)
    assert dict(netlist.meta)["construction"] == method or method == "tree"
    rng = np.random.default_rng(lanes * 100 + w * 10 + a)
    ws = lane_values(rng, w, signed_w, (2000, lanes))
    as_ = lane_values(rng, a, signed_a, (2000, lanes))
    got = run_comb(netlist, w=packed(ws, w), a=packed(as_, a))["p"]
    assert np.array_equal(got, (ws * as_).sum(axis=1))


def test_products_heap_wins_for_odd_signed_widths():
    """7 x 7 signed: eight offset-Booth lanes summed as one heap take fewer LUTs than the lanes' gates."""
    spec = make_dot_spec(make_mul_spec(7, 7, True, True, "xc7"), 8)
    assert len(products_sum(spec).luts) < len(heap_sum(spec).luts)
    assert dict(build_dot(spec).meta)["construction"] == "products"


@pytest.mark.parametrize("signed,w,terms", [(False, 4, "heap"), (True, 4, "heap"), (True, 7, "products"), (False, 8, "products")])
def test_accumulating_dot_product(signed, w, terms):
    spec = make_dot_spec(make_mul_spec(w, w, signed, signed, "xcup"), 8, accumulate=True)
    netlist = heap_mac(spec, terms)
    assert dict(netlist.meta)["construction"] == terms
    rng = np.random.default_rng(7)
    streams, acc = 16, np.zeros(16, dtype=np.int64)
    cycles, want = [], []
    for step in range(80):
        ws = lane_values(rng, w, signed, (streams, 8))
        as_ = lane_values(rng, w, signed, (streams, 8))
        en = (rng.random(streams) < 0.8).astype(np.int64)
        clr = (rng.random(streams) < 0.1).astype(np.int64)
        rst = np.ones(streams, dtype=np.int64) if step == 0 else np.zeros(streams, dtype=np.int64)
        cycles.append(dict(w=packed(ws, w), a=packed(as_, w), en=en, clr=clr, rst=rst))
        want.append(acc.copy())
        nxt = np.where(clr == 1, 0, acc) + (ws * as_).sum(axis=1)
        acc = np.where(rst == 1, 0, np.where(en == 1, nxt, acc))
    got = [o["acc"] for o in run_seq(netlist, cycles)]
    assert all(np.array_equal(g, r) for g, r in zip(got[1:], want[1:], strict=True))


@pytest.mark.parametrize("lanes", [1, 2, 3, 5, 8, 13, 16])
@pytest.mark.parametrize("w,a,signed_w,signed_a,family", [
    (4, 4, True, True, "xc7"), (3, 5, False, False, "xcup"), (1, 1, True, True, "xcup"), (1, 2, False, False, "xc7"),
    (7, 7, True, True, "xc7"),  # the products heap wins here
])
@pytest.mark.parametrize("accumulate", [False, True])
def test_counts_without_building_equal_the_netlist(w, a, signed_w, signed_a, family, lanes, accumulate):
    spec = make_dot_spec(make_mul_spec(w, a, signed_w, signed_a, family), lanes, accumulate=accumulate)
    assert dot_counts(spec) == netlist_counts(build_dot(spec))


@pytest.mark.parametrize("lanes,acc,message", [
    (0, None, "--lanes must be an integer from 1 to 1024, got 0"),
    (1025, None, "--lanes must be an integer from 1 to 1024, got 1025"),
    ("eight", None, "--lanes must be an integer from 1 to 1024, got 'eight'"),
    (4, 5, "--acc must be an integer from 6 (the width of one sum of 4 products) to 64, got 5"),
])
def test_bad_dot_specs_are_refused(lanes, acc, message):
    with pytest.raises(SpecError) as caught:
        make_dot_spec(make_mul_spec(2, 2), lanes, acc)
    assert str(caught.value) == message


@pytest.mark.parametrize("construction,w,a,accumulate", [
    ("table", 2, 3, False), ("booth", 4, 4, True), ("array", 3, 3, False),
])
def test_a_forced_construction_is_every_lanes_multiplier(construction, w, a, accumulate):
    """`lutgen dot --construction X`: the sum is over lone X multipliers (never the gate heap), exhaustively right."""
    spec = make_dot_spec(make_mul_spec(w, a, True, False, "xcup", construction), 2, accumulate=accumulate)
    netlist = build_dot(spec)
    meta = dict(netlist.meta)  # a tree keeps its lanes' multiplier's meta; a products heap names it in its variant
    assert (meta["construction"] == construction and "tree" in meta) or \
        (meta["construction"] == "products" and f"lone products ({construction})" in meta["variant"]), meta
    assert dot_counts(spec) == netlist_counts(netlist)
    if accumulate:
        return  # the accumulating form is covered by the counts; its sum is the combinational one's
    everything = np.arange(1 << (2 * (w + a)))
    w_word, a_word = everything & ((1 << 2 * w) - 1), everything >> (2 * w)
    want = sum(to_signed((w_word >> (w * k)) & ((1 << w) - 1), w) * ((a_word >> (a * k)) & ((1 << a) - 1))
               for k in range(2))
    assert np.array_equal(run_comb(netlist, w=w_word, a=a_word)["p"], want)


def test_a_forced_construction_that_does_not_apply_is_refused():
    spec = make_dot_spec(make_mul_spec(4, 4, construction="table"), 8)
    with pytest.raises(SpecError, match="construction 'table' does not apply to 4x4"):
        build_dot(spec)


def test_the_spec_knows_every_sum_method_and_refuses_others():
    from lutgen.spec import DOT_METHODS

    assert set(SUM_METHODS) == set(DOT_METHODS) - {None}
    with pytest.raises(SpecError, match="unknown sum method 'heaps'"):
        replace(make_dot_spec(make_mul_spec(2, 2), 2), method="heaps")
    with pytest.raises(SpecError, match="unknown stage search 'exact'"):
        replace(make_dot_spec(make_mul_spec(2, 2), 2), search="exact")

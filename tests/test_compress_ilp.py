"""The ILP's compression stages: built as planned they sum the heap exactly, and they win where the greedy stages lose."""

import numpy as np
import pytest

from lutgen import compress_ilp
from lutgen.cells import check
from lutgen.compress import HeapCompressor, _ilp_plan
from lutgen.compress_ilp import Position
from lutgen.constructions.builder import NetlistBuilder, Term, net_term
from lutgen.dot import _lane_terms, build_dot
from lutgen.simulate import run_comb
from lutgen.spec import DotSpec, MulSpec, make_dot_spec, make_mul_spec
from lutgen.target import FAMILIES

from reference import to_signed


def planned_netlist(spec: DotSpec, plan):
    """The heap of every lane's gates, summed by HeapCompressor along `plan`."""
    columns, constant = _lane_terms(spec.mul, spec.lanes)
    builder = NetlistBuilder(FAMILIES[spec.mul.family], prefix="heap_")
    total = HeapCompressor(builder, spec.sum_bits).run_plan(columns, constant, plan)
    netlist = builder.netlist("planned", inputs=(("w", spec.lanes * spec.mul.w), ("a", spec.lanes * spec.mul.a)),
                              outputs=[("p", tuple(total))], output_signed=(("p", spec.mul.signed_out),))
    check(netlist)
    return netlist


def plan_for(spec: DotSpec):
    columns, constant = _lane_terms(spec.mul, spec.lanes)
    compress_ilp.plan.cache_clear()
    old = compress_ilp.MIN_BITS
    compress_ilp.MIN_BITS = 0  # small heaps too, so that they can be checked on every input
    try:
        return _ilp_plan(spec.sum_bits, columns, constant)
    finally:
        compress_ilp.MIN_BITS = old


def exhaustive_sum(netlist, spec: DotSpec):
    mul, lanes = spec.mul, spec.lanes
    w_bits, a_bits = lanes * mul.w, lanes * mul.a
    everything = np.arange(1 << (w_bits + a_bits))
    w_word, a_word = everything & ((1 << w_bits) - 1), everything >> w_bits

    def lane(word, bits, k, signed):
        v = (word >> (bits * k)) & ((1 << bits) - 1)
        return to_signed(v, bits) if signed else v

    want = sum(lane(w_word, mul.w, k, mul.signed_w) * lane(a_word, mul.a, k, mul.signed_a) for k in range(lanes))
    return run_comb(netlist, w=w_word, a=a_word)["p"], want


@pytest.mark.parametrize("w,a,signed_w,signed_a,lanes,family", [
    (2, 2, True, False, 4, "xc7"), (2, 2, True, True, 4, "xcup"), (2, 3, False, False, 3, "xc7"),
    (3, 3, True, False, 2, "xcup"), (1, 2, False, True, 6, "xc7"),
])
def test_planned_stages_sum_exactly_on_every_input(w, a, signed_w, signed_a, lanes, family):
    spec = DotSpec(MulSpec(w, a, signed_w, signed_a, family), lanes)
    plan = plan_for(spec)
    assert plan is not None and any(plan), "the solver planned no stage"
    got, want = exhaustive_sum(planned_netlist(spec, plan), spec)
    assert np.array_equal(got, want)


def test_the_exhaustive_checks_cover_every_kind_of_position():
    """The first config above plans all three families, carry-ins on both chain families, and a five-net first position."""
    chains = [chain for stage in plan_for(DotSpec(MulSpec(2, 2, True, False, "xc7"), 4)) for chain in stage]
    assert {chain.family for chain in chains} == set(compress_ilp.POSITION_KINDS)
    assert {chain.family for chain in chains if chain.carry_in} == set(compress_ilp.ON_CHAIN)
    assert any(chain.family == "ternary" and chain.positions[0] == Position(chain.positions[0].column, 2, 1)
               for chain in chains)


def test_the_last_adder_takes_a_carry_in_and_two_gates_in_its_lowest_column():
    """Column 0: two gates and two plain bits (one to the carry-in); column 1: a gate and two plain bits. No stage needed."""
    x = [f"x[{k}]" for k in range(10)]
    columns = {0: [Term("and", (x[0], x[1])), Term("nand", (x[2], x[3])), net_term(x[4]), net_term(x[5])],
               1: [Term("andnot", (x[6], x[7])), net_term(x[8]), net_term(x[9])]}
    builder = NetlistBuilder(FAMILIES["xc7"], prefix="t_")
    compressor = HeapCompressor(builder, 4)
    assert compressor.final_fits(columns)
    total = compressor.run(columns)
    netlist = builder.netlist("last", inputs=(("x", 10),), outputs=[("p", tuple(total))], output_signed=(("p", False),))
    check(netlist)
    assert len(netlist.luts) == 4  # one a column, 0..3, with no stage before
    assert netlist.carries[0].cyinit in ("x[4]", "x[5]")
    every = np.arange(1 << 10)
    bit = [(every >> k) & 1 for k in range(10)]
    want = (bit[0] & bit[1]) + (1 - (bit[2] & bit[3])) + bit[4] + bit[5] + 2 * ((bit[6] & (1 - bit[7])) + bit[8] + bit[9])
    assert np.array_equal(run_comb(netlist, x=every)["p"], want % 16)


SMALL_SPECS = [DotSpec(MulSpec(2, 2, True, False, "xc7"), 4), DotSpec(MulSpec(2, 3, False, False, "xc7"), 3),
               DotSpec(MulSpec(1, 2, False, True, "xc7"), 6), DotSpec(MulSpec(2, 2, True, True, "xcup"), 4),
               DotSpec(MulSpec(3, 3, True, False, "xcup"), 2)]


@pytest.mark.parametrize("built,planned", [(b, p) for b in range(len(SMALL_SPECS)) for p in range(len(SMALL_SPECS)) if b != p])
def test_a_plan_that_does_not_fit_the_heap_still_sums_exactly(built, planned):
    """Short of the bits a position wants, the other kind stands in or the chain breaks (its carry-in
    bit waiting if no position took it); greedy stages finish."""
    spec = SMALL_SPECS[built]
    other = plan_for(SMALL_SPECS[planned])
    got, want = exhaustive_sum(planned_netlist(spec, other), spec)
    assert np.array_equal(got, want)


def test_the_plan_is_the_same_every_time():
    spec = DotSpec(MulSpec(3, 3, True, False, "xc7"), 8)
    assert plan_for(spec) == plan_for(spec)


# FINN's 7-Series LUTs (anchors/finn_compressor_dotp.csv) and the goal, 0.85 of them,
# on configs the greedy stages missed (107, 77, 44, 230, 123, 32, 74, 62, 41 and 73 LUTs); the
# last three also need the carry-ins and the five-net first positions
@pytest.mark.parametrize("w,a,signed_a,lanes,acc,finn", [
    (4, 4, False, 8, None, 118), (3, 3, True, 8, 17, 90), (2, 2, True, 8, 15, 49), (4, 4, True, 16, 20, 273),
    (4, 4, False, 8, 19, 134), (2, 2, False, 8, None, 32), (3, 3, False, 8, 17, 81),
    (2, 2, False, 16, None, 62), (2, 2, False, 8, 15, 43), (2, 2, False, 16, 16, 74),
])
def test_ilp_stages_meet_the_goal_where_the_greedy_ones_did_not(w, a, signed_a, lanes, acc, finn):
    spec = make_dot_spec(make_mul_spec(w, a, True, signed_a, "xc7"), lanes, acc)
    assert len(build_dot(spec).luts) <= 0.85 * finn


def test_greedy_search_is_what_the_ilp_improves_on():
    ilp = make_dot_spec(make_mul_spec(4, 4, True, False, "xc7"), 8)
    greedy = DotSpec(ilp.mul, ilp.lanes, search="greedy")
    assert len(build_dot(ilp).luts) < len(build_dot(greedy).luts)

"""Pipelined cores equal the unpipelined ones with every input K cycles late, and get shallower."""

import numpy as np
import pytest

from lutgen.api import generate_dot, generate_mul, generate_pe
from lutgen.cells import check
from lutgen.constructions import build_multiplier
from lutgen.depth import critical_depth
from lutgen.dot import build_dot
from lutgen.pe import build_pe
from lutgen.pipeline import assign_stages, pipeline
from lutgen.simulate import run_comb, run_seq
from lutgen.spec import SpecError, make_dot_spec, make_mul_spec, make_pe_spec

from test_pe_model import random_cycles


@pytest.mark.parametrize("stages", [1, 2, 3])
@pytest.mark.parametrize("w,a,signed_w,signed_a,family", [
    (8, 8, True, True, "xcup"), (3, 5, False, False, "xc7"), (12, 12, True, False, "xc7"), (1, 1, True, True, "xcup"),
])
def test_pipelined_multiplier_is_the_product_k_cycles_later(w, a, signed_w, signed_a, family, stages):
    base = build_multiplier(make_mul_spec(w, a, signed_w, signed_a, family))
    piped = pipeline(base, stages)
    check(piped)
    rng = np.random.default_rng(stages)
    cycles = [dict(w=rng.integers(0, 1 << w, 64), a=rng.integers(0, 1 << a, 64)) for _ in range(12)]
    seen = [o["p"] for o in run_seq(piped, cycles)]
    want = [run_comb(base, **c)["p"] for c in cycles]
    assert all(np.array_equal(seen[t + stages], want[t]) for t in range(len(cycles) - stages))
    if critical_depth(base)[0] > 1:  # one LUT cannot get shallower
        assert critical_depth(piped) < critical_depth(base)


def test_stages_never_run_backwards_and_chains_stay_whole():
    netlist = build_dot(make_dot_spec(make_mul_spec(4, 4, True, True), 8))
    stage = assign_stages(netlist, 3)
    drivers = netlist.drivers()
    for lut in netlist.luts:
        for net in lut.inputs:
            if net in drivers:
                assert stage[drivers[net][0]] <= stage[lut.name]
    for chain in netlist.chains:
        assert len({stage[name] for name in chain}) == 1


@pytest.mark.parametrize("kind", ["pe", "dot"])
def test_pipelined_accumulator_is_the_pe_with_inputs_k_cycles_late(kind):
    mul = make_mul_spec(4, 4, True, False)
    if kind == "pe":
        plain, piped = build_pe(make_pe_spec(mul, 16)), build_pe(make_pe_spec(mul, 16, pipeline=2))
    else:
        plain = build_dot(make_dot_spec(mul, 1, 16))
        piped = build_dot(make_dot_spec(mul, 1, 16, pipeline=2))
    cycles = random_cycles(make_pe_spec(mul, 16), 80, seed=5)
    quiet = dict(w=0 * cycles[0]["w"], a=0 * cycles[0]["a"], en=0 * cycles[0]["en"], clr=0 * cycles[0]["en"],
                 rst=1 + 0 * cycles[0]["en"])
    late = run_seq(piped, cycles + [quiet] * 2)
    early = run_seq(plain, cycles)
    assert all(np.array_equal(late[t + 2]["acc"], early[t]["acc"]) for t in range(len(cycles)))


def test_reports_count_the_pipeline_registers():
    mul = make_mul_spec(8, 8, True, True)
    plain, piped = generate_mul(mul), generate_mul(mul, 2)
    assert piped.netlist.name.endswith("_p2") and "input  wire clk" in piped.verilog
    assert piped.report["spec"]["pipeline_stages"] == 2
    assert piped.report["resources"]["FDRE"] == len(piped.netlist.ffs) > plain.report["resources"]["FDRE"] == 0
    pe = generate_pe(make_pe_spec(mul, None, 1))
    assert pe.report["resources"]["FDRE"] > make_pe_spec(mul).acc_bits
    dot = generate_dot(make_dot_spec(mul, 4, pipeline=1))
    assert dot.report["spec"]["pipeline_stages"] == 1 and dot.netlist.clock == "clk"


@pytest.mark.parametrize("value", [-1, 9, "two"])
def test_bad_pipeline_is_refused(value):
    with pytest.raises(SpecError, match="--pipeline must be an integer from 0 to 8"):
        make_pe_spec(make_mul_spec(2, 2), None, value)

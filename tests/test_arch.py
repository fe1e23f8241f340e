"""The architecture layer: networks, widths, dataflow, resources, fit and exploration."""

import itertools
import json
import subprocess
import sys
from dataclasses import replace

import pytest

from lutgen.arch.dataflow import (Folding, cycles, first_output_times, foldings, shortcut_fifo_elements,
                                  window_buffer_elements, window_gaps)
from lutgen.arch.device import DEVICES, Limits, get_device
from lutgen.arch.explore import assemble, explore
from lutgen.arch.hw.memory import choose_weight_memory
from lutgen.arch.hw.plan import plan_layer
from lutgen.arch.hw.stream import bram_halves, lutram_luts
from lutgen.arch.network import ArchError, Layer, Shape, build_network, macs, network_from_dict, total_macs, weight_bits, weight_count
from lutgen.arch.precision import apply_precision, load_precision, reference_config_path
from lutgen.arch.report import design_dict, text_report
from lutgen.arch.resources import WeightMemory, layer_cost
from lutgen.arch.zoo import resnet18, resnet152
from lutgen.dot import build_dot, netlist_counts

CLOCK = 250.0


def small_net():
    """3x8x8 -> conv3x3 (8) -> maxpool 2/2 -> conv1x1 (16) -> global pool -> fc (10)."""
    return build_network("small", Shape(3, 8, 8), [
        Layer("c1", "conv", ("input",), out_channels=8, kernel=3, padding=1, w_bits=4, a_bits=8),
        Layer("p1", "maxpool", ("c1",), kernel=2, stride=2, a_bits=4),
        Layer("c2", "conv", ("p1",), out_channels=16, kernel=1, w_bits=2, a_bits=4),
        Layer("g", "gpool", ("c2",), a_bits=3),
        Layer("fc", "fc", ("g",), out_channels=10, w_bits=8, a_bits=8, relu=False),
    ])


def residual_net():
    """One basic block on 4x6x6: the shortcut skips two 3x3 convs."""
    return build_network("block", Shape(4, 6, 6), [
        Layer("a", "conv", ("input",), out_channels=4, kernel=3, padding=1, w_bits=3, a_bits=4),
        Layer("b", "conv", ("a",), out_channels=4, kernel=3, padding=1, w_bits=3, a_bits=4, relu=False),
        Layer("add", "add", ("b", "input"), a_bits=4),
    ])


# -- networks --------------------------------------------------------------------
def test_resnet_mac_and_parameter_counts():
    r18, r152 = resnet18(), resnet152()
    assert total_macs(r18) == 1_814_073_344  # about 1.82 G
    assert total_macs(r152) == 11_513_626_624  # about 11.5 G
    assert sum(weight_count(r18, layer) for layer in r18.layers) == 11_678_912
    assert sum(weight_count(r152, layer) for layer in r152.layers) == 60_040_384
    assert r18.out_shape(r18.layer("layer4.1.add")) == Shape(512, 7, 7)
    assert r152.out_shape(r152.layer("layer4.2.add")) == Shape(2048, 7, 7)


def test_small_net_by_hand():
    net = small_net()
    assert [str(net.out_shape(layer)) for layer in net.layers] == ["8x8x8", "8x4x4", "16x4x4", "16x1x1", "10x1x1"]
    assert [macs(net, layer) for layer in net.layers] == [8 * 8 * 8 * 27, 0, 4 * 4 * 16 * 8, 0, 10 * 16]
    assert [weight_bits(net, layer) for layer in net.layers] == [8 * 27 * 4, 0, 16 * 8 * 2, 0, 10 * 16 * 8]
    c1, p1, c2 = net.layers[:3]
    # c1's line buffer walks the 10x10 padded image: 56 windows 1 step after the one
    # before, 7 row starts 3 steps after, and the first of each frame 23 steps after
    # the last of the frame before
    assert window_gaps(8, 8, 3, 1, 1) == [(1, 56), (3, 7), (23, 1)]
    # holding a copy of each window, the buffer walks while the unit works: max(work, gap) a window
    assert cycles(net, c1, Folding(simd=9, fold=2, hold=True)) == 64 * 3 * 2 + 23 - 6  # 6 cycles a window
    assert cycles(net, c1, Folding(simd=27, fold=1)) == 10 * 10  # the walk, not the work, sets the pace
    assert cycles(net, c1, Folding(simd=27, fold=8, hold=True)) == 64 * 8 + 23 - 8  # one unit, 8 channels in turn
    # without the copy the buffer waits for the work: work + gap - 1 a window
    assert cycles(net, c1, Folding(simd=9, fold=2)) == 56 * 6 + 7 * 8 + 1 * 28
    assert cycles(net, c1, Folding(simd=27, fold=8)) == 56 * 8 + 7 * 10 + 1 * 30
    assert foldings(net, p1) == [Folding(lanes=8)]  # a whole pixel a cycle, as `lutgen accel` emits it
    assert cycles(net, p1, Folding(lanes=8)) == 64  # one input pixel a cycle
    # 2 lanes: 4 cycles a 2x2 window; the walk's gaps are 2 within a row (12 times), 10 to
    # the next row (3 times) and 10 to the next frame, so 12 * 4 + 3 * 10 + 10
    assert window_gaps(8, 8, 2, 2, 0) == [(2, 12), (10, 3), (10, 1)]
    assert cycles(net, p1, Folding(lanes=2)) == 88
    assert cycles(net, c2, Folding(simd=8, fold=4)) == 16 * 4  # 1x1: no line buffer
    assert window_buffer_elements(net, c1) == (2 * 10 + 3) * 3
    assert window_buffer_elements(net, c2) == 0
    # simd in 1, 3, 9, 27; fold in 1, 2, 4, 8; with and without a window copy, except where the work is one cycle
    assert len(foldings(net, c1)) == 4 * 4 * 2 - 1


def test_shortcut_fifo_covers_the_skipped_latency():
    net = residual_net()
    times = first_output_times(net)
    # each 3x3 conv with padding 1 waits for one row and two pixels of its 6x6 input
    assert times["a"] == pytest.approx(8 / 36) and times["b"] == pytest.approx(16 / 36)
    # the input runs 16 pixels ahead of b; plus one row of slack; 4 channels each
    assert shortcut_fifo_elements(net) == {"add": (16 + 6) * 4}


def test_signedness_follows_the_relus():
    net = residual_net()
    assert not net.layer("a").signed_a and not net.layer("b").signed_a
    assert net.layer("add").signed_a  # b has no ReLU before the add


# -- widths -------------------------------------------------------------------------
def test_reference_precision_config():
    net = load_precision(resnet18(), reference_config_path())
    assert (net.layer("conv1").w_bits, net.layer("conv1").a_bits) == (8, 8)
    assert (net.layer("fc").w_bits, net.layer("fc").a_bits) == (8, 8)
    assert (net.layer("layer2.1.conv2").w_bits, net.layer("layer2.1.conv2").a_bits) == (4, 4)


def test_channel_wise_widths_and_patterns(tmp_path):
    config = tmp_path / "p.yaml"
    config.write_text("default: {w_bits: 6, a_bits: 5}\nlayers:\n  'layer4.*': {w_bits: 3}\n"
                      "  layer1.0.conv1:\n    channel_w_bits: {8: 16, 2: 48}\n")
    net = load_precision(resnet18(), config)
    layer = net.layer("layer1.0.conv1")
    assert layer.channel_w_bits == (8,) * 16 + (2,) * 48
    assert layer.weight_groups() == {2: 48, 8: 16}
    assert weight_bits(net, layer) == (16 * 8 + 48 * 2) * 576
    assert net.layer("layer4.1.conv2").w_bits == 3 and net.layer("layer3.1.conv2").w_bits == 6
    device = get_device("xcvu9p")
    cost = layer_cost(net, layer, Folding(simd=4, fold=8), device, CLOCK)
    hw = plan_layer(net, layer, Folding(simd=4, fold=8), device, CLOCK)
    # one dot unit per 8 channels of each width: 2 of 8-bit weights, 6 of 2-bit, each counted from its netlist
    assert [(g.bits, g.units) for g in hw.groups] == [(2, 6), (8, 2)]
    for group in hw.groups:
        assert group.pe.mul.w == group.bits and group.pe.lanes == 4
        lut_sites = netlist_counts(build_dot(group.pe))["lut_sites"]
        assert cost.parts[f"dot units w{group.bits}"] == group.units * lut_sites
    # the accumulator holds the sum of 576 products of 8-bit weights and 5-bit activations, and a bias as large
    assert hw.acc_bits == (576 * 128 * 31 * 2).bit_length() + 1


@pytest.mark.parametrize("config,message", [
    ({"layers": {"nope": {"w_bits": 4}}}, "precision config: layers.nope names no layer of network 'resnet18'"),
    ({"default": {"w_bits": 17}}, "precision config: default.w_bits must be an integer from 1 to 16, got 17"),
    ({"default": {"bits": 4}}, "precision config: default has unknown key 'bits'; allowed: w_bits, a_bits, channel_w_bits"),
    ({"layers": {"conv1": {"channel_w_bits": [4, 4]}}},
     "precision config: layers.conv1.channel_w_bits covers 2 channels; layer 'conv1' has 64"),
])
def test_bad_precision_is_refused(config, message):
    with pytest.raises(ArchError) as caught:
        apply_precision(resnet18(), config)
    assert str(caught.value) == message


@pytest.mark.parametrize("layers,message", [
    ([{"type": "deconv"}], "network: layers[0].type must be one of conv, fc, maxpool, avgpool, gpool, add, relu, got 'deconv'"),
    ([{"type": "conv", "out_channels": 4, "kernel": 3, "stride": 1},
      {"name": "x", "type": "add", "inputs": ["layer0", "input"]}],
     "layer 'x': add needs two inputs of the same shape, got 4x2x2 and 3x4x4"),
    ([{"type": "conv", "out_channels": 4, "kernel": 9}], "layer 'layer0': a 9x9 window does not fit the 3x4x4 input (padding 0)"),
    ([{"type": "conv", "out_channels": 4, "a_bits": 0}], "network: layers[0].a_bits must be an integer from 1 to 16, got 0"),
    ([{"type": "conv", "out_channels": 4, "inputs": ["ghost"]}], "layer 'layer0': input 'ghost' is not an earlier layer or 'input'"),
])
def test_bad_networks_are_refused(layers, message):
    with pytest.raises(ArchError) as caught:
        network_from_dict({"input": [3, 4, 4], "layers": layers})
    assert str(caught.value) == message


# -- memory and resources --------------------------------------------------------------
def test_memory_shapes():
    # block RAM in RAMB18 halves: one aspect ratio deep enough, side by side; a RAMB36 on a tie
    assert bram_halves(36, 1024) == 2 and bram_halves(36, 1025) == 4 and bram_halves(72, 512) == 2
    assert bram_halves(36, 512) == 1 and bram_halves(1536, 216) == 43 and bram_halves(1, 32768) == 2
    # distributed RAM: 14 bits of 32 words or 7 of 64 in 8 LUTs
    assert lutram_luts(14, 32) == 8 and lutram_luts(15, 32) == 16 and lutram_luts(7, 64) == 8
    zu9, vu9p = get_device("xczu9eg"), get_device("xcvu9p")
    assert choose_weight_memory(1, 40, zu9).style == "const"
    assert choose_weight_memory(32, 40, zu9).style == "lut"
    assert choose_weight_memory(2048, 18, zu9).style == "bram"
    uram = choose_weight_memory(4096, 72, vu9p)
    assert uram.style == "uram" and uram.res.uram == 1  # 1 URAM beats 4 BRAM36
    deep = choose_weight_memory(4608, 256, zu9)  # rows of 512 words: 9 x 4 RAMB36 and a 9-way mux
    assert deep.style == "bram" and deep.rows == 9 and deep.res.bram18 == 9 * 8


def test_layer_cost_counts_lutgens_dot_units():
    net = small_net()
    device = get_device("xczu7ev")
    c1 = net.layer("c1")
    cost = layer_cost(net, c1, Folding(simd=9, fold=2, hold=True), device, CLOCK)
    (group,) = plan_layer(net, c1, Folding(simd=9, fold=2, hold=True), device, CLOCK).groups
    assert group.units == 4 and group.pe.lanes == 9  # 8 channels / fold 2
    assert cost.parts["dot units w4"] == 4 * netlist_counts(build_dot(group.pe))["lut_sites"]
    assert cost.cycles == 401 and cost.weight_bits == 8 * 27 * 4
    assert cost.path_ns <= 1000 / CLOCK  # every unit pipelined to the clock


# -- fit and exploration --------------------------------------------------------------
def test_small_net_fits_a_small_device():
    e = explore(small_net(), get_device("xc7z020"))
    assert e.best.fits and e.best.fps > 0
    report = design_dict(e.best)
    assert report["fits"] and report["usage"]["LUT"] <= report["budget"]["LUT"]
    assert "frames/s" in text_report(report)


def test_a_design_that_cannot_fit_names_the_resource():
    with pytest.raises(ArchError) as caught:
        explore(resnet18(), get_device("xc7z020"), Limits(lut=0.005))
    message = str(caught.value)
    assert message.startswith("resnet18 does not fit xc7z020 at any folding")
    assert "LUT against a budget of 266" in message and "most in" in message


def test_exploration_matches_brute_force():
    """On a net small enough to try every combination of foldings, the search finds the best II."""
    net = build_network("bf", Shape(4, 6, 6), [
        Layer("c1", "conv", ("input",), out_channels=8, kernel=3, padding=1, w_bits=3, a_bits=4),
        Layer("c2", "conv", ("c1",), out_channels=8, kernel=1, w_bits=4, a_bits=4),
        Layer("p", "maxpool", ("c2",), kernel=2, stride=2, a_bits=4),
    ])
    base = get_device("xczu9eg")
    for lut_budget in (2_000, 3_500, 6_000):
        # plenty of everything but LUTs, so the LUT budget alone decides
        device = replace(base, luts=lut_budget, ffs=10**9, bram36=10**6, lutram_luts=10**9)
        limits = Limits(lut=1.0)
        options = [[layer_cost(net, layer, f, device, CLOCK) for f in foldings(net, layer)] for layer in net.layers]
        best_ii = None
        for combo in itertools.product(*options):
            design = assemble(net, device, list(combo), limits, CLOCK, 19.2)
            if design.fits and (best_ii is None or design.ii < best_ii):
                best_ii = design.ii
        found = explore(net, device, limits, CLOCK)
        assert found.best.ii == best_ii, lut_budget


def test_offchip_weights_cap_frames_per_second():
    net = load_precision(resnet18(), reference_config_path())
    e = explore(net, get_device("xczu9eg"), bandwidth=0.5)
    best = e.best
    if best.spilled:
        assert best.fps == pytest.approx(min(best.compute_fps, 0.5e9 / (best.spilled_bits / 8)))
    report = design_dict(best)
    assert report["memory_reduction"] == pytest.approx(32 * 11_678_912 / report["parameter_bits"])


def test_only_memories_of_an_over_budget_resource_are_spilled():
    """BRAM over budget, URAM within: the URAM weight memory stays on chip, even though it is bigger."""
    net = small_net()
    device = replace(get_device("xcvu9p"), bram36=10, uram=100)
    limits = Limits(bram=1.0, uram=1.0)
    costs = []
    for layer in net.layers:
        c = layer_cost(net, layer, foldings(net, layer)[0], device, CLOCK)
        if layer.name == "c1":  # a big URAM memory, within the URAM budget
            c = replace(c, bram36=0, uram=50, weight_memory=WeightMemory("uram", uram=50, uram_memories=1))
        elif layer.name == "c2":  # a BRAM memory that overflows BRAM
            c = replace(c, bram36=12, uram=0, weight_memory=WeightMemory("bram", bram36=12))
        else:
            c = replace(c, bram36=0, uram=0)
        costs.append(c)
    design = assemble(net, device, costs, limits, CLOCK, 19.2)
    assert design.spilled == ["c2"]
    assert design.usage["URAM"] == 50 and design.usage["BRAM36"] == 0


def test_device_table():
    assert set(DEVICES) >= {"xc7z020", "xczu7ev", "xczu9eg", "xcvu9p", "xcvu13p"}
    vu9p = get_device("xcvu9p")
    assert (vu9p.luts, vu9p.ffs, vu9p.bram36, vu9p.uram, vu9p.dsps) == (1_182_240, 2_364_480, 2_160, 960, 6_840)
    with pytest.raises(ArchError, match="unknown device 'xc9000'; choose one of: xc7z020"):
        get_device("xc9000")


# -- the command -------------------------------------------------------------------------
def lutgen(*args, cwd):
    return subprocess.run([sys.executable, "-m", "lutgen.cli", *args], cwd=cwd, capture_output=True, text=True)


def test_arch_report_command(tmp_path):
    r = lutgen("arch", "report", "--net", "resnet18", "--device", "xcvu9p", "--precision", str(reference_config_path()),
               "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "layer4.1.conv2" in r.stdout and "frames/s" in r.stdout and "TOps/s" in r.stdout and "target 300" in r.stdout
    data = json.loads((tmp_path / "out" / "arch_resnet18_xcvu9p.json").read_text())
    assert data["fits"] and len(data["layers"]) == 31 and data["fps"] > 0


def test_arch_explore_command(tmp_path):
    (tmp_path / "net.json").write_text(json.dumps({"name": "tiny", "input": [3, 8, 8], "layers": [
        {"type": "conv", "out_channels": 8, "kernel": 3, "padding": 1}, {"type": "gpool"}, {"type": "fc", "out_channels": 4}]}))
    r = lutgen("arch", "explore", "--net", "net.json", "--device", "xc7z020", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "out" / "arch_tiny_xc7z020_pareto.json").read_text())
    front = data["pareto_fps_vs_lut"]
    assert all(a["lut"] <= b["lut"] and a["fps"] < b["fps"] for a, b in zip(front, front[1:]))
    assert (tmp_path / "out" / "arch_tiny_xc7z020_pareto.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args,message", [
    (["--net", "resnet18", "--device", "xc9000"], "unknown device 'xc9000'"),
    (["--net", "vgg16", "--device", "xcvu9p"], "unknown network 'vgg16'"),
    (["--net", "resnet18", "--device", "xc7z020", "--lut-limit", "0.001"], "resnet18 does not fit xc7z020 at any folding"),
    (["--net", "resnet18", "--device", "xcvu9p", "--clock", "fast"], "--clock must be a finite number above 0 and at most 2000, got 'fast'"),
])
def test_arch_errors_are_one_line(tmp_path, args, message):
    r = lutgen("arch", "report", *args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "lutgen_out").exists()


def test_precision_search_matches_brute_force():
    """With widths to choose and a loss budget, the search finds the best II that brute force finds."""
    from lutgen.arch.explore import layer_costs, precision_search_from_dict

    net = build_network("pq", Shape(4, 6, 6), [
        Layer("c1", "conv", ("input",), out_channels=4, kernel=3, padding=1, w_bits=8, a_bits=8),
        Layer("c2", "conv", ("c1",), out_channels=8, kernel=1, w_bits=8, a_bits=8),
    ])
    sensitivity = {"layers": {"c*": {"w2a2": 1.0, "w4a4": 0.4, "w8a8": 0.0}}}
    device = replace(get_device("xczu9eg"), luts=2_500, ffs=10**9, bram36=10**6, lutram_luts=10**9)
    limits = Limits(lut=1.0)
    for max_loss in (0.0, 0.4, 1.0, 2.0):
        precision = precision_search_from_dict(net, sensitivity, max_loss)
        options = layer_costs(net, device, CLOCK, precision)
        best_ii = None
        for combo in itertools.product(*options):
            if sum(c.loss for c in combo) > max_loss:
                continue
            design = assemble(net, device, list(combo), limits, CLOCK, 19.2)
            if design.fits and (best_ii is None or design.ii < best_ii):
                best_ii = design.ii
        if best_ii is None:
            with pytest.raises(ArchError):
                explore(net, device, limits, CLOCK, precision=precision)
            continue
        found = explore(net, device, limits, CLOCK, precision=precision)
        assert found.best.ii == best_ii, max_loss
        assert found.best.loss <= max_loss
        assert [layer.w_bits for layer in found.best.net.layers] == [c.variant.w_bits for c in found.best.costs]


def test_bad_sensitivity_is_refused():
    from lutgen.arch.explore import precision_search_from_dict

    with pytest.raises(ArchError, match="layers.c1.w4x4 must be wWaA with widths 1..16"):
        precision_search_from_dict(small_net(), {"layers": {"c1": {"w4x4": 0.1}}}, 1.0)
    with pytest.raises(ArchError, match="give the allowed total loss"):
        precision_search_from_dict(small_net(), {"layers": {"c1": {"w4a4": 0.1}}})


def test_arch_file_errors_are_one_line(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"input": [3, 8, 8], "layers": [{"type": "deconv"}]}))
    (tmp_path / "wide.yaml").write_text("default: {w_bits: 17}\n")
    (tmp_path / "broken.json").write_text("{not json")
    cases = [
        (["--net", "bad.json"], "network file 'bad.json': layers[0].type must be one of conv"),
        (["--net", "resnet18", "--precision", "wide.yaml"], "w_bits must be an integer from 1 to 16, got 17"),
        (["--net", "broken.json"], "network file 'broken.json' is not valid JSON"),
        (["--net", "missing.json"], "cannot read network file 'missing.json'"),
    ]
    for args, message in cases:
        r = lutgen("arch", "report", *args, "--device", "xczu9eg", cwd=tmp_path)
        assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr

"""`lutgen arch report` and `lutgen arch explore`: argument parsing and file output only."""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
from pathlib import Path

from .device import DEVICES, Limits, get_device
from .hw.memory import STYLES
from .hw.stream import check_stream_width
from .explore import DEFAULT_CLOCK_MHZ, explore, load_sensitivity
from .network import ArchError, Network, load_network_file
from .precision import load_precision
from .report import design_dict, exploration_dict, plot_front, report_stem, text_report, to_json
from .zoo import ZOO

CLOCK_HELP = ("target clock in MHz: every unit is pipelined to meet it under lutgen's timing estimate, and the "
              "report gives the clock met (default " + ", ".join(f"{f} {c:g}" for f, c in DEFAULT_CLOCK_MHZ.items()) + ")")

EXAMPLES = """\
examples:
  lutgen arch report --net resnet18 --device xcvu9p
  lutgen arch report --net resnet18 --device xczu9eg --precision my_widths.yaml --clock 250
  lutgen arch explore --net mynet.json --device xc7z020 -o build
  lutgen arch explore --net resnet18 --device xczu9eg --sensitivity loss.yaml --max-loss 1.0
"""


def add_parsers(sub, parser_class) -> None:
    arch = sub.add_parser("arch", help="whole-CNN dataflow accelerator: fit check, report, exploration",
                          description="Architecture layer: tile lutgen PEs into a layer-pipelined CNN accelerator.",
                          epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    arch_sub = arch.add_subparsers(dest="arch_command", metavar="{report,explore}", parser_class=parser_class)
    for name, text in (("report", "per-layer table and totals of the fastest design that fits (JSON too)"),
                       ("explore", "Pareto front of frames/s against LUTs and on-chip memory (JSON and PNG)")):
        p = arch_sub.add_parser(name, help=text, description=text, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--net", required=True, metavar="NET",
                       help=f"{' or '.join(ZOO)}, or a network file (JSON or YAML)")
        p.add_argument("--device", required=True, metavar="NAME", help=f"one of: {', '.join(DEVICES)}")
        p.add_argument("--precision", metavar="FILE", help="widths per layer / channel (JSON or YAML); default 8 bits everywhere")
        p.add_argument("--clock", default=None, metavar="MHZ", help=CLOCK_HELP)
        p.add_argument("--bandwidth", default=None, metavar="GBPS",
                       help="off-chip weight bandwidth in GB/s (default: the device table's)")
        p.add_argument("--sensitivity", metavar="FILE",
                       help="also choose widths per layer: {layers: {name or pattern: {w4a4: loss, w8a8: loss}}}, JSON or YAML")
        p.add_argument("--max-loss", default=None, metavar="X", help="total loss proxy allowed with --sensitivity")
        p.add_argument("--lut-limit", default="0.70", metavar="FRACTION", help="share of LUTs the design may use (default 0.70)")
        _add_stream_widths(p)
        p.add_argument("-o", "--out", default="lutgen_out", metavar="DIR", help="output directory (default ./lutgen_out)")


def _add_stream_widths(p) -> None:
    """The top's stream beats: `lutgen accel` writes them, `lutgen arch` counts the same adapters and pace."""
    p.add_argument("--in-width", default="64", metavar="BITS",
                   help="bits of an s_data beat, 8..4096 (default 64): a pixel in ceil(pixel bits / BITS) beats, low bits first")
    p.add_argument("--out-width", default="64", metavar="BITS",
                   help="bits of an m_data beat, 8..4096 (default 64): a pixel in ceil(pixel bits / BITS) beats, low bits first")


ACCEL_EXAMPLES = """\
examples:
  lutgen accel --net resnet18 --device xcvu9p -o build/resnet18
  lutgen accel --net arch/configs/small.json --device xczu7ev --in-width 8 --out-width 16 -o build/small
  lutgen accel --net mynet.yaml --precision widths.json --device xc7z020 --weights trained.npz -o build/mynet
"""


def add_accel_parser(sub, parser_class) -> None:
    text = "emit the whole accelerator: top, one module per layer, weight files, filelists, report"
    p = sub.add_parser("accel", help=text, description=text, epilog=ACCEL_EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--net", required=True, metavar="NET", help=f"{' or '.join(ZOO)}, or a network file (JSON or YAML)")
    p.add_argument("--device", required=True, metavar="NAME", help=f"one of: {', '.join(DEVICES)}")
    p.add_argument("--precision", metavar="FILE", help="widths per layer / channel (JSON or YAML); default 8 bits everywhere")
    p.add_argument("--weights", metavar="FILE.npz",
                   help="'<layer>.weight', '<layer>.bias' (and optional '<layer>.shift') arrays; default: seeded random")
    p.add_argument("--seed", default="1", metavar="N", help="seed of the random weights and the calibration image (default 1)")
    p.add_argument("--clock", default=None, metavar="MHZ", help=CLOCK_HELP)
    p.add_argument("--lut-limit", default="0.70", metavar="FRACTION", help="share of LUTs the design may use (default 0.70)")
    p.add_argument("--weight-memory", default="auto", choices=STYLES,
                   help="where the weights live: auto (the cheapest share of the device), lut (ROMs in LUTs, up to "
                        "256 words), bram (block RAM) or uram (UltraRAM, loaded through the weight-load port)")
    _add_stream_widths(p)
    p.add_argument("-o", "--out", default="lutgen_accel", metavar="DIR", help="output directory (default ./lutgen_accel)")


def run_accel(args, write_files) -> int:
    from .accel import build_accel, check_weights_can_fit
    from .golden import load_params, random_params

    device = get_device(args.device)
    clock = None if args.clock is None else _positive_float("--clock", args.clock, 2000)
    limits = Limits(lut=_positive_float("--lut-limit", args.lut_limit, 1.0))
    seed = _seed(args.seed)
    in_width = check_stream_width("--in-width", args.in_width)
    out_width = check_stream_width("--out-width", args.out_width)
    net = load_network(args.net)
    if args.precision:
        net = load_precision(net, args.precision)
    show = sys.stderr.isatty()
    if show:
        print(f"quantizing {net.name} ...", file=sys.stderr)
    check_weights_can_fit(net, device)
    params = load_params(net, args.weights, seed) if args.weights else random_params(net, seed)

    def progress(items, label):
        from .explore import progress as bar
        return bar(items, label, show)

    accel = build_accel(net, device, params, limits, clock, progress, args.weight_memory, in_width, out_width)
    written = write_files(args.out, accel.files)
    report = json.loads(accel.files[f"{report_stem(net, device)}.json"])
    print(text_report(report))
    print(f"{accel.top}: {len(written)} files in {args.out} ({sum(len(t) for t in accel.files.values()) / 1e6:.1f} MB); "
          f"{len(accel.pe_checks)} dot-product unit(s) self-checked; model {accel.plan.ii} cycles per frame")
    return 0


MAX_SEED = 2**32 - 1


def _seed(value: str) -> int:
    """A seed numpy takes: a whole number from 0 to MAX_SEED."""
    allowed = f"a whole number from 0 to {MAX_SEED}"
    try:
        seed = int(str(value).strip(), 10)
    except ValueError:
        raise ArchError(f"--seed must be {allowed}, got {value!r}") from None
    if not 0 <= seed <= MAX_SEED:
        raise ArchError(f"--seed must be {allowed}, got {seed}")
    return seed


def _positive_float(name: str, value, high: float | None = None) -> float:
    """A finite number above 0 (and at most `high`): inf and nan would reach the JSON report as text it may not hold."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not (number > 0 and math.isfinite(number)) or (high is not None and number > high):
        rng = f"a finite number above 0{'' if high is None else f' and at most {high:g}'}"
        raise ArchError(f"{name} must be {rng}, got {value!r}")
    return number


def load_network(spec: str) -> Network:
    if spec in ZOO:
        return ZOO[spec]()
    if not Path(spec).suffix:
        raise ArchError(f"unknown network {spec!r}; use {', '.join(ZOO)} or a .json/.yaml file")
    return load_network_file(spec)


def run(args, write_files) -> int:
    if args.arch_command is None:
        raise ArchError("say what to do: lutgen arch report ... or lutgen arch explore ... (see 'lutgen arch --help')")
    device = get_device(args.device)
    clock = None if args.clock is None else _positive_float("--clock", args.clock, 2000)
    bandwidth = None if args.bandwidth is None else _positive_float("--bandwidth", args.bandwidth)
    limits = Limits(lut=_positive_float("--lut-limit", args.lut_limit, 1.0))
    net = load_network(args.net)
    if args.precision:
        net = load_precision(net, args.precision)
    precision = None
    if args.sensitivity:
        precision = load_sensitivity(net, args.sensitivity, args.max_loss)
    elif args.max_loss is not None:
        raise ArchError("--max-loss needs --sensitivity FILE")
    in_width = check_stream_width("--in-width", args.in_width)
    out_width = check_stream_width("--out-width", args.out_width)
    exploration = explore(net, device, limits, clock, bandwidth, show_progress=sys.stderr.isatty(), precision=precision,
                          in_width=in_width, out_width=out_width)
    stem = report_stem(net, device)
    report = design_dict(exploration.best)
    if args.arch_command == "report":
        print(text_report(report))
        written = write_files(args.out, {f"{stem}.json": to_json(report)})
    else:
        data = exploration_dict(exploration)
        data["best_design"] = report
        png = io.BytesIO()
        plot_front(exploration, png)
        written = write_files(args.out, {f"{stem}_pareto.json": to_json(data), f"{stem}_pareto.png": png.getvalue()})
        best = exploration.best
        print(f"{net.name} on {device.name}: {exploration.evaluated} designs evaluated, "
              f"{len(exploration.front)} on the frames/s-LUT Pareto front; best that fits: "
              f"{best.fps:.1f} frames/s, {best.usage['LUT']:,} LUTs")
    for path in written:
        print(f"  wrote {path}")
    return 0

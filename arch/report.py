"""Reports of a design: a per-layer table and totals as text, the same as JSON, and the Pareto plot."""

from __future__ import annotations

import json

from .dataflow import output_bits
from .explore import Design, Exploration, pareto
from .hw.plan import model_of
from .inputs import ident
from .network import macs, weight_bits, weight_count

FLOAT_BITS = 32


def report_stem(net, device) -> str:
    """arch_<net>_<device>: the network's name made safe as a file name (it may come from a file)."""
    return f"arch_{ident(net.name)}_{device.name}"


def _widths(layer) -> str:
    if not layer.is_compute:
        return f"a{layer.a_bits}"
    if layer.channel_w_bits is None:
        return f"w{layer.w_bits} a{layer.a_bits}"
    groups = "/".join(f"{n}x{b}" for b, n in layer.weight_groups().items())
    return f"w[{groups}] a{layer.a_bits}"


def design_dict(design: Design) -> dict:
    net = design.net
    params = parameter_count(net)
    param_bits = sum(weight_bits(net, layer) for layer in net.layers)
    layers = []
    for layer, cost in zip(net.layers, design.costs, strict=True):
        layers.append({
            "name": layer.name,
            "type": layer.kind,
            "in_shape": str(net.in_shape(layer)),
            "out_shape": str(net.out_shape(layer)),
            "widths": _widths(layer),
            "out_bits": output_bits(net, layer),
            "folding": cost.folding.describe(layer),
            "cycles": cost.cycles,
            "macs": macs(net, layer),
            "lut": cost.lut,
            "ff": cost.ff,
            "carry": cost.carry,
            "bram36": cost.bram36,
            "uram": cost.uram,
            "weight_memory": cost.weight_memory.kind if layer.name not in design.spilled else "off-chip",
            "path_ns": round(cost.path_ns, 3),
            "stages": cost.stages,
            "lut_parts": cost.parts,
        })
    limit = design.budget
    device = design.device
    totals = {"LUT": device.luts, "FF": device.ffs, "BRAM36": device.bram36, "URAM": device.uram, "DSP": device.dsps}
    return {
        "lutgen_arch_report": 1,
        "network": net.name,
        "device": device.name,
        "family": device.family,
        "clock_mhz": design.clock_met_mhz,
        "clock_target_mhz": design.clock_mhz,
        "fmax_estimate_mhz": design.fmax_mhz,
        "slowest_path": {"layer": design.slowest().layer, "ns": round(max(c.path_ns for c in design.costs), 3)},
        "timing_model": model_of(device.family).source,
        "offchip_bandwidth_gbytes_s": design.bandwidth_gbytes_s,
        "ii_cycles": design.ii,
        "bottleneck": design.bottleneck_name(),
        "fps": design.fps,
        "compute_fps": design.compute_fps,
        "bandwidth_fps": design.bandwidth_fps,
        "tops": design.tops,
        "macs_per_frame": sum(macs(net, layer) for layer in net.layers),
        "usage": {r: design.usage[r] for r in totals},
        "budget": limit,
        "utilisation": {r: (design.usage[r] / totals[r] if totals[r] else 0.0) for r in totals},
        "fits": design.fits,
        "over": design.over(),
        "weights_offchip": design.spilled,
        "accuracy_loss_proxy": design.loss,
        "parameters": params,
        "parameter_bits": param_bits,
        "float32_parameter_bits": FLOAT_BITS * params,
        "memory_reduction": FLOAT_BITS * params / param_bits if param_bits else 0.0,
        "layers": layers,
        **({"stream_ports": _ports_dict(design.ports)} if design.ports else {}),
    }


def _ports_dict(ports: dict) -> dict:
    """The top's stream ports: widths, beats per pixel, per frame, and the adapters' cells."""
    r = ports["res"]
    return {k: v for k, v in ports.items() if k != "res"} | {"lut": r.lut, "ff": r.ff, "carry": r.carry}


def parameter_count(net) -> int:
    return sum(weight_count(net, layer) for layer in net.layers)


def _stages(stages: dict) -> str:
    """Pipeline stages: dot units + requantizers, or a lane's."""
    if "dot" in stages:
        return f"{stages['dot']}+{stages['requant']}"
    return str(stages.get("lane", ""))


def text_report(report: dict) -> str:
    head = f"{'layer':<20} {'type':<7} {'in':>11} {'out':>11} {'widths':>14} {'folding':>18} {'stages':>6} {'cycles':>10} " \
           f"{'LUT':>8} {'FF':>7} {'BRAM':>5} {'URAM':>5} {'weights':>8}"
    met = report["clock_mhz"]
    lines = [
        f"{report['network']} on {report['device']} ({report['family']}): clock {met:.1f} MHz "
        f"(target {report['clock_target_mhz']:g}, estimated Fmax {report['fmax_estimate_mhz']:.1f}, slowest path "
        f"{report['slowest_path']['ns']:.2f} ns in {report['slowest_path']['layer']}), "
        f"off-chip bandwidth {report['offchip_bandwidth_gbytes_s']:g} GB/s",
        head,
        "-" * len(head),
    ]
    for row in report["layers"]:
        lines.append(
            f"{row['name']:<20} {row['type']:<7} {row['in_shape']:>11} {row['out_shape']:>11} {row['widths']:>14} "
            f"{row['folding']:>18} {_stages(row['stages']):>6} {row['cycles']:>10} {row['lut']:>8} {row['ff']:>7} {row['bram36']:>5g} "
            f"{row['uram']:>5} {row['weight_memory']:>8}"
        )
    u, b, util = report["usage"], report["budget"], report["utilisation"]
    lines.append("-" * len(head))
    lines.append(
        f"frames/s {report['fps']:.1f}  (II {report['ii_cycles']} cycles, bottleneck {report['bottleneck']}"
        + (f"; off-chip weights cap it at {report['bandwidth_fps']:.1f}" if report["bandwidth_fps"] else "")
        + ")"
    )
    if "stream_ports" in report:
        sp = report["stream_ports"]
        lines.append(f"streams  s_data {sp['in_width']} bits ({sp['in_beats_per_pixel']} beat(s) a pixel, "
                     f"{sp['in_beats_per_frame']:,} a frame), m_data {sp['out_width']} bits "
                     f"({sp['out_beats_per_pixel']} beat(s) a pixel, {sp['out_beats_per_frame']:,} a frame); "
                     f"adapters LUT {sp['lut']:,}, FF {sp['ff']:,} (in the usage below)")
    lines.append(f"TOps/s   {report['tops']:.3f}  (2 ops per MAC, {report['macs_per_frame'] / 1e9:.3f} GMAC per frame)")
    lines.append("usage    " + ", ".join(
        f"{r} {u[r]:,g} of {b[r]:,} allowed ({100 * util[r]:.1f} % of device)" for r in ("LUT", "FF", "BRAM36", "URAM")
    ))
    lines.append(
        f"params   {report['parameters']:,} weights, {report['parameter_bits'] / 8e6:.2f} MB; "
        f"float32 {report['float32_parameter_bits'] / 8e6:.2f} MB; {report['memory_reduction']:.2f}x smaller"
    )
    if report["accuracy_loss_proxy"]:
        lines.append(f"loss     {report['accuracy_loss_proxy']:g} (sum of the chosen widths' sensitivity proxies)")
    if report["weights_offchip"]:
        lines.append(f"off-chip weights: {len(report['weights_offchip'])} layers ({', '.join(report['weights_offchip'][:5])}"
                     + (", ..." if len(report["weights_offchip"]) > 5 else "") + "); lutgen accel emits on-chip weights "
                     "only, so this design is a model: its off-chip weight port is not built")
    lines.append("fits" if report["fits"] else "DOES NOT FIT: " + ", ".join(f"{r} over by {n}" for r, n in report["over"].items()))
    lines.append("resources: counted from the hardware plan that lutgen accel emits: dot units, requantizers, lanes, "
                 "ROMs and muxes cell by cell, FIFOs, line buffers, registers and control by formulas checked against Yosys; "
                 "clock: lutgen's timing estimate (lutgen/timing.py), every unit pipelined to the target")
    return "\n".join(lines)


def exploration_dict(exploration: Exploration) -> dict:
    return {
        "lutgen_arch_explore": 1,
        "network": exploration.best.net.name,
        "device": exploration.best.device.name,
        "clock_mhz": exploration.best.clock_mhz,
        "candidates_evaluated": exploration.evaluated,
        "best": {"fps": exploration.best.fps, "ii_cycles": exploration.best.ii, "lut": exploration.best.usage["LUT"]},
        "pareto_fps_vs_lut": exploration.front,
        "pareto_fps_vs_memory": memory_front([p for p in exploration.front_all if p["fits"]]),
    }


def memory_front(points: list[dict]) -> list[dict]:
    """Designs no other beats on frames/s and on-chip memory together."""
    return pareto(points, "onchip_memory_bram36_equiv")


def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def plot_front(exploration: Exploration, path) -> None:
    """The two Pareto plots as PNG, to a path or a binary file object."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best = exploration.best
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, key, label, front in (
        (left, "lut", "LUTs", exploration.front),
        (right, "onchip_memory_bram36_equiv", "on-chip memory (BRAM36 + 8 x URAM)",
         memory_front([p for p in exploration.front_all if p["fits"]])),
    ):
        every = exploration.front_all
        axis.scatter([p[key] for p in every], [p["fps"] for p in every], s=6, c="0.75", label="evaluated designs")
        fit = [p for p in front if p["fits"]]
        unfit = [p for p in front if not p["fits"]]
        axis.plot([p[key] for p in fit], [p["fps"] for p in fit], "o-", ms=3, label="Pareto front, fits")
        if unfit:
            axis.plot([p[key] for p in unfit], [p["fps"] for p in unfit], "x", ms=4, c="tab:red", label="Pareto front, over budget")
        axis.set_xlabel(label)
        axis.set_ylabel("frames/s")
        axis.set_yscale("log")
        axis.grid(True, which="both", alpha=0.3)
    left.set_xscale("log")
    left.axvline(best.budget["LUT"], color="tab:red", lw=0.8, ls="--", label="LUT budget")
    left.legend(fontsize=7)
    fig.suptitle(f"{best.net.name} on {best.device.name} at {best.clock_mhz:g} MHz: best {best.fps:.1f} frames/s")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)

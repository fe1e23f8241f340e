"""`lutgen accel`: a network, its widths and a device in; the whole accelerator's files out.

    design   the fastest folding that fits (arch.explore), weights on chip
    plan     per-layer hardware as data (arch.hw_plan)
    PEs      one lutgen dot-product netlist per distinct unit, each checked by
             the compiler against sum w*a (lutgen.selfcheck), plus its `*` view
    files    Verilog (arch.hw_verilog), weight memories, filelists, report

Nothing is written unless everything was built: files are staged first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lutgen.api import generate_dot
from lutgen.dot import module_name
from lutgen.rtl import PRIMITIVES, prim_files
from lutgen.selfcheck import check_dot
from lutgen.spec import DotSpec

from .explore import Design, describe_over, explore
from .golden import LayerParams
from .hw_plan import AccelPlan, plan_accel
from .hw_verilog import (STREAM_BLOCKS, behavioural_dot, hex_lines, ident, layer_module, top_module, unit_module,
                         weight_file)
from .network import ArchError, Network
from .report import design_dict, text_report, to_json

RTL_LIB = Path(__file__).resolve().parent.parent / "rtl_lib"


def rtl_lib_dir() -> Path:
    """rtl_lib in the tree, or inside the installed package."""
    from importlib import resources
    return Path(str(resources.files("lutgen.rtl_lib")))


@dataclass(frozen=True)
class Accel:
    design: Design
    plan: AccelPlan
    top: str
    files: dict[str, str]
    pe_vectors: dict[str, int]  # PE module -> vectors its self-check ran


def choose_design(net: Network, device, limits, clock_mhz: float, show_progress: bool) -> Design:
    design = explore(net, device, limits, clock_mhz, show_progress=show_progress, whole_pixels=True).best
    if design.spilled:
        raise ArchError(f"{net.name} on {device.name}: the weights of {len(design.spilled)} layer(s) "
                        f"({', '.join(design.spilled[:3])}{', ...' if len(design.spilled) > 3 else ''}) do not fit "
                        f"on chip; lutgen accel emits on-chip weight memories only (use a larger device or narrower weights)")
    if not design.fits:
        raise ArchError(f"{net.name} does not fit {device.name}: {describe_over(design)}")
    return design


def pe_specs(plan: AccelPlan) -> list[DotSpec]:
    seen: dict[str, DotSpec] = {}
    for unit in plan.units:
        for group in unit.groups:
            seen.setdefault(module_name(group.pe), group.pe)
    return [seen[k] for k in sorted(seen)]


def _filelist(paths: list[str]) -> str:
    return "".join(f"{p}\n" for p in paths)


def build_accel(net: Network, device, params: dict[str, LayerParams], limits, clock_mhz: float,
                progress=lambda items, label: items) -> Accel:
    design = choose_design(net, device, limits, clock_mhz, show_progress=False)
    foldings = {c.layer: c.folding for c in design.costs}
    plan = plan_accel(net, foldings, params, device.family)
    top = f"{ident(net.name)}_accel"
    files: dict[str, str] = {}
    pe_vectors = {}
    pe_paths, behav_paths = [], []
    for spec in progress(pe_specs(plan), "dot-product units"):
        core = generate_dot(spec)
        pe_vectors[core.netlist.name] = check_dot(core.netlist, spec)
        files[f"pe/{core.netlist.name}.v"] = core.verilog
        files[f"pe_behavioural/{core.netlist.name}.v"] = behavioural_dot(spec)
        pe_paths.append(f"pe/{core.netlist.name}.v")
        behav_paths.append(f"pe_behavioural/{core.netlist.name}.v")
    layer_paths = []
    for unit in progress(list(plan.units), "layers"):
        path = f"layers/{unit_module(top, unit)}.v"
        files[path] = layer_module(top, unit)
        layer_paths.append(path)
        for group in unit.groups:
            files[weight_file(top, unit, group)] = hex_lines(group)
    lib = rtl_lib_dir()
    block_paths = []
    for block in STREAM_BLOCKS:
        files[f"rtl_lib/{block}"] = (lib / block).read_text()
        block_paths.append(f"rtl_lib/{block}")
    prim_paths = []
    for name, path in zip(PRIMITIVES, prim_files()):
        files[f"rtl_lib/prims/{name}.v"] = path.read_text()
        prim_paths.append(f"rtl_lib/prims/{name}.v")
    report = design_dict(design)
    report["accelerator"] = {"top": top, "model_ii_cycles": plan.ii, "pe_selfcheck_vectors": pe_vectors}
    header = _top_header(top, plan, design)
    files[f"{top}.v"] = top_module(top, plan, header)
    common = block_paths + layer_paths + [f"{top}.v"]
    files["filelist.f"] = _filelist(prim_paths + pe_paths + common)
    files["filelist_synth.f"] = _filelist(pe_paths + common)
    files["filelist_behavioural.f"] = _filelist(behav_paths + common)
    files[f"arch_{net.name}_{device.name}.json"] = to_json(report)
    files["report.txt"] = text_report(report) + "\n"
    return Accel(design, plan, top, files, pe_vectors)


def _top_header(top: str, plan: AccelPlan, design: Design) -> list[str]:
    net = plan.net
    fin = plan.formats["input"]
    out_unit = next(u for u in plan.units if u.name == plan.output)
    fout = out_unit.out_format
    s0, s1 = net.input_shape, out_unit.out_shape
    return [
        f"{top}: layer-pipelined dataflow accelerator for {net.name}, generated by lutgen accel",
        f"device {design.device.name}; model: {plan.ii} cycles per frame in steady state (bottleneck "
        f"{design.bottleneck().layer})",
        "",
        "Streams are AXI-Stream style: a beat moves when valid && ready; valid holds until taken.",
        f"  s_*: input pixels, raster order (row 0 first, left to right), frames back to back;",
        f"       one beat = one pixel of {s0.c} channels, channel c at s_data[c*{fin.bits} +: {fin.bits}], "
        f"{fin.bits}-bit {'signed' if fin.signed else 'unsigned'}; {s0.h}x{s0.w} beats per frame",
        f"  m_*: output pixels, same order; {s1.c} channels, channel c at m_data[c*{fout.bits} +: {fout.bits}], "
        f"{fout.bits}-bit {'signed' if fout.signed else 'unsigned'}; {s1.h}x{s1.w} beats per frame",
        "  rst: synchronous, active high; clears every stream (not the weight memories)",
        "Weight memories load weights/*.hex with $readmemh: simulate from this directory.",
    ]

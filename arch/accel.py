"""`lutgen accel`: a network, its widths and a device in; the whole accelerator's files out.

    design   the fastest folding that fits at the target clock (arch.explore)
    plan     every layer's hardware again, now with the weights (arch.hw):
             what the report counts is exactly what is written
    cells    dot units (each checked by the compiler, cycle by cycle, against its
             rule: lutgen.selfcheck), weight ROMs, requantizers, lanes and muxes
             as lutgen netlists; the dot units also in a behavioural view
    files    Verilog, weight files, filelists, report, Vivado script and constraints

Nothing is written unless everything was built: files are staged first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lutgen.api import generate_dot
from lutgen.dot import module_name
from lutgen.emit.verilog import emit_module
from lutgen.mux import build_mux
from lutgen.rtl import PRIMITIVES, prim_files
from lutgen.selfcheck import check_mac
from lutgen.spec import DotSpec

from . import dropin
from .explore import Design, assemble, describe_over, explore
from .golden import LayerParams
from .hw.compute import (ComputeHw, compute_module, mux_name, requant_name, requant_netlist, rom_name,
                         row_file)
from .hw.lanes import lanes_module
from .hw.memory import hex_rows
from .hw.plan import AccelHw, ident, plan_accel, unit_module
from .hw.stream import STREAM_WIDTH, check_stream_width
from .hw.top import load_beats, readmem_groups_of, top_module
from .network import ArchError, Network, weight_bits
from .report import design_dict, report_stem, text_report, to_json
from .resources import cost_of

STREAM_BLOCKS = ("stream/lutgen_fifo.v", "stream/lutgen_line_buffer.v", "stream/lutgen_fork.v",
                 "stream/lutgen_stream_pack.v")


def rtl_lib_dir() -> Path:
    """rtl_lib in the tree, or inside the installed package."""
    from importlib import resources
    return Path(str(resources.files("lutgen.rtl_lib")))


@dataclass(frozen=True)
class Accel:
    design: Design
    plan: AccelHw
    top: str
    files: dict[str, str]
    pe_checks: dict[str, int]  # dot unit module -> cycles its self-check ran


def check_weights_can_fit(net: Network, device) -> None:
    """Refuse before drawing or loading weights that no memory of the device could hold (all of
    BRAM, URAM and LUT RAM together), so that a huge network fails in a line, not out of memory."""
    need = sum(weight_bits(net, layer) for layer in net.layers)
    have = device.bram36 * 36 * 1024 + device.uram * 288 * 1024 + device.lutram_luts * 64
    if need > have:
        raise ArchError(f"{net.name} does not fit {device.name}: its weights take {need / 1e6:.1f} Mbit, more than "
                        f"all of the device's on-chip memory ({have / 1e6:.1f} Mbit); lutgen accel keeps every weight on chip")


def choose_design(net: Network, device, limits, clock_mhz: float | None, show_progress: bool,
                  weight_memory: str = "auto", in_width: int = STREAM_WIDTH, out_width: int = STREAM_WIDTH) -> Design:
    design = explore(net, device, limits, clock_mhz, show_progress=show_progress, weight_memory=weight_memory,
                     in_width=in_width, out_width=out_width).best
    if design.spilled:
        raise ArchError(f"{net.name} on {device.name}: the weights of {len(design.spilled)} layer(s) "
                        f"({', '.join(design.spilled[:3])}{', ...' if len(design.spilled) > 3 else ''}) do not fit "
                        f"on chip; lutgen accel emits on-chip weight memories only (use a larger device or narrower weights)")
    if not design.fits:
        raise ArchError(f"{net.name} does not fit {device.name}: {describe_over(design)}")
    return design


def design_of(hw: AccelHw, chosen: Design) -> Design:
    """The chosen design, recounted from the plan with its weights."""
    costs = [cost_of(hw.net, u.layer, c.folding, u) for u, c in zip(hw.units, chosen.costs, strict=True)]
    return assemble(hw.net, chosen.device, costs, chosen.limits, chosen.clock_mhz, chosen.bandwidth_gbytes_s,
                    ports=hw.ports)


def pe_specs(hw: AccelHw) -> list[DotSpec]:
    seen: dict[str, DotSpec] = {}
    for unit in hw.units:
        if isinstance(unit, ComputeHw):
            for group in unit.groups:
                seen.setdefault(module_name(group.pe), group.pe)
    return [seen[k] for k in sorted(seen)]


def _filelist(paths: list[str]) -> str:
    return "".join(f"{p}\n" for p in paths)


def _cell_modules(hw: AccelHw) -> dict[str, str]:
    """Every lutgen netlist besides the dot units: weight ROMs, requantizers, lanes, muxes."""
    files: dict[str, str] = {}
    muxes: dict[str, tuple[int, int]] = {}
    for u in hw.units:
        mod = unit_module(hw.top, u.layer)
        if not isinstance(u, ComputeHw):
            files[f"cells/{u.lane.name}.v"] = emit_module(u.lane, [f"{u.layer.kind} lane of {u.layer.name}: "
                                                                   f"combine, then requantize"])
            continue
        if u.steps > 1:
            muxes[mux_name(u.steps, u.chunk_bits)] = (u.steps, u.chunk_bits)
        for group in u.groups:
            if group.rom is not None:
                files[f"cells/{rom_name(mod, group)}.v"] = emit_module(
                    _renamed(group.rom, rom_name(mod, group)), [f"weight ROM of {u.layer.name}, {group.bits}-bit weights"])
            if group.memory.rows > 1:
                muxes[mux_name(group.memory.rows, group.memory.width)] = (group.memory.rows, group.memory.width)
            for k in range(group.units):
                name = requant_name(mod, group, k)
                files[f"cells/{name}.v"] = emit_module(requant_netlist(u, group, k, name),
                                                       [f"requantizer of {u.layer.name}, unit {k} ({group.bits}-bit weights)"])
    for name, (ways, width) in sorted(muxes.items()):
        files[f"cells/{name}.v"] = emit_module(build_mux(ways, width, name), [f"{ways}-way multiplexer of {width} bits"])
    return files


def _renamed(netlist, name):
    from dataclasses import replace
    return replace(netlist, name=name)


def _weight_files(hw: AccelHw) -> dict[str, str]:
    files = {}
    for u in hw.units:
        if not isinstance(u, ComputeHw):
            continue
        mod = unit_module(hw.top, u.layer)
        for group in u.groups:
            if group.memory.style == "bram":
                padded = list(group.words) + [0] * (group.memory.rows * group.memory.row_depth - len(group.words))
                for r, text in enumerate(hex_rows(group.memory, padded)):
                    files[row_file(mod, group, r)] = text
    beats = load_beats(hw)
    if beats:
        files["weights/load_stream.hex"] = "".join(f"{b:016x}\n" for b in beats)
    return files


def build_accel(net: Network, device, params: dict[str, LayerParams], limits, clock_mhz: float | None,
                progress=lambda items, label: items, weight_memory: str = "auto", in_width: int = STREAM_WIDTH,
                out_width: int = STREAM_WIDTH) -> Accel:
    in_width = check_stream_width("--in-width", in_width)
    out_width = check_stream_width("--out-width", out_width)
    chosen = choose_design(net, device, limits, clock_mhz, show_progress=False, weight_memory=weight_memory,
                           in_width=in_width, out_width=out_width)
    foldings = {c.layer: c.folding for c in chosen.costs}
    top = f"{ident(net.name)}_accel"
    hw = plan_accel(net, foldings, params, device, chosen.clock_mhz, top, progress, weight_memory, in_width,
                    out_width)
    design = design_of(hw, chosen)
    if not design.fits:
        raise ArchError(f"{net.name} does not fit {device.name} with its weights: {describe_over(design)}")
    files: dict[str, str] = {}
    checks = {}
    pe_paths, behav_paths = [], []
    for spec in progress(pe_specs(hw), "dot-product units"):
        core = generate_dot(spec)
        checks[core.netlist.name] = check_mac(core.netlist, spec)
        files[f"pe/{core.netlist.name}.v"] = core.verilog
        files[f"pe_behavioural/{core.netlist.name}.v"] = behavioural_dot(spec)
        pe_paths.append(f"pe/{core.netlist.name}.v")
        behav_paths.append(f"pe_behavioural/{core.netlist.name}.v")
    cells = _cell_modules(hw)
    files.update(cells)
    layer_paths = []
    for u in progress(list(hw.units), "layers"):
        mod = unit_module(top, u.layer)
        header = _layer_header(u)
        text = compute_module(mod, u, header) if isinstance(u, ComputeHw) else lanes_module(mod, u, header)
        files[f"layers/{mod}.v"] = text
        layer_paths.append(f"layers/{mod}.v")
    files.update(_weight_files(hw))
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
    report["accelerator"] = {"top": top, "model_ii_cycles": hw.ii, "pe_selfcheck_cycles": checks,
                             "weight_load_beats": len(load_beats(hw))}
    files[f"{top}.v"] = top_module(hw, _top_header(top, hw, design))
    common = sorted(cells) + block_paths + layer_paths + [f"{top}.v"]
    files["filelist.f"] = _filelist(prim_paths + pe_paths + common)
    files["filelist_synth.f"] = _filelist(pe_paths + common)
    files["filelist_behavioural.f"] = _filelist(prim_paths + behav_paths + common)
    files[f"{report_stem(net, device)}.json"] = to_json(report)
    files["report.txt"] = text_report(report) + "\n"
    files["build.tcl"] = dropin.vivado_script(top, device.part)
    files["synth.tcl"] = dropin.yosys_script(top, device.family)
    files["constraints.xdc"] = constraints(design)
    files.update(_dropin_files(hw, params, report, device, prim_paths, pe_paths, behav_paths, common, files))
    _check_module_names(files)
    return Accel(design, hw, top, files, checks)


def _dropin_files(hw: AccelHw, params, report: dict, device, prim_paths, pe_paths, behav_paths, common,
                  files: dict[str, str]) -> dict[str, str]:
    """The test bench and its golden vectors, the FuseSoC core and the folder's README."""
    ins, outs = dropin.golden_vectors(hw, params)
    loads = len(load_beats(hw))
    out = {"vectors/in_beats.hex": dropin.hex_text(ins, hw.in_width),
           "vectors/out_beats.hex": dropin.hex_text(outs, hw.out_width),
           f"tb/tb_{hw.top}.v": dropin.testbench(hw, len(ins), len(outs), loads, dropin.VECTOR_FRAMES)}
    name = f"lutgen:accel:{ident(hw.net.name)}:0.1.0"
    groups = {"prims": prim_paths, "pe": pe_paths, "behavioural": behav_paths, "common": common,
              "weights": sorted(p for p in files if p.startswith("weights/")), "tb": [f"tb/tb_{hw.top}.v"],
              "vectors": ["vectors/in_beats.hex", "vectors/out_beats.hex"]}
    out[f"{ident(hw.net.name)}_accel.core"] = dropin.core_file(name, hw.top, device.part, device.family, groups)
    out["README.md"] = dropin.readme(hw, report, name, device.part, loads, dropin.VECTOR_FRAMES)
    return out


def _check_module_names(files: dict[str, str]) -> None:
    """One module per name: a layer named like another's ROM or lane (c_w4_rom, c_lane) would clash with it.

    pe_behavioural/ holds other views of pe/'s modules, in another filelist.
    """
    seen: dict[str, str] = {}
    for path in files:
        if path.endswith(".v") and not path.startswith("pe_behavioural/"):
            module = Path(path).stem
            if module in seen:
                raise ArchError(f"{seen[module]} and {path} would both define module {module!r}; rename the layer")
            seen[module] = path


def constraints(design: Design) -> str:
    period = 1000.0 / design.clock_met_mhz
    return (f"# the clock lutgen's timing estimate meets: {design.clock_met_mhz:.1f} MHz\n"
            f"create_clock -period {period:.3f} -name clk [get_ports clk]\n")


def _layer_header(unit) -> str:
    layer = unit.layer
    lines = [f"// layer {layer.name}: {layer.kind}, {unit.in_shape} -> {unit.out_shape}; "
             f"model: {unit.cycles} cycles per frame"]
    for block in unit.blocks:
        r = block.res
        lines.append(f"//   {block.name:<22} LUT {r.lut:>7}  FF {r.ff:>7}  carry {r.carry:>5}  BRAM36 {r.bram36:>5g}  "
                     f"URAM {r.uram:>3}  path {block.path_ns:5.2f} ns" + (f"  ({block.note})" if block.note else ""))
    return "\n".join(lines) + "\n"


def _top_header(top: str, hw: AccelHw, design: Design) -> list[str]:
    net = hw.net
    fin, fout = hw.formats["input"], hw.out_unit.out_format
    s0, s1 = net.input_shape, hw.out_unit.out_shape
    ports = hw.ports
    sign = {False: "unsigned", True: "signed"}
    lines = [
        f"{top}: layer-pipelined dataflow accelerator for {net.name}, generated by lutgen accel",
        f"device {design.device.name}; {hw.ii} cycles per frame in steady state (bottleneck "
        f"{design.bottleneck_name()}); clock {design.clock_met_mhz:.1f} MHz (estimate)",
        "",
        "Streams are AXI-Stream style: a beat moves when valid && ready; valid holds until taken.",
        "  A pixel word holds its channels side by side, channel c at bits [c*B +: B]; it travels in",
        "  ceil(pixel bits / beat bits) beats, low bits first (channel 0 in the lowest bits of the first",
        "  beat), each pixel starting a new beat; the last beat's bits above the pixel: ignored on s_data,",
        "  zero on m_data.",
        f"  s_*: input pixels, raster order (row 0 first, left to right), frames back to back; {s0.c} channels of",
        f"       {fin.bits}-bit {sign[fin.signed]} ({hw.in_pixel_bits} bits) in {ports['in_beats_per_pixel']} beat(s) "
        f"of {hw.in_width} bits; {s0.h}x{s0.w} pixels per frame",
        f"  m_*: output pixels, same order; {s1.c} channels of {fout.bits}-bit {sign[fout.signed]} "
        f"({hw.out_pixel_bits} bits) in {ports['out_beats_per_pixel']} beat(s) of {hw.out_width} bits; "
        f"{s1.h}x{s1.w} pixels per frame",
        "  rst: synchronous, active high; clears every stream (not the weight memories)",
    ]
    if hw.loads:
        lines += ["  ld_*: weight load into the UltraRAM memories, before the first frame: 64-bit beats,",
                  "       weights/load_stream.hex in order (memory by memory, word by word, low bits first);",
                  "       s_ready stays low until the last beat is taken"]
    if readmem_groups_of(hw):
        lines.append("Block RAM weights load {WEIGHTS_DIR, \"/<file>.hex\"} with $readmemh: WEIGHTS_DIR is the weights/ folder")
        lines.append("as the tool running sees it (default \"weights\": run from this folder, or override the parameter).")
    return lines


def behavioural_dot(spec: DotSpec) -> str:
    """The behavioural view of a dot unit: same name, ports and cycle behaviour as lutgen's LUT netlist."""
    m, n, k = spec.mul, spec.lanes, spec.pipeline
    wb, ab, acc = n * m.w, n * m.a, spec.acc_bits

    def operand(port, bits, signed, lane):
        bit = f"{port}[{bits * lane} +: {bits}]"
        return f"$signed({bit})" if signed else f"$signed({{1'b0, {bit}}})"

    lines = ["`default_nettype none",
             f"// behavioural view of {module_name(spec)}: the inputs {k} cycle(s) late, then",
             "//   acc <= rst ? 0 : en ? (clr ? 0 : acc) + sum_k w_k * a_k : acc",
             f"module {module_name(spec)} (", "    input  wire clk,", "    input  wire rst,", "    input  wire en,",
             "    input  wire clr,", f"    input  wire [{wb - 1}:0] w,", f"    input  wire [{ab - 1}:0] a,",
             f"    output wire [{acc - 1}:0] acc", ");"]
    names = {"w": "w", "a": "a", "rst": "rst", "en": "en", "clr": "clr"}
    widths = {"w": wb, "a": ab, "rst": 1, "en": 1, "clr": 1}
    for stage in range(1, k + 1):
        for port in names:
            rng = f"[{widths[port] - 1}:0] " if widths[port] > 1 else ""
            lines.append(f"    reg {rng}{port}_d{stage};")
            lines.append(f"    always @(posedge clk) {port}_d{stage} <= {names[port]};")
            names[port] = f"{port}_d{stage}"
    terms = " + ".join(f"{operand(names['w'], m.w, m.signed_w, i)} * {operand(names['a'], m.a, m.signed_a, i)}"
                       for i in range(n))
    lines += [f"    wire signed [{acc - 1}:0] sum = {terms};", f"    reg [{acc - 1}:0] acc_r;",
              f"    always @(posedge clk)\n        if ({names['rst']}) acc_r <= {acc}'d0;\n"
              f"        else if ({names['en']}) acc_r <= ({names['clr']} ? {acc}'d0 : acc_r) + sum;",
              "    assign acc = acc_r;", "endmodule", "`default_nettype wire", ""]
    return "\n".join(lines)

"""Pool, global-pool, add and requantize units: one lane per channel, a whole pixel per cycle.

A lane is one lutgen netlist (arch.hw.lane_cells, then lutgen.requant),
pipelined to the clock and instanced once per channel. The unit takes a
pixel (or a window, or a pair of pixels) whenever it holds a credit, and its
lanes' results go into the output FIFO `stages` cycles later.

    maxpool / avgpool   line buffer, then max / sum over the K x K window
    gpool               a running sum per channel; the last pixel of a frame pushes
    add                 the early input waits in a shortcut FIFO; then (a << sa) + (b << sb)
    relu                requantize only
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil, log2

from lutgen.cells import Netlist
from lutgen.compose import feed
from lutgen.dot import netlist_counts
from lutgen.requant import RequantSpec, build_requant
from lutgen.timing import DelayModel, chain_delay

from ..dataflow import Folding, cycles, uses_window
from ..golden import Format, LayerParams, add_alignment
from ..network import Layer, Network, Shape
from .lane_cells import accumulate_values, add_values, max_values, pass_value, sum_values
from .res import Res
from .stream import (clog2, fifo_instance, fifo_path, fifo_res, input_slack, line_buffer_instance,
                     line_buffer_path, line_buffer_res)
from .units import Block, lane_stages, netlist_path, out_fifo_block, out_fifo_depth, staged, token_res


@dataclass(frozen=True)
class LanesHw:
    layer: Layer
    in_shape: Shape
    out_shape: Shape
    in_formats: tuple[Format, ...]
    out_format: Format
    shift: int
    align: tuple[int, int]
    stages: int  # pipeline stages in the lane's requantizer (and combine)
    shortcut_depth: int  # add: the early input's FIFO (0: none)
    early: int  # add: which input is early
    out_depth: int
    cycles: int
    lane: Netlist  # one channel, named for this unit
    blocks: tuple[Block, ...]

    @property
    def kind(self) -> str:
        return self.layer.kind

    @property
    def latency(self) -> int:
        """Cycles from taking an item to pushing its result (gpool: from the frame's last pixel)."""
        return self.stages + (1 if self.kind == "gpool" else 0)


def natural_shift(layer: Layer, in_shape: Shape) -> int:
    """Without weights: the shift an average needs, 1 for an add, else 0."""
    if layer.kind == "avgpool":
        return ceil(log2(layer.kernel * layer.kernel))
    if layer.kind == "gpool":
        return ceil(log2(in_shape.h * in_shape.w)) if in_shape.h * in_shape.w > 1 else 0
    return 1 if layer.kind == "add" else 0


def _combine(layer: Layer, in_shape: Shape, fmts: tuple[Format, ...], align: tuple[int, int], family: str,
             name: str) -> Netlist:
    f = fmts[0]
    if layer.kind in ("maxpool", "avgpool"):
        k = layer.kernel * layer.kernel
        build = max_values if layer.kind == "maxpool" else sum_values
        return build(k, f.bits, f.signed, family, name)
    if layer.kind == "gpool":
        return accumulate_values(in_shape.h * in_shape.w, f.bits, f.signed, family, name)
    if layer.kind == "add":
        return add_values((fmts[0].bits, fmts[1].bits), (fmts[0].signed, fmts[1].signed), align, family, name)
    return pass_value(f.bits, f.signed, family, name)


def plan_lanes(net: Network, layer: Layer, folding: Folding, formats: dict[str, Format], model: DelayModel,
               period_ns: float, family: str, mod: str, params: LayerParams | None = None,
               shortcut: tuple[int, int] | None = None) -> LanesHw:
    """shortcut: (early input index, FIFO depth) for an add."""
    in_shape, out_shape = net.in_shape(layer), net.out_shape(layer)
    fmts = tuple(formats[s] for s in layer.inputs)
    out_format = formats[layer.name]
    align = params.align if params is not None and layer.kind == "add" else (
        add_alignment(net, layer, formats) if layer.kind == "add" else (0, 0))
    shift = params.shift if params is not None else natural_shift(layer, in_shape)
    combine = _combine(layer, in_shape, fmts, align, family, f"{mod}_v")
    v_bits = len(dict(combine.outputs)["v"])
    requant = build_requant(RequantSpec(v_bits, shift, out_format.bits, out_format.signed,
                                        ((1 << (shift - 1)) if shift else 0,), family))
    capture = model.net + max(model.ff_setup, model.lutram_setup)
    if layer.kind == "gpool":
        stages, rq_path = lane_stages(requant, model, period_ns, model.ff_clk_to_q, capture)
        lane = feed(combine, staged(requant, stages), {"v": "v"}, f"{mod}_lane")
        path = max(rq_path, netlist_path(combine, model, model.ff_clk_to_q, 0.0))
    else:
        whole = feed(combine, requant, {"v": "v"}, f"{mod}_lane")
        stages, path = lane_stages(whole, model, period_ns, model.ff_clk_to_q, capture)
        lane = staged(whole, stages, f"{mod}_lane")
    early, depth = shortcut if shortcut else (0, 0)
    hw = LanesHw(layer, in_shape, out_shape, fmts, out_format, shift, align, stages, depth, early, 0,
                 cycles(net, layer, folding), lane, ())
    interval = 1 if layer.kind != "gpool" else in_shape.h * in_shape.w
    hw = LanesHw(**{**hw.__dict__, "out_depth": out_fifo_depth(hw.latency, interval)})
    return LanesHw(**{**hw.__dict__, "blocks": _blocks(net, hw, model, path)})


def _blocks(net: Network, hw: LanesHw, model: DelayModel, lane_path: float) -> tuple[Block, ...]:
    blocks = []
    layer, s = hw.layer, hw.in_shape
    in_bits = s.c * hw.in_formats[0].bits
    if uses_window(net, layer):
        depth = input_slack(s.w, layer.padding)
        blocks.append(Block("input FIFO", fifo_res(in_bits, depth), fifo_path(model, in_bits, depth),
                            f"{depth} x {in_bits} bits"))
        blocks.append(Block("line buffer", line_buffer_res(in_bits, s.w, s.h, layer.kernel, layer.stride, layer.padding),
                            line_buffer_path(model, s.w, layer.padding)))
    if hw.shortcut_depth:
        width = s.c * hw.in_formats[hw.early].bits
        blocks.append(Block("shortcut FIFO", fifo_res(width, hw.shortcut_depth),
                            fifo_path(model, width, hw.shortcut_depth), f"{hw.shortcut_depth} x {width} bits"))
    lane = Res.of_cells(netlist_counts(hw.lane))
    blocks.append(Block("lanes", lane.times(s.c), lane_path, f"{s.c} x {hw.lane.name}, {hw.stages} stage(s)"))
    out_bits = hw.out_shape.c * hw.out_format.bits
    blocks.append(out_fifo_block(out_bits, hw.out_depth, model))
    control = token_res(1, hw.latency)
    if layer.kind == "gpool":
        n = s.h * s.w
        control = control + Res(lut=2 * clog2(n) + 4, ff=clog2(n), carry=ceil(clog2(n) / 4))
    blocks.append(Block("control", control + Res(lut=2), chain_delay(model, 3, clog2(s.h * s.w))))
    return tuple(blocks)


# -- Verilog ---------------------------------------------------------------------------------
def _lane_inputs(hw: LanesHw, ch: int) -> list[str]:
    f = hw.in_formats[0]
    c = hw.in_shape.c
    if hw.kind in ("maxpool", "avgpool"):
        kk = hw.layer.kernel * hw.layer.kernel
        items = ", ".join(f"w_data[{(k * c + ch) * f.bits} +: {f.bits}]" for k in reversed(range(kk)))
        return [f".x({{{items}}})"]
    if hw.kind == "add":
        fa, fb = hw.in_formats
        return [f".a(xa_data[{ch * fa.bits} +: {fa.bits}])", f".b(xb_data[{ch * fb.bits} +: {fb.bits}])"]
    return [f".x(x_data[{ch * f.bits} +: {f.bits}])"]


def lanes_module(mod: str, hw: LanesHw, header: str) -> str:
    s = hw.in_shape
    out_bits = hw.out_shape.c * hw.out_format.bits
    ub = clog2(hw.out_depth + 1)
    prefixes = ["a", "b"] if hw.kind == "add" else ["s"]
    ports = ["    input  wire clk", "    input  wire rst"]
    for k, p in enumerate(prefixes):
        bits = s.c * hw.in_formats[k].bits
        ports += [f"    input  wire {p}_valid", f"    output wire {p}_ready", f"    input  wire [{bits - 1}:0] {p}_data"]
    ports += ["    output wire m_valid", "    input  wire m_ready", f"    output wire [{out_bits - 1}:0] m_data"]
    text = [header, f"module {mod} (\n" + ",\n".join(ports) + "\n);\n",
            f"    reg [{ub - 1}:0] used;\n    wire room = used != {ub}'d{hw.out_depth};\n"]
    in_bits = s.c * hw.in_formats[0].bits
    if hw.kind in ("maxpool", "avgpool"):
        text.append(fifo_instance("u_in", in_bits, input_slack(s.w, hw.layer.padding), "s", "x"))
        text.append(line_buffer_instance("u_window", in_bits, s.w, s.h, hw.layer.kernel, hw.layer.stride,
                                         hw.layer.padding, "x", "w"))
        text.append("    assign w_ready = room;\n    wire take = w_valid && w_ready;\n    wire claim = take;\n")
    elif hw.kind == "add":
        for k, p in enumerate(prefixes):
            bits = s.c * hw.in_formats[k].bits
            if hw.shortcut_depth and k == hw.early:
                text.append(fifo_instance("u_shortcut", bits, hw.shortcut_depth, p, f"x{p}"))
            else:
                text.append(f"    wire x{p}_valid, x{p}_ready;\n    wire [{bits - 1}:0] x{p}_data;\n"
                            f"    assign x{p}_valid = {p}_valid;\n    assign {p}_ready = x{p}_ready;\n"
                            f"    assign x{p}_data = {p}_data;\n")
        text.append("    wire take = xa_valid && xb_valid && room;\n    assign xa_ready = take;\n"
                    "    assign xb_ready = take;\n    wire claim = take;\n")
    elif hw.kind == "gpool":
        n = s.h * s.w
        cb = clog2(n)
        text.append(f"    wire x_valid = s_valid;\n    wire [{in_bits - 1}:0] x_data = s_data;\n"
                    f"    reg [{cb - 1}:0] count;\n    wire first = count == {cb}'d0;\n"
                    f"    wire last = count == {cb}'d{n - 1};\n"
                    f"    assign s_ready = room || !last;\n    wire take = x_valid && s_ready;\n"
                    f"    wire claim = take && last;\n"
                    f"    always @(posedge clk)\n        if (rst) count <= {cb}'d0;\n"
                    f"        else if (take) count <= last ? {cb}'d0 : count + {cb}'d1;\n")
    else:
        text.append(f"    wire x_valid = s_valid;\n    wire [{in_bits - 1}:0] x_data = s_data;\n"
                    f"    assign s_ready = room;\n    wire take = x_valid && s_ready;\n    wire claim = take;\n")
    ob = hw.out_format.bits
    for ch in range(hw.out_shape.c):
        conns = [".clk(clk)"] if hw.lane.clock else []
        if hw.kind == "gpool":
            conns += [".rst(rst)", ".en(take)", ".clr(first)"]
        conns += _lane_inputs(hw, ch) + [f".q(q[{ch * ob} +: {ob}])"]
        text.append(f"    {hw.lane.name} u_lane_{ch} ({', '.join(conns)});\n")
    text.insert(3, f"    wire [{out_bits - 1}:0] q;\n")
    n = hw.latency
    if n:
        shift = "{fv[" + str(n - 2) + ":0], claim}" if n > 1 else "claim"
        text.append(f"    reg [{n - 1}:0] fv;\n    always @(posedge clk) fv <= rst ? {n}'d0 : {shift};\n"
                    f"    wire push = fv[{n - 1}];\n")
    else:
        text.append("    wire push = claim;\n")
    text.append(f"    wire p_valid, p_ready;\n    wire [{out_bits - 1}:0] p_data;\n    assign p_valid = push;\n"
                f"    assign p_data = q;\n    wire unused_p_ready = p_ready;  // the credits keep room\n")
    text.append(fifo_instance("u_out", out_bits, hw.out_depth, "p", "o"))
    text.append(f"    assign m_valid = o_valid;\n    assign o_ready = m_ready;\n    assign m_data = o_data;\n"
                f"    always @(posedge clk)\n        if (rst) used <= {ub}'d0;\n"
                f"        else if (claim && !(o_valid && o_ready)) used <= used + {ub}'d1;\n"
                f"        else if (!claim && o_valid && o_ready) used <= used - {ub}'d1;\n")
    text.append("endmodule\n")
    return "`default_nettype none\n" + "".join(text) + "`default_nettype wire\n"

"""Verilog text of the accelerator from its plan (arch.hw_plan): it decides nothing.

Every unit has the same stream ports (clk, rst, s_valid/s_ready/s_data,
m_valid/m_ready/m_data; an add has two inputs, a_* and b_*). A pixel is one
beat, channel c at bits [c*B +: B]. Units use the rtl_lib blocks
lutgen_fifo, lutgen_line_buffer, lutgen_fork and lutgen_requant.
"""

from __future__ import annotations

import re

import numpy as np

from lutgen.dot import module_name
from lutgen.spec import DotSpec

from .hw_plan import AccelPlan, DotGroup, UnitPlan

STREAM_BLOCKS = ("stream/lutgen_fifo.v", "stream/lutgen_line_buffer.v", "stream/lutgen_fork.v",
                 "accel/lutgen_requant.v")


def ident(name: str) -> str:
    """A Verilog identifier from a layer name (layer1.0.conv1 -> layer1_0_conv1)."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return text if re.match(r"[A-Za-z_]", text) else f"l_{text}"


def clog2(n: int) -> int:
    return max(1, (n - 1).bit_length())


def unit_module(top: str, unit: UnitPlan) -> str:
    return f"{top}_{ident(unit.name)}"


def weight_file(top: str, unit: UnitPlan, group: DotGroup) -> str:
    return f"weights/{unit_module(top, unit)}_w{group.bits}.hex"


def _pixel_bits(unit: UnitPlan, k: int = 0) -> int:
    return unit.in_shape.c * unit.in_formats[k].bits


def _out_bits(unit: UnitPlan) -> int:
    return unit.out_shape.c * unit.out_format.bits


def _ports(inputs: list[tuple[str, int]], out_bits: int) -> str:
    lines = ["    input  wire clk", "    input  wire rst"]
    for prefix, bits in inputs:
        lines += [f"    input  wire {prefix}_valid", f"    output wire {prefix}_ready",
                  f"    input  wire [{bits - 1}:0] {prefix}_data"]
    lines += ["    output wire m_valid", "    input  wire m_ready", f"    output wire [{out_bits - 1}:0] m_data"]
    return ",\n".join(lines)


def _fifo(name: str, bits: int, depth: int, src: str, dst: str) -> str:
    return (f"    wire {dst}_valid, {dst}_ready;\n    wire [{bits - 1}:0] {dst}_data;\n"
            f"    lutgen_fifo #(.WIDTH({bits}), .DEPTH({depth})) {name} (.clk(clk), .rst(rst),\n"
            f"        .s_valid({src}_valid), .s_ready({src}_ready), .s_data({src}_data),\n"
            f"        .m_valid({dst}_valid), .m_ready({dst}_ready), .m_data({dst}_data), .count());\n")


def _window(unit: UnitPlan) -> tuple[str, int]:
    """Line buffer from x_* to w_* (or a pass-through); returns text and the window width."""
    bits = _pixel_bits(unit)
    if unit.window is None:
        return ("    wire w_valid, w_ready;\n    wire [{b}:0] w_data;\n    assign w_valid = x_valid;\n"
                "    assign x_ready = w_ready;\n    assign w_data = x_data;\n").format(b=bits - 1), bits
    k, stride, pad = unit.window
    s = unit.in_shape
    return (f"    wire w_valid, w_ready;\n    wire [{k * k * bits - 1}:0] w_data;\n"
            f"    lutgen_line_buffer #(.DATA_W({bits}), .IMG_W({s.w}), .IMG_H({s.h}), .K({k}), .STRIDE({stride}), "
            f".PAD({pad})) u_window (\n        .clk(clk), .rst(rst), .s_valid(x_valid), .s_ready(x_ready), .s_data(x_data),\n"
            f"        .m_valid(w_valid), .m_ready(w_ready), .m_data(w_data));\n"), k * k * bits


def _requant(name: str, in_bits: int, unit: UnitPlan, v: str, q: str) -> str:
    f = unit.out_format
    return (f"    lutgen_requant #(.IN_W({in_bits}), .SHIFT({unit.params.shift}), .OUT_W({f.bits}), "
            f".OUT_SIGNED({int(f.signed)})) {name} (.v({v}), .q({q}));\n")


def _extend(expr: str, bits: int, signed: bool, width: int) -> str:
    """`expr` (bits wide) sign- or zero-extended to width."""
    if width == bits:
        return expr
    fill = f"{{{width - bits}{{{expr}[{bits - 1}]}}}}" if signed else f"{{{width - bits}{{1'b0}}}}"
    return f"{{{fill}, {expr}}}"


def _header(unit: UnitPlan, what: str) -> str:
    layer = unit.layer
    ins = ", ".join(f"{s} ({f.bits}-bit {'signed' if f.signed else 'unsigned'})"
                    for s, f in zip(unit.inputs, unit.in_formats))
    out = unit.out_format
    return (f"// layer {layer.name}: {what}\n//   reads {ins}, {unit.in_shape}\n"
            f"//   writes {unit.out_shape}, {out.bits}-bit {'signed' if out.signed else 'unsigned'}; "
            f"requantizer shift {unit.params.shift}\n//   model: {unit.cycles} cycles per frame\n")


# -- compute units ----------------------------------------------------------------------
def _bias_constant(bias_row: np.ndarray, bits: int) -> str:
    mask = (1 << bits) - 1
    value = 0
    for f, b in enumerate(bias_row.tolist()):
        value |= (int(b) & mask) << (f * bits)
    return f"{bits * len(bias_row)}'h{value:x}"


def compute_unit(top: str, unit: UnitPlan) -> str:
    mod = unit_module(top, unit)
    a_fmt, out = unit.in_formats[0], unit.out_format
    acc = unit.acc_bits
    window, win_bits = _window(unit)
    chunk = unit.simd * a_fmt.bits
    depth = unit.fold * unit.steps
    sb, fb, ab = clog2(unit.steps), clog2(unit.fold), clog2(depth)
    text = [_header(unit, f"{unit.layer.kind}, {sum(g.units for g in unit.groups)} dot units of {unit.simd} lanes, "
                          f"{unit.steps} step(s) x {unit.fold} slot(s) per window"),
            f"module {mod} (\n{_ports([('s', _pixel_bits(unit))], _out_bits(unit))}\n);\n",
            _fifo("u_in", _pixel_bits(unit), unit.fifo_depths[0], "s", "x"), window,
            f"""    // engine: one window in `win`, `steps` x `fold` cycles, the next window taken on the last
    reg busy;
    reg [{sb - 1}:0] step;
    reg [{fb - 1}:0] slot;
    reg [{ab - 1}:0] addr;
    reg [{win_bits - 1}:0] win;
    wire last_step = step == {sb}'d{unit.steps - 1};
    wire last = last_step && slot == {fb}'d{unit.fold - 1};
    // finish stage: the cycle after a slot's last step its sums are requantized into `pixel`
    reg fin;
    reg [{fb - 1}:0] fin_slot;
    reg [{_out_bits(unit) - 1}:0] pixel, out_q;
    reg pixel_full, out_valid;
    wire out_free = !out_valid || m_ready;
    wire fin_stall = fin && fin_slot == {fb}'d0 && pixel_full && !out_free;  // pixel not yet handed on
    wire advance = busy && !fin_stall;
    wire fin_write = fin && !fin_stall;
    assign w_ready = !busy || (advance && last);
    assign m_valid = out_valid;
    assign m_data = out_q;
    wire [{chunk - 1}:0] a_chunk = win[step * {chunk} +: {chunk}];

    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0; step <= {sb}'d0; slot <= {fb}'d0; addr <= {ab}'d0;
            fin <= 1'b0; pixel_full <= 1'b0; out_valid <= 1'b0;
        end else begin
            if (w_valid && w_ready) busy <= 1'b1;
            else if (advance && last) busy <= 1'b0;
            if (advance) begin
                step <= last_step ? {sb}'d0 : step + {sb}'d1;
                slot <= last ? {fb}'d0 : (last_step ? slot + {fb}'d1 : slot);
                addr <= last ? {ab}'d0 : addr + {ab}'d1;
            end
            if (!fin_stall) fin <= advance && last_step;
            if (fin_write && fin_slot == {fb}'d{unit.fold - 1}) pixel_full <= 1'b1;
            else if (pixel_full && out_free) pixel_full <= 1'b0;
            if (pixel_full && out_free) out_valid <= 1'b1;
            else if (m_ready) out_valid <= 1'b0;
        end
        if (w_valid && w_ready) win <= w_data;
        if (advance) fin_slot <= slot;
        if (pixel_full && out_free) out_q <= pixel;
    end
"""]
    for group in unit.groups:
        text.append(_group(top, unit, group, acc, ab, fb, chunk))
    text.append("endmodule\n")
    return "".join(text)


def _group(top: str, unit: UnitPlan, group: DotGroup, acc: int, ab: int, fb: int, chunk: int) -> str:
    g = group.bits
    word = group.units * unit.simd * g
    depth = unit.fold * unit.steps
    pe = module_name(group.pe)
    sum_bits = group.pe.sum_bits
    out_b = unit.out_format.bits
    lines = [f"    // {group.units} unit(s) with {g}-bit weights: {pe}\n",
             f"    reg [{word - 1}:0] wmem_{g} [0:{depth - 1}];\n",
             f"    initial $readmemh(\"{weight_file(top, unit, group)}\", wmem_{g});\n",
             f"    wire [{word - 1}:0] wword_{g} = wmem_{g}[addr];\n"]
    lane_bits = unit.simd * g
    for u in range(group.units):
        n = f"{g}_{u}"
        lines.append(f"""    wire [{sum_bits - 1}:0] p_{n};
    {pe} u_dot_{n} (.w(wword_{g}[{u * lane_bits} +: {lane_bits}]), .a(a_chunk), .p(p_{n}));
    reg [{acc - 1}:0] acc_{n};
    always @(posedge clk) if (advance) acc_{n} <= (step == 0 ? {acc}'d0 : acc_{n}) + {_extend(f"p_{n}", sum_bits, True, acc)};
    localparam [{acc * unit.fold - 1}:0] BIAS_{n} = {_bias_constant(group.bias[u], acc)};
    wire [{acc}:0] v_{n} = {_extend(f"acc_{n}", acc, True, acc + 1)} + {_extend(f"BIAS_{n}[fin_slot * {acc} +: {acc}]", acc, True, acc + 1)};
    wire [{out_b - 1}:0] q_{n};
""")
        lines.append(_requant(f"u_rq_{n}", acc + 1, unit, f"v_{n}", f"q_{n}"))
        writes = [f"            {fb}'d{f}: pixel[{c * out_b} +: {out_b}] <= q_{n};\n"
                  for f, c in enumerate(group.channels[u].tolist()) if c >= 0]
        lines.append(f"    always @(posedge clk) if (fin_write) begin\n        case (fin_slot)\n{''.join(writes)}"
                     f"            default: ;\n        endcase\n    end\n")
    return "".join(lines)


# -- the other units --------------------------------------------------------------------
def _out_register(valid_expr: str) -> str:
    return (f"    reg [OUT_W-1:0] out_q;\n    reg out_valid;\n    wire out_free = !out_valid || m_ready;\n"
            f"    assign m_valid = out_valid;\n    assign m_data = out_q;\n"
            f"    always @(posedge clk) begin\n        if (rst) out_valid <= 1'b0;\n"
            f"        else if ({valid_expr}) out_valid <= 1'b1;\n        else if (m_ready) out_valid <= 1'b0;\n"
            f"        if ({valid_expr}) out_q <= q;\n    end\n")


def pool_unit(top: str, unit: UnitPlan) -> str:
    """maxpool / avgpool: one window per cycle from the line buffer."""
    mod = unit_module(top, unit)
    fmt = unit.in_formats[0]
    c, b = unit.in_shape.c, fmt.bits
    k = unit.window[0] if unit.window else 1
    kk = k * k
    vw = b + clog2(kk) + 2
    elem = f"w_data[(k * {c} + ch) * {b} +: {b}]"
    ext = (f"{{{{{vw - b}{{w_data[(k * {c} + ch) * {b} + {b - 1}]}}}}, {elem}}}" if fmt.signed
           else f"{{{vw - b}'d0, {elem}}}")
    combine = "(e > v ? e : v)" if unit.layer.kind == "maxpool" else "v + e"
    window, _ = _window(unit)
    return (_header(unit, f"{unit.layer.kind} {k}x{k}, one window per cycle")
            + f"module {mod} (\n{_ports([('s', _pixel_bits(unit))], _out_bits(unit))}\n);\n"
            + f"    localparam OUT_W = {_out_bits(unit)};\n"
            + _fifo("u_in", _pixel_bits(unit), unit.fifo_depths[0], "s", "x") + window
            + f"    wire [OUT_W-1:0] q;\n    genvar ch;\n    generate\n        for (ch = 0; ch < {c}; ch = ch + 1) begin : channel\n"
            + f"            reg signed [{vw - 1}:0] v, e;\n            integer k;\n            always @* begin\n"
            + f"                v = {{{vw}{{1'b0}}}};\n"
            + f"                for (k = 0; k < {kk}; k = k + 1) begin\n                    e = {ext};\n"
            + f"                    v = k == 0 ? e : {combine};\n                end\n            end\n"
            + "    " + _requant("u_rq", vw, unit, "v", f"q[ch * {unit.out_format.bits} +: {unit.out_format.bits}]").replace("\n", "\n    ").rstrip() + "\n"
            + "        end\n    endgenerate\n"
            + "    assign w_ready = out_free;\n"
            + _out_register("w_valid && out_free") + "endmodule\n")


def gpool_unit(top: str, unit: UnitPlan) -> str:
    mod = unit_module(top, unit)
    fmt = unit.in_formats[0]
    s = unit.in_shape
    c, b, n = s.c, fmt.bits, s.h * s.w
    vw = b + clog2(n) + 2
    cb = clog2(n)
    elem = f"x_data[ch * {b} +: {b}]"
    ext = (f"{{{{{vw - b}{{x_data[ch * {b} + {b - 1}]}}}}, {elem}}}" if fmt.signed else f"{{{vw - b}'d0, {elem}}}")
    return (_header(unit, f"global pool over {s.h}x{s.w}, one pixel per cycle")
            + f"module {mod} (\n{_ports([('s', _pixel_bits(unit))], _out_bits(unit))}\n);\n"
            + f"    localparam OUT_W = {_out_bits(unit)};\n"
            + _fifo("u_in", _pixel_bits(unit), unit.fifo_depths[0], "s", "x")
            + f"    reg [{cb - 1}:0] count;\n    wire last = count == {cb}'d{n - 1};\n"
            + "    wire out_free;\n    assign x_ready = !last || out_free;\n    wire take = x_valid && x_ready;\n"
            + f"    wire [OUT_W-1:0] q;\n    genvar ch;\n    generate\n        for (ch = 0; ch < {c}; ch = ch + 1) begin : channel\n"
            + f"            reg signed [{vw - 1}:0] sum;\n            wire signed [{vw - 1}:0] v = sum + {ext};\n"
            + "            always @(posedge clk)\n                if (rst) sum <= 0;\n"
            + f"                else if (take) sum <= last ? {{{vw}{{1'b0}}}} : v;\n"
            + "    " + _requant("u_rq", vw, unit, "v", f"q[ch * {unit.out_format.bits} +: {unit.out_format.bits}]").replace("\n", "\n    ").rstrip() + "\n"
            + "        end\n    endgenerate\n"
            + f"    always @(posedge clk)\n        if (rst) count <= {cb}'d0;\n"
            + f"        else if (take) count <= last ? {cb}'d0 : count + {cb}'d1;\n"
            + _out_register("take && last").replace("    wire out_free =", "    assign out_free =") + "endmodule\n")


def elementwise_unit(top: str, unit: UnitPlan) -> str:
    """add (two inputs, aligned) or relu (one input): one pixel per cycle."""
    mod = unit_module(top, unit)
    c = unit.in_shape.c
    two = unit.layer.kind == "add"
    prefixes = ["a", "b"] if two else ["s"]
    inputs = [(p, _pixel_bits(unit, k)) for k, p in enumerate(prefixes)]
    shifts = unit.params.align if two else (0,)
    vw = max(f.bits + sh for f, sh in zip(unit.in_formats, shifts)) + 2
    text = [_header(unit, "residual add" if two else "requantize"),
            f"module {mod} (\n{_ports(inputs, _out_bits(unit))}\n);\n", f"    localparam OUT_W = {_out_bits(unit)};\n"]
    for k, (p, bits) in enumerate(inputs):
        text.append(_fifo(f"u_in_{p}", bits, unit.fifo_depths[k], p, f"x{p}"))
    if two:
        text.append("    wire out_free;\n    wire take = xa_valid && xb_valid && out_free;\n"
                    "    assign xa_ready = xb_valid && out_free;\n    assign xb_ready = xa_valid && out_free;\n")
    else:
        text.append("    wire out_free;\n    wire take = xs_valid && out_free;\n    assign xs_ready = out_free;\n")
    terms = []
    for k, p in enumerate(prefixes):
        f, sh = unit.in_formats[k], shifts[k]
        elem = f"x{p}_data[ch * {f.bits} +: {f.bits}]"
        ext = (f"{{{{{vw - f.bits}{{x{p}_data[ch * {f.bits} + {f.bits - 1}]}}}}, {elem}}}" if f.signed
               else f"{{{vw - f.bits}'d0, {elem}}}")
        terms.append(f"({ext} << {sh})" if sh else ext)
    text.append(f"    wire [OUT_W-1:0] q;\n    genvar ch;\n    generate\n        for (ch = 0; ch < {c}; ch = ch + 1) begin : channel\n"
                f"            wire signed [{vw - 1}:0] v = {' + '.join(terms)};\n"
                + "    " + _requant("u_rq", vw, unit, "v", f"q[ch * {unit.out_format.bits} +: {unit.out_format.bits}]").replace("\n", "\n    ").rstrip() + "\n"
                + "        end\n    endgenerate\n")
    text.append(_out_register("take").replace("    wire out_free =", "    assign out_free ="))
    text.append("endmodule\n")
    return "".join(text)


def layer_module(top: str, unit: UnitPlan) -> str:
    kind = unit.layer.kind
    if kind in ("conv", "fc"):
        body = compute_unit(top, unit)
    elif kind in ("maxpool", "avgpool"):
        body = pool_unit(top, unit)
    elif kind == "gpool":
        body = gpool_unit(top, unit)
    else:
        body = elementwise_unit(top, unit)
    return f"`default_nettype none\n{body}`default_nettype wire\n"


# -- the top ----------------------------------------------------------------------------
def top_module(top: str, plan: AccelPlan, header: list[str]) -> str:
    fmt_in = plan.formats["input"]
    s0 = plan.net.input_shape
    in_bits = s0.c * fmt_in.bits
    out_unit = next(u for u in plan.units if u.name == plan.output)
    out_bits = _out_bits(out_unit)
    lines = ["`default_nettype none", *(f"// {h}" if h else "//" for h in header), f"module {top} (",
             "    input  wire clk,", "    input  wire rst,",
             "    input  wire s_valid,", "    output wire s_ready,", f"    input  wire [{in_bits - 1}:0] s_data,",
             "    output wire m_valid,", "    input  wire m_ready,", f"    output wire [{out_bits - 1}:0] m_data", ");"]
    bits = {"input": in_bits, **{u.name: _out_bits(u) for u in plan.units}}
    # every tensor: a producer stream t_<name>, and one stream e_<name>_<k> per reader
    lines += ["    wire t_input_valid, t_input_ready;", f"    wire [{in_bits - 1}:0] t_input_data;",
              "    assign t_input_valid = s_valid;", "    assign s_ready = t_input_ready;", "    assign t_input_data = s_data;"]
    for u in plan.units:
        t = f"t_{ident(u.name)}"
        lines += [f"    wire {t}_valid, {t}_ready;", f"    wire [{bits[u.name] - 1}:0] {t}_data;"]
    for tensor, readers in plan.consumers.items():
        t = f"t_{ident(tensor)}"
        if not readers:
            continue
        n = len(readers)
        for k in range(n):
            e = f"e_{ident(tensor)}_{k}"
            lines += [f"    wire {e}_valid, {e}_ready;", f"    wire [{bits[tensor] - 1}:0] {e}_data;"]
        if n == 1:
            e = f"e_{ident(tensor)}_0"
            lines += [f"    assign {e}_valid = {t}_valid;", f"    assign {t}_ready = {e}_ready;", f"    assign {e}_data = {t}_data;"]
        else:
            valids = ", ".join(f"e_{ident(tensor)}_{k}_valid" for k in reversed(range(n)))
            readies = ", ".join(f"e_{ident(tensor)}_{k}_ready" for k in reversed(range(n)))
            lines.append(f"    lutgen_fork #(.WIDTH({bits[tensor]}), .N({n})) u_fork_{ident(tensor)} (.clk(clk), .rst(rst), "
                         f".s_valid({t}_valid), .s_ready({t}_ready), .s_data({t}_data), .m_valid({{{valids}}}), "
                         f".m_ready({{{readies}}}), .m_data(e_{ident(tensor)}_fork_data));")
            lines.insert(-1, f"    wire [{bits[tensor] - 1}:0] e_{ident(tensor)}_fork_data;")
            for k in range(n):
                lines.append(f"    assign e_{ident(tensor)}_{k}_data = e_{ident(tensor)}_fork_data;")
    for u in plan.units:
        prefixes = ["a", "b"] if u.layer.kind == "add" else ["s"]
        conns = [".clk(clk)", ".rst(rst)"]
        for p, src in zip(prefixes, u.inputs):
            e = f"e_{ident(src)}_{plan.consumers[src].index(u.name)}"
            conns += [f".{p}_valid({e}_valid)", f".{p}_ready({e}_ready)", f".{p}_data({e}_data)"]
        t = f"t_{ident(u.name)}"
        conns += [f".m_valid({t}_valid)", f".m_ready({t}_ready)", f".m_data({t}_data)"]
        lines.append(f"    {unit_module(top, u)} u_{ident(u.name)} ({', '.join(conns)});")
    t = f"t_{ident(plan.output)}"
    lines += [f"    assign m_valid = {t}_valid;", f"    assign {t}_ready = m_ready;", f"    assign m_data = {t}_data;",
              "endmodule", "`default_nettype wire", ""]
    return "\n".join(lines)


# -- files ------------------------------------------------------------------------------
def hex_lines(group: DotGroup) -> str:
    """$readmemh text: one word per line, lane k of unit u at bits [(u*simd + k)*bits +: bits]."""
    depth, units, simd = group.words.shape
    b = group.bits
    n = units * simd * b
    digits = (n + 3) // 4
    patterns = (group.words.reshape(depth, units * simd) & ((1 << b) - 1)).astype(np.uint64)
    bit_planes = ((patterns[:, :, None] >> np.arange(b, dtype=np.uint64)) & 1).astype(np.uint8).reshape(depth, n)
    bit_planes = np.pad(bit_planes, ((0, 0), (0, digits * 4 - n)))
    nibbles = bit_planes.reshape(depth, digits, 4) @ np.array([1, 2, 4, 8], dtype=np.uint8)
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nibbles[:, ::-1]]
    rows = np.concatenate([chars, np.full((depth, 1), ord("\n"), dtype=np.uint8)], axis=1)
    return rows.tobytes().decode("ascii")


def behavioural_dot(spec: DotSpec) -> str:
    """The `*` view of a dot-product unit: same name and ports as lutgen's LUT netlist."""
    m, n = spec.mul, spec.lanes
    def operand(port, bits, signed, k):
        lane = f"{port}[{bits * k} +: {bits}]"
        return f"$signed({lane})" if signed else f"$signed({{1'b0, {lane}}})"
    terms = " + ".join(f"{operand('w', m.w, m.signed_w, k)} * {operand('a', m.a, m.signed_a, k)}" for k in range(n))
    sb = spec.sum_bits
    return ("`default_nettype none\n"
            f"// behavioural view of {module_name(spec)}: p = sum of {n} products (same ports as the LUT view)\n"
            f"module {module_name(spec)} (\n    input  wire [{n * m.w - 1}:0] w,\n    input  wire [{n * m.a - 1}:0] a,\n"
            f"    output wire [{sb - 1}:0] p\n);\n    wire signed [{sb - 1}:0] sum = {terms};\n    assign p = sum;\nendmodule\n"
            "`default_nettype wire\n")

"""The accelerator's top level: one stream per tensor, a fork where a tensor has several readers,
and, where weights live in UltraRAM, the weight-load port.

Weight load (only when some memory is UltraRAM, which has no initial
contents): beats of 64 bits on ld_valid / ld_ready / ld_data, memory after
memory in layer order (then weight width), each memory's words from address
0, each word in ceil(width / 64) beats, low bits first. The input stream is
held (s_ready low) until the last beat; ld_ready then stays low. The load
state has power-up values and no reset, so a reset does not ask for the
weights again.
"""

from __future__ import annotations

from .compute import ComputeHw, readmem_groups, uram_groups
from .plan import BRANCH_FIFO_DEPTH, AccelHw, fork_branches, ident, unit_module
from .stream import clog2, stream_in_instance, stream_out_instance

WEIGHTS_DIR = "weights"  # the default of the top's WEIGHTS_DIR parameter: where the $readmemh files are


def _out_bits(hw: AccelHw, unit) -> int:
    return unit.out_shape.c * unit.out_format.bits


def _load_text(hw: AccelHw) -> list[str]:
    targets = hw.loads
    if not targets:
        return []
    n = len(targets)
    ib = clog2(n + 1)
    lines = [f"    // weight load: {n} UltraRAM memories, in order; a power-up value and no reset",
             f"    reg [{ib - 1}:0] ld_index;", f"    initial ld_index = {ib}'d0;",
             f"    wire loaded = ld_index == {ib}'d{n};",
             "    assign ld_ready = !loaded;"]
    lasts = []
    for k, (unit, group) in enumerate(targets):
        name = f"{ident(unit.layer.name)}_{group.bits}"
        lines += [f"    wire ld_valid_{name} = ld_valid && ld_index == {ib}'d{k};", f"    wire ld_last_{name};"]
        lasts.append(f"ld_last_{name}")
    lines.append(f"    wire ld_done = {' || '.join(lasts)};")
    lines.append(f"    always @(posedge clk) if (ld_done) ld_index <= ld_index + {ib}'d1;")
    return lines


def top_module(hw: AccelHw, header: list[str]) -> str:
    top = hw.top
    in_bits, out_bits = hw.in_pixel_bits, hw.out_pixel_bits
    ports = ["    input  wire clk", "    input  wire rst", "    input  wire s_valid", "    output wire s_ready",
             f"    input  wire [{hw.in_width - 1}:0] s_data", "    output wire m_valid", "    input  wire m_ready",
             f"    output wire [{hw.out_width - 1}:0] m_data"]
    if hw.loads:
        ports += ["    input  wire ld_valid", "    output wire ld_ready", "    input  wire [63:0] ld_data"]
    param = [f"    parameter WEIGHTS_DIR = \"{WEIGHTS_DIR}\""]
    if not readmem_groups_of(hw):  # no memory reads it here; kept so that every build script may set it
        param = ["    /* verilator lint_off UNUSEDPARAM */", *param, "    /* verilator lint_on UNUSEDPARAM */"]
    lines = ["`default_nettype none", *(f"// {h}" if h else "//" for h in header), f"module {top} #(",
             "    // where the $readmemh files are, from where the tool runs (a simulator, a synthesizer)",
             *param, ") (", ",\n".join(ports), ");"]
    lines += _load_text(hw)
    gate = " && loaded" if hw.loads else ""
    bits = {"input": in_bits, **{u.layer.name: _out_bits(hw, u) for u in hw.units}}
    lines += ["    // the input adapter: beats of s_data into whole pixels",
              "    wire b_in_valid, b_in_ready;", f"    wire [{hw.in_width - 1}:0] b_in_data;",
              f"    assign b_in_valid = s_valid{gate};", f"    assign s_ready = b_in_ready{gate};",
              "    assign b_in_data = s_data;", stream_in_instance(in_bits, hw.in_width, "b_in", "t_input").rstrip("\n")]
    for u in hw.units:
        t = f"t_{ident(u.layer.name)}"
        lines += [f"    wire {t}_valid, {t}_ready;", f"    wire [{bits[u.layer.name] - 1}:0] {t}_data;"]
    for tensor, readers in hw.consumers.items():
        if not readers:
            continue
        t, e = f"t_{ident(tensor)}", f"e_{ident(tensor)}"
        n = len(readers)
        for k in range(n):
            lines += [f"    wire {e}_{k}_valid, {e}_{k}_ready;", f"    wire [{bits[tensor] - 1}:0] {e}_{k}_data;"]
        if n == 1:
            lines += [f"    assign {e}_0_valid = {t}_valid;", f"    assign {t}_ready = {e}_0_ready;",
                      f"    assign {e}_0_data = {t}_data;"]
            continue
        valids = ", ".join(f"{e}_f{k}_valid" for k in reversed(range(n)))
        readies = ", ".join(f"{e}_f{k}_ready" for k in reversed(range(n)))
        lines += [f"    wire {e}_f{k}_valid, {e}_f{k}_ready;" for k in range(n)]
        lines.append(f"    wire [{bits[tensor] - 1}:0] {e}_fork_data;")
        lines.append(f"    lutgen_fork #(.WIDTH({bits[tensor]}), .N({n})) fork_{ident(tensor)} (.clk(clk), .rst(rst), "
                     f".s_valid({t}_valid), .s_ready({t}_ready), .s_data({t}_data), .m_valid({{{valids}}}), "
                     f".m_ready({{{readies}}}), .m_data({e}_fork_data));")
        for k, buffered in enumerate(fork_branches(hw.net, tensor)):
            if buffered:
                branch = f"branch_{ident(tensor)}_{k}"  # u_ is for the layer units only
                lines.append(f"    wire [{clog2(BRANCH_FIFO_DEPTH + 1) - 1}:0] unused_{branch}_count;")
                lines.append(f"    lutgen_fifo #(.WIDTH({bits[tensor]}), .DEPTH({BRANCH_FIFO_DEPTH}), .BLOCK(0)) "
                             f"{branch} (.clk(clk), .rst(rst), .s_valid({e}_f{k}_valid), "
                             f".s_ready({e}_f{k}_ready), .s_data({e}_fork_data), .m_valid({e}_{k}_valid), "
                             f".m_ready({e}_{k}_ready), .m_data({e}_{k}_data), .count(unused_{branch}_count));")
            else:
                lines += [f"    assign {e}_{k}_valid = {e}_f{k}_valid;", f"    assign {e}_f{k}_ready = {e}_{k}_ready;",
                          f"    assign {e}_{k}_data = {e}_fork_data;"]
    for u in hw.units:
        prefixes = ["a", "b"] if u.layer.kind == "add" else ["s"]
        conns = [".clk(clk)", ".rst(rst)"]
        for p, src in zip(prefixes, u.layer.inputs):
            e = f"e_{ident(src)}_{hw.consumers[src].index(u.layer.name)}"
            conns += [f".{p}_valid({e}_valid)", f".{p}_ready({e}_ready)", f".{p}_data({e}_data)"]
        t = f"t_{ident(u.layer.name)}"
        conns += [f".m_valid({t}_valid)", f".m_ready({t}_ready)", f".m_data({t}_data)"]
        if isinstance(u, ComputeHw) and uram_groups(u):
            conns.append(".ld_data(ld_data)")
            for group in uram_groups(u):
                name = f"{ident(u.layer.name)}_{group.bits}"
                conns += [f".ld_valid_{group.bits}(ld_valid_{name})", f".ld_last_{group.bits}(ld_last_{name})"]
        params = " #(.WEIGHTS_DIR(WEIGHTS_DIR))" if isinstance(u, ComputeHw) and readmem_groups(u) else ""
        lines.append(f"    {unit_module(top, u.layer)}{params} u_{ident(u.layer.name)} ({', '.join(conns)});")
    t = f"t_{ident(hw.output)}"
    lines += ["    // the output adapter: whole pixels into beats of m_data",
              stream_out_instance(out_bits, hw.out_width, t, "m").rstrip("\n"), "endmodule", "`default_nettype wire", ""]
    return "\n".join(lines)


def readmem_groups_of(hw: AccelHw) -> list:
    """Every memory that reads its contents from WEIGHTS_DIR."""
    return [g for u in hw.units if isinstance(u, ComputeHw) for g in readmem_groups(u)]


def load_beats(hw: AccelHw) -> list[int]:
    """The weight-load stream, beat by beat (64-bit ints), in the order the top takes it."""
    beats = []
    for unit, group in hw.loads:
        m = group.memory
        for word in group.words:
            for b in range(m.load_beats):
                beats.append((int(word) >> (64 * b)) & ((1 << 64) - 1))
    return beats

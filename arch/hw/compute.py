"""A conv / fc unit: its plan, what each part costs, and its Verilog.

The unit reads windows of L = K*K*C_in activations in the line buffer's
order (row, column, channel). Each weight width g gets `units` dot-product
units of `simd` lanes; a window takes `steps` = L / simd cycles per output
channel slot and `fold` slots, unit u computing in slot f the output channel
channels[u, f] (-1: idle). One window's work is steps * fold cycles.

    window     line buffer (or the input stream itself); with more than one
               cycle of work, a copy of the window (`hold`) frees the line
               buffer to walk on while the engine works
    engine     step / slot / address counters; each cycle it issues one chunk
               of simd activations (a lutgen mux over the held window) and one
               weight address
    R stage    the chunk and the weight word are registered (the memories
               read with one cycle of latency)
    dot units  lutgen MACs: acc <= (clr ? 0 : acc) + sum, with K pipeline
               stages chosen to meet the clock
    requant    one lutgen requantizer per unit: clip((acc + bias + half) >> shift),
               its bias chosen by the slot; P stages if the clock needs them
    output     channels of the earlier slots wait in the pixel register; with
               the last slot, the whole pixel goes into the output FIFO
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import ceil

import numpy as np

from lutgen.cells import Netlist
from lutgen.dot import module_name as dot_module_name
from lutgen.dot import netlist_counts
from lutgen.mux import mux_counts, mux_levels
from lutgen.requant import RequantSpec, build_requant
from lutgen.spec import DotSpec, MulSpec
from lutgen.timing import DelayModel, chain_delay

from ..dataflow import Folding, cycles, uses_window, window_geometry
from ..golden import Format, LayerParams, channel_bits, dot_bound
from ..network import ArchError, Layer, Network, Shape, dot_length
from .memory import WeightMemory, choose_weight_memory, launch_time, read_path, with_contents
from .res import Res
from .stream import (clog2, fifo_instance, fifo_path, fifo_res, input_slack, line_buffer_instance,
                     line_buffer_path, line_buffer_res)
from .units import (Block, dot_path, dot_res, dot_stages, lane_stages, out_fifo_block, out_fifo_depth, staged,
                    token_res)


@dataclass(frozen=True)
class GroupHw:
    """The units of one weight width."""

    bits: int
    pe: DotSpec  # with the accumulator and the pipeline stages
    channels: np.ndarray  # [units, fold]: output channel, -1 where idle
    memory: WeightMemory
    words: list[int] | None  # the memory's words, packed (None: weights unknown)
    requants: tuple[RequantSpec, ...]  # one per unit
    rom: Netlist | None = None  # style "lut", with the words

    @property
    def units(self) -> int:
        return self.channels.shape[0]

    @property
    def word_bits(self) -> int:
        return self.units * self.pe.lanes * self.bits


@dataclass(frozen=True)
class ComputeHw:
    layer: Layer
    in_shape: Shape
    out_shape: Shape
    window: tuple[int, int, int] | None  # (kernel, stride, padding) of the line buffer
    a_format: Format
    out_format: Format
    simd: int
    fold: int
    steps: int
    acc_bits: int
    shift: int
    dot_stages: int
    requant_stages: int
    groups: tuple[GroupHw, ...]
    out_depth: int
    cycles: int
    blocks: tuple[Block, ...]

    @property
    def work(self) -> int:
        return self.steps * self.fold

    hold: bool = False  # a copy of the window frees the line buffer during the work (Folding.hold)

    @property
    def chunk_bits(self) -> int:
        return self.simd * self.a_format.bits

    @property
    def window_bits(self) -> int:
        return dot_length(self.layer, self.in_shape) * self.a_format.bits

    @property
    def read_stages(self) -> int:
        """Registers between the engine and the dot units: two where a memory's rows are muxed (its
        word registered after the mux), so the chunk, the tokens and the other memories' addresses wait too."""
        return 2 if any(g.memory.rows > 1 for g in self.groups) else 1

    @property
    def token_stages(self) -> int:
        """Registers from the R stage's tokens to the output FIFO's push."""
        return self.dot_stages + self.requant_stages + 1

    @property
    def latency(self) -> int:
        """Cycles from taking a window to pushing its pixel."""
        return self.work - (0 if self.hold else 1) + self.read_stages + self.token_stages


def signed_bits(bound: int) -> int:
    """Two's complement width holding every value in [-bound, bound]."""
    return max(1, bound.bit_length()) + 1


def window_order(net: Network, layer: Layer, weights: np.ndarray) -> np.ndarray:
    """[C_out, L] weights in the line buffer's (row, column, channel) order."""
    s = net.in_shape(layer)
    if layer.kind == "fc":
        weights = weights.reshape(layer.out_channels, s.c, s.h, s.w)
    return weights.transpose(0, 2, 3, 1).reshape(layer.out_channels, -1)


def group_channels(layer: Layer, fold: int) -> dict[int, np.ndarray]:
    """Weight width -> [units, fold] output channels (unit u: its group's channels u*fold ..)."""
    bits = channel_bits(layer)
    out = {}
    for g in sorted(set(bits.tolist())):
        members = np.flatnonzero(bits == g)
        units = ceil(len(members) / fold)
        channels = np.full(units * fold, -1, dtype=np.int64)
        channels[: len(members)] = members
        out[g] = channels.reshape(units, fold)
    return out


def pack_words(values: np.ndarray, bits: int) -> list[int]:
    """[depth, n] signed values -> one int per row, value k at bits [k*bits +: bits]."""
    depth, n = values.shape
    planes = ((values.astype(np.int64)[:, :, None] >> np.arange(bits)) & 1).astype(np.uint8).reshape(depth, n * bits)
    padded = np.pad(planes, ((0, 0), (0, (-n * bits) % 8)))
    packed = np.packbits(padded, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def layer_words(net: Network, layer: Layer, params: LayerParams, channels: np.ndarray, simd: int,
                bits: int) -> list[int]:
    """The group's memory words: word f*steps + j holds every unit's simd weights of slot f, step j."""
    ordered = window_order(net, layer, params.weights)
    units, fold = channels.shape
    steps = ordered.shape[1] // simd
    used = np.maximum(channels, 0)
    w = np.where((channels >= 0)[..., None], ordered[used], 0)  # [units, fold, L]
    words = w.reshape(units, fold, steps, simd).transpose(1, 2, 0, 3).reshape(fold * steps, units * simd)
    return pack_words(words, bits)


def check_bias(layer: Layer, params: LayerParams, bound: int) -> None:
    worst = int(np.abs(params.bias).max(initial=0))
    if worst > bound:
        raise ArchError(f"layer {layer.name!r}: a bias of magnitude {worst} is larger than any sum of products "
                        f"({bound}); the accumulator holds biases up to that bound")


@lru_cache(maxsize=None)
def generic_offsets(fold: int, acc_bits: int, seed: int) -> tuple[int, ...]:
    """Offsets standing in for unknown biases: spread over the accumulator's lower half."""
    rng = np.random.default_rng(seed)
    span = 1 << max(1, acc_bits - 3)
    return tuple(int(v) for v in rng.integers(-span, span, fold))


def generic_shift(acc_bits: int, out_bits: int) -> int:
    return max(0, acc_bits - out_bits - max(2, acc_bits // 4))


def plan_compute(net: Network, layer: Layer, folding: Folding, formats: dict[str, Format], device,
                 model: DelayModel, period_ns: float, params: LayerParams | None = None,
                 weight_memory: str = "auto") -> ComputeHw:
    in_shape, out_shape = net.in_shape(layer), net.out_shape(layer)
    a_format, out_format = formats[layer.inputs[0]], formats[layer.name]
    length = dot_length(layer, in_shape)
    simd, fold = folding.simd, folding.fold
    steps = length // simd
    bound = dot_bound(layer, length, a_format)
    if params is not None:
        check_bias(layer, params, bound)
    acc_bits = signed_bits(2 * bound)  # the sum and a bias of the same bound
    shift = params.shift if params is not None else generic_shift(acc_bits, out_format.bits)
    work = steps * fold
    window = window_geometry(net, layer) if uses_window(net, layer) else None
    launch = model.ff_clk_to_q
    memories = {}
    for g, channels in group_channels(layer, fold).items():
        memories[g] = choose_weight_memory(work, channels.shape[0] * simd * g, device, weight_memory)
    # one pipeline depth for every group, so one token pipeline serves them all
    stages = 0
    for g, memory in memories.items():
        mul = MulSpec(g, a_format.bits, True, a_format.signed, device.family)
        spec = DotSpec(mul, simd, acc_bits, search="greedy")
        k, _ = dot_stages(spec, model, period_ns, max(launch, launch_time(model, memory)))
        stages = max(stages, k)
    groups = []
    for g, channels in group_channels(layer, fold).items():
        mul = MulSpec(g, a_format.bits, True, a_format.signed, device.family)
        pe = DotSpec(mul, simd, acc_bits, pipeline=stages, search="greedy")
        memory = memories[g]
        words = layer_words(net, layer, params, channels, simd, g) if params is not None else None
        name = f"w{g}"
        memory, rom = with_contents(memory, words, name)
        if params is None:  # every unit alike
            requants = (_generic_requant(acc_bits, shift, out_format, fold, device.family),) * channels.shape[0]
        else:
            requants = tuple(RequantSpec(acc_bits, shift, out_format.bits, out_format.signed,
                                         _offsets(params, channels[u], shift), device.family)
                             for u in range(channels.shape[0]))
        groups.append(GroupHw(g, pe, channels, memory, words, requants, rom))
    capture = model.net + max(model.ff_setup, model.lutram_setup)
    generic = _generic_requant(acc_bits, shift, out_format, fold, device.family)
    p_stages, rq_path = _requant_stages(generic, model, period_ns, launch, capture)
    hw = ComputeHw(layer, in_shape, out_shape, window, a_format, out_format, simd, fold, steps, acc_bits, shift,
                   stages, p_stages, tuple(groups), 0, cycles(net, layer, folding), (), folding.hold and work > 1)
    depth = out_fifo_depth(hw.latency, work)
    hw = ComputeHw(**{**hw.__dict__, "out_depth": depth})
    return ComputeHw(**{**hw.__dict__, "blocks": _blocks(hw, model, rq_path)})


def _offsets(params: LayerParams, channels: np.ndarray, shift: int) -> tuple[int, ...]:
    """Per slot: the channel's bias plus the rounding half (0 in an idle slot)."""
    half = (1 << (shift - 1)) if shift else 0
    return tuple(int(params.bias[c]) + half if c >= 0 else 0 for c in channels.tolist())


@lru_cache(maxsize=None)
def _generic_requant(acc_bits: int, shift: int, out_format: Format, fold: int, family: str) -> RequantSpec:
    """Without weights: one requantizer stands for every unit's, its offsets spread as biases would be."""
    return RequantSpec(acc_bits, shift, out_format.bits, out_format.signed, generic_offsets(fold, acc_bits, 0), family)


@lru_cache(maxsize=None)
def requant_res(spec: RequantSpec, stages: int) -> Res:
    return Res.of_cells(netlist_counts(staged(build_requant(spec), stages)))


@lru_cache(maxsize=None)
def _requant_stages(spec: RequantSpec, model: DelayModel, period_ns: float, launch: float, capture: float):
    return lane_stages(build_requant(spec), model, period_ns, launch, capture)


def requant_netlist(hw: ComputeHw, group: GroupHw, unit: int, name: str) -> Netlist:
    return staged(build_requant(group.requants[unit]), hw.requant_stages, name)


def _blocks(hw: ComputeHw, model: DelayModel, rq_path: float) -> tuple[Block, ...]:
    blocks = []
    in_bits = hw.in_shape.c * hw.a_format.bits
    if hw.window is not None:
        k, stride, pad = hw.window
        s = hw.in_shape
        depth = input_slack(s.w, pad)
        blocks.append(Block("input FIFO", fifo_res(in_bits, depth), fifo_path(model, in_bits, depth),
                            f"{depth} x {in_bits} bits"))
        blocks.append(Block("line buffer", line_buffer_res(in_bits, s.w, s.h, k, stride, pad),
                            line_buffer_path(model, s.w, pad), f"{k}x{k} stride {stride} pad {pad}"))
    if hw.hold:
        blocks.append(Block("window hold", Res(ff=hw.window_bits), note=f"{hw.window_bits} bits"))
    if hw.steps > 1:
        blocks.append(Block("chunk mux", Res.of_cells(mux_counts(hw.steps, hw.chunk_bits)),
                            chain_delay(model, mux_levels(hw.steps), 0), f"{hw.steps} ways x {hw.chunk_bits} bits"))
    blocks.append(Block("activation register", Res(ff=hw.chunk_bits * hw.read_stages)))
    for group in hw.groups:
        m = group.memory
        blocks.append(Block(f"weights w{group.bits}", m.res, read_path(model, m),
                            f"{m.style}, {m.depth} x {m.width}" + (f", {m.rows} rows" if m.rows > 1 else "")))
        path = dot_path(group.pe, model, max(model.ff_clk_to_q, launch_time(model, m)))
        blocks.append(Block(f"dot units w{group.bits}", dot_res(group.pe).times(group.units), path,
                            f"{group.units} x {dot_module_name(group.pe)}"))
        rq = Res()
        for u in range(group.units):
            rq = rq + requant_res(group.requants[u], hw.requant_stages)
        blocks.append(Block(f"requantizers w{group.bits}", rq, rq_path, f"{group.units}, {hw.requant_stages} stage(s)"))
    held = sum(int((g.channels[:, : hw.fold - 1] >= 0).sum()) for g in hw.groups) * hw.out_format.bits
    blocks.append(Block("pixel register", Res(lut=hw.fold - 1 if hw.fold > 1 else 0, ff=held)))
    out_bits = hw.out_shape.c * hw.out_format.bits
    blocks.append(out_fifo_block(out_bits, hw.out_depth, model))
    blocks.append(Block("control", _control_res(hw), chain_delay(model, 3, clog2(hw.work))))
    return tuple(blocks)


def _control_res(hw: ComputeHw) -> Res:
    """Engine counters, the R stage's tokens and the tokens beside the dot units and requantizers."""
    fb = clog2(hw.fold) if hw.fold > 1 else 0
    res = token_res(3 + fb, hw.read_stages) + token_res(1 + fb, hw.token_stages)
    if hw.read_stages > 1:  # the word after a row mux is registered; the other memories read a cycle later
        res = res + Res(ff=sum(g.memory.width for g in hw.groups if g.memory.rows > 1))
        if any(g.memory.rows == 1 and g.memory.style != "const" for g in hw.groups):
            res = res + Res(ff=clog2(hw.work))
    if hw.work > 1:
        sb, ab = clog2(hw.steps), clog2(hw.work)
        counters = 1 + sb + fb + ab
        res = res + Res(lut=counters + 8, ff=counters, carry=ceil(ab / 4) + ceil(sb / 4) + ceil(max(fb, 1) / 4))
    else:
        res = res + Res(lut=4)
    return res


# -- Verilog ---------------------------------------------------------------------------------
def rom_name(mod: str, group: GroupHw) -> str:
    return f"{mod}_w{group.bits}_rom"


def requant_name(mod: str, group: GroupHw, unit: int) -> str:
    return f"{mod}_w{group.bits}_rq{unit}"


def mux_name(ways: int, width: int) -> str:
    return f"lutgen_mux_{ways}x{width}"


def row_name(mod: str, group: GroupHw, row: int) -> str:
    return f"{mod}_w{group.bits}_r{row}.hex"


def row_file(mod: str, group: GroupHw, row: int) -> str:
    """The row's $readmemh file in the emitted folder."""
    return f"weights/{row_name(mod, group, row)}"


def readmem_groups(hw: ComputeHw) -> list[GroupHw]:
    """The groups whose memories load their contents with $readmemh (block RAM), from WEIGHTS_DIR."""
    return [g for g in hw.groups if g.memory.style == "bram"]


def _v(bits: int, value: int) -> str:
    return f"{bits}'d{value}"


def _window_text(hw: ComputeHw) -> str:
    in_bits = hw.in_shape.c * hw.a_format.bits
    if hw.window is None:
        return (f"    wire w_valid, w_ready;\n    wire [{in_bits - 1}:0] w_data;\n    assign w_valid = s_valid;\n"
                f"    assign s_ready = w_ready;\n    assign w_data = s_data;\n")
    k, stride, pad = hw.window
    s = hw.in_shape
    return (fifo_instance("u_in", in_bits, input_slack(s.w, pad), "s", "x")
            + line_buffer_instance("u_window", in_bits, s.w, s.h, k, stride, pad, "x", "w"))


def _engine_text(hw: ComputeHw) -> str:
    """Issue one chunk a cycle: steps x slots per window. With `hold` the window is copied when taken and
    the line buffer walks on; without, the engine reads the buffer's window and releases it on its last cycle."""
    ub = clog2(hw.out_depth + 1)
    text = (f"    // credits: windows taken whose pixel has not left the output FIFO\n"
            f"    reg [{ub - 1}:0] used;\n    wire room = used != {_v(ub, hw.out_depth)};\n")
    if hw.work == 1:
        return text + (f"    assign w_ready = room;\n    wire take = w_valid && w_ready;\n    wire issue = take;\n"
                       f"    wire first_step = 1'b1;\n    wire last_step = 1'b1;\n"
                       f"    wire [{hw.chunk_bits - 1}:0] a_chunk = w_data;\n")
    sb, fb, ab = clog2(hw.steps), clog2(hw.fold), clog2(hw.work)
    text += f"""    reg busy;
    reg [{sb - 1}:0] step;
    reg [{fb - 1}:0] slot;
    reg [{ab - 1}:0] addr;
    wire first_step = step == {_v(sb, 0)};
    wire last_step = step == {_v(sb, hw.steps - 1)};
    wire last = last_step && slot == {_v(fb, hw.fold - 1)};
"""
    if hw.hold:
        text += f"""    // the window is copied into `win` when taken; the next one is taken on the last cycle
    reg [{hw.window_bits - 1}:0] win;
    wire issue = busy;
    assign w_ready = room && (!busy || last);
    wire take = w_valid && w_ready;
    always @(posedge clk) if (take) win <= w_data;
    wire done = last;
"""
        window = "win"
    else:
        text += """    // the engine works on the line buffer's window and releases it on the last cycle
    wire take = w_valid && !busy && room;
    wire issue = take || busy;
    assign w_ready = issue && last;
    wire done = issue && last;
"""
        window = "w_data"
    text += f"""    always @(posedge clk) begin
        if (rst) busy <= 1'b0;
        else if (take && !(issue && last)) busy <= 1'b1;
        else if (done) busy <= {'take' if hw.hold else "1'b0"};
        if (rst || done || (take && !issue)) begin
            step <= {_v(sb, 0)};
            slot <= {_v(fb, 0)};
            addr <= {_v(ab, 0)};
        end else if (issue) begin
            step <= last_step ? {_v(sb, 0)} : step + {_v(sb, 1)};
            slot <= last_step ? slot + {_v(fb, 1)} : slot;
            addr <= addr + {_v(ab, 1)};
        end
    end
    wire [{hw.chunk_bits - 1}:0] a_chunk;
"""
    if hw.steps > 1:
        text += f"    {mux_name(hw.steps, hw.chunk_bits)} u_chunk (.d({window}), .sel(step), .q(a_chunk));\n"
    else:
        text += f"    assign a_chunk = {window};\n"
    return text


def _r_stage_text(hw: ComputeHw) -> str:
    """The chunk and the tokens wait as long as the weight words take: read_stages registers."""
    fb = clog2(hw.fold) if hw.fold > 1 else 0
    slot = "slot" if hw.fold > 1 else None
    sources = {"a": "a_chunk", "valid": "!rst && issue", "clr": "first_step", "fin": "last_step", "slot": slot}
    widths = {"a": hw.chunk_bits, "valid": 1, "clr": 1, "fin": 1, "slot": fb}
    names = {"a": "a_q", "valid": "r_valid", "clr": "r_clr", "fin": "r_fin", "slot": "r_slot"}
    text = ["    // read stage(s): the chunk and the tokens wait for the weight words\n"]
    for key, source in sources.items():
        if not widths[key]:
            continue
        rng = f"[{widths[key] - 1}:0] " if widths[key] > 1 else ""
        previous = source
        for stage in range(hw.read_stages):
            name = names[key] if stage == hw.read_stages - 1 else f"{names[key]}_{stage}"
            gate = "!rst && " if key == "valid" and stage else ""
            text.append(f"    reg {rng}{name};\n    always @(posedge clk) {name} <= {gate}{previous};\n")
            previous = name
    if hw.read_stages > 1 and any(g.memory.rows == 1 and g.memory.style != "const" for g in hw.groups):
        ab = clog2(hw.work)
        text.append(f"    reg [{ab - 1}:0] addr_d;\n    always @(posedge clk) addr_d <= addr;\n")
    return "".join(text)


def _memory_text(mod: str, hw: ComputeHw, group: GroupHw) -> str:
    m, g = group.memory, group.bits
    w = m.width
    if m.style == "const":
        word = group.words[0] if group.words is not None else 0
        return f"    wire [{w - 1}:0] w_q_{g} = {w}'h{word:x};\n"
    ab = clog2(m.depth)
    address = "addr_d" if hw.read_stages > 1 and m.rows == 1 else "addr"
    if m.style == "lut":
        return (f"    wire [{w - 1}:0] w_q_{g};\n"
                f"    {rom_name(mod, group)} u_rom_{g} (.clk(clk), .en(1'b1), .addr({address}), .q(w_q_{g}));\n")
    lb = clog2(m.row_depth) if m.rows > 1 else ab
    lines = [f"    wire [{w - 1}:0] w_q_{g};\n"]
    for r in range(m.rows):
        mem = f"mem_{g}_r{r}"
        if m.style == "bram":
            lines.append(f"    (* rom_style = \"block\" *) reg [{w - 1}:0] {mem} [0:{m.row_depth - 1}];\n"
                         f"    initial $readmemh({{WEIGHTS_DIR, \"/{row_name(mod, group, r)}\"}}, {mem});\n")
        else:
            hit = f" && ld_addr_{g}[{ab - 1}:{lb}] == {_v(ab - lb, r)}" if m.rows > 1 else ""
            lines.append(f"    (* ram_style = \"ultra\" *) reg [{w - 1}:0] {mem} [0:{m.row_depth - 1}];\n"
                         f"    always @(posedge clk) if (ld_write_{g}{hit}) {mem}[ld_addr_{g}[{lb - 1}:0]] <= ld_word_{g};\n")
        lines.append(f"    reg [{w - 1}:0] q_{g}_r{r};\n"
                     f"    always @(posedge clk) q_{g}_r{r} <= {mem}[{address}[{lb - 1}:0]];\n")
    if m.rows == 1:
        lines.append(f"    assign w_q_{g} = q_{g}_r0;\n")
    else:
        rb = clog2(m.rows)
        rows = ", ".join(f"q_{g}_r{r}" for r in reversed(range(m.rows)))
        lines.append(f"    reg [{rb - 1}:0] row_{g};\n    always @(posedge clk) row_{g} <= addr[{ab - 1}:{lb}];\n"
                     f"    wire [{w - 1}:0] w_row_{g};\n"
                     f"    {mux_name(m.rows, w)} u_rows_{g} (.d({{{rows}}}), .sel(row_{g}), .q(w_row_{g}));\n"
                     f"    reg [{w - 1}:0] w_reg_{g};\n    always @(posedge clk) w_reg_{g} <= w_row_{g};\n"
                     f"    assign w_q_{g} = w_reg_{g};\n")
    if m.style == "uram":
        lines.append(_load_port_text(group))
    return "".join(lines)


def _load_port_text(group: GroupHw) -> str:
    """The weight-load port of one UltraRAM memory: beats of 64 bits, low bits first, words in address order."""
    from .memory import LOAD_BEAT
    m, g = group.memory, group.bits
    beats, ab = m.load_beats, clog2(m.depth)
    bb = clog2(beats)
    text = [f"    // weight load: {beats} beat(s) of {LOAD_BEAT} bits per word, {m.depth} words, low bits first;\n"
            f"    // power-up values, no reset: a reset keeps the weights\n",
            f"    reg [{bb - 1}:0] ld_beat_{g};\n    reg [{ab - 1}:0] ld_addr_{g};\n",
            f"    initial begin\n        ld_beat_{g} = {_v(bb, 0)};\n        ld_addr_{g} = {_v(ab, 0)};\n    end\n",
            f"    wire ld_word_end_{g} = ld_beat_{g} == {_v(bb, beats - 1)};\n",
            f"    wire ld_write_{g} = ld_valid_{g} && ld_word_end_{g};\n",
            f"    assign ld_last_{g} = ld_write_{g} && ld_addr_{g} == {_v(ab, m.depth - 1)};\n"]
    if beats > 1:
        held = (beats - 1) * LOAD_BEAT
        text.append(f"    reg [{held - 1}:0] ld_held_{g};\n"
                    f"    always @(posedge clk) if (ld_valid_{g} && !ld_word_end_{g}) "
                    + (f"ld_held_{g} <= {{ld_data, ld_held_{g}[{held - 1}:{LOAD_BEAT}]}};\n" if beats > 2
                       else f"ld_held_{g} <= ld_data;\n"))
    last = m.width - (beats - 1) * LOAD_BEAT  # bits of the last beat that the word takes
    tail = f"ld_data[{last - 1}:0]"
    word = f"{{{tail}, ld_held_{g}}}" if beats > 1 else tail
    text.append(f"    wire [{m.width - 1}:0] ld_word_{g} = {word};\n")
    text.append(f"    always @(posedge clk) if (ld_valid_{g}) begin\n"
                f"        ld_beat_{g} <= ld_word_end_{g} ? {_v(bb, 0)} : ld_beat_{g} + {_v(bb, 1)};\n"
                f"        if (ld_word_end_{g}) ld_addr_{g} <= ld_addr_{g} + {_v(ab, 1)};\n    end\n")
    return "".join(text)


def _tokens_text(hw: ComputeHw) -> str:
    """fv[i] / fs[i]: a slot's last step, i + 1 cycles after the R stage (its sum is in acc at i = K)."""
    n = hw.token_stages
    fb = clog2(hw.fold) if hw.fold > 1 else 0
    text = f"    reg [{n - 1}:0] fv;\n"
    shift_v = "{fv[" + str(n - 2) + ":0], r_valid && r_fin}" if n > 1 else "r_valid && r_fin"
    text += f"    always @(posedge clk) fv <= rst ? {_v(n, 0)} : {shift_v};\n"
    if fb:
        text += f"    reg [{n * fb - 1}:0] fs;\n"
        shift_s = "{fs[" + str((n - 1) * fb - 1) + ":0], r_slot}" if n > 1 else "r_slot"
        text += f"    always @(posedge clk) fs <= {shift_s};\n"
    return text


def _units_text(mod: str, hw: ComputeHw) -> str:
    k = hw.dot_stages
    fb = clog2(hw.fold) if hw.fold > 1 else 0
    lines = []
    for group in hw.groups:
        g = group.bits
        lane_bits = hw.simd * g
        pe = dot_module_name(group.pe)
        for u in range(group.units):
            n = f"{g}_{u}"
            lines.append(f"    wire [{hw.acc_bits - 1}:0] acc_{n};\n"
                         f"    {pe} u_dot_{n} (.clk(clk), .rst(rst), .en(r_valid), .clr(r_clr), "
                         f".w(w_q_{g}[{u * lane_bits} +: {lane_bits}]), .a(a_q), .acc(acc_{n}));\n")
            spec = group.requants[u]
            conns = [f".v(acc_{n})"]
            if hw.requant_stages:
                conns.insert(0, ".clk(clk)")
            if spec.slots > 1:
                conns.append(f".slot(fs[{k * fb} +: {fb}])")
            lines.append(f"    wire [{hw.out_format.bits - 1}:0] q_{n};\n"
                         f"    {requant_name(mod, group, u)} u_rq_{n} ({', '.join(conns)}, .q(q_{n}));\n")
    return "".join(lines)


def _output_text(hw: ComputeHw) -> str:
    """Earlier slots' channels into the pixel register; with the last slot, the whole pixel into the FIFO."""
    ob = hw.out_format.bits
    fb = clog2(hw.fold) if hw.fold > 1 else 0
    t = hw.token_stages - 1
    source = {}
    for group in hw.groups:
        for u in range(group.units):
            for f, c in enumerate(group.channels[u].tolist()):
                if c >= 0:
                    source[c] = (f, f"q_{group.bits}_{u}")
    at_push = f"fs[{t * fb} +: {fb}]" if fb else None
    lines = [f"    wire push = fv[{t}]" + (f" && {at_push} == {_v(fb, hw.fold - 1)}" if fb else "") + ";\n"]
    pixel = []
    for c in range(hw.out_shape.c):
        f, q = source[c]
        if f == hw.fold - 1:
            pixel.append(q)
            continue
        lines.append(f"    reg [{ob - 1}:0] pix_{c};\n"
                     f"    always @(posedge clk) if (fv[{t}] && {at_push} == {_v(fb, f)}) pix_{c} <= {q};\n")
        pixel.append(f"pix_{c}")
    out_bits = hw.out_shape.c * ob
    lines.append(f"    wire [{out_bits - 1}:0] pixel = {{{', '.join(reversed(pixel))}}};\n")
    ub = clog2(hw.out_depth + 1)
    lines.append(f"    wire p_valid, p_ready;\n    wire [{out_bits - 1}:0] p_data;\n    assign p_valid = push;\n"
                 f"    assign p_data = pixel;\n    wire unused_p_ready = p_ready;  // the credits keep room\n")
    lines.append(fifo_instance("u_out", out_bits, hw.out_depth, "p", "o"))
    lines.append(f"    assign m_valid = o_valid;\n    assign o_ready = m_ready;\n    assign m_data = o_data;\n"
                 f"    always @(posedge clk)\n        if (rst) used <= {_v(ub, 0)};\n"
                 f"        else if (take && !(o_valid && o_ready)) used <= used + {_v(ub, 1)};\n"
                 f"        else if (!take && o_valid && o_ready) used <= used - {_v(ub, 1)};\n")
    return "".join(lines)


def uram_groups(hw: ComputeHw) -> list[GroupHw]:
    return [g for g in hw.groups if g.memory.style == "uram"]


def compute_module(mod: str, hw: ComputeHw, header: str) -> str:
    in_bits = hw.in_shape.c * hw.a_format.bits
    out_bits = hw.out_shape.c * hw.out_format.bits
    ports = ["    input  wire clk", "    input  wire rst", "    input  wire s_valid", "    output wire s_ready",
             f"    input  wire [{in_bits - 1}:0] s_data", "    output wire m_valid", "    input  wire m_ready",
             f"    output wire [{out_bits - 1}:0] m_data"]
    loads = uram_groups(hw)
    unused_load = ""
    if loads:
        ports.append("    input  wire [63:0] ld_data")
        for group in loads:
            ports += [f"    input  wire ld_valid_{group.bits}", f"    output wire ld_last_{group.bits}"]
        widest = max(min(g.memory.width, 64) if g.memory.load_beats == 1 else 64 for g in loads)
        if widest < 64:  # a word narrower than a beat leaves its high bits unread
            unused_load = f"    wire unused_ld_data = &{{1'b0, ld_data[63:{widest}]}};\n"
    params = ("#(\n    parameter WEIGHTS_DIR = \"weights\"  // where the $readmemh files are (the top passes its own)\n) "
              if readmem_groups(hw) else "")
    body = [header, f"module {mod} {params}(\n" + ",\n".join(ports) + "\n);\n", unused_load, _window_text(hw),
            _engine_text(hw), _r_stage_text(hw)]
    body += [_memory_text(mod, hw, group) for group in hw.groups]
    body += [_tokens_text(hw), _units_text(mod, hw), _output_text(hw), "endmodule\n"]
    return "`default_nettype none\n" + "".join(body) + "`default_nettype wire\n"

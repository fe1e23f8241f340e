"""Weight memories: where one weight group's words live, what that costs, and the Verilog that reads them.

A group's memory holds `depth` words of `width` bits (one word per engine
cycle: every unit's `simd` weights). It is read with one cycle of latency in
every style, so the activations beside it take one register stage too:

    const  depth 1: the word is a constant, no memory at all
    lut    up to 256 words: a lutgen ROM netlist (LUT6 / LUT6_2 per column,
           an FDRE per distinct column), counted from its cells; without the
           weights, the worst case (every column distinct)
    bram   block RAM rows of one aspect ratio each (Verilog rom_style "block",
           one $readmemh file per row), a lutgen mux netlist picks the row
    uram   UltraRAM rows (ram_style "ultra"): no initial contents on the
           device, so the weights arrive through the weight-load port
           (arch.hw.top) before the first frame

The style is the one that takes the smallest share of the device's own
supply, as for every memory the plan places.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import numpy as np

from lutgen.mux import build_mux, mux_counts, mux_levels
from lutgen.rom import build_rom, rom_counts
from lutgen.timing import DelayModel, chain_delay

from ..network import ArchError
from .res import Res
from .stream import BRAM36_SHAPES, bram_halves, clog2

LUT_ROM_MAX_DEPTH = 256
URAM_DEPTH, URAM_WIDTH = 4096, 72
LOAD_BEAT = 64  # bits of one weight-load beat


@dataclass(frozen=True)
class WeightMemory:
    style: str  # "const", "lut", "bram", "uram"
    depth: int
    width: int
    row_depth: int = 0  # bram / uram: words per row (rows = ceil(depth / row_depth))
    res: Res = Res()

    @property
    def rows(self) -> int:
        return ceil(self.depth / self.row_depth) if self.row_depth else 1

    @property
    def load_beats(self) -> int:
        """uram: beats of the weight-load stream per word."""
        return ceil(self.width / LOAD_BEAT)


def _row_select(rows: int, width: int) -> Res:
    """More than one row: the row number registered beside the read, and a lutgen mux."""
    if rows == 1:
        return Res()
    return Res.of_cells(mux_counts(rows, width)) + Res(ff=clog2(rows))


def bram_option(depth: int, width: int) -> WeightMemory:
    """Rows of block RAM, each as deep as one aspect ratio: the fewest halves (then the fewest rows)."""
    best = None
    for row_depth, _ in BRAM36_SHAPES:
        rows = ceil(depth / row_depth)
        res = Res(bram18=rows * bram_halves(width, min(depth, row_depth))) + _row_select(rows, width)
        if best is None or (res.bram18, rows) < (best.res.bram18, best.rows):
            best = WeightMemory("bram", depth, width, min(depth, row_depth), res)
        if row_depth >= depth:
            break
    return best


def load_port_res(width: int, depth: int) -> Res:
    """lutgen_load_port: assembles load beats into a word (all but the last beat held) and counts the address."""
    beats = ceil(width / LOAD_BEAT)
    counters = clog2(beats) + clog2(depth)
    return Res(lut=2 * counters + 6, ff=(beats - 1) * LOAD_BEAT + counters + 1, carry=ceil(counters / 4))


def uram_option(depth: int, width: int) -> WeightMemory:
    rows = ceil(depth / URAM_DEPTH)
    res = (Res(uram=rows * ceil(width / URAM_WIDTH)) + _row_select(rows, width) + load_port_res(width, depth))
    return WeightMemory("uram", depth, width, min(depth, URAM_DEPTH), res)


def lut_option(depth: int, width: int) -> WeightMemory:
    return WeightMemory("lut", depth, width, 0, Res.of_cells(rom_counts(depth, width)))


STYLES = ("auto", "lut", "bram", "uram")


def choose_weight_memory(depth: int, width: int, device, style: str = "auto") -> WeightMemory:
    """The style asked for, or ("auto") the one with the smallest share of the device's supply (LUTs,
    BRAM36, URAM), LUTs first on a tie. A one-word memory is always a constant."""
    if depth == 1:
        return WeightMemory("const", 1, width)
    if style == "lut" and depth <= LUT_ROM_MAX_DEPTH:
        return lut_option(depth, width)
    if style == "bram" and device.bram36:
        return bram_option(depth, width)
    if style == "uram" and device.uram:
        return uram_option(depth, width)
    if style != "auto":
        why = (f"{device.name} has no UltraRAM" if style == "uram" else f"{device.name} has no block RAM"
               if style == "bram" else f"a LUT ROM holds at most {LUT_ROM_MAX_DEPTH} words, this one {depth}")
        raise ArchError(f"weights in {style}: {why}")
    options = []
    if depth <= LUT_ROM_MAX_DEPTH:
        m = lut_option(depth, width)
        options.append(((m.res.lut + 0.0) / device.luts, 0, m))
    if device.bram36:
        m = bram_option(depth, width)
        options.append((m.res.bram36 / device.bram36 + m.res.lut / device.luts, 1, m))
    if device.uram:
        m = uram_option(depth, width)
        options.append((m.res.uram / device.uram + m.res.ff / device.ffs, 2, m))
    if not options:
        raise ValueError(f"no memory style holds {depth} words of {width} bits on {device.name}")
    return min(options, key=lambda o: (o[0], o[1]))[2]


def with_contents(memory: WeightMemory, words: np.ndarray | None, name: str):
    """The memory's lutgen ROM netlist (style lut) from the words, and its exact count; other styles as planned."""
    if memory.style != "lut" or words is None:
        return memory, None
    netlist = build_rom([int(w) for w in words], memory.width, name)
    from lutgen.dot import netlist_counts
    return WeightMemory("lut", memory.depth, memory.width, 0, Res.of_cells(netlist_counts(netlist))), netlist


def read_path(model: DelayModel, memory: WeightMemory) -> float:
    """Address register to the word register: the ROM's LUT levels, or a block read and the row mux."""
    if memory.style == "lut":
        return chain_delay(model, 1 if memory.depth <= 64 else 2, 0)
    if memory.style in ("bram", "uram") and memory.rows > 1:
        clk_to_q = model.bram_clk_to_q if memory.style == "bram" else model.uram_clk_to_q
        return clk_to_q + mux_levels(memory.rows) * (model.net + model.lut) + model.net + model.ff_setup
    return 0.0


def launch_time(model: DelayModel, memory: WeightMemory) -> float:
    """When the word leaves its register: a single block or UltraRAM row is read straight out, and slowly."""
    if memory.style == "bram" and memory.rows == 1:
        return model.bram_clk_to_q
    if memory.style == "uram" and memory.rows == 1:
        return model.uram_clk_to_q
    return model.ff_clk_to_q


def hex_rows(memory: WeightMemory, words: np.ndarray) -> list[str]:
    """$readmemh text of each row: one word per line, most significant digit first."""
    digits = (memory.width + 3) // 4
    texts = []
    for r in range(memory.rows):
        part = words[r * memory.row_depth:(r + 1) * memory.row_depth]
        texts.append("".join(f"{int(w):0{digits}x}\n" for w in part))
    return texts


def mux_netlist(memory: WeightMemory, name: str):
    return build_mux(memory.rows, memory.width, name) if memory.rows > 1 else None

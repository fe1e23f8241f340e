"""FIFOs, forks and line buffers (the rtl_lib stream blocks): their counts, their slowest paths, their instances.

The counts are what `synth_xilinx` makes of each block (checked against Yosys,
block by block, in tests/test_hw_blocks.py). Where a memory's style decides
the mapping, the Verilog carries the style, so the synthesizer is told what
the count assumes: distributed RAM up to 64 words, block RAM above.
"""

from __future__ import annotations

from math import ceil

from lutgen.timing import DelayModel, chain_delay

from ..network import ArchError
from .res import Res

LUTRAM_MAX_DEPTH = 64  # deeper memories go to block RAM: deep LUT RAM needs read multiplexers


def clog2(n: int) -> int:
    """Bits of a counter that holds 0 .. n-1 (at least 1), as Verilog's $clog2 with a floor of 1."""
    return max(1, (n - 1).bit_length())


# -- memory primitives ---------------------------------------------------------------
def lutram_luts(width: int, depth: int, single_port: bool = False) -> int:
    """Distributed RAM in RAM32M16 (32 words) or RAM64M8 (64 words) cells of 8 LUTs: a simple dual-port one
    keeps a LUT for the write address (14 or 7 bits a cell), a single-port one uses all 8 (16 or 8 bits)."""
    if depth > LUTRAM_MAX_DEPTH:
        raise ValueError(f"distributed RAM of {depth} words: at most {LUTRAM_MAX_DEPTH}")
    bits_per_cell = (16 if depth <= 32 else 8) if single_port else (14 if depth <= 32 else 7)
    return 8 * ceil(width / bits_per_cell)


BRAM18_SHAPES = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))
BRAM36_SHAPES = ((512, 72), (1024, 36), (2048, 18), (4096, 9), (8192, 4), (16384, 2), (32768, 1))
BRAM_MAX_DEPTH = 32768


def bram_halves(width: int, depth: int) -> int:
    """RAMB18 halves of one block-RAM memory: the shallowest aspect ratio that holds `depth` words, side by side.

    A RAMB18 costs one half, a RAMB36 two; on a tie the synthesizer takes RAMB36.
    """
    if depth > BRAM_MAX_DEPTH:
        raise ValueError(f"block RAM of {depth} words: at most {BRAM_MAX_DEPTH} in one row")

    def side_by_side(shapes):
        fitting = [w for d, w in shapes if d >= depth]
        return ceil(width / fitting[0]) if fitting else None

    h18, h36 = side_by_side(BRAM18_SHAPES), side_by_side(BRAM36_SHAPES)
    return min(([h18] if h18 is not None else []) + [2 * h36])


# -- FIFO ------------------------------------------------------------------------------
def fifo_is_block(depth: int) -> bool:
    return depth > LUTRAM_MAX_DEPTH


def fifo_res(width: int, depth: int) -> Res:
    """lutgen_fifo: storage plus pointers and a count.

    Distributed: Yosys keeps a second copy of the read pointer as the RAM's
    read address, so 3 pointer-widths of FFs; block RAM: the head register
    sits inside the RAM, one FF says it is valid.
    """
    aw, cw = clog2(depth), clog2(depth + 1)
    control_luts = {1: 8, 2: 11}.get(aw, 4 * aw + 10)
    carry = 0 if aw <= 2 else 3 * ceil(aw / 4)
    if fifo_is_block(depth):
        return Res(lut=control_luts, ff=2 * aw + cw + 1, carry=carry, bram18=bram_halves(width, depth))
    storage = lutram_luts(width, depth)
    return Res(lut=control_luts + storage, ff=3 * aw + cw, carry=carry, lutram=storage)


def fifo_path(model: DelayModel, width: int, depth: int) -> float:
    """Count to pointers and s_ready: a compare, then the pointer and count adders."""
    return chain_delay(model, 3, clog2(depth + 1))


def fifo_instance(name: str, width: int, depth: int, src: str, dst: str) -> str:
    """A lutgen_fifo from stream `src` to stream `dst` (dst's wires declared here)."""
    block = int(fifo_is_block(depth))
    return (f"    wire {dst}_valid, {dst}_ready;\n    wire [{width - 1}:0] {dst}_data;\n"
            f"    wire [{clog2(depth + 1) - 1}:0] unused_{name}_count;\n"
            f"    lutgen_fifo #(.WIDTH({width}), .DEPTH({depth}), .BLOCK({block})) {name} (.clk(clk), .rst(rst),\n"
            f"        .s_valid({src}_valid), .s_ready({src}_ready), .s_data({src}_data),\n"
            f"        .m_valid({dst}_valid), .m_ready({dst}_ready), .m_data({dst}_data), .count(unused_{name}_count));\n")


# -- fork -----------------------------------------------------------------------------
def fork_res(outputs: int) -> Res:
    """lutgen_fork: one `done` FF per output and the valid / ready gates."""
    return Res(lut=2 * outputs, ff=outputs)


# -- line buffer -------------------------------------------------------------------------
def line_buffer_is_block(img_w: int, pad: int) -> bool:
    return img_w + 2 * pad > LUTRAM_MAX_DEPTH


def line_buffer_res(data_w: int, img_w: int, img_h: int, k: int, stride: int, pad: int) -> Res:
    """lutgen_line_buffer: the K*K window register, K-1 rows of the padded width, the walk's counters.

    About 16 LUTs of control, 36 with padding and then one LUT per input bit to zero it.
    Distributed rows: with K = 2 the row store is written without reading
    it, so Yosys makes it single-port; from K = 3 the new word depends on
    the old, and it keeps a second copy of the column counter as a separate
    write address (simple dual-port).
    """
    wp, hp = img_w + 2 * pad, img_h + 2 * pad
    cw, rw, pw = clog2(wp), clog2(hp), clog2(max(k, stride))
    block = line_buffer_is_block(img_w, pad)
    ff = k * k * data_w + cw + rw + 2 * pw + 1
    lut = (36 + data_w) if pad else 16  # padding: the column / row range tests, and a LUT per bit to zero it
    res = Res(lut=lut, ff=ff, carry=ceil(cw / 4) + ceil(rw / 4))
    if k == 1:
        return res
    rows = (k - 1) * data_w
    if block:
        return res + Res(bram18=bram_halves(rows, wp))
    single_port = k == 2
    storage = lutram_luts(rows, wp, single_port)
    return res + Res(lut=storage, ff=0 if single_port else cw, lutram=storage)


def input_slack(img_w: int, pad: int) -> int:
    """Beats a line buffer's input FIFO holds so that its producer never waits on the walk's pattern:
    at a frame's end and the next one's start the walk crosses 2 * pad rows and columns of padding
    without taking a pixel, and a strided unit takes its rows unevenly (two rows of slack)."""
    return 2 * pad * (img_w + 2 * pad + 1) + 2 * img_w + 2


def line_buffer_path(model: DelayModel, img_w: int, pad: int) -> float:
    """The walk: column and row compares, the step, then the counters' adders."""
    return chain_delay(model, 4, clog2(img_w + 2 * pad))


def line_buffer_instance(name: str, data_w: int, img_w: int, img_h: int, k: int, stride: int, pad: int,
                         src: str, dst: str) -> str:
    block = int(line_buffer_is_block(img_w, pad))
    return (f"    wire {dst}_valid, {dst}_ready;\n    wire [{k * k * data_w - 1}:0] {dst}_data;\n"
            f"    lutgen_line_buffer #(.DATA_W({data_w}), .IMG_W({img_w}), .IMG_H({img_h}), .K({k}), "
            f".STRIDE({stride}), .PAD({pad}), .BLOCK({block})) {name} (\n"
            f"        .clk(clk), .rst(rst), .s_valid({src}_valid), .s_ready({src}_ready), .s_data({src}_data),\n"
            f"        .m_valid({dst}_valid), .m_ready({dst}_ready), .m_data({dst}_data));\n")


# -- the top's stream ports: pixels to and from the beats a system bus carries ------------------------
STREAM_WIDTH = 64  # default bits of an s_data / m_data beat
STREAM_WIDTH_RANGE = (8, 4096)


def check_stream_width(name: str, value) -> int:
    """--in-width / --out-width: a whole number of bits from 8 to 4096."""
    low, high = STREAM_WIDTH_RANGE
    try:
        bits = int(str(value), 10)
    except ValueError:
        bits = None
    if bits is None or not low <= bits <= high:
        raise ArchError(f"{name} must be an integer from {low} to {high}, got {str(value)!r}")
    return bits



def beats_per_pixel(pixel_bits: int, beat_bits: int) -> int:
    """Beats of one pixel: its bits low first, each pixel starting a new beat, the last beat zero-padded."""
    return ceil(pixel_bits / beat_bits)


def stream_in_res(pixel_bits: int, beat_bits: int) -> Res:
    """The input adapter (lutgen_stream_pack widening N = beats_per_pixel beats into one): N beats of
    registers, the last beat's padding bits too (they shift down through the others, so they are
    kept), a beat counter and m_valid; a few LUTs of control. One beat a pixel: no adapter, the
    pixel is s_data's low bits."""
    n = beats_per_pixel(pixel_bits, beat_bits)
    if n == 1:
        return Res()
    nw = clog2(n)
    return Res(lut=nw + 4, ff=n * beat_bits + nw + 1)


def stream_out_res(pixel_bits: int, beat_bits: int) -> Res:
    """The output adapter (lutgen_stream_pack narrowing one zero-padded pixel into M beats): the held
    M beats (the padding's constant zeros stay registers: the module is synthesized on its own, not
    flattened), one LUT a held bit to load or shift, a beat counter, its `last` flag and m_valid."""
    m = beats_per_pixel(pixel_bits, beat_bits)
    if m == 1:
        return Res()
    mw = clog2(m)
    return Res(lut=m * beat_bits + mw + 4, ff=m * beat_bits + mw + 2)


def stream_in_instance(pixel_bits: int, beat_bits: int, src: str, dst: str) -> str:
    """Beats of stream `src` (beat_bits wide) into pixels on stream `dst` (its wires declared here)."""
    n = beats_per_pixel(pixel_bits, beat_bits)
    text = f"    wire {dst}_valid, {dst}_ready;\n    wire [{pixel_bits - 1}:0] {dst}_data;\n"
    if n == 1:
        text += (f"    assign {dst}_valid = {src}_valid;\n    assign {src}_ready = {dst}_ready;\n"
                 f"    assign {dst}_data = {src}_data[{pixel_bits - 1}:0];\n")
        if beat_bits > pixel_bits:
            text += f"    wire unused_{src}_pad = &{{1'b0, {src}_data[{beat_bits - 1}:{pixel_bits}]}};\n"
        return text
    wide = n * beat_bits
    text += (f"    wire [{wide - 1}:0] {dst}_beats;\n"
             f"    lutgen_stream_pack #(.ITEM_W({beat_bits}), .IN_LANES(1), .OUT_LANES({n})) u_{dst}_pack (\n"
             f"        .clk(clk), .rst(rst), .s_valid({src}_valid), .s_ready({src}_ready), .s_data({src}_data),\n"
             f"        .m_valid({dst}_valid), .m_ready({dst}_ready), .m_data({dst}_beats));\n"
             f"    assign {dst}_data = {dst}_beats[{pixel_bits - 1}:0];\n")
    if wide > pixel_bits:
        text += f"    wire unused_{dst}_pad = &{{1'b0, {dst}_beats[{wide - 1}:{pixel_bits}]}};\n"
    return text


def stream_out_instance(pixel_bits: int, beat_bits: int, src: str, dst: str) -> str:
    """Pixels of stream `src` into beats on stream `dst` (beat_bits wide; its wires declared by the caller)."""
    m = beats_per_pixel(pixel_bits, beat_bits)
    pad = m * beat_bits - pixel_bits
    padded = f"{{{pad}'d0, {src}_data}}" if pad else f"{src}_data"
    if m == 1:
        return (f"    assign {dst}_valid = {src}_valid;\n    assign {src}_ready = {dst}_ready;\n"
                f"    assign {dst}_data = {padded};\n")
    return (f"    lutgen_stream_pack #(.ITEM_W({beat_bits}), .IN_LANES({m}), .OUT_LANES(1)) u_{dst}_pack (\n"
            f"        .clk(clk), .rst(rst), .s_valid({src}_valid), .s_ready({src}_ready), .s_data({padded}),\n"
            f"        .m_valid({dst}_valid), .m_ready({dst}_ready), .m_data({dst}_data));\n")

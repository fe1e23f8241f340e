"""Small-table tiles combined with carry-chain rows.

The operands are cut into slices, and the product into the tiles
W_s x A_t << (shift of both slices). The first tile is a table: each of its
bits one LUT over at most 6 inputs (two bits per LUT6_2 when they share at
most 5). Every further tile has at most 5 inputs, so one LUT per position
computes the tile's bit and adds it to the running sum on a carry chain (the
running sum reaches DI through the bypass when the LUT needs all six inputs).

For 3 x 5 unsigned: the 3 x 3 table (5 LUTs) plus the 3 x 2 tile on one
chain (5 LUTs) is 10 LUTs, where the AND array needs 11.

A tile whose slices hold a signed operand's sign bit is a signed number and
extends its sign like a Booth row. The slicing is searched: every grid whose
tiles fit, built for real, the cheapest kept.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from ..heap import BitHeap
from ..spec import MulSpec
from .builder import NetlistBuilder, SizingBuilder, fn_term, net_term
from .rows import ConstantPlacer, Row, add_rows, finish

FIRST_TILE_INPUTS = 6  # a table
CHAIN_TILE_INPUTS = 5  # plus the running sum: one LUT6 per position
MAX_OPERAND_BITS = 10  # above this, or with both operands over 4 bits, the arrays and Booth win
MAX_NARROW_OPERAND = 4

Slice = tuple[int, int]  # (lowest bit, bit count)


def applicable(spec: MulSpec) -> bool:
    return spec.w + spec.a <= MAX_OPERAND_BITS and min(spec.w, spec.a) <= MAX_NARROW_OPERAND


def _slicing(width: int, first: int, rest: int) -> tuple[Slice, ...]:
    """Cuts of `width` bits: a first slice of `first` bits, then slices of `rest`, the last one shorter."""
    if first >= width:
        return ((0, width),)
    cuts = [(0, first)]
    lo = first
    while lo < width:
        cuts.append((lo, min(rest, width - lo)))
        lo += rest
    return tuple(cuts)


def tilings(spec: MulSpec) -> list[tuple[tuple[Slice, Slice], ...]]:
    """Grid tilings (w slice, a slice) that fit, first tile first, the rest by weight; no duplicates."""
    found: dict[tuple, None] = {}
    for fw, fa in itertools.product(range(1, spec.w + 1), range(1, spec.a + 1)):
        if fw + fa > FIRST_TILE_INPUTS:
            continue
        for rw, ra in itertools.product(range(1, CHAIN_TILE_INPUTS), repeat=2):
            if rw + ra > CHAIN_TILE_INPUTS:
                continue
            tiles = [(ws, as_) for ws in _slicing(spec.w, fw, rw) for as_ in _slicing(spec.a, fa, ra)]
            first, rest = tiles[0], tiles[1:]
            if any(ws[1] + as_[1] > CHAIN_TILE_INPUTS for ws, as_ in rest):
                continue
            rest.sort(key=lambda t: (t[0][0] + t[1][0], t[0][0]))
            found[(first, *rest)] = None
    return list(found)


def _slice_value(bits: list[np.ndarray], signed: bool) -> np.ndarray:
    value = sum(np.asarray(b, dtype=np.int64) << k for k, b in enumerate(bits))
    if signed:
        value = value - (np.asarray(bits[-1], dtype=np.int64) << len(bits))
    return value


def tile_row(spec: MulSpec, w_slice: Slice, a_slice: Slice) -> Row:
    """The tile W_s x A_t at its weight, as a row of terms (signed when a slice holds a sign bit)."""
    bits, sext = _tile_terms(spec.w, spec.a, spec.signed_w, spec.signed_a, w_slice, a_slice)
    return Row(dict(bits), sext=sext)


@functools.lru_cache(maxsize=4096)  # the search builds the same tiles many times
def _tile_terms(w: int, a: int, signed_w: bool, signed_a: bool, w_slice: Slice, a_slice: Slice):
    (w_lo, w_n), (a_lo, a_n) = w_slice, a_slice
    w_signed = signed_w and w_lo + w_n == w
    a_signed = signed_a and a_lo + a_n == a
    nets = tuple(f"w[{w_lo + k}]" for k in range(w_n)) + tuple(f"a[{a_lo + k}]" for k in range(a_n))
    w_range = (-(1 << (w_n - 1)), (1 << (w_n - 1)) - 1) if w_signed else (0, (1 << w_n) - 1)
    a_range = (-(1 << (a_n - 1)), (1 << (a_n - 1)) - 1) if a_signed else (0, (1 << a_n) - 1)
    corners = [x * y for x in w_range for y in a_range]
    low, high = min(corners), max(corners)
    signed = low < 0
    count = max(high.bit_length(), (-low - 1).bit_length()) + 1 if signed else max(high.bit_length(), 1)
    shift = w_lo + a_lo

    def product(*bits):
        return _slice_value(list(bits[:w_n]), w_signed) * _slice_value(list(bits[w_n:]), a_signed)

    row_bits = {}
    for k in range(count):
        if shift + k < w + a:
            row_bits[shift + k] = fn_term(nets, lambda *b, k=k: (product(*b) >> k) & 1)
    return tuple(row_bits.items()), signed


def build_tiling(builder: NetlistBuilder, spec: MulSpec, tiling) -> dict[int, str]:
    width = spec.out_bits
    consts = ConstantPlacer(0, width)
    first = tile_row(spec, *tiling[0])
    nets = builder.materialise(first.bits)
    acc = Row({weight: net_term(net) for weight, net in nets.items()}, sext=first.sext)
    rest = tiling[1:]
    for index, tile in enumerate(rest):
        acc = add_rows(builder, acc, tile_row(spec, *tile), consts, width, last=index == len(rest) - 1)
    return finish(builder, acc, consts, width)


def build_tilechain(builder: NetlistBuilder, heap: BitHeap, over) -> dict[int, str]:
    """The cheapest tiling (LUTs, then carry cells, then the first found), built into `builder`."""
    spec = heap.spec

    def cost(tiling):
        trial = SizingBuilder(builder.family, builder.prefix)
        build_tiling(trial, spec, tiling)
        return len(trial.luts), len(trial.carries)

    best = min(tilings(spec), key=cost)
    return build_tiling(builder, spec, best)

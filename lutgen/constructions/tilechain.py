"""Small-table tiles combined with carry-chain rows.

The operands are cut into slices, and the product into the tiles
W_s x A_t << (shift of both slices). The first tile is a table: each of its
bits one LUT over at most 6 inputs (two bits per LUT6_2 when they share at
most 5). Every further tile has at most 5 inputs, so one LUT per position
computes the tile's bit and adds it to the running sum on a carry chain (the
running sum reaches DI through the bypass when the LUT needs all six inputs).

For 3 x 5 unsigned: the 3 x 3 table (5 LUTs) plus the 3 x 2 tile on one
chain (5 LUTs) is 10 LUTs, where the AND array needs 11.

Or the first stage is a chain of its own: a tile of at most 5 inputs, in the
LUT, plus the next bit of one operand times the tile's slice of the other (a
row of ANDs whose other input the tile already reads): a LUT6_2 with that
bit on I5 adds them (see builder.zeroing_net), and the tile's bits below the
row leave as LUT outputs. 3 x 3 unsigned: W x A[1:0] plus a[2] W on three
positions, and one LUT6_2 for the two low bits: 4 LUTs, where the table needs 5.

A tile whose slices hold a signed operand's sign bit is a signed number and
extends its sign like a Booth row. The slicing is searched: every grid whose
tiles fit, built for real, the cheapest kept.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from ..heap import BitHeap
from ..spec import MulSpec
from .builder import NetlistBuilder, SizingBuilder, Term, fn_term, net_term
from .rows import ConstantPlacer, Row, add_rows, finish

FIRST_TILE_INPUTS = 6  # a table
CHAIN_TILE_INPUTS = 5  # plus the running sum: one LUT6 per position
MAX_OPERAND_BITS = 10  # above this, or with both operands over 4 bits, the arrays and Booth win
MAX_NARROW_OPERAND = 4

Slice = tuple[int, int]  # (lowest bit, bit count)


def applicable(spec: MulSpec) -> bool:
    return spec.w + spec.a <= MAX_OPERAND_BITS and min(spec.w, spec.a) <= MAX_NARROW_OPERAND


def _slicing(width: int, first: tuple[int, ...], rest: int) -> tuple[Slice, ...]:
    """Cuts of `width` bits: the `first` slices' sizes, then slices of `rest`, the last one shorter."""
    cuts, lo = [], 0
    for size in first:
        if lo >= width:
            break
        cuts.append((lo, min(size, width - lo)))
        lo += size
    while lo < width:
        cuts.append((lo, min(rest, width - lo)))
        lo += rest
    return tuple(cuts)


@dataclass(frozen=True)
class Tiling:
    """The first tile (a table, or in the LUT of a chain with the gated row), then chain tiles by weight."""

    first: tuple[Slice, Slice]
    gated: tuple[Slice, Slice] | None
    rest: tuple[tuple[Slice, Slice], ...]


def tilings(spec: MulSpec) -> list[Tiling]:
    """Grid tilings (w slice, a slice) that fit, first tile first, the rest by weight; no duplicates."""
    found: dict[Tiling, None] = {}
    for fw, fa in itertools.product(range(1, spec.w + 1), range(1, spec.a + 1)):
        for gate_on in (None, "w", "a"):
            if fw + fa > (FIRST_TILE_INPUTS if gate_on is None else CHAIN_TILE_INPUTS):
                continue
            # the gated row is the operand's next bit: a one-bit slice right after the first
            w_cuts = (fw, 1) if gate_on == "w" else (fw,)
            a_cuts = (fa, 1) if gate_on == "a" else (fa,)
            if sum(w_cuts) > spec.w or sum(a_cuts) > spec.a:
                continue
            for rw, ra in itertools.product(range(1, CHAIN_TILE_INPUTS), repeat=2):
                if rw + ra > CHAIN_TILE_INPUTS:
                    continue
                tiles = [(ws, as_) for ws in _slicing(spec.w, w_cuts, rw) for as_ in _slicing(spec.a, a_cuts, ra)]
                first = tiles.pop(0)
                gated = None
                if gate_on is not None:
                    gated = ((fw, 1), (0, fa)) if gate_on == "w" else ((0, fw), (fa, 1))
                    tiles.remove(gated)
                    if _gated_row(spec, *gated) is None:
                        continue
                if any(ws[1] + as_[1] > CHAIN_TILE_INPUTS for ws, as_ in tiles):
                    continue
                tiles.sort(key=lambda t: (t[0][0] + t[1][0], t[0][0]))
                found[Tiling(first, gated, tuple(tiles))] = None
    return list(found)


def _gated_row(spec: MulSpec, w_slice: Slice, a_slice: Slice) -> Row | None:
    """A one-bit slice times a slice, as plain AND bits; None where a sign bit would make it negative."""
    (w_lo, w_n), (a_lo, a_n) = w_slice, a_slice
    if (spec.signed_w and w_lo + w_n == spec.w) or (spec.signed_a and a_lo + a_n == spec.a):
        return None
    bits = {}
    for i in range(w_lo, w_lo + w_n):
        for j in range(a_lo, a_lo + a_n):
            if i + j < spec.out_bits:
                # the one-bit slice's net first: it is the one that zeroes the AND (I5)
                pair = (f"w[{i}]", f"a[{j}]") if w_n == 1 else (f"a[{j}]", f"w[{i}]")
                bits[i + j] = Term("and", pair)
    return Row(bits)


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


def build_tiling(builder: NetlistBuilder, spec: MulSpec, tiling: Tiling) -> dict[int, str]:
    width = spec.out_bits
    consts = ConstantPlacer(0, width)
    first = tile_row(spec, *tiling.first)
    if tiling.gated is None:
        nets = builder.materialise(first.bits)
    else:  # one chain adds the first tile (in its LUTs) and the gated row; the tile's low bits leave as LUTs
        row = _gated_row(spec, *tiling.gated)
        low = {k: t for k, t in first.bits.items() if k < row.lo}
        sums = add_rows(builder, Row({k: t for k, t in first.bits.items() if k >= row.lo}, sext=first.sext),
                        row, consts, width, last=not tiling.rest)
        nets = builder.materialise(low) | builder.materialise(sums.bits)
        first = sums
    acc = Row({weight: net_term(net) for weight, net in nets.items()}, sext=first.sext)
    for index, tile in enumerate(tiling.rest):
        acc = add_rows(builder, acc, tile_row(spec, *tile), consts, width, last=index == len(tiling.rest) - 1)
    return finish(builder, acc, consts, width)



def build_tilechain(builder: NetlistBuilder, heap: BitHeap, over) -> dict[int, str]:
    """The cheapest tiling (LUTs, then carry cells, then the first found), built into `builder`."""
    spec = heap.spec

    def cost(tiling):
        trial = SizingBuilder(builder.family, builder.prefix)
        try:
            build_tiling(trial, spec, tiling)
        except ValueError:  # a position over six inputs: this tiling does not fit
            return (float("inf"), 0)
        return len(trial.luts), len(trial.carries)

    best = min(tilings(spec), key=cost)
    return build_tiling(builder, spec, best)

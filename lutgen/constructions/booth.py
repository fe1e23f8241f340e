"""Radix-4 Booth array (after Kumm et al., ARITH 2015; Walters, Computers 2016).

The recoded operand X is read in overlapping bit triples, one digit
d_k = -2 x[2k+1] + x[2k] + x[2k-1] in {-2..2} per two bits, so there are
half as many rows as in the AND array. Row k is d_k * Y * 4^k: each of its
bits is ((one & y[i]) | (two & y[i-1])) ^ neg, a function of five inputs,
and the row's +neg (two's-complement negation) enters as the carry-in of the
chain that adds the row. On that chain one LUT6 per bit computes the Booth
bit and the add of the running sum (six inputs); the running sum reaches DI
through the bypass. The first row has no running sum: it gets its own chain,
which also adds its +neg. That chain's LUTs have one addend each, so their O5s
are spare: its lowest position moves onto two of them (the output bit, and
the carry into the rest of the chain), and the chain starts one place higher.

A row is a two's-complement number, and its sign is handled one of three ways
(each a variant; the cheapest wins):
- sign extension: the top bit extends (see rows.Row), which costs one position
  above the wider addend's sign;
- folded: the sign moves into the next row's top bits, when those still read
  at most five nets (an unsigned multiplicand's row sign is the digit's top
  bit, which the next digit reads anyway);
- constant: a sign b at weight t becomes ~b, and -2^t joins the heap constant,
  whose bits ride in free slots (rows.ConstantPlacer).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..cells import GND
from ..heap import BitHeap
from .builder import ZERO, NetlistBuilder, Term, carry_position_fits, complement, fn_term, unique_nets
from .rows import ConstantPlacer, Row, add_rows, finish


def _bit(nets: dict[int, str], index: int, width: int, signed: bool) -> str:
    """Operand bit `index`, extended beyond the operand: the sign bit if signed, else 0."""
    if index < 0:
        return GND
    if index >= width:
        return nets[width - 1] if signed else GND
    return nets[index]


def booth_digits(width: int, signed: bool, name: str, nets: dict[int, str] | None = None) -> list[tuple[str, str, str]]:
    """(x[2k+1], x[2k], x[2k-1]) per digit; an unsigned operand gets a top digit that is never negative."""
    nets = nets if nets is not None else {i: f"{name}[{i}]" for i in range(width)}
    count = (width + 1) // 2 if signed else width // 2 + 1
    return [
        (_bit(nets, 2 * k + 1, width, signed), _bit(nets, 2 * k, width, signed), _bit(nets, 2 * k - 1, width, signed))
        for k in range(count)
    ]


def _booth_bit(hi, mid, lo, y_i, y_prev):
    one = mid ^ lo
    two = (hi & (mid ^ 1) & (lo ^ 1)) | ((hi ^ 1) & mid & lo)
    return ((one & y_i) | (two & y_prev)) ^ hi


@lru_cache(maxsize=4096)  # every variant asks for the same rows; callers never change a Row they get
def booth_row(digit: tuple[str, str, str], y_width: int, y_signed: bool, y_name: str, shift: int) -> tuple[Row, str]:
    """Row d * Y << shift without its +neg, and the neg net (the carry-in that completes it)."""
    hi, mid, lo = digit
    y = {i: f"{y_name}[{i}]" for i in range(y_width)}
    # |d| * Y needs one bit more than Y; as a signed number one more for the sign.
    top = y_width if y_signed else y_width + 1
    bits = {}
    for i in range(top + 1):
        y_i = _bit(y, i, y_width, y_signed)
        y_prev = _bit(y, i - 1, y_width, y_signed)
        bits[shift + i] = fn_term((hi, mid, lo, y_i, y_prev), _booth_bit)
    signed_row = hi != GND or y_signed  # a digit in {0, 1, 2} times an unsigned Y is never negative
    if not signed_row:
        # drop the zero sign bit and the zero top
        while len(bits) > 1 and bits[max(bits)].kind == "const" and bits[max(bits)].value == 0:
            del bits[max(bits)]
    return Row(bits, sext=signed_row), hi


def _operands(heap: BitHeap, over: str):
    spec = heap.spec
    x_width, x_signed = (spec.w, spec.signed_w) if over == "w" else (spec.a, spec.signed_a)
    y_name = "a" if over == "w" else "w"
    y_width, y_signed = (spec.a, spec.signed_a) if over == "w" else (spec.w, spec.signed_w)
    return x_width, x_signed, y_name, y_width, y_signed


def _booth_rows(digits, y_width: int, y_signed: bool, y_name: str, shift: int, width: int) -> list[tuple[Row, str]]:
    rows = []
    for k, digit in enumerate(digits):
        row, neg = booth_row(digit, y_width, y_signed, y_name, shift + 2 * k)
        row = Row({wt: t for wt, t in row.bits.items() if wt < width}, row.sext)
        if any(t.kind != "const" or t.value for t in row.bits.values()) or neg != GND:
            rows.append((row, neg))
    return rows


FOLD_MAX_NETS = 5  # a folded bit must still fit a carry position beside the running sum's net


def fold_sign(row: Row, into: Row, width: int) -> tuple[Row, Row] | None:
    """Move row's sign (weight -2^s) into the next row, or None when that no longer fits a LUT.

    `into`'s bits from weight s up become the bits of their value minus the
    sign, each a function of the same few nets. Booth rows overlap by one
    operand bit, the sign of one digit being the low bit of the next, so this
    often costs `into` nothing and saves `row` its sign position.
    """
    s = row.top
    if not row.sext or into.lo > s:
        return None
    upper = into.span(s, max(into.top, s))
    nets = unique_nets([*upper.values(), row.bits[s]])
    if len(nets) > FOLD_MAX_NETS:
        return None
    top = max(upper)

    def value(env):
        total = -np.asarray(row.bits[s].eval(env), dtype=np.int64)
        for k, term in upper.items():
            sign = -1 if into.sext and k == top else 1
            total = total + sign * (np.asarray(term.eval(env), dtype=np.int64) << (k - s))
        return total

    grid = np.arange(1 << len(nets), dtype=np.int64)
    values = value({n: (grid >> i) & 1 for i, n in enumerate(nets)})
    low, high = int(values.min()), int(values.max())
    signed = low < 0
    count = 1 + max((-low - 1).bit_length(), high.bit_length()) if signed else max(high.bit_length(), 1)
    bits = {k: t for k, t in into.bits.items() if k < s}
    for i in range(count):
        if s + i < width:
            bits[s + i] = fn_term(nets, lambda *b, i=i: (value(dict(zip(nets, b))) >> i) & 1)
    return (Row({k: t for k, t in row.bits.items() if k < s}),
            Row(bits, sext=signed and s + count - 1 < width - 1))


def fold_signs(rows: list[tuple[Row, str]], width: int) -> list[tuple[Row, str]]:
    """Each row's sign into the next row where it fits, lowest row first."""
    rows = list(rows)
    for k in range(len(rows) - 1):
        folded = fold_sign(rows[k][0], rows[k + 1][0], width)
        if folded is not None:
            rows[k], rows[k + 1] = (folded[0], rows[k][1]), (folded[1], rows[k + 1][1])
    return rows


def signs_to_constant(rows: list[tuple[Row, str]], width: int) -> tuple[list[tuple[Row, str]], int]:
    """Rows without sign extension: a sign b at weight t becomes ~b there, and -2^t joins the constant."""
    out, constant = [], 0
    for row, neg in rows:
        if row.sext:
            bits = dict(row.bits)
            bits[row.top] = complement(bits[row.top])
            constant -= 1 << row.top
            row = Row(bits)
        out.append((row, neg))
    return out, constant % (1 << width)


def _signed_rows(rows, width: int, signs: str) -> tuple[list[tuple[Row, str]], int]:
    """The rows and heap constant for one sign treatment: sign extension, folded, and/or constant."""
    if "fold" in signs:
        rows = fold_signs(rows, width)
    if "const" in signs:
        return signs_to_constant(rows, width)
    return rows, 0


SIGN_TREATMENTS = ("sext", "fold", "const", "fold-const")
ABSORB_MODES = ("low", "whole")


def absorb_into_first_chain(first: Row, rows: list[tuple[Row, str]], mode: str) -> tuple[Row, list[tuple[Row, str]]]:
    """Move later rows' bits into the first chain's empty slots, so that their own chains shrink or vanish.

    The first chain adds `first` to rows[0]. Where `first` has no bit, a later
    row's bit of the same weight can take its place if the position's LUT
    still fits. "low" moves a row's lowest bits inside rows[0]'s span (its
    chain then starts higher); "whole" moves a row that fits everywhere,
    even if the first chain grows for it, and falls back to "low". Only
    rows without a negation carry-in (which must enter at the row's own
    lowest weight) and only unsigned rows, whose chains are sized by their
    tops alone.
    """
    if not rows or first.sext or rows[0][0].sext:
        return first, rows
    partner = rows[0][0]
    bits = dict(first.bits)
    out = [rows[0]]
    for row, neg in rows[1:]:
        if mode == "whole" and neg == GND and not row.sext and not set(row.bits) & set(bits) and all(
                carry_position_fits(t, partner.bits.get(k, ZERO)) for k, t in row.bits.items()):
            bits.update(row.bits)
            continue
        if neg == GND and not row.sext:
            kept = dict(row.bits)
            for weight in sorted(kept):
                slot = weight not in bits and partner.lo <= weight <= partner.top
                if not (slot and carry_position_fits(kept[weight], partner.bits.get(weight, ZERO))):
                    break
                bits[weight] = kept.pop(weight)
            if not kept:
                continue
            row = Row(kept)
        out.append((row, neg))
    return Row(bits), out


def build_booth_offset(builder: NetlistBuilder, heap: BitHeap, over: str, signs: str = "sext",
                       absorb: str = "low") -> dict[int, str]:
    """X = x[0] + 2 * (X >> 1): an AND row x[0] * Y, then Booth rows of X >> 1 one place up.

    X >> 1 has one bit fewer, which saves a digit row when that takes its
    digit count below X's: an even-width unsigned or odd-width signed X. The
    first digit of X >> 1 reads only two bits, so its Booth bit has four
    inputs and the AND row's bit (x[0] with one Y bit) joins it on one chain
    in one LUT6_2 whose I5 is x[0] (see builder.zeroing_net).
    """
    x_width, x_signed, y_name, y_width, y_signed = _operands(heap, over)
    if x_width < 3:  # nothing to save, and a 1-bit signed X has no X >> 1 of its own width
        return build_booth(builder, heap, over, signs)
    width = heap.width
    y = {i: f"{y_name}[{i}]" for i in range(y_width)}
    and_row = Row({i: Term("and", (f"{over}[0]", y[i])) for i in range(min(y_width, width))},
                  sext=y_signed and y_width <= width)
    shifted = {i: f"{over}[{i + 1}]" for i in range(x_width - 1)}
    digits = booth_digits(x_width - 1, x_signed, over, nets=shifted)
    rows, constant = _signed_rows(_booth_rows(digits, y_width, y_signed, y_name, 1, width), width, signs)
    and_row, rows = absorb_into_first_chain(and_row, rows, absorb)
    consts = ConstantPlacer(constant, width)
    acc = and_row
    for index, (row, neg) in enumerate(rows):
        acc = add_rows(builder, acc, row, consts, width, last=index == len(rows) - 1, cin=neg)
    return finish(builder, acc, consts, width)


def build_booth(builder: NetlistBuilder, heap: BitHeap, over: str, signs: str = "sext") -> dict[int, str]:
    """Booth-recode operand `over`; the other operand is the multiplicand."""
    width = heap.width
    x_width, x_signed, y_name, y_width, y_signed = _operands(heap, over)
    rows, constant = _signed_rows(_booth_rows(booth_digits(x_width, x_signed, over), y_width, y_signed, y_name, 0,
                                              width), width, signs)
    consts = ConstantPlacer(constant, width)
    first, neg = rows[0]
    # The first row's own chain adds its +neg; one position more holds -(-2^y) = +2^y.
    hi = min(first.top + 1, width - 1) if first.sext else first.top
    a, b = first.span(first.lo, hi), {}
    _, hi = consts.place(a, b, first.lo, hi, extend_to=None, cin_free=False)
    # Its LUTs have one addend each, so their O5s are spare: the lowest position can move there.
    sums = builder.chain_add(a, b, neg, first.lo, hi, carry_out=not first.sext and hi + 1 < width, peel=True)
    acc = Row({wt: Term("net", (net,)) for wt, net in sums.items()}, sext=first.sext and hi < width - 1)
    for index, (row, neg) in enumerate(rows[1:], start=1):
        acc = add_rows(builder, acc, row, consts, width, last=index == len(rows) - 1, cin=neg)
    return finish(builder, acc, consts, width)

"""Radix-4 Booth array (after Kumm et al., ARITH 2015; Walters, Computers 2016).

The recoded operand X is read in overlapping bit triples, one digit
d_k = -2 x[2k+1] + x[2k] + x[2k-1] in {-2..2} per two bits, so there are
half as many rows as in the AND array. Row k is d_k * Y * 4^k: each of its
bits is ((one & y[i]) | (two & y[i-1])) ^ neg, a function of five inputs,
and the row's +neg (two's-complement negation) enters as the carry-in of the
chain that adds the row. On that chain one LUT6 per bit computes the Booth
bit and the add of the running sum (six inputs); the running sum reaches DI
through the bypass. The first row has no running sum: it gets its own chain,
which also adds its +neg.

Rows are two's-complement numbers whose top bit extends (see rows.Row), so a
row costs one position above the wider addend's sign.
"""

from __future__ import annotations

from ..cells import GND
from ..heap import BitHeap
from .builder import NetlistBuilder, Term, fn_term
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
        row.bits = {wt: t for wt, t in row.bits.items() if wt < width}
        if any(t.kind != "const" or t.value for t in row.bits.values()) or neg != GND:
            rows.append((row, neg))
    return rows


def build_booth_offset(builder: NetlistBuilder, heap: BitHeap, over: str) -> dict[int, str]:
    """X = x[0] + 2 * (X >> 1): an AND row x[0] * Y, then Booth rows of X >> 1 one place up.

    X >> 1 has one bit fewer, which saves a digit row when that takes its
    digit count below X's: an even-width unsigned or odd-width signed X. The
    first digit of X >> 1 reads only two bits, so its Booth bit has four
    inputs and the AND row's bit (x[0] with one Y bit) joins it on one chain
    in one LUT6_2 whose I5 is x[0] (see builder.zeroing_net).
    """
    x_width, x_signed, y_name, y_width, y_signed = _operands(heap, over)
    if x_width < 3:  # nothing to save, and a 1-bit signed X has no X >> 1 of its own width
        return build_booth(builder, heap, over)
    width = heap.width
    y = {i: f"{y_name}[{i}]" for i in range(y_width)}
    and_row = Row({i: Term("and", (f"{over}[0]", y[i])) for i in range(min(y_width, width))},
                  sext=y_signed and y_width <= width)
    shifted = {i: f"{over}[{i + 1}]" for i in range(x_width - 1)}
    digits = booth_digits(x_width - 1, x_signed, over, nets=shifted)
    rows = _booth_rows(digits, y_width, y_signed, y_name, 1, width)
    consts = ConstantPlacer(0, width)
    acc = and_row
    for index, (row, neg) in enumerate(rows):
        acc = add_rows(builder, acc, row, consts, width, last=index == len(rows) - 1, cin=neg)
    return finish(builder, acc, consts, width)


def build_booth(builder: NetlistBuilder, heap: BitHeap, over: str) -> dict[int, str]:
    """Booth-recode operand `over`; the other operand is the multiplicand."""
    width = heap.width
    x_width, x_signed, y_name, y_width, y_signed = _operands(heap, over)
    consts = ConstantPlacer(0, width)
    rows = _booth_rows(booth_digits(x_width, x_signed, over), y_width, y_signed, y_name, 0, width)
    first, neg = rows[0]
    # The first row's own chain adds its +neg; one position more holds -(-2^y) = +2^y.
    hi = min(first.top + 1, width - 1) if first.sext else first.top
    sums = builder.chain_add(first.span(first.lo, hi), {}, neg, first.lo, hi, carry_out=not first.sext and hi + 1 < width)
    acc = Row({wt: Term("net", (net,)) for wt, net in sums.items()}, sext=first.sext and hi < width - 1)
    for index, (row, neg) in enumerate(rows[1:], start=1):
        acc = add_rows(builder, acc, row, consts, width, last=index == len(rows) - 1, cin=neg)
    return finish(builder, acc, consts, width)

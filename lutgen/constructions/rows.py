"""Carry-chain row constructions over the bit heap.

The heap's partial products are grouped in rows (one row per bit of one
operand; both orientations are tried). Rows are summed on carry chains where
each position's LUT folds the AND/NAND of its partial product into the adder:

- `array` (the fused-AND array): the first two rows form a 2 x k tile, then
  each further row is added to the running sum, one LUT per bit;
- `tiles`: rows are paired into 2 x k tiles, and the tiles are summed by a
  balanced tree of carry-chain adders.

Signed operands come either as Baugh-Wooley heaps (all bits positive, one
constant) or as sign-extension heaps (rows are two's-complement numbers whose
top bit extends). A signed sum takes one position above the wider operand's
sign and leaves its result sign-extended, instead of running to the top.

The heap constant rides for free where a chain has a spare slot: its
carry-in, or a position where one addend is missing; the last chain may grow
for it. What is left takes one extra chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cells import GND
from ..heap import BitHeap
from .builder import ONE, NetlistBuilder, Term, complement


@dataclass
class Row:
    """Bits by weight; with sext the top bit also stands at every weight above it."""

    bits: dict[int, Term]
    sext: bool = False

    @property
    def lo(self) -> int:
        return min(self.bits)

    @property
    def top(self) -> int:
        return max(self.bits)

    def sign_top(self) -> int:
        """Weight of the sign bit when this row joins a signed sum (a 0 above an unsigned row)."""
        return self.top if self.sext else self.top + 1

    def span(self, lo: int, hi: int) -> dict[int, Term]:
        """Bits in lo..hi, with the sign copies written out."""
        out = {k: t for k, t in self.bits.items() if lo <= k <= hi}
        if self.sext:
            out.update({k: self.bits[self.top] for k in range(max(lo, self.top + 1), hi + 1)})
        return out


def heap_rows(heap: BitHeap, over: str) -> list[Row]:
    """One row per bit of operand `over` ("w" or "a"), lowest weight first."""
    count = heap.spec.w if over == "w" else heap.spec.a
    rows = [Row({}) for _ in range(count)]
    for bit in heap.bits:
        row = rows[bit.i if over == "w" else bit.j]
        row.bits[bit.weight] = Term("nand" if bit.negated else "and", (f"w[{bit.i}]", f"a[{bit.j}]"))
        if bit.extends:
            row.sext = True
    for row in rows:
        assert not row.sext or any(b.extends and b.weight == row.top for b in heap.bits), "only a row's top bit extends"
    return [r for r in rows if r.bits]


class ConstantPlacer:
    """Finds free slots for the heap constant's bits, lowest weight first."""

    def __init__(self, constant: int, width: int):
        self.width = width
        self.pending = {k for k in range(width) if (constant >> k) & 1}

    def place(self, a: dict, b: dict, lo: int, hi: int, extend_to: int | None, cin_free: bool = True) -> tuple[int, int]:
        """Put pending bits into this chain; returns (carry-in, new hi).

        A bit can go into the carry-in (weight lo, when free) or into an empty
        a/b slot in lo..hi; with extend_to set, also above hi up to that weight.
        In the product's top bit only the parity counts (its carry-out is
        dropped), so there a one complements an addend instead.
        """
        cin = 0
        for k in sorted(self.pending):
            if k < lo:
                continue
            if k == lo and not cin and cin_free:
                cin = 1
            elif lo <= k <= hi and k not in a:
                a[k] = ONE
            elif lo <= k <= hi and k not in b:
                b[k] = ONE
            elif k == hi == self.width - 1:
                b[k] = complement(b[k])
            elif extend_to is not None and hi < k <= extend_to:
                a[k] = ONE
                hi = k
            else:
                continue
            self.pending.discard(k)
        return cin, hi


def add_rows(builder: NetlistBuilder, x: Row, y: Row, consts: ConstantPlacer, width: int, last: bool,
             cin: str | None = None) -> Row:
    """x + y (+ constant bits that fit) on one chain, modulo 2**width.

    Bits below the other row's lowest weight pass through; the chain starts
    lower only to pick up a constant bit there. A `cin` net is added at y's
    lowest weight (a Booth row's negation).
    """
    bottom, lo = min(x.lo, y.lo), max(x.lo, y.lo)
    if cin is None:
        lo = min([k for k in consts.pending if bottom <= k < lo] + [lo])
    elif lo != y.lo:
        raise ValueError("a carry-in net needs the chain to start at the row's lowest weight")
    signed = x.sext or y.sext
    if signed:
        hi = min(max(x.sign_top(), y.sign_top()) + 1, width - 1)
    else:
        hi = max(x.top, y.top)
    a, b = x.span(lo, hi), y.span(lo, hi)
    const_cin = 0
    if not signed:  # a signed sum's top is sized for x + y alone; a constant could overflow it
        const_cin, hi = consts.place(a, b, lo, hi, extend_to=width - 1 if last else None, cin_free=cin is None)
    sums = builder.chain_add(a, b, cin if cin is not None else const_cin, lo, hi,
                             carry_out=not signed and hi + 1 < width, peel=True)
    bits = {k: t for k, t in (*x.bits.items(), *y.bits.items()) if k < lo}
    bits.update({k: Term("net", (net,)) for k, net in sums.items()})
    return Row(bits, sext=signed and hi < width - 1)


def finish(builder: NetlistBuilder, acc: Row, consts: ConstantPlacer, width: int) -> dict[int, str]:
    """Add what is left of the constant, then turn every bit into a net."""
    if consts.pending:
        lo = min(consts.pending)
        b = {k: ONE for k in consts.pending if k != lo}
        consts.pending.clear()
        a = acc.span(lo, width - 1)
        sums = builder.chain_add(a, b, 1, lo, width - 1, carry_out=False)  # the lowest bit is the carry-in
        bits = {k: t for k, t in acc.bits.items() if k < lo}
        bits.update({k: Term("net", (net,)) for k, net in sums.items()})
        acc = Row(bits)
    nets = builder.materialise(acc.bits)
    if acc.sext:
        nets.update({k: nets[acc.top] for k in range(acc.top + 1, width)})
    return {k: nets.get(k, GND) for k in range(width)}


def build_array(builder: NetlistBuilder, heap: BitHeap, over: str) -> dict[int, str]:
    rows = heap_rows(heap, over)
    consts = ConstantPlacer(heap.constant, heap.width)
    acc = rows[0]
    for index, row in enumerate(rows[1:], start=1):
        acc = add_rows(builder, acc, row, consts, heap.width, last=index == len(rows) - 1)
    return finish(builder, acc, consts, heap.width)


def build_tiles(builder: NetlistBuilder, heap: BitHeap, over: str) -> dict[int, str]:
    level = heap_rows(heap, over)
    consts = ConstantPlacer(heap.constant, heap.width)
    while len(level) > 1:
        nxt = []
        for k in range(0, len(level) - 1, 2):
            nxt.append(add_rows(builder, level[k], level[k + 1], consts, heap.width, last=len(level) == 2))
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return finish(builder, level[0], consts, heap.width)

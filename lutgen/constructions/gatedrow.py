"""Two 5-input tiles and one gated row on two carry chains (unsigned 4 x 4 in 11 LUTs).

Cut X = x[1:0] + 4 x[3:2] and Y = y[2:0] + 8 y[3]:

    X * Y = P + 4 Q + 8 y[3] X,   P = x[1:0] * y[2:0],   Q = x[3:2] * y[2:0]

P and Q are 5-input tiles: each of their bits is one LUT function.
- Chain A adds P's bits 3 and 4 to the row y[3] X (weights 3..6). Where both
  are present the position has six inputs and no plain net for the DI
  bypass, but the row bit is y[3] AND x[j] with x[j] among P's inputs: with
  y[3] on I5, O5 (INIT's low half) is P's bit, a valid DI (see
  builder.zeroing_net). P's bits 0..2 stay outside: nothing else sits there.
- Chain B adds 4 Q (in the LUT) to P[2] and chain A's sums (plain nets, through
  the bypass), weights 2..6.
- Both chains carry out at weight 7, and never both at once (X * Y < 2**8), so
  the top bit is their XOR, on the O5 of the LUT that makes P[0].

LUTs: P[1] and P[2] share one LUT6_2, P[0] and the top bit another, plus four
and five chain positions: 11, where the arrays and Booth need 13.
"""

from __future__ import annotations

from ..heap import BitHeap
from ..spec import MulSpec
from .builder import NetlistBuilder, Term, fn_term, net_term
from .tilechain import Slice, tile_row


def applicable(spec: MulSpec) -> bool:
    return (spec.w, spec.a) == (4, 4) and not (spec.signed_w or spec.signed_a)


def _tile(spec: MulSpec, over: str, x_slice: Slice, y_slice: Slice) -> dict[int, Term]:
    """The tile X_s x Y_t by weight, X being operand `over` (tilechain's tile terms)."""
    w_slice, a_slice = (x_slice, y_slice) if over == "w" else (y_slice, x_slice)
    return tile_row(spec, w_slice, a_slice).bits


def build_gatedrow(builder: NetlistBuilder, heap: BitHeap, over: str) -> dict[int, str]:
    """Cut operand `over` 2 + 2 and the other 3 + 1."""
    x_name, y_name = (over, "a" if over == "w" else "w")
    x = tuple(f"{x_name}[{i}]" for i in range(4))
    y = tuple(f"{y_name}[{i}]" for i in range(4))
    p = _tile(heap.spec, over, (0, 2), (0, 3))  # weights 0..4
    q = _tile(heap.spec, over, (2, 2), (0, 3))  # weights 2..6

    low = builder.materialise({1: p[1], 2: p[2]})  # one LUT6_2: both read the same five nets
    row = {3 + j: Term("and", (y[3], x[j])) for j in range(4)}
    chain_a = builder.chain_add({3: p[3], 4: p[4]}, row, 0, 3, 6, carry_out=True)
    running = {2: net_term(low[2])} | {c: net_term(chain_a[c]) for c in range(3, 7)}
    chain_b = builder.chain_add(running, q, 0, 2, 6, carry_out=True)
    top = fn_term((chain_a[7], chain_b[7]), lambda s, t: s ^ t)
    p0, p7 = builder.lut([p[0]], lambda v: v, term5=top, hint="pp")
    return {0: p0, 1: low[1], **{c: chain_b[c] for c in range(2, 7)}, 7: p7}

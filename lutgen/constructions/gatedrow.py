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


def applicable(spec: MulSpec) -> bool:
    return (spec.w, spec.a) == (4, 4) and not (spec.signed_w or spec.signed_a)


def _tile_bit(x_nets: tuple[str, ...], y_nets: tuple[str, ...], bit: int) -> Term:
    """Bit `bit` of (unsigned x_nets) * (unsigned y_nets), as a function of their nets."""
    def fn(*bits):
        x = sum(b << k for k, b in enumerate(bits[:len(x_nets)]))
        y = sum(b << k for k, b in enumerate(bits[len(x_nets):]))
        return (x * y >> bit) & 1
    return fn_term(x_nets + y_nets, fn)


def build_gatedrow(builder: NetlistBuilder, heap: BitHeap, over: str) -> dict[int, str]:
    """Cut operand `over` 2 + 2 and the other 3 + 1."""
    x_name, y_name = (over, "a" if over == "w" else "w")
    x = tuple(f"{x_name}[{i}]" for i in range(4))
    y = tuple(f"{y_name}[{i}]" for i in range(4))
    p = [_tile_bit(x[:2], y[:3], k) for k in range(5)]
    q = [_tile_bit(x[2:], y[:3], k) for k in range(5)]

    low = builder.materialise({1: p[1], 2: p[2]})  # one LUT6_2: both read the same five nets
    row = {3 + j: Term("and", (y[3], x[j])) for j in range(4)}
    chain_a = builder.chain_add({3: p[3], 4: p[4]}, row, 0, 3, 6, carry_out=True)
    running = {2: net_term(low[2])} | {c: net_term(chain_a[c]) for c in range(3, 7)}
    chain_b = builder.chain_add(running, {2 + k: q[k] for k in range(5)}, 0, 2, 6, carry_out=True)
    top = fn_term((chain_a[7], chain_b[7]), lambda s, t: s ^ t)
    p0, p7 = builder.lut([p[0]], lambda v: v, term5=top, hint="pp")
    return {0: p0, 1: low[1], **{c: chain_b[c] for c in range(2, 7)}, 7: p7}

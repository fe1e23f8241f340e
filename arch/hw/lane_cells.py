"""The per-channel logic of pool, add and global-pool units as lutgen cell netlists.

Each builds the exact value v the golden model requantizes (arch.golden),
as a signed number, so that the requantizer (lutgen.requant) can follow it
in the same netlist (lutgen.compose.feed). Being cells, they are counted and
timed exactly, like the dot units.

    max   v = the largest of n values: a carry-chain compare and a select per pair
    sum   v = the sum of n values: a tree of carry-chain adders
    add   v = (a << sa) + (b << sb)
    acc   the global pool's accumulator: acc <= (clr ? 0 : acc) + x when en
    pass  v = x (a requantize-only layer)
"""

from __future__ import annotations

from dataclasses import replace

from lutgen.cells import GND, Netlist, cell_input_nets, check
from lutgen.constructions.builder import NetlistBuilder, complement, fn_term, net_term
from lutgen.dot import add_numbers
from lutgen.pe import CONTROL_INPUTS, add_accumulator
from lutgen.spec import bits_for_range
from lutgen.target import FAMILIES


def value_bits(lo: int, hi: int) -> int:
    """A signed width holding [lo, hi]."""
    return bits_for_range(lo, hi, True)


def _extend(nets: list[str], signed: bool, width: int) -> list[str]:
    fill = nets[-1] if signed else GND
    return nets + [fill] * (width - len(nets))


def _port(name: str, bits: int, offset: int = 0) -> list[str]:
    return [f"{name}[{offset + i}]" for i in range(bits)]


def _netlist(builder: NetlistBuilder, name: str, inputs, v: list[str], **extra) -> Netlist:
    netlist = builder.netlist(name, inputs=inputs, outputs=[("v", tuple(v))], output_signed=(("v", True),), **extra)
    netlist = _drop_unread(netlist)
    check(netlist)
    return netlist


def _drop_unread(netlist: Netlist) -> Netlist:
    """A compare's chain computes sums nobody reads: leave those carry outputs unconnected."""
    read = {n for cell in (*netlist.luts, *netlist.carries, *netlist.ffs) for n in cell_input_nets(cell)}
    read |= {n for _, nets in netlist.outputs for n in nets}
    carries = tuple(replace(c, o=tuple(n if n in read else None for n in c.o),
                            co=tuple(n if n in read else None for n in c.co)) for c in netlist.carries)
    return replace(netlist, carries=carries)


def _max2(b: NetlistBuilder, x: list[str], y: list[str], signed: bool) -> list[str]:
    """max(x, y): x - y on a carry chain, whose carry-out says x >= y, then a select per bit."""
    n = len(x)
    ax = {i: net_term(x[i]) for i in range(n)}
    by = {i: complement(net_term(y[i])) for i in range(n)}
    if signed:  # flip the sign bits: two's complement order becomes unsigned order
        ax[n - 1], by[n - 1] = complement(net_term(x[n - 1])), net_term(y[n - 1])
    ge = b.chain_add(ax, by, 1, 0, n - 1, carry_out=True)[n]
    picks = {i: fn_term((ge, x[i], y[i]), lambda g, p, q: (g & p) | ((1 ^ g) & q)) for i in range(n)}
    nets = b.materialise(picks)
    return [nets[i] for i in range(n)]


def max_values(items: int, bits: int, signed: bool, family: str, name: str) -> Netlist:
    b = NetlistBuilder(FAMILIES[family], prefix="mx_")
    values = [_port("x", bits, k * bits) for k in range(items)]
    while len(values) > 1:
        values = [_max2(b, values[i], values[i + 1], signed) if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    v = _extend(values[0], signed, bits + (0 if signed else 1))
    return _netlist(b, name, [("x", items * bits)], v)


def sum_values(items: int, bits: int, signed: bool, family: str, name: str) -> Netlist:
    b = NetlistBuilder(FAMILIES[family], prefix="sm_")
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    terms = [(_port("x", bits, k * bits), 1) for k in range(items)]
    while len(terms) > 1:
        merged = []
        for i in range(0, len(terms), 2):
            if i + 1 == len(terms):
                merged.append(terms[i])
                continue
            (x, nx), (y, ny) = terms[i], terms[i + 1]
            width = bits_for_range(lo * (nx + ny), hi * (nx + ny), signed)
            merged.append((list(add_numbers(b, tuple(x), tuple(y), signed, width)), nx + ny))
        terms = merged
    v = _extend(terms[0][0], signed, value_bits(lo * items, hi * items))
    return _netlist(b, name, [("x", items * bits)], v)


def add_values(bits: tuple[int, int], signed: tuple[bool, bool], shifts: tuple[int, int], family: str,
               name: str) -> Netlist:
    b = NetlistBuilder(FAMILIES[family], prefix="ad_")
    ranges = []
    operands = []
    for port, n, s, sh in zip(("a", "b"), bits, signed, shifts):
        lo = -(1 << (n - 1)) if s else 0
        hi = (1 << (n - 1)) - 1 if s else (1 << n) - 1
        ranges.append((lo << sh, hi << sh))
        operands.append([GND] * sh + _port(port, n))
    width = value_bits(ranges[0][0] + ranges[1][0], ranges[0][1] + ranges[1][1])
    x = _extend(operands[0], signed[0], width)
    y = _extend(operands[1], signed[1], width)
    v = list(add_numbers(b, tuple(x), tuple(y), True, width))
    return _netlist(b, name, [("a", bits[0]), ("b", bits[1])], v)


def pass_value(bits: int, signed: bool, family: str, name: str) -> Netlist:
    b = NetlistBuilder(FAMILIES[family], prefix="ps_")
    return _netlist(b, name, [("x", bits)], _extend(_port("x", bits), signed, bits + (0 if signed else 1)))


def accumulate_values(items: int, bits: int, signed: bool, family: str, name: str) -> Netlist:
    """acc <= rst ? 0 : en ? (clr ? 0 : acc) + x : acc, wide enough for `items` values; output v = acc."""
    b = NetlistBuilder(FAMILIES[family], prefix="ac_")
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    width = value_bits(lo * items, hi * items)
    q, ffs = add_accumulator(b, tuple(_extend(_port("x", bits), signed, width)), True, width)
    return _netlist(b, name, [("x", bits)], list(q), ffs=ffs, clock="clk", scalar_inputs=CONTROL_INPUTS)

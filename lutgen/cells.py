"""The cell netlist: LUT6 / LUT6_2, CARRY4 / CARRY8 and FDRE with named nets.

Plain data, no Verilog. A net is a string: an input port bit `"w[3]"`, a
constant `GND` / `VCC`, or the name of one cell output. Every non-constant,
non-input net is driven by exactly one cell pin; `check()` proves that and
the site rules the constructions rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GND = "1'b0"
VCC = "1'b1"
CONSTANTS = (GND, VCC)


@dataclass(frozen=True)
class Lut:
    """A LUT6_2 when both outputs are used, else a LUT6 (its O is O6).

    O6 = INIT[{I5..I0}], O5 = INIT[{0,I4..I0}]. With both outputs used, I5 is
    either tied to VCC (O6 and O5 two independent 5-input functions) or a live
    net (O6 a 6-input function, O5 its half with I5 = 0).
    """

    name: str
    init: int
    inputs: tuple[str, str, str, str, str, str]
    o6: str
    o5: str | None = None

    @property
    def kind(self) -> str:
        return "LUT6_2" if self.o5 is not None else "LUT6"


@dataclass(frozen=True)
class Carry:
    """CARRY4 (xc7) or CARRY8 SINGLE_CY8 (xcup).

    Carry into position 0 is CI (| CYINIT on CARRY4); O[i] = S[i] ^ c[i];
    c[i+1] = S[i] ? c[i] : DI[i]; CO[i] = c[i+1]. Unused outputs are None.
    """

    name: str
    kind: str
    ci: str
    cyinit: str  # CARRY4 only; CARRY8 has no CYINIT and this stays GND
    di: tuple[str, ...]
    s: tuple[str, ...]
    o: tuple[str | None, ...]
    co: tuple[str | None, ...]

    @property
    def width(self) -> int:
        return len(self.s)


@dataclass(frozen=True)
class Ff:
    """FDRE: at the clock edge, Q <= 0 if R, else D if CE. Clocked by the netlist clock."""

    name: str
    d: str
    ce: str
    r: str
    q: str


@dataclass(frozen=True)
class Netlist:
    name: str
    inputs: tuple[tuple[str, int], ...]  # (port, width); the clock is not listed here
    outputs: tuple[tuple[str, tuple[str, ...]], ...]  # (port, net of each bit, LSB first)
    luts: tuple[Lut, ...]
    carries: tuple[Carry, ...]
    ffs: tuple[Ff, ...] = ()
    chains: tuple[tuple[str, ...], ...] = ()  # carry cells of each cascade, bottom first
    clock: str | None = None
    scalar_inputs: tuple[str, ...] = ()  # 1-bit control inputs, nets named as the port
    output_signed: tuple[tuple[str, bool], ...] = ()
    meta: tuple[tuple[str, object], ...] = field(default=())

    def input_nets(self) -> list[str]:
        nets = [f"{port}[{i}]" for port, width in self.inputs for i in range(width)]
        nets += list(self.scalar_inputs)
        if self.clock:
            nets.append(self.clock)
        return nets

    def drivers(self) -> dict[str, tuple[str, str]]:
        """net -> (cell name, pin) for every cell-driven net."""
        out: dict[str, tuple[str, str]] = {}

        def add(net, cell, pin):
            if net is None:
                return
            if net in out:
                raise NetlistError(f"net {net} driven twice: {out[net]} and {(cell, pin)}")
            out[net] = (cell, pin)

        for lut in self.luts:
            add(lut.o6, lut.name, "O6")
            add(lut.o5, lut.name, "O5")
        for carry in self.carries:
            for i, net in enumerate(carry.o):
                add(net, carry.name, f"O{i}")
            for i, net in enumerate(carry.co):
                add(net, carry.name, f"CO{i}")
        for ff in self.ffs:
            add(ff.q, ff.name, "Q")
        return out

    def cell_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for lut in self.luts:
            counts[lut.kind] = counts.get(lut.kind, 0) + 1
        for carry in self.carries:
            counts[carry.kind] = counts.get(carry.kind, 0) + 1
        if self.ffs:
            counts["FDRE"] = len(self.ffs)
        return counts


class NetlistError(AssertionError):
    """An invariant of the cell netlist does not hold: a compiler bug, never user input."""


def comb_order(netlist: Netlist) -> list[object]:
    """LUTs and carries in an order where every cell comes after its drivers.

    FF outputs count as sources (they break loops). Raises on a combinational
    cycle or an undriven input.
    """
    drivers = netlist.drivers()
    sources = set(netlist.input_nets()) | set(CONSTANTS) | {ff.q for ff in netlist.ffs}
    cells = {c.name: c for c in (*netlist.luts, *netlist.carries)}
    deps: dict[str, set[str]] = {}
    for cell in cells.values():
        needed = set()
        for net in cell_input_nets(cell):
            if net in sources:
                continue
            if net not in drivers:
                raise NetlistError(f"{cell.name} reads undriven net {net}")
            driver = drivers[net][0]
            if driver in cells:
                needed.add(driver)
        deps[cell.name] = needed
    order, done, visiting = [], set(), set()

    def visit(name):
        if name in done:
            return
        if name in visiting:
            raise NetlistError(f"combinational cycle through {name}")
        visiting.add(name)
        for dep in sorted(deps[name]):
            visit(dep)
        visiting.discard(name)
        done.add(name)
        order.append(cells[name])

    for name in cells:
        visit(name)
    return order


def cell_output_nets(cell) -> tuple[str, ...]:
    if isinstance(cell, Lut):
        return tuple(n for n in (cell.o6, cell.o5) if n is not None)
    if isinstance(cell, Carry):
        return tuple(n for n in (*cell.o, *cell.co) if n is not None)
    return (cell.q,)


def cell_input_nets(cell) -> tuple[str, ...]:
    if isinstance(cell, Lut):
        return cell.inputs
    if isinstance(cell, Carry):
        return (cell.ci, cell.cyinit, *cell.di, *cell.s)
    return (cell.d, cell.ce, cell.r)


def check(netlist: Netlist) -> None:
    """Raise NetlistError unless every invariant holds.

    - single drivers, no undriven reads, no combinational cycle;
    - LUT INIT fits 64 bits; a dual-output LUT's I5 is VCC or a live net, never GND;
    - carries have the family width; S[k] of a used position is the O6 of a
      LUT that feeds nothing else's S; DI[k] is that LUT's O5 or any other
      net (through the bypass pin), but not S[k] itself;
    - chains cascade CO[top] -> CI, in listed order, and every carry is in
      exactly one chain; a chain's own carry-in comes through the bypass
      (a constant or a routed net), never from another carry's CO;
    - FF inputs are driven and the netlist has a clock when it has FFs.
    """
    drivers = netlist.drivers()
    comb_order(netlist)
    known = set(netlist.input_nets()) | set(CONSTANTS) | set(drivers)
    for port, nets in netlist.outputs:
        for net in nets:
            if net not in known:
                raise NetlistError(f"output {port} reads undriven net {net}")
    luts_by_name = {lut.name: lut for lut in netlist.luts}
    for lut in netlist.luts:
        if not 0 <= lut.init < (1 << 64):
            raise NetlistError(f"{lut.name}: INIT out of 64 bits")
        if len(lut.inputs) != 6:
            raise NetlistError(f"{lut.name}: needs 6 input pins")
        if lut.o5 is not None and lut.inputs[5] == GND:
            raise NetlistError(f"{lut.name}: dual-output LUT with I5 tied to GND (O6 would copy O5)")
    s_owner: dict[str, str] = {}
    for carry in netlist.carries:
        if carry.kind == "CARRY8" and carry.cyinit != GND:
            raise NetlistError(f"{carry.name}: CARRY8 has no CYINIT")
        for k, s_net in enumerate(carry.s):
            if s_net in CONSTANTS:
                continue
            cell, pin = drivers.get(s_net, (None, None))
            if cell not in luts_by_name or pin != "O6":
                raise NetlistError(f"{carry.name}.S[{k}] must come from a LUT O6, got {s_net}")
            if cell in s_owner:
                raise NetlistError(f"LUT {cell} drives two carry positions")
            s_owner[cell] = f"{carry.name}[{k}]"
            # DI[k] takes this LUT's O5, or any routed net through the slice's bypass pin
            # (a constant, an input, another LUT's output: the ternary adder's carry-save bit)
            if carry.di[k] == s_net:
                raise NetlistError(f"{carry.name}.DI[{k}] cannot be the S net itself")
    carries = {c.name: c for c in netlist.carries}
    seen: set[str] = set()
    for chain in netlist.chains:
        for below, above in zip(chain, chain[1:]):
            top = carries[below].co[-1]
            if top is None or carries[above].ci != top:
                raise NetlistError(f"chain break between {below} and {above}")
        for name in chain:
            if name in seen:
                raise NetlistError(f"{name} in two chains")
            seen.add(name)
        first = carries[chain[0]]
        for net in (first.ci, first.cyinit):
            if drivers.get(net, ("", ""))[1].startswith("CO"):
                raise NetlistError(f"chain starting at {chain[0]} takes a carry-out outside its chain")
    if seen != set(carries):
        raise NetlistError("every carry cell must belong to exactly one chain")
    if netlist.ffs and not netlist.clock:
        raise NetlistError("FFs need a clock")

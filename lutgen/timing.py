"""Static timing in nanoseconds: the slowest path of a cell netlist, under a simple delay model.

Where depth.py counts LUT levels and carry bits, this module puts a time on
them. A timing graph is nets joined by arcs with a delay; paths start where
a value is launched (a module input, an FF's Q: its clock-to-Q) and end where
one is captured (a module output, an FF's D: plus its setup). Arrival times
come from one sweep in topological order, so the cost is linear in the
graph. Two front ends build the graph: lutgen's own Netlist, and one module
of a Yosys `write_json` netlist after `synth_xilinx`.

How a hop is counted: every cell input reached over general routing costs
one `net` delay, charged on the arc into the cell (a LUT arc is net + lut).
Dedicated wires cost no hop: a LUT's O6 into the S pin of the carry in its
own slot (and its O5 into DI), a LUT (or MUXF) into the next MUXF, and a
carry cell's top carry-out into the next cell's carry-in. A path that ends
at an FF pays the last hop with the setup: net + ff_setup. So N LUTs between
two FFs take ff_clk_to_q + N (net + lut) + net + ff_setup.

The numbers are estimates for comparing designs and choosing pipeline cuts,
not a sign-off: there is no placement, fan-out or clock skew.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from .cells import CONSTANTS, Carry, Netlist
from .depth import depends_on

# -- the delay model ------------------------------------------------------------

# Speed grade -2, ns. One row per DelayModel field: (xcup, xc7). Edit here.
_GRADE_2 = {
    "lut": (0.10, 0.12),             # any LUT input to O6 / O5
    "net": (0.35, 0.50),             # one general-routing hop between cells: an ASSUMED average
    "ff_clk_to_q": (0.10, 0.40),
    "ff_setup": (0.05, 0.06),
    "carry_in": (0.10, 0.40),        # S or DI (or a routed carry-in) into the chain
    "carry_per_bit": (0.05 / 8, 0.11 / 4),  # the carry passing one position
    "carry_out": (0.10, 0.25),       # carry to an O or CO pin, out onto general routing
    "muxf": (0.10, 0.30),            # MUXF7/F8/F9 input to O
    "lutram_read": (0.45, 0.90),     # distributed RAM read address to data out
    "lutram_setup": (0.30, 0.50),    # distributed RAM / SRL write side before the clock
    "bram_clk_to_q": (1.20, 2.00),
    "bram_setup": (0.40, 0.50),
    "uram_clk_to_q": (1.60, None),   # 7-series has no UltraRAM
    "uram_setup": (0.50, None),
}
_COLUMN = {"xcup": 0, "xc7": 1}
# Other grades scale every delay of grade -2: -1 is slower, -3 faster.
GRADE_FACTOR = {"-1": 1.15, "-2": 1.0, "-3": 0.88}

_SOURCE = {
    "xcup": "UltraScale+ (CARRY8): AMD's data sheets DS922/DS923/DS925 publish no CLB-level delays, "
            "so these are lutgen's estimates of typical values seen in Vivado timing reports",
    "xc7": "7-series (CARRY4): lutgen's estimates of typical values seen in Vivado timing reports "
           "(rounded, not copied from DS181/DS182/DS183)",
}


@dataclass(frozen=True)
class DelayModel:
    """Delays in ns of one family and speed grade; see _GRADE_2 for what each field covers."""

    family: str
    grade: str
    lut: float
    net: float
    ff_clk_to_q: float
    ff_setup: float
    carry_in: float
    carry_per_bit: float
    carry_out: float
    muxf: float
    lutram_read: float
    lutram_setup: float
    bram_clk_to_q: float
    bram_setup: float
    uram_clk_to_q: float | None
    uram_setup: float | None
    source: str


def delay_model(family: str, grade: str = "-2") -> DelayModel:
    if family not in _COLUMN:
        raise ValueError(f"no delay model for family {family!r}; known: {sorted(_COLUMN)}")
    if grade not in GRADE_FACTOR:
        raise ValueError(f"no speed grade {grade!r}; known: {sorted(GRADE_FACTOR)}")
    factor = GRADE_FACTOR[grade]
    values = {}
    for field_name, row in _GRADE_2.items():
        value = row[_COLUMN[family]]
        values[field_name] = None if value is None else value * factor
    scaled = "" if grade == "-2" else f", scaled by {factor} for grade {grade}"
    source = (f"{_SOURCE[family]}; speed grade -2{scaled}; "
              f"'net' (one routing hop) is an assumed average, not a measurement")
    return DelayModel(family=family, grade=grade, source=source, **values)


def chain_delay(model: DelayModel, lut_levels: int, carry_bits: int) -> float:
    """A register-to-register path through `lut_levels` LUTs, then a `carry_bits`-bit carry chain.

    Assumes: launched by an FF (ff_clk_to_q); each LUT reached by one routing
    hop (net + lut); the chain entered at its lowest position through the
    dedicated S pin of the last LUT (through a routed hop when there is no
    LUT), the carry passing the other carry_bits - 1 positions and leaving
    from the top CO; one hop into the capturing FF (net + ff_setup).
    The chain is one cascade: CO -> CI between cells costs only per-bit time.
    """
    total = model.ff_clk_to_q + lut_levels * (model.net + model.lut)
    if carry_bits > 0:
        entry = 0.0 if lut_levels else model.net
        total += entry + model.carry_in + (carry_bits - 1) * model.carry_per_bit + model.carry_out
    return total + model.net + model.ff_setup


# -- the timing graph -------------------------------------------------------------


class Arc(NamedTuple):
    src: str
    dst: str
    delay: float
    cell: str  # the cell this arc crosses, for reports


@dataclass(frozen=True)
class TimingGraph:
    arcs: tuple[Arc, ...]
    starts: dict[str, float]  # net -> launch time (0 at an input, clock-to-Q at an FF)
    ends: dict[str, float]  # net -> time needed after arrival (setup, and the hop into the FF)
    kinds: dict[str, str]  # cell name -> cell type


class _Builder:
    """Collects arcs and path ends, dropping constants: they never start a path."""

    def __init__(self):
        self.arcs: list[Arc] = []
        self.starts: dict[str, float] = {}
        self.ends: dict[str, float] = {}
        self.kinds: dict[str, str] = {}

    def arc(self, src, dst, delay, cell):
        if _live(src) and _live(dst):
            self.arcs.append(Arc(src, dst, delay, cell))

    def start(self, net, at):
        if _live(net):
            self.starts[net] = max(at, self.starts.get(net, at))

    def end(self, net, extra):
        if _live(net):
            self.ends[net] = max(extra, self.ends.get(net, extra))

    def graph(self) -> TimingGraph:
        return TimingGraph(tuple(self.arcs), self.starts, self.ends, self.kinds)


def _live(net) -> bool:
    return net is not None and net not in CONSTANTS


def _lut_arcs(g: _Builder, m: DelayModel, name, init, inputs, outputs):
    """Arcs into each output (net, is_o5) from only the pins its INIT reads."""
    for out, o5 in outputs:
        if not _live(out):
            continue
        for pin, net in enumerate(inputs):
            if _live(net) and depends_on(init, pin, o5):
                g.arc(net, out, m.net + m.lut, name)


def _carry_arcs(g: _Builder, m: DelayModel, name, routed_in, cascade_from, s, di, o, co, top_in=None):
    """One carry cell as arcs through its internal carry nets.

    routed_in: nets entering the carry at position 0 over routing (CI, CYINIT);
    cascade_from: the internal top carry of the cell below, on the dedicated wire;
    s, di: (net, dedicated) per position; top_in: CI_TOP of a DUAL_CY8 (position 4).
    """
    width = len(s)
    hop = {True: 0.0, False: m.net}
    out = [f"{name}.c{k + 1}" for k in range(width)]  # carry out of position k
    into = [f"{name}.c0"] + out[:-1]  # carry into position k
    if cascade_from is not None:
        g.arc(cascade_from, into[0], 0.0, name)
    for net in routed_in:
        g.arc(net, into[0], m.net + m.carry_in, name)
    if top_in is not None:
        into[width // 2] = f"{name}.ctop"
        g.arc(top_in, into[width // 2], m.net + m.carry_in, name)
    for k in range(width):
        (s_net, s_dedicated), (di_net, di_dedicated) = s[k], di[k]
        g.arc(into[k], out[k], m.carry_per_bit, name)
        g.arc(s_net, out[k], hop[s_dedicated] + m.carry_in, name)
        g.arc(di_net, out[k], hop[di_dedicated] + m.carry_in, name)
        g.arc(into[k], o[k], m.carry_out, name)  # O[k] = S[k] ^ c[k]
        g.arc(s_net, o[k], hop[s_dedicated] + m.carry_in + m.carry_out, name)
        g.arc(out[k], co[k], m.carry_out, name)


def carry_top(name: str, width: int) -> str:
    """The internal net of a carry cell's top carry-out: what the dedicated cascade wire carries."""
    return f"{name}.c{width}"


# -- lutgen netlists ------------------------------------------------------------------


def netlist_graph(netlist: Netlist, model: DelayModel, *, input_arrival: float = 0.0,
                  output_required: float = 0.0) -> TimingGraph:
    """The timing graph of a lutgen netlist.

    input_arrival: when module inputs arrive (ff_clk_to_q if registers feed the
    module: the hop into the first cell is already on that cell's arc);
    output_required: time a module output needs after arrival (net + ff_setup
    if it feeds registers: the hop out of the module, then the setup).
    """
    g = _Builder()
    for net in netlist.input_nets():
        if net != netlist.clock:
            g.start(net, input_arrival)
    for _, nets in netlist.outputs:
        for net in nets:
            g.end(net, output_required)
    for lut in netlist.luts:
        g.kinds[lut.name] = lut.kind
        _lut_arcs(g, model, lut.name, lut.init, lut.inputs, ((lut.o6, False), (lut.o5, True)))
    o6_of = {lut.o6: lut for lut in netlist.luts}
    below = {above: low for chain in netlist.chains for low, above in zip(chain, chain[1:])}
    carries = {c.name: c for c in netlist.carries}
    for carry in netlist.carries:
        g.kinds[carry.name] = carry.kind
        cascade = None
        routed = (carry.ci, carry.cyinit)
        if carry.name in below:
            lower = carries[below[carry.name]]
            cascade, routed = carry_top(lower.name, lower.width), (carry.cyinit,)
        s, di = _slot_pins(carry, o6_of)
        _carry_arcs(g, model, carry.name, routed, cascade, s, di, carry.o, carry.co)
    for ff in netlist.ffs:
        g.kinds[ff.name] = "FDRE"
        g.start(ff.q, model.ff_clk_to_q)
        for net in (ff.d, ff.ce, ff.r):
            g.end(net, model.net + model.ff_setup)
    return g.graph()


def _slot_pins(carry: Carry, o6_of) -> tuple[list, list]:
    """(net, dedicated) for S and DI: S from a LUT's O6, DI from the O5 of that same LUT."""
    s, di = [], []
    for s_net, di_net in zip(carry.s, carry.di):
        lut = o6_of.get(s_net)
        s.append((s_net, lut is not None))
        di.append((di_net, lut is not None and lut.o5 == di_net))
    return s, di


# -- Yosys JSON netlists ------------------------------------------------------------

_LUT_PINS = ("I0", "I1", "I2", "I3", "I4", "I5")
_FFS = {f"{t}{suffix}" for t in ("FDRE", "FDSE", "FDCE", "FDPE", "FDRSE", "FDCPE") for suffix in ("", "_1")}
_SRLS = {"SRL16", "SRL16E", "SRLC16", "SRLC16E", "SRLC32E"}
_BUFFERS = {"IBUF", "IBUFG", "OBUF", "BUFG"}  # zero delay: they keep ports connected
_NO_TIMING = {"GND", "VCC"}
_LUTRAM = re.compile(r"^RAM\d+(X|M)")  # RAM64X1D, RAM32M16, RAM64X8SW ... (not RAMB)
_BLOCK_RAM = re.compile(r"^(RAMB(18|36)E[12]|URAM288(_BASE)?)$")
_ADDRESS = re.compile(r"^(A\d*|ADDR[A-H]|DPRA\d*)$")
_SINGLE_ADDRESS = re.compile(r"^A\d*$")


class _Driver(NamedTuple):
    kind: str  # cell type
    port: str
    index: int  # bit of the port
    cell: str


_NO_DRIVER = _Driver("", "", 0, "")


def top_module(design: dict) -> dict:
    """The module of a Yosys JSON design marked top, or its only module."""
    modules = design["modules"]
    tops = [m for m in modules.values() if str(m.get("attributes", {}).get("top", "0")).strip().lstrip("0")]
    if len(tops) == 1:
        return tops[0]
    if len(modules) == 1:
        return next(iter(modules.values()))
    raise ValueError(f"cannot tell the top module among {sorted(modules)}")


def yosys_graph(module: dict, model: DelayModel, *, input_arrival: float = 0.0,
                output_required: float = 0.0) -> TimingGraph:
    """The timing graph of one module of a Yosys JSON netlist after synth_xilinx -flatten.

    Module inputs start at input_arrival, outputs end with output_required (as in
    netlist_graph). Nets are named from the module's netnames, internal carry
    nets "<cell>.c<k>" (the carry into position k).
    """
    net_of = _net_names(module)
    cells = module["cells"]
    pins_of = {name: {port: _nets(bits, net_of) for port, bits in cell["connections"].items()}
               for name, cell in cells.items()}
    drivers: dict[str, _Driver] = {}  # for the dedicated-wire rules
    for name, cell in cells.items():
        for port, nets in pins_of[name].items():
            if cell["port_directions"].get(port) == "output":
                for index, net in enumerate(nets):
                    if net is not None:
                        drivers[net] = _Driver(cell["type"], port, index, name)
    g = _Builder()
    for port in module["ports"].values():
        for net in _nets(port["bits"], net_of):
            if port["direction"] == "input":
                g.start(net, input_arrival)
            elif port["direction"] == "output":
                g.end(net, output_required)
    for name, cell in cells.items():
        g.kinds[name] = cell["type"]
        _yosys_cell(g, model, name, cell, pins_of[name], drivers)
    return g.graph()


def _net_names(module: dict) -> dict[int, str]:
    """Bit number -> a readable net name, preferring names the user wrote over $-names."""
    named: dict[int, tuple[bool, str]] = {}
    for name, info in module.get("netnames", {}).items():
        hidden = bool(info.get("hide_name", 0))
        bits = info["bits"]
        for i, bit in enumerate(bits):
            if isinstance(bit, int) and (bit not in named or (named[bit][0] and not hidden)):
                named[bit] = (hidden, name if len(bits) == 1 else f"{name}[{i}]")
    names, used = {}, set()
    for bit, (_, name) in named.items():
        if name in used:  # an escaped name like "a[3]" can collide with bit 3 of "a"
            name = f"{name}#{bit}"
        used.add(name)
        names[bit] = name
    return names


def _nets(bits, net_of) -> list[str | None]:
    """Net names of a connection; None for the constants "0", "1", "x", "z"."""
    return [net_of.get(b, f"${b}") if isinstance(b, int) else None for b in bits]


def _yosys_cell(g: _Builder, m: DelayModel, name, cell, pins, drivers):
    """The arcs, starts and ends of one cell, by its type (pin names as in Yosys's cells_sim.v)."""
    kind = cell["type"]
    inputs = [p for p in pins if cell["port_directions"].get(p) == "input"]
    outputs = [p for p in pins if cell["port_directions"].get(p) == "output"]
    if kind in _NO_TIMING:
        return
    if kind in _BUFFERS:
        for out in pins.get("O", []):
            g.arc(pins["I"][0], out, 0.0, name)
    elif re.fullmatch(r"LUT[1-6]|INV", kind):
        ins = [pins[p][0] for p in (("I",) if kind == "INV" else _LUT_PINS) if p in pins]
        _lut_arcs(g, m, name, _init(cell), ins, ((pins["O"][0], False),))
    elif kind == "LUT6_2":
        ins = [pins[p][0] for p in _LUT_PINS]
        _lut_arcs(g, m, name, _init(cell), ins, ((pins["O6"][0], False), (pins["O5"][0], True)))
    elif kind in ("MUXF7", "MUXF8", "MUXF9"):
        _yosys_muxf(g, m, name, pins, drivers)
    elif kind in ("CARRY4", "CARRY8"):
        _yosys_carry(g, m, name, cell, pins, drivers)
    elif kind in _FFS:
        _registered(g, pins, inputs, outputs, m.ff_clk_to_q, m.net + m.ff_setup)
    elif kind in _SRLS:
        # a shift register: Q launches at the clock (estimated as a LUT-memory read), and
        # its address selects the tap combinationally, like a LUT input
        _registered(g, pins, inputs, outputs, m.lutram_read, m.net + m.lutram_setup)
        for pin in inputs:
            if _SINGLE_ADDRESS.match(pin):
                for net in pins[pin]:
                    g.arc(net, pins["Q"][0], m.net + m.lut, name)
    elif _LUTRAM.match(kind):
        _yosys_lutram(g, m, name, pins, inputs, outputs)
    elif _BLOCK_RAM.match(kind):
        uram = kind.startswith("URAM")
        clk_to_q, setup = (m.uram_clk_to_q, m.uram_setup) if uram else (m.bram_clk_to_q, m.bram_setup)
        if clk_to_q is None:
            raise ValueError(f"cell {name}: the {m.family} model has no delays for {kind} (no UltraRAM)")
        _registered(g, pins, inputs, outputs, clk_to_q, m.net + setup)
    else:
        raise ValueError(f"cell {name}: no timing model for cell type {kind}")


def _init(cell) -> int:
    """INIT as an int (binary string, MSB first); an x bit makes every pin count: it may matter."""
    if cell["type"] == "INV":
        return 0b01
    value = cell["parameters"]["INIT"]
    if isinstance(value, int):
        return value
    value = value.strip()
    if set(value) - {"0", "1"}:
        return _PARITY
    return int(value, 2)


_PARITY = sum(1 << r for r in range(64) if bin(r).count("1") & 1)  # a table that reads every pin


def _is_clock(pin: str) -> bool:
    return pin == "C" or "CLK" in pin


def _registered(g: _Builder, pins, inputs, outputs, clk_to_q, setup):
    """A clocked cell: every output launches, every input but the clock captures."""
    for pin in outputs:
        for net in pins[pin]:
            g.start(net, clk_to_q)
    for pin in inputs:
        if not _is_clock(pin):
            for net in pins[pin]:
                g.end(net, setup)


def _yosys_muxf(g: _Builder, m: DelayModel, name, pins, drivers):
    """I0 and I1 come from the LUTs (or MUXFs) beside it over dedicated wires; S is routed."""
    out = pins["O"][0]
    for pin in ("I0", "I1", "S"):
        net = pins[pin][0]
        source = drivers.get(net, _NO_DRIVER).kind
        dedicated = pin != "S" and source.startswith(("LUT", "MUXF"))
        g.arc(net, out, (0.0 if dedicated else m.net) + m.muxf, name)


def _yosys_carry(g: _Builder, m: DelayModel, name, cell, pins, drivers):
    """CARRY4 (CI | CYINIT) or CARRY8 (CI; CI_TOP only in DUAL_CY8); a CI from CO[top] is the cascade."""
    cascade, routed = None, list(pins.get("CYINIT", []))
    for net in pins["CI"]:
        source = drivers.get(net, _NO_DRIVER)
        source_width = {"CARRY4": 4, "CARRY8": 8}.get(source.kind)
        if source_width and source.port == "CO" and source.index == source_width - 1:
            cascade = carry_top(source.cell, source_width)
        else:
            routed.append(net)
    dual = str(cell["parameters"].get("CARRY_TYPE", "")).strip() == "DUAL_CY8"
    top_in = pins["CI_TOP"][0] if dual else None
    s, di = [], []
    for s_net, di_net in zip(pins["S"], pins["DI"]):
        s_source, di_source = drivers.get(s_net, _NO_DRIVER), drivers.get(di_net, _NO_DRIVER)
        s.append((s_net, s_source.kind.startswith("LUT") and s_source.port in ("O", "O6")))
        di.append((di_net, di_source.port == "O5" and di_source.cell == s_source.cell))
    _carry_arcs(g, m, name, routed, cascade, s, di, pins["O"], pins["CO"], top_in)


def _yosys_lutram(g: _Builder, m: DelayModel, name, pins, inputs, outputs):
    """Distributed RAM: read address -> data out is combinational, the write side captures.

    Pin names as in Yosys's cells_sim.v: A / A0.. is the address of single- and
    dual-port RAMs (read for O / SPO, and write); DPRA the dual port's read
    address (DPO); RAM32M/RAM64M/RAM32M16/RAM64M8 read DOx at ADDRx and write at
    the last ADDR letter. A data output also changes after a write: it
    launches at the clock, estimated as one read.
    """
    address = [p for p in inputs if _ADDRESS.match(p)]
    lettered = sorted(p for p in address if p.startswith("ADDR"))
    write = {p for p in address if _SINGLE_ADDRESS.match(p)} | set(lettered[-1:])
    for pin in inputs:
        if _is_clock(pin) or (pin in address and pin not in write):
            continue
        for net in pins[pin]:  # WE, data in, write address, WSEL
            g.end(net, m.net + m.lutram_setup)
    for pin in outputs:
        for out in pins[pin]:
            g.start(out, m.lutram_read)
            for reading in _read_address(pin, address):
                for net in pins[reading]:
                    g.arc(net, out, m.net + m.lutram_read, name)


def _read_address(output: str, address: list[str]) -> list[str]:
    """The address pins that select `output`; all of them for an unknown variant."""
    if re.fullmatch(r"DO[A-H]", output):
        wanted = [f"ADDR{output[2]}"]
    elif output == "DPO":
        wanted = [p for p in address if p.startswith("DPRA")]
    else:  # O, O0.., SPO
        wanted = [p for p in address if _SINGLE_ADDRESS.match(p)]
    found = [p for p in wanted if p in address]
    return found or address


# -- static timing analysis ---------------------------------------------------------------


class CombinationalLoop(ValueError):
    """The graph has a cycle of arcs: no arrival time is defined on it."""


class Step(NamedTuple):
    cell: str  # the cell crossed to reach `net`
    kind: str
    net: str
    arrival: float


@dataclass(frozen=True)
class Path:
    delay_ns: float  # launch + every arc + the end's extra (setup)
    start: str
    end: str
    launch_ns: float
    end_extra_ns: float
    steps: tuple[Step, ...]

    @property
    def nets(self) -> tuple[str, ...]:
        return (self.start,) + tuple(step.net for step in self.steps)

    @property
    def cells(self) -> tuple[str, ...]:
        """Cells along the path, each once (a carry cell spans several arcs)."""
        return tuple(dict.fromkeys(step.cell for step in self.steps))


def arrival_times(graph: TimingGraph) -> tuple[dict[str, float], dict[str, Arc]]:
    """The latest arrival at every net reached from a start, and the arc that set it.

    One sweep in topological order (Kahn's algorithm): linear in the arcs.
    Nets no start reaches get no arrival: constants never begin a path.
    """
    fanout: dict[str, list[Arc]] = defaultdict(list)
    waiting: dict[str, int] = defaultdict(int)  # arcs into a net not swept yet
    for arc in graph.arcs:
        fanout[arc.src].append(arc)
        waiting[arc.dst] += 1
    arrival = dict(graph.starts)
    via: dict[str, Arc] = {}
    ready = [net for net in fanout if net not in waiting]
    while ready:
        net = ready.pop()
        at = arrival.get(net)
        for arc in fanout.get(net, ()):
            if at is not None and at + arc.delay > arrival.get(arc.dst, -math.inf):
                arrival[arc.dst] = at + arc.delay
                via[arc.dst] = arc
            waiting[arc.dst] -= 1
            if waiting[arc.dst] == 0:
                ready.append(arc.dst)
    stuck = {net for net, count in waiting.items() if count}
    if stuck:
        raise CombinationalLoop(_describe_loop(graph, stuck))
    return arrival, via


def _describe_loop(graph: TimingGraph, stuck: set[str]) -> str:
    """Name the nets of one cycle: every stuck net has a stuck driver, so walking back must repeat."""
    back = {arc.dst: arc.src for arc in graph.arcs if arc.dst in stuck and arc.src in stuck}
    seen: dict[str, int] = {}
    walk = [min(stuck)]
    while walk[-1] not in seen:
        seen[walk[-1]] = len(walk) - 1
        walk.append(back[walk[-1]])
    cycle = walk[seen[walk[-1]]:]
    cycle.reverse()
    return f"combinational loop through net {cycle[0]}: " + " -> ".join(cycle)


def worst_path(graph: TimingGraph) -> Path:
    """The path whose arrival plus end extra is largest (the first found on a tie)."""
    arrival, via = arrival_times(graph)
    reached = [(arrival[net] + extra, net) for net, extra in graph.ends.items() if net in arrival]
    if not reached:
        raise ValueError("no path: no end point is reached from a start point")
    total, end = max(reached, key=lambda pair: pair[0])
    steps = []
    net = end
    while net in via:
        arc = via[net]
        steps.append(Step(arc.cell, graph.kinds.get(arc.cell, ""), net, arrival[net]))
        net = arc.src
    steps.reverse()
    return Path(total, net, end, arrival[net], graph.ends[end], tuple(steps))


def fmax_mhz(path: Path) -> float:
    """The clock rate at which this path just fits in one period."""
    return math.inf if path.delay_ns <= 0 else 1000.0 / path.delay_ns


def format_path(path: Path) -> str:
    """The path as text, one net a line with its arrival time."""
    lines = [f"{path.launch_ns:7.3f} ns  {path.start}  (start)"]
    lines += [f"{s.arrival:7.3f} ns  {s.net}  via {s.cell} ({s.kind})" for s in path.steps]
    lines.append(f"{path.delay_ns:7.3f} ns  total, with {path.end_extra_ns:.3f} ns after {path.end} "
                 f"({fmax_mhz(path):.0f} MHz)")
    return "\n".join(lines)


def worst_delay(graph: TimingGraph, starts: dict[str, float] | None = None) -> float:
    """The largest arrival plus end extra over every end, from `starts` (default: the graph's); -inf if none reached.

    For sweeping launch times: paths from a netlist's inputs and from its FFs
    can be weighed apart, then combined for any input arrival.
    """
    if starts is not None:
        graph = TimingGraph(graph.arcs, starts, graph.ends, graph.kinds)
    arrival, _ = arrival_times(graph)
    return max((arrival[net] + extra for net, extra in graph.ends.items() if net in arrival), default=-math.inf)

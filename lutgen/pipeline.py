"""Register stages cut into a combinational netlist at the best points.

Every cell gets a stage from when its inputs arrive: with a delay of 10
per LUT level and 1 per carry bit (a LUT and its routing cost about ten
carry positions), stage = floor(t / (total / (K + 1))), raised where
needed so that no cell sits before a cell that drives it. The time t is
where the cell's logic starts, or its midpoint: a long chain that starts
just before a boundary is better moved past it. Both are built, and the
shallower result (then the one with fewer registers) is kept. A carry chain is
one unit: its cells are never split, since CO -> CI is a dedicated wire. An
edge from stage s to stage t passes t - s registers (FDRE, CE = 1, R = 0),
shared by all readers; inputs start at stage 0 and outputs leave at stage K.
So every path has exactly K registers, and the result is the combinational
netlist delayed by K cycles.
"""

from __future__ import annotations

from dataclasses import replace

from .cells import CONSTANTS, GND, VCC, Ff, Netlist, cell_input_nets, cell_output_nets, check, comb_order
from .depth import arrival_times, critical_depth

LUT_DELAY, CARRY_DELAY = 10, 1
CLOCK = "clk"


def delay(depth: tuple[int, int]) -> int:
    return depth[0] * LUT_DELAY + depth[1] * CARRY_DELAY


def _units(netlist: Netlist) -> tuple[dict[str, str], dict[str, list]]:
    """Cell name -> unit name, and unit -> its cells.

    A chain's carry cells and the LUTs that drive its S pins form one unit:
    S (and DI from O5) must come straight from the LUT in the same slot.
    """
    unit_of: dict[str, str] = {}
    s_driver = {lut.o6: lut.name for lut in netlist.luts}
    carries = {c.name: c for c in netlist.carries}
    for chain in netlist.chains:
        for name in chain:
            unit_of[name] = chain[0]
            for net in carries[name].s:
                if net in s_driver:
                    unit_of[s_driver[net]] = chain[0]
    for cell in (*netlist.luts, *netlist.carries):
        unit_of.setdefault(cell.name, cell.name)
    members: dict[str, list] = {}
    for cell in (*netlist.luts, *netlist.carries):
        members.setdefault(unit_of[cell.name], []).append(cell)
    return unit_of, members


def _unit_order(netlist: Netlist, unit_of: dict[str, str], members: dict[str, list], drivers) -> list[str]:
    """Units so that each comes after every unit that drives it.

    The cells' own order is not enough: a chain's unit is reached at its
    first LUT, while another of its LUTs may read logic found later.
    """
    order, done, entered = [], set(), set()
    for cell in comb_order(netlist):
        stack = [unit_of[cell.name]]
        while stack:
            unit = stack[-1]
            if unit in done:
                stack.pop()
                continue
            waiting = [] if unit in entered else [
                u for u in (unit_of.get(drivers[n][0]) for c in members[unit] for n in cell_input_nets(c) if n in drivers)
                if u is not None and u != unit and u not in done and u not in entered]
            entered.add(unit)  # a unit waits once: drivers that lead back to it do not wait for it again
            if waiting:
                stack.extend(waiting)
                continue
            done.add(unit)
            order.append(unit)
            stack.pop()
    return order


ANCHORS = ("start", "middle")


def _analysis(netlist: Netlist) -> tuple:
    """What both anchors read: arrival times, drivers, and the units."""
    return (arrival_times(netlist), netlist.drivers(), *_units(netlist))


def assign_stages(netlist: Netlist, stages: int, anchor: str = "start", analysis: tuple | None = None) -> dict[str, int]:
    """Cell name -> pipeline stage, 0..stages, placing each unit by its start time or its midpoint."""
    arrival, drivers, unit_of, members = analysis or _analysis(netlist)
    ends = [net for _, nets in netlist.outputs for net in nets]
    total = max([1] + [delay(arrival.get(n, (0, 0))) for n in ends])
    period = total / (stages + 1)
    unit_stage: dict[str, int] = {}
    for unit in _unit_order(netlist, unit_of, members, drivers):
        inputs = {n for c in members[unit] for n in cell_input_nets(c)}
        outside = [n for n in inputs if n in drivers and unit_of.get(drivers[n][0]) != unit]
        start = max([0] + [delay(arrival[n]) for n in outside if n in arrival])
        if anchor == "middle":
            produced = {n for c in members[unit] for n in cell_output_nets(c)}
            end = max([start] + [delay(arrival[n]) for n in produced if n in arrival])
            start = (start + end) / 2
        stage = min(stages, int(start // period))
        for net in outside:
            driver = unit_of.get(drivers[net][0])
            if driver is not None:
                stage = max(stage, unit_stage[driver])
        unit_stage[unit] = stage
    return {name: unit_stage[unit] for name, unit in unit_of.items()}


def pipeline(netlist: Netlist, stages: int) -> Netlist:
    """The netlist with `stages` register stages; outputs appear `stages` cycles after the inputs."""
    if stages == 0:
        return netlist
    if netlist.ffs:
        raise ValueError("pipeline() takes a combinational netlist")
    analysis = _analysis(netlist)
    built = [_cut(netlist, stages, assign_stages(netlist, stages, anchor, analysis)) for anchor in ANCHORS]
    return min(built, key=lambda n: (critical_depth(n), len(n.ffs)))  # the first of equals: deterministic


def _cut(netlist: Netlist, stages: int, stage_of: dict[str, int]) -> Netlist:
    """The netlist with registers wherever an edge crosses stages, and K at the outputs."""
    drivers = netlist.drivers()
    ffs: list[Ff] = []
    delayed: dict[tuple[str, int], str] = {}

    def source_stage(net: str) -> int:
        if net in CONSTANTS or net not in drivers:
            return 0
        return stage_of[drivers[net][0]]

    def at_stage(net: str, stage: int) -> str:
        """`net` as seen by a reader in `stage`: through one register per stage crossed."""
        if net in CONSTANTS:
            return net
        s = source_stage(net)
        current = net
        for k in range(s + 1, stage + 1):
            key = (net, k)
            if key not in delayed:
                safe = net.replace("[", "_").replace("]", "")
                q = f"pipe{k}_{safe}"
                ffs.append(Ff(f"{q}_ff", current, VCC, GND, q))
                delayed[key] = q
            current = delayed[key]
        return current

    luts = [replace(lut, inputs=tuple(at_stage(n, stage_of[lut.name]) for n in lut.inputs)) for lut in netlist.luts]
    carries = []
    for carry in netlist.carries:
        s = stage_of[carry.name]
        carries.append(replace(
            carry, ci=at_stage(carry.ci, s), cyinit=at_stage(carry.cyinit, s),
            di=tuple(at_stage(n, s) for n in carry.di), s=tuple(at_stage(n, s) for n in carry.s),
        ))
    outputs = tuple((port, tuple(at_stage(n, stages) for n in nets)) for port, nets in netlist.outputs)
    result = replace(
        netlist, luts=tuple(luts), carries=tuple(carries), ffs=tuple(ffs), outputs=outputs, clock=CLOCK,
        meta=netlist.meta + (("pipeline_stages", stages),),
    )
    check(result)
    return result


def delay_line(net: str, stages: int, prefix: str) -> tuple[str, list[Ff]]:
    """`net` delayed by `stages` registers (for control signals that travel beside a pipeline)."""
    ffs, current = [], net
    for k in range(1, stages + 1):
        q = f"{prefix}{net}_d{k}"
        ffs.append(Ff(f"{q}_ff", current, VCC, GND, q))
        current = q
    return current, ffs


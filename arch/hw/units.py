"""What every unit shares: a block of the plan, the credit-counted output FIFO, the timing of lutgen netlists.

Every unit ends in an output FIFO (distributed RAM, registered handshakes).
A unit takes new work only while it holds a credit: `used` counts the items
taken whose result has not left the FIFO yet, and stays at most the FIFO's
depth. So nothing inside a unit ever stalls: its pipeline registers need no
enable, and a result always finds room.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from math import ceil

from lutgen.cells import Netlist
from lutgen.dot import accumulator_counts, accumulator_netlist, build_dot, netlist_counts, output_shape, staged_sum
from lutgen.pipeline import pipeline
from lutgen.spec import DotSpec
from lutgen.timing import DelayModel, TimingGraph, arrival_times, chain_delay, netlist_graph, worst_delay

from .res import Res
from .stream import clog2, fifo_res

MAX_STAGES = 8  # pipeline registers a dot unit or a lane may get
OUT_FIFO_MAX = 32  # one RAM32M16 deep


@dataclass(frozen=True)
class Block:
    name: str
    res: Res
    path_ns: float = 0.0  # its slowest register-to-register path under the delay model
    note: str = ""


def out_fifo_depth(latency: int, interval: int) -> int:
    """Credits for full rate: items in flight over the latency (take to push), plus one leaving."""
    return min(OUT_FIFO_MAX, max(2, ceil((latency + 2) / interval) + 1))


def credit_res(depth: int) -> Res:
    """The credit counter: up on a take, down on a pop, and its compare."""
    bits = clog2(depth + 1)
    return Res(lut=2 * bits + 2, ff=bits, carry=ceil(bits / 4))


def out_fifo_block(width: int, depth: int, model: DelayModel) -> Block:
    return Block("output FIFO + credits", fifo_res(width, depth) + credit_res(depth),
                 chain_delay(model, 3, clog2(depth + 1)), f"{depth} x {width} bits")


def token_res(bits: int, stages: int) -> Res:
    """Control bits travelling beside a pipeline."""
    return Res(ff=bits * stages)


# -- timing of lutgen netlists ---------------------------------------------------------------
def netlist_path(netlist: Netlist, model: DelayModel, launch: float, capture: float) -> float:
    """Slowest path: inputs launched at `launch` (a register's clock-to-Q), outputs captured `capture` later."""
    from_inputs, from_ffs = launch_profile(netlist, model, capture)
    return max(launch + from_inputs, from_ffs)


def launch_profile(netlist: Netlist, model: DelayModel, capture: float) -> tuple[float, float]:
    """(slowest path from the inputs launched at 0, slowest path from the netlist's own FFs)."""
    graph = netlist_graph(netlist, model, input_arrival=0.0, output_required=capture)
    inputs = set(netlist.input_nets())
    from_inputs = worst_delay(graph, {n: t for n, t in graph.starts.items() if n in inputs})
    from_ffs = worst_delay(graph, {n: t for n, t in graph.starts.items() if n not in inputs})
    return from_inputs, from_ffs


@lru_cache(maxsize=None)
def _dot(spec: DotSpec) -> Netlist:
    return build_dot(spec)


def _plain(spec: DotSpec) -> DotSpec:
    return replace(spec, acc_bits=None, pipeline=0)


def _accumulator_key(spec: DotSpec) -> tuple:
    """The accumulator build_dot puts after a pipelined sum (lutgen.pe.accumulate), as accumulator_netlist's arguments."""
    shape = output_shape(staged_sum(_plain(spec), spec.pipeline))
    return spec.mul.family, shape, spec.mul.signed_out, spec.acc_bits


def _profile(netlist: Netlist, model: DelayModel) -> dict[tuple[str, str], float]:
    """Slowest paths of a netlist by where they start (inputs at 0, its FFs) and end (its FFs, its outputs)."""
    graph = netlist_graph(netlist, model, input_arrival=0.0, output_required=0.0)
    inputs = set(netlist.input_nets())
    outputs = {n for _, nets in netlist.outputs for n in nets}
    out = {}
    for start in ("in", "ff"):
        starts = {n: t for n, t in graph.starts.items() if (n in inputs) == (start == "in")}
        arrival, _ = arrival_times(TimingGraph(graph.arcs, starts, graph.ends, graph.kinds))
        for end in ("ff", "out"):
            out[start, end] = max((arrival[n] + extra for n, extra in graph.ends.items()
                                   if n in arrival and (n in outputs) == (end == "out")), default=-math.inf)
    return out


# profiles cached by what builds the netlist: hashing a netlist itself would walk every cell
@lru_cache(maxsize=None)
def _unit_profile(spec: DotSpec, model: DelayModel):
    return _profile(_dot(spec), model)


@lru_cache(maxsize=None)
def _sum_profile(plain: DotSpec, stages: int, model: DelayModel):
    return _profile(staged_sum(plain, stages), model)


@lru_cache(maxsize=None)
def _accumulator_profile(key: tuple, model: DelayModel):
    return _profile(accumulator_netlist(*key), model)


def dot_path(spec: DotSpec, model: DelayModel, launch: float) -> float:
    """The unit's slowest path, its inputs launched at `launch`. A pipelined unit is its pipelined sum
    feeding an accumulator (lutgen.pe.accumulate): the sum's latest output is taken on to the
    accumulator's slowest input path, a bound that needs neither built together."""
    if spec.pipeline == 0:
        p = _unit_profile(spec, model)
        return max(launch + p["in", "ff"], p["ff", "ff"], launch + p["in", "out"], p["ff", "out"])
    s = _sum_profile(_plain(spec), spec.pipeline, model)
    a = _accumulator_profile(_accumulator_key(spec), model)
    into_acc = a["in", "ff"]
    return max(launch + s["in", "ff"], s["ff", "ff"], launch + s["in", "out"] + into_acc, s["ff", "out"] + into_acc,
               a["ff", "ff"])


def dot_res(spec: DotSpec) -> Res:
    """The unit's cells: a pipelined one is its pipelined sum, the accumulator and 3 control delay FFs
    a stage (lutgen.pe.accumulate), so no unit needs building per accumulator width."""
    if spec.pipeline == 0:
        return Res.of_cells(netlist_counts(_dot(spec)))
    staged = Res.of_cells(netlist_counts(staged_sum(_plain(spec), spec.pipeline)))
    return staged + Res.of_cells(accumulator_counts(*_accumulator_key(spec))) + Res(ff=3 * spec.pipeline)


@lru_cache(maxsize=None)
def dot_stages(spec: DotSpec, model: DelayModel, period_ns: float, launch: float) -> tuple[int, float]:
    """The fewest pipeline stages that bring a dot unit within the period, and its slowest path then.

    The unit's inputs come from registers (launch: their clock-to-Q) and its
    outputs are its accumulator's FFs. When no stage count reaches the period,
    the most stages and their path: the design then runs slower.
    """
    def path(stages):
        return dot_path(replace(spec, pipeline=stages), model, launch)

    # the sum alone bounds the unpipelined unit from below: skip building that when it cannot meet the period
    alone = launch + _sum_profile(_plain(spec), 0, model)["in", "out"] + model.net + model.ff_setup
    unstaged = path(0) if alone <= period_ns else alone
    if unstaged <= period_ns:
        return 0, unstaged
    best = (0, unstaged)
    # no cut can beat an even split, so start there
    for stages in range(max(1, ceil(unstaged / period_ns) - 1), MAX_STAGES + 1):
        p = path(stages)
        if p <= period_ns:
            return stages, p
        if p < best[1]:
            best = (stages, p)
    return best


def dot_unit(spec: DotSpec) -> Netlist:
    return _dot(spec)


def lane_stages(netlist: Netlist, model: DelayModel, period_ns: float, launch: float, capture: float) -> tuple[int, float]:
    """Pipeline stages for a combinational lane netlist (requantizer, pool, add) to meet the period."""
    best = None
    for stages in range(MAX_STAGES + 1):
        staged = pipeline(netlist, stages) if stages else netlist
        path = netlist_path(staged, model, launch, capture)
        if path <= period_ns:
            return stages, path
        if best is None or path < best[1]:
            best = (stages, path)
    return best


def staged(netlist: Netlist, stages: int, name: str | None = None) -> Netlist:
    out = pipeline(netlist, stages) if stages else netlist
    return replace(out, name=name) if name else out

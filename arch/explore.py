"""Design-space exploration: folding per layer for the highest frames/s that fits.

The search runs over the initiation interval II. For a candidate II, each
layer independently takes its cheapest folding that finishes a frame within
II cycles, cheapest meaning the smallest sum of its resource shares
(LUT/budget + FF/budget + BRAM/budget + URAM/budget). The slow layers
thus get just enough parallelism and no more: layers are balanced, not all
raised alike. Every distinct cycle count of every layer's foldings is a
candidate II; all are evaluated (a bisect per layer each), and the fastest
design that fits wins. When one resource binds, this is exact: it is the
least of that resource at each II.

Weights that do not fit in BRAM/URAM are streamed from off-chip memory,
largest first; re-reading them every frame caps frames/s at
bandwidth / spilled bytes per frame.
"""

from __future__ import annotations

import bisect
import sys
from dataclasses import dataclass, field

from .dataflow import foldings
from .device import Device, Limits, budget
from .network import ArchError, Network, total_macs, weight_bits
from .resources import LayerCost, layer_cost

DEFAULT_CLOCK_MHZ = 200.0


@dataclass
class Design:
    net: Network
    device: Device
    limits: Limits
    clock_mhz: float
    bandwidth_gbytes_s: float
    costs: list[LayerCost]
    usage: dict[str, int] = field(default_factory=dict)
    spilled: list[str] = field(default_factory=list)
    spilled_bits: int = 0

    @property
    def ii(self) -> int:
        return max(c.cycles for c in self.costs)

    @property
    def compute_fps(self) -> float:
        return self.clock_mhz * 1e6 / self.ii

    @property
    def bandwidth_fps(self) -> float | None:
        if not self.spilled_bits:
            return None
        return self.bandwidth_gbytes_s * 1e9 / (self.spilled_bits / 8)

    @property
    def fps(self) -> float:
        cap = self.bandwidth_fps
        return self.compute_fps if cap is None else min(self.compute_fps, cap)

    @property
    def tops(self) -> float:
        return 2 * total_macs(self.net) * self.fps / 1e12

    @property
    def budget(self) -> dict[str, int]:
        return budget(self.device, self.limits)

    def over(self) -> dict[str, int]:
        """Resource -> amount over budget."""
        return {r: self.usage[r] - b for r, b in self.budget.items() if self.usage.get(r, 0) > b}

    @property
    def fits(self) -> bool:
        return not self.over()

    def bottleneck(self) -> LayerCost:
        return max(self.costs, key=lambda c: c.cycles)


def assemble(net: Network, device: Device, costs: list[LayerCost], limits: Limits, clock_mhz: float,
             bandwidth: float) -> Design:
    """Add up a choice of foldings; spill weight memories off chip while BRAM or URAM is over budget."""
    usage = {"LUT": 0, "FF": 0, "BRAM36": 0, "URAM": 0, "DSP": 0, "CARRY": 0}
    for c in costs:
        usage["LUT"] += c.lut
        usage["FF"] += c.ff
        usage["BRAM36"] += c.bram36
        usage["URAM"] += c.uram
        usage["CARRY"] += c.carry
    design = Design(net, device, limits, clock_mhz, bandwidth, costs, usage)
    limit = design.budget
    spillable = sorted(
        (c for c in costs if c.weight_memory.bram36 or c.weight_memory.uram),
        key=lambda c: (-(c.weight_memory.bram36 + 8 * c.weight_memory.uram), c.layer),
    )
    for c in spillable:
        if usage["BRAM36"] <= limit["BRAM36"] and usage["URAM"] <= limit["URAM"]:
            break
        usage["BRAM36"] -= c.weight_memory.bram36
        usage["URAM"] -= c.weight_memory.uram
        design.spilled.append(c.layer)
        design.spilled_bits += c.weight_bits
    return design


def share_weights(device: Device, limits: Limits) -> dict[str, float]:
    b = budget(device, limits)
    return {r: (1.0 / b[r] if b[r] else 0.0) for r in ("LUT", "FF", "BRAM36", "URAM")}


def _score(cost: LayerCost, weights: dict[str, float]) -> float:
    return cost.lut * weights["LUT"] + cost.ff * weights["FF"] + cost.bram36 * weights["BRAM36"] + cost.uram * weights["URAM"]


class LayerOptions:
    """One layer's foldings, sorted by cycles, with the cheapest one at or under each cycle count."""

    def __init__(self, costs: list[LayerCost], weights: dict[str, float]):
        costs = sorted(costs, key=lambda c: (c.cycles, _score(c, weights), c.folding))
        self.cycles = [c.cycles for c in costs]
        self.cheapest: list[LayerCost] = []
        best = None
        for c in costs:
            if best is None or _score(c, weights) < _score(best, weights):
                best = c
            self.cheapest.append(best)

    def within(self, ii: int) -> LayerCost:
        return self.cheapest[bisect.bisect_right(self.cycles, ii) - 1]


def progress(items, label: str, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="layer", file=sys.stderr, leave=False, dynamic_ncols=True)


def layer_options(net: Network, device: Device, limits: Limits, show_progress: bool = False) -> list[LayerOptions]:
    weights = share_weights(device, limits)
    return [
        LayerOptions([layer_cost(net, layer, f, device) for f in foldings(net, layer)], weights)
        for layer in progress(net.layers, f"costing {net.name} on {device.name}", show_progress)
    ]


@dataclass
class Exploration:
    best: Design
    front: list[dict]  # Pareto points, frames/s against LUTs
    evaluated: int
    front_all: list[dict]  # every evaluated design, one point each


def explore(net: Network, device: Device, limits: Limits = Limits(), clock_mhz: float = DEFAULT_CLOCK_MHZ,
            bandwidth: float | None = None, show_progress: bool = False) -> Exploration:
    bandwidth = device.ddr_gbytes_s if bandwidth is None else bandwidth
    options = layer_options(net, device, limits, show_progress)
    fastest_possible = max(o.cycles[0] for o in options)
    candidates = sorted({c for o in options for c in o.cycles if c >= fastest_possible})
    best: Design | None = None
    points = []
    for ii in candidates:
        design = assemble(net, device, [o.within(ii) for o in options], limits, clock_mhz, bandwidth)
        points.append(_point(design))
        if design.fits and (best is None or (design.fps, -design.usage["LUT"]) > (best.fps, -best.usage["LUT"])):
            best = design
    if best is None:
        slowest = assemble(net, device, [o.within(candidates[-1]) for o in options], limits, clock_mhz, bandwidth)
        raise ArchError(f"{net.name} does not fit {device.name} at any folding: even the smallest design "
                        f"{describe_over(slowest)}")
    return Exploration(best, pareto(points), len(candidates), points)


def _point(design: Design) -> dict:
    return {
        "ii_cycles": design.ii,
        "fps": design.fps,
        "lut": design.usage["LUT"],
        "ff": design.usage["FF"],
        "onchip_memory_bram36_equiv": design.usage["BRAM36"] + 8 * design.usage["URAM"],
        "parameter_bits": sum(weight_bits(design.net, layer) for layer in design.net.layers),
        "fits": design.fits,
    }


def pareto(points: list[dict]) -> list[dict]:
    """Points no other point beats on frames/s and LUTs together (fitting or not; each says)."""
    front = []
    for p in sorted(points, key=lambda q: (q["lut"], -q["fps"])):
        if not front or p["fps"] > front[-1]["fps"]:
            front.append(p)
    return front


def describe_over(design: Design) -> str:
    """Which resources are over budget, by how much, and the layers that use most of each."""
    parts = []
    for resource, excess in design.over().items():
        key = {"LUT": "lut", "FF": "ff", "BRAM36": "bram36", "URAM": "uram"}.get(resource)
        top = sorted(design.costs, key=lambda c: -getattr(c, key, 0))[:3] if key else []
        users = ", ".join(f"{c.layer} {getattr(c, key)}" for c in top)
        parts.append(f"needs {design.usage[resource]} {resource} against a budget of {design.budget[resource]} "
                     f"(over by {excess}; most in {users})")
    return "; ".join(parts)

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
import fnmatch
import re
import sys
from dataclasses import dataclass, field, replace

from .dataflow import foldings
from .device import Device, Limits, budget
from .inputs import PATTERN, MapOf, Number, Pattern, Record, Text, Where, read_mapping
from .network import MAX_BITS, MIN_BITS, ArchError, Layer, Network, total_macs
from .hw.plan import load_sequencer_res, stream_ports
from .hw.stream import STREAM_WIDTH
from .resources import LayerCost, layer_cost
from ..spec import SpecError

# The default target clock per family: what the units' pipelining meets on each (see README, Timing).
DEFAULT_CLOCK_MHZ = {"xcup": 300.0, "xc7": 200.0}


def default_clock(device: Device) -> float:
    return DEFAULT_CLOCK_MHZ[device.family]


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
    loss: float = 0.0  # total accuracy proxy of the chosen widths
    ports: dict = field(default_factory=dict)  # the top's stream ports (arch.hw.plan.stream_ports)

    @property
    def stream_cycles(self) -> int:
        """Cycles per frame the narrower of the top's streams needs: one beat a cycle."""
        return self.ports.get("cycles", 0)

    @property
    def ii(self) -> int:
        return max(max(c.cycles for c in self.costs), self.stream_cycles)

    def bottleneck_name(self) -> str:
        """The slowest layer, or the stream ports when one beat a cycle is slower still."""
        slowest = self.bottleneck()
        return "stream ports" if self.stream_cycles > slowest.cycles else slowest.layer

    @property
    def fmax_mhz(self) -> float:
        """The estimated clock of the slowest register-to-register path (lutgen.timing)."""
        path = max((c.path_ns for c in self.costs), default=0.0)
        return 1000.0 / path if path else float("inf")

    @property
    def clock_met_mhz(self) -> float:
        """The clock the design runs at: the target, or the estimate where that is slower."""
        return min(self.clock_mhz, self.fmax_mhz)

    def slowest(self) -> LayerCost:
        return max(self.costs, key=lambda c: c.path_ns)

    @property
    def compute_fps(self) -> float:
        return self.clock_met_mhz * 1e6 / self.ii

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
             bandwidth: float, ports: dict | None = None) -> Design:
    """Add up a choice of foldings (and the top's stream adapters: `ports`, from arch.hw.plan.stream_ports,
    holds their "res" and "cycles"); spill weight memories off chip while BRAM or URAM is over budget."""
    usage = {"LUT": 0, "FF": 0, "BRAM36": 0, "URAM": 0, "DSP": 0, "CARRY": 0}
    ports = ports or {}
    if "res" in ports:
        usage["LUT"] += ports["res"].lut
        usage["FF"] += ports["res"].ff
        usage["CARRY"] += ports["res"].carry
    for c in costs:
        usage["LUT"] += c.lut
        usage["FF"] += c.ff
        usage["BRAM36"] += c.bram36
        usage["URAM"] += c.uram
        usage["CARRY"] += c.carry
    loader = load_sequencer_res(sum(c.weight_memory.uram_memories for c in costs))
    usage["LUT"] += loader.lut
    usage["FF"] += loader.ff
    usage["CARRY"] += loader.carry
    design = Design(net, device, limits, clock_mhz, bandwidth, costs, usage, ports=ports)
    limit = design.budget
    spillable = sorted(
        (c for c in costs if c.weight_memory.bram36 or c.weight_memory.uram),
        key=lambda c: (-(c.weight_memory.bram36 + 8 * c.weight_memory.uram), c.layer),
    )
    for c in spillable:
        over_bram, over_uram = usage["BRAM36"] > limit["BRAM36"], usage["URAM"] > limit["URAM"]
        if not (over_bram or over_uram):
            break
        if not (over_bram and c.weight_memory.bram36 or over_uram and c.weight_memory.uram):
            continue  # spilling it would free only a resource that is within budget
        usage["BRAM36"] -= c.weight_memory.bram36
        usage["URAM"] -= c.weight_memory.uram
        design.spilled.append(c.layer)
        design.spilled_bits += c.weight_bits
    return design


def share_weights(device: Device, limits: Limits) -> dict[str, float]:
    b = budget(device, limits)
    return {r: (1.0 / b[r] if b[r] else 0.0) for r in ("LUT", "FF", "BRAM36", "URAM")}


def _score(cost: LayerCost, weights: dict[str, float], loss_weight: float = 0.0) -> float:
    return (cost.lut * weights["LUT"] + cost.ff * weights["FF"] + cost.bram36 * weights["BRAM36"]
            + cost.uram * weights["URAM"] + loss_weight * cost.loss)


class LayerOptions:
    """One layer's options, sorted by cycles, with the cheapest one at or under each cycle count."""

    def __init__(self, costs: list[LayerCost], weights: dict[str, float], loss_weight: float = 0.0):
        def score(c):
            return _score(c, weights, loss_weight)

        costs = sorted(costs, key=lambda c: (c.cycles, score(c), c.folding, c.loss))
        self.cycles = [c.cycles for c in costs]
        self.cheapest: list[LayerCost] = []
        best = None
        for c in costs:
            if best is None or score(c) < score(best):
                best = c
            self.cheapest.append(best)

    def within(self, ii: int) -> LayerCost:
        return self.cheapest[bisect.bisect_right(self.cycles, ii) - 1]


def progress(items, label: str, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="layer", file=sys.stderr, leave=False, dynamic_ncols=True)


@dataclass(frozen=True)
class PrecisionSearch:
    """Widths the search may pick per layer, each with an accuracy-loss proxy, and the total allowed.

    Layers without an entry keep the widths they have, at loss 0.
    """

    choices: dict[str, tuple[tuple[int, int, float], ...]]  # layer -> ((w_bits, a_bits, loss), ...)
    max_loss: float


def _width_pair(value) -> tuple[int, int] | None:
    match = re.fullmatch(r"w(\d{1,2})a(\d{1,2})", value.lower(), re.ASCII) if isinstance(value, str) else None
    pair = (int(match[1]), int(match[2])) if match else None
    return pair if pair and all(MIN_BITS <= b <= MAX_BITS for b in pair) else None


LOSS = Number(0)
WIDTH_PAIR = Pattern(f"wWaA with widths {MIN_BITS}..{MAX_BITS}, e.g. w4a4", _width_pair)
SENSITIVITY = Record({"about": Text(), "max_loss": LOSS, "layers": MapOf(PATTERN, MapOf(WIDTH_PAIR, LOSS, 1), 1)},
                     required=("layers",), what="a sensitivity file")


def precision_search_from_dict(net: Network, data: dict, max_loss=None, where: Where | None = None) -> PrecisionSearch:
    """{"max_loss": X, "layers": {"name or pattern": {"w4a4": 0.3, "w8a8": 0.0}}}; later patterns win.

    `max_loss` (a number, or the text of --max-loss) overrides the file's.
    """
    where = where or Where("sensitivity")
    data = SENSITIVITY(where, data)
    if max_loss is None:
        max_loss = data.get("max_loss")
    elif isinstance(max_loss, str):
        try:
            max_loss = float(max_loss)
        except ValueError:
            pass  # refused just below, as given
    if max_loss is None:
        raise ArchError("give the allowed total loss: --max-loss X, or max_loss in the sensitivity file")
    max_loss = LOSS(Where("--max-loss"), max_loss)
    names = [layer.name for layer in net.layers]
    choices: dict[str, tuple] = {}
    for pattern, table in data["layers"].items():
        matched = fnmatch.filter(names, pattern)
        if not matched:
            raise where.key("layers").key(pattern).error(f"names no layer of network {net.name!r}")
        options = tuple(sorted((w, a, loss) for (w, a), loss in table.items()))
        for name in matched:
            choices[name] = options
    return PrecisionSearch(choices, max_loss)


def load_sensitivity(net: Network, path, max_loss=None) -> PrecisionSearch:
    data, where = read_mapping(path, "sensitivity")
    return precision_search_from_dict(net, data, max_loss, where)


def layer_variants(net: Network, precision: PrecisionSearch | None) -> list[list[tuple[Layer, float]]]:
    out = []
    for layer in net.layers:
        choices = precision.choices.get(layer.name) if precision else None
        if not choices:
            out.append([(layer, 0.0)])
            continue
        variants = []
        for w, a, loss in choices:
            if layer.is_compute:
                variants.append((replace(layer, w_bits=w, a_bits=a, channel_w_bits=None), loss))
            else:
                variants.append((replace(layer, a_bits=a), loss))
        out.append(variants)
    return out


def layer_costs(net: Network, device: Device, clock_mhz: float, precision: PrecisionSearch | None = None,
                show_progress: bool = False, weight_memory: str = "auto") -> list[list[LayerCost]]:
    """Every option of every layer: its foldings, times its width choices when precision is searched."""
    per_layer = []
    variants = layer_variants(net, precision)
    for layer, options in progress(list(zip(net.layers, variants)), f"costing {net.name} on {device.name}", show_progress):
        costs, refusals = [], []
        for variant, loss in options:
            within = net if variant == layer else net.with_layers([variant if x.name == layer.name else x for x in net.layers])
            for f in foldings(within, variant):
                try:
                    costs.append(replace(layer_cost(within, variant, f, device, clock_mhz, weight_memory), loss=loss))
                except (SpecError, ValueError) as exc:  # a block beyond what lutgen builds (a mux, a FIFO row...)
                    refusals.append(f"{f}: {exc}")
        if not costs:
            raise ArchError(f"layer {layer.name!r} cannot be built at any folding ({len(refusals)} tried); "
                            f"the first: {refusals[0]}")
        per_layer.append(costs)
    return per_layer


@dataclass
class Exploration:
    best: Design
    front: list[dict]  # Pareto points, frames/s against LUTs
    evaluated: int
    front_all: list[dict]  # every evaluated design, one point each


FRONT_CAP = 64  # (score, loss) points kept per layer in the precision search; exact below it


def _variant_options(costs: list[LayerCost], weights: dict[str, float]) -> list[tuple[float, LayerOptions]]:
    """One LayerOptions per width choice (by loss), so each choice keeps its own cheapest folding."""
    by_loss: dict[float, list[LayerCost]] = {}
    for c in costs:
        by_loss.setdefault(c.loss, []).append(c)
    return [(loss, LayerOptions(group, weights)) for loss, group in sorted(by_loss.items())]


def _choose(layers: list[list[tuple[float, LayerOptions]]], ii: int, weights, max_loss: float) -> list[LayerCost] | None:
    """Per layer, the option meeting `ii` that minimises the summed resource score within the loss budget.

    A dynamic programme over the (score, loss) Pareto front of the layers so
    far: exact while the front stays under FRONT_CAP points, thinned evenly
    beyond. Without width choices every layer has one loss and it is a
    plain per-layer minimum.
    """
    front = [(0.0, 0.0, None)]  # (score, loss, back pointer)
    for variants in layers:
        picks = []
        for loss, options in variants:
            if options.cycles[0] <= ii:
                pick = options.within(ii)
                picks.append((_score(pick, weights), loss, pick))
        if not picks:
            return None
        merged = sorted(
            ((s0 + s1, l0 + l1, (node, pick)) for s0, l0, node in [(f[0], f[1], f) for f in front]
             for s1, l1, pick in picks if l0 + l1 <= max_loss + 1e-12),
            key=lambda t: (t[1], t[0]),
        )
        front = []
        for item in merged:  # keep points whose score beats every lower-loss point
            if not front or item[0] < front[-1][0] - 1e-15:
                front.append(item)
        if not front:
            return None
        if len(front) > FRONT_CAP:
            step = (len(front) - 1) / (FRONT_CAP - 1)
            front = [front[round(k * step)] for k in range(FRONT_CAP)]
    best = min(front, key=lambda t: (t[0], t[1]))
    chosen = []
    node = best
    while node[2] is not None:
        parent, pick = node[2]
        chosen.append(pick)
        node = parent
    return chosen[::-1]


def explore(net: Network, device: Device, limits: Limits = Limits(), clock_mhz: float | None = None,
            bandwidth: float | None = None, show_progress: bool = False,
            precision: PrecisionSearch | None = None, weight_memory: str = "auto",
            in_width: int = STREAM_WIDTH, out_width: int = STREAM_WIDTH) -> Exploration:
    """The fastest design that fits, and the Pareto front; clock_mhz is the target (default: the family's),
    weight_memory where the weights go ("auto": the cheapest for the device; arch.hw.memory), in_width and
    out_width the beats of the top's streams (their adapters and pace count, as in what `lutgen accel` writes)."""
    bandwidth = device.ddr_gbytes_s if bandwidth is None else bandwidth
    clock_mhz = default_clock(device) if clock_mhz is None else clock_mhz
    costs = layer_costs(net, device, clock_mhz, precision, show_progress, weight_memory)
    weights = share_weights(device, limits)
    layers = [_variant_options(layer, weights) for layer in costs]
    max_loss = precision.max_loss if precision is not None else 0.0
    fastest_possible = max(min(c.cycles for c in options) for options in costs)
    candidates = sorted({c.cycles for options in costs for c in options if c.cycles >= fastest_possible})
    best: Design | None = None
    smallest: Design | None = None
    points = []
    # the ports depend on the widths of the input and the output only: chosen anew only with the precision
    fixed_ports = stream_ports(net, in_width, out_width) if precision is None else None
    for ii in candidates:
        chosen = _choose(layers, ii, weights, max_loss)
        if chosen is None:
            continue
        ports = fixed_ports or stream_ports(net.with_layers([c.variant for c in chosen]), in_width, out_width)
        design = assemble(net, device, chosen, limits, clock_mhz, bandwidth, ports=ports)
        design.loss = sum(c.loss for c in chosen)
        points.append(_point(design, design.loss))
        smallest = design
        if design.fits and (best is None or (design.fps, -design.usage["LUT"]) > (best.fps, -best.usage["LUT"])):
            best = design
    if best is None:
        if smallest is None:
            raise ArchError(f"{net.name}: no choice of widths stays within --max-loss {max_loss:g}")
        raise ArchError(f"{net.name} does not fit {device.name} at any folding: even the smallest design "
                        f"{describe_over(smallest)}")
    if precision is not None:
        best.net = net.with_layers([c.variant for c in best.costs])
    return Exploration(best, pareto(points), len(points), points)


def _point(design: Design, loss: float = 0.0) -> dict:
    return {
        "loss": loss,
        "ii_cycles": design.ii,
        "fps": design.fps,
        "lut": design.usage["LUT"],
        "ff": design.usage["FF"],
        "onchip_memory_bram36_equiv": design.usage["BRAM36"] + 8 * design.usage["URAM"],
        "parameter_bits": sum(c.weight_bits for c in design.costs),
        "fits": design.fits,
    }


def pareto(points: list[dict], cost: str = "lut") -> list[dict]:
    """Points no other point beats on frames/s and `cost` together (fitting or not; each says)."""
    front = []
    for p in sorted(points, key=lambda q: (q[cost], -q["fps"])):
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

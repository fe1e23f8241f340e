"""What one layer costs at one folding: the sum of its hardware plan's blocks (arch.hw).

Nothing here is a separate model: the plan is what `lutgen accel` emits.
Dot units, requantizers, lanes, ROMs and multiplexers are lutgen netlists,
counted cell by cell; FIFOs, line buffers, registers and control are counted
by the formulas beside the code that writes them (arch/hw/stream.py,
compute.py, lanes.py), each checked against Yosys in tests/test_hw_blocks.py.
Without weights, weight ROMs and requantizers are costed at their worst case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .dataflow import Folding
from .hw.compute import ComputeHw
from .hw.plan import plan_layer, unit_path, unit_res
from .hw.res import Res
from .network import Layer, Network, dot_length


@dataclass(frozen=True)
class WeightMemory:
    """Where a layer's weights live, for spilling them off chip: its style and what it holds."""

    kind: str  # "const", "lut", "bram", "uram" (joined with + for several widths), "none"
    bram36: float = 0
    uram: int = 0
    uram_memories: int = 0  # memories that take the weight-load stream


@dataclass(frozen=True)
class LayerCost:
    layer: str
    folding: Folding
    cycles: int
    lut: int
    ff: int
    carry: int
    bram36: float
    uram: int
    weight_bits: int  # parameters (weights, not biases)
    weight_memory: WeightMemory  # what may be spilled off chip
    path_ns: float = 0.0  # the slowest register-to-register path of the layer's hardware
    parts: dict = field(default_factory=dict, compare=False)  # LUTs by block, for the report
    variant: Layer | None = field(default=None, compare=False)  # the layer with the widths costed
    loss: float = 0.0  # accuracy proxy of those widths (precision search)
    stages: dict = field(default_factory=dict, compare=False)  # pipeline stages chosen (dot units, requantizers)

    def totals(self) -> dict[str, float]:
        return {"LUT": self.lut, "FF": self.ff, "BRAM36": self.bram36, "URAM": self.uram, "DSP": 0}


def weight_memory_of(hw) -> WeightMemory:
    if not isinstance(hw, ComputeHw):
        return WeightMemory("none")
    kinds = sorted({g.memory.style for g in hw.groups})
    bram = sum(g.memory.res.bram36 for g in hw.groups)
    uram = sum(g.memory.res.uram for g in hw.groups)
    loads = sum(1 for g in hw.groups if g.memory.style == "uram")
    return WeightMemory("+".join(kinds), bram, uram, loads)


def cost_of(net: Network, layer: Layer, folding: Folding, hw) -> LayerCost:
    """A layer's cost from its plan (with or without weights)."""
    res: Res = unit_res(hw)
    parts = {b.name: b.res.lut for b in hw.blocks}
    weight_bits = 0
    stages = {}
    if layer.is_compute:
        length = dot_length(layer, net.in_shape(layer))
        weight_bits = sum(bits * count * length for bits, count in layer.weight_groups().items())
        stages = {"dot": hw.dot_stages, "requant": hw.requant_stages}
    else:
        stages = {"lane": hw.stages}
    return LayerCost(layer=layer.name, folding=folding, cycles=hw.cycles, lut=res.lut, ff=res.ff, carry=res.carry,
                     bram36=res.bram36, uram=res.uram, weight_bits=weight_bits, weight_memory=weight_memory_of(hw),
                     path_ns=unit_path(hw), parts=parts, variant=layer, stages=stages)


def layer_cost(net: Network, layer: Layer, folding: Folding, device, clock_mhz: float,
               weight_memory: str = "auto") -> LayerCost:
    return _layer_cost(net, layer, folding, device, float(clock_mhz), weight_memory)


@lru_cache(maxsize=4096)
def _layer_cost(net: Network, layer: Layer, folding: Folding, device, clock_mhz: float, weight_memory: str) -> LayerCost:
    return cost_of(net, layer, folding, plan_layer(net, layer, folding, device, clock_mhz,
                                                   weight_memory=weight_memory))

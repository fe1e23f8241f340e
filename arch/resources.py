"""What one layer costs at one folding.

Compute is counted, not estimated: each dot-product unit is the netlist
lutgen builds for it (`lutgen.dot.dot_counts`: the lane multipliers, the
adder tree and the accumulator, counted cell by cell and cached by
configuration), with the greedy compression stages: the ILP's stages take
a second or so per unit and save a few per cent on narrow heaps, so the
counts here are at most that much above what `lutgen dot` builds. Around
it, small formulas for the logic lutgen does not generate yet, each stated
where it is computed:

- requantization per dot unit (shift, round, clip, ReLU): a rounding
  adder of acc bits on a carry chain, an overflow test over the bits
  above the output (one LUT per 5), a clip mux per output bit, and an
  output register;
- pooling and add lanes: max pool a compare and a mux per bit; average
  pool an accumulator; add an adder and a clip per bit;
- control: per layer, four counters as wide as the cycle count
  (1 LUT + 1 FF per bit each);
- memories (weights as ROM, biases, line buffers, shortcut FIFOs) go
  through `memory.map_memory`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from math import ceil, gcd, log2

from lutgen.dot import dot_counts
from lutgen.spec import DotSpec, MulSpec, bits_for_range

from .dataflow import Folding, cycles, output_bits, shortcut_fifo_elements, units_per_group, window_buffer_elements
from .memory import Mapping, map_memory
from .network import Layer, Network, dot_length


@dataclass(frozen=True)
class LayerCost:
    layer: str
    folding: Folding
    cycles: int
    lut: int
    ff: int
    carry: int
    bram36: int
    uram: int
    weight_bits: int  # parameters (weights, not biases)
    weight_memory: Mapping  # what may be spilled off chip
    parts: dict = field(default_factory=dict, compare=False)  # LUTs by part, for the report
    variant: Layer | None = field(default=None, compare=False)  # the layer with the widths costed
    loss: float = 0.0  # accuracy proxy of those widths (precision search)

    def totals(self) -> dict[str, int]:
        return {"LUT": self.lut, "FF": self.ff, "BRAM36": self.bram36, "URAM": self.uram, "DSP": 0}


def product_spec(layer: Layer, w_bits: int, family: str) -> MulSpec:
    return MulSpec(w_bits, layer.a_bits, True, layer.signed_a, family)


def acc_bits_for(layer: Layer, mul: MulSpec, length: int) -> int:
    lo, hi = mul.product_range()
    return bits_for_range(lo * length, hi * length, mul.signed_out)


def requant_counts(acc_bits: int, out_bits: int, carry_width: int) -> Counter:
    over = max(0, acc_bits - out_bits)
    return Counter(LUT=acc_bits + ceil(over / 5) + out_bits, FF=out_bits, CARRY=ceil(acc_bits / carry_width))


def control_counts(cycle_count: int) -> Counter:
    bits = max(1, ceil(log2(cycle_count + 1)))
    return Counter(LUT=4 * bits, FF=4 * bits)


def _add_mapping(total: Counter, mapping: Mapping, part: str, parts: Counter) -> None:
    total["LUT"] += mapping.luts
    total["BRAM36"] += mapping.bram36
    total["URAM"] += mapping.uram
    parts[part] += mapping.luts


def layer_cost(net: Network, layer: Layer, folding: Folding, device) -> LayerCost:
    total, parts = Counter(), Counter()
    cycle_count = cycles(net, layer, folding)
    carry_width = 4 if device.family == "xc7" else 8
    weight_memory, weight_bit_count = Mapping("none"), 0
    a = layer.a_bits
    if layer.is_compute:
        length = dot_length(layer, net.in_shape(layer))
        words = (length // folding.simd) * folding.fold
        width = 0
        for w_bits, units in units_per_group(layer, folding.fold).items():
            mul = product_spec(layer, w_bits, device.family)
            acc = acc_bits_for(layer, mul, length)
            unit = dot_counts(DotSpec(mul, folding.simd, acc, search="greedy"))  # the ILP's seconds, times hundreds of units
            requant = requant_counts(acc, output_bits(net, layer), carry_width)
            total["LUT"] += units * (unit["lut_sites"] + requant["LUT"])
            total["FF"] += units * (unit["FDRE"] + requant["FF"])
            total["CARRY"] += units * (unit["carry_cells"] + requant["CARRY"])
            parts["dot units"] += units * unit["lut_sites"]
            parts["requant"] += units * requant["LUT"]
            width += units * folding.simd * w_bits
            bias = map_memory(folding.fold, units * acc, device)
            _add_mapping(total, bias, "bias memory", parts)
        weight_memory = map_memory(words, width, device)
        weight_bit_count = sum(bits * count * length for bits, count in layer.weight_groups().items())
        _add_mapping(total, weight_memory, "weight memory", parts)
        elements_per_word = gcd(folding.simd, net.in_shape(layer).c)
    else:
        lanes = folding.lanes
        out_bits = output_bits(net, layer)
        if layer.kind == "maxpool":
            lane = Counter(LUT=2 * a, FF=a, CARRY=ceil(a / carry_width))
        elif layer.kind == "avgpool":
            acc = a + ceil(log2(layer.kernel * layer.kernel))
            lane = Counter(LUT=acc, FF=acc, CARRY=ceil(acc / carry_width)) + requant_counts(acc, out_bits, carry_width)
        elif layer.kind == "gpool":
            s = net.in_shape(layer)
            acc = a + ceil(log2(s.h * s.w))
            lane = Counter(LUT=acc, CARRY=ceil(acc / carry_width)) + requant_counts(acc, out_bits, carry_width)
            sums = map_memory(s.c // lanes, lanes * acc, device)
            _add_mapping(total, sums, "channel sums", parts)
        elif layer.kind == "add":
            lane = Counter(LUT=a + 1, CARRY=ceil((a + 1) / carry_width)) + requant_counts(a + 1, out_bits, carry_width)
            fifo = fifo_cost(shortcut_fifo_elements(net)[layer.name], a, lanes, device)
            _add_mapping(total, fifo, "shortcut FIFO", parts)
        else:  # relu / requantize
            lane = requant_counts(a, out_bits, carry_width)
        total["LUT"] += lanes * lane["LUT"]
        total["FF"] += lanes * lane["FF"]
        total["CARRY"] += lanes * lane["CARRY"]
        parts["lanes"] += lanes * lane["LUT"]
        elements_per_word = lanes
    window = window_buffer_elements(net, layer)
    if window:
        line_buffer = map_memory(ceil(window / elements_per_word), elements_per_word * a, device)
        _add_mapping(total, line_buffer, "line buffer", parts)
    control = control_counts(cycle_count)
    total["LUT"] += control["LUT"]
    total["FF"] += control["FF"]
    parts["control"] += control["LUT"]
    return LayerCost(
        layer=layer.name, folding=folding, cycles=cycle_count, lut=total["LUT"], ff=total["FF"],
        carry=total["CARRY"], bram36=total["BRAM36"], uram=total["URAM"], weight_bits=weight_bit_count,
        weight_memory=weight_memory, parts=dict(parts), variant=layer,
    )


def fifo_cost(elements: int, a_bits: int, lanes: int, device) -> Mapping:
    """A shortcut FIFO: `lanes` activations per word."""
    return map_memory(ceil(elements / lanes), lanes * a_bits, device)

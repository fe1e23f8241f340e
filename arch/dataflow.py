"""Layer-pipelined streaming dataflow: folding, cycles per frame, buffer sizes.

Every layer has its own unit and all run at once on successive pixels, so a
frame takes, in steady state, as long as the slowest layer (the initiation
interval, II); frames/s = clock / II.

Folding of a conv / fc layer (FINN's SIMD x PE): `simd` products of one
output value per cycle (a dot-product unit of simd lanes) and `fold` output
channels computed in turn by each dot unit, so a layer with output channels
C has ceil(C_g / fold) units per weight width g, and takes

    cycles = H_out * W_out * (L / simd) * fold        (L = K*K*C_in/groups)

Pool, add and requantize layers take `lanes` channels per cycle:
cycles = H_in * W_in * C / lanes (they read their input at that rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import ceil

from .network import Layer, Network, dot_length

MAX_SIMD = 64  # dot-product lanes: deeper combinational adder trees would not close timing at 200 MHz unpipelined


@dataclass(frozen=True, order=True)
class Folding:
    simd: int = 1  # conv / fc: dot-product lanes
    fold: int = 1  # conv / fc: output channels per dot unit, in turn
    lanes: int = 1  # other layers: channels per cycle

    def describe(self, layer: Layer) -> str:
        if layer.is_compute:
            return f"simd {self.simd}, fold {self.fold}"
        return f"lanes {self.lanes}"


@lru_cache(maxsize=None)
def divisors(n: int) -> tuple[int, ...]:
    small = [d for d in range(1, int(n ** 0.5) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


def units_per_group(layer: Layer, fold: int) -> dict[int, int]:
    """Weight width -> dot units of that width."""
    return {bits: ceil(count / fold) for bits, count in layer.weight_groups().items()}


def foldings(net: Network, layer: Layer) -> list[Folding]:
    """Every folding the layer allows: divisors, so cycle counts are exact."""
    if layer.is_compute:
        length = dot_length(layer, net.in_shape(layer))
        simds = [s for s in divisors(length) if s <= MAX_SIMD]
        return [Folding(simd=s, fold=f) for s in simds for f in divisors(layer.out_channels)]
    return [Folding(lanes=p) for p in divisors(net.in_shape(layer).c)]


def cycles(net: Network, layer: Layer, folding: Folding) -> int:
    if layer.is_compute:
        out = net.out_shape(layer)
        length = dot_length(layer, net.in_shape(layer))
        return out.h * out.w * (length // folding.simd) * folding.fold
    s = net.in_shape(layer)
    return s.h * s.w * (s.c // folding.lanes)


# -- buffers -------------------------------------------------------------------
def window_buffer_elements(net: Network, layer: Layer) -> int:
    """Activations a sliding-window layer holds: K-1 padded rows plus K pixels, all channels."""
    if layer.kind not in ("conv", "maxpool", "avgpool") or layer.kernel == 1:
        return 0
    s = net.in_shape(layer)
    k, p = layer.kernel, layer.padding
    return ((k - 1) * (s.w + 2 * p) + k) * s.c


def first_output_lead(net: Network, layer: Layer) -> float:
    """Fraction of its input frame a layer must read before its first output."""
    s = net.in_shape(layer)
    if layer.kind in ("fc", "gpool"):
        return 1.0
    if layer.kind in ("conv", "maxpool", "avgpool"):
        k, p = layer.kernel, layer.padding
        pixels = max(0, k - 1 - p) * s.w + max(1, k - p)
        return pixels / (s.h * s.w)
    return 0.0  # add, relu: element by element


def first_output_times(net: Network) -> dict[str, float]:
    """When each tensor's first element appears, in frames after the input's first pixel."""
    times = {"input": 0.0}
    for layer in net.layers:
        times[layer.name] = max(times[s] for s in layer.inputs) + first_output_lead(net, layer)
    return times


def shortcut_fifo_elements(net: Network) -> dict[str, int]:
    """Per add layer: activations its FIFO holds on the early input while the later one catches up.

    The early input runs ahead by the difference in first-output times; one
    extra row absorbs the rate jitter of the folded layers.
    """
    times = first_output_times(net)
    out = {}
    for layer in net.layers:
        if layer.kind != "add":
            continue
        early, late = sorted(layer.inputs, key=lambda s: times[s])
        s = net.shapes[early]
        ahead = times[late] - times[early]
        out[layer.name] = ceil(ahead * s.h * s.w) * s.c + s.w * s.c
    return out


def output_bits(net: Network, layer: Layer) -> int:
    """Width a layer requantizes to: what its consumers read (8 for the network output)."""
    widths = [c.a_bits for c in net.layers if layer.name in c.inputs]
    return max(widths) if widths else 8

"""What `lutgen accel` builds for each layer, as plain data: no Verilog here.

A compute layer (conv, fc) reads windows of L = K*K*C_in activations in the
line buffer's order (window row, window column, channel). Each weight width
g gets `units` dot-product units of `simd` lanes; every window takes
`steps` = L / simd cycles per output channel slot and `fold` slots, unit u
computing in slot f the output channel `channels[u, f]` (-1: idle slot).
Weight words are the unit's `simd` weights for (slot f, step j), at depth
f * steps + j.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import numpy as np

from lutgen.spec import DotSpec, MulSpec

from .dataflow import Folding, cycles, shortcut_fifo_elements, uses_window, window_geometry
from .golden import Format, LayerParams, channel_bits, tensor_formats
from .network import Layer, Network, Shape, dot_length

INPUT_FIFO_DEPTH = 2  # every unit's input: a registered, elastic boundary between units


@dataclass(frozen=True)
class DotGroup:
    bits: int  # weight width
    pe: DotSpec  # the dot-product unit: simd lanes of bits x a_bits
    channels: np.ndarray  # [units, fold] output channel, -1 where idle
    words: np.ndarray  # [fold * steps, units, simd] weights
    bias: np.ndarray  # [units, fold]

    @property
    def units(self) -> int:
        return self.channels.shape[0]


@dataclass(frozen=True)
class UnitPlan:
    layer: Layer
    inputs: tuple[str, ...]  # tensor names
    in_formats: tuple[Format, ...]
    out_format: Format
    in_shape: Shape
    out_shape: Shape
    window: tuple[int, int, int] | None  # (kernel, stride, padding) of the line buffer
    params: LayerParams
    fifo_depths: tuple[int, ...]  # one per input
    cycles: int  # the architecture model's cycles per frame
    simd: int = 1
    fold: int = 1
    steps: int = 1
    acc_bits: int = 0  # compute: the signed accumulator (exact for every input)
    groups: tuple[DotGroup, ...] = ()

    @property
    def name(self) -> str:
        return self.layer.name


@dataclass(frozen=True)
class AccelPlan:
    net: Network
    family: str
    units: tuple[UnitPlan, ...]
    formats: dict[str, Format]
    consumers: dict[str, tuple[str, ...]]  # tensor -> reading layers, in order
    output: str  # the tensor leaving the accelerator

    @property
    def ii(self) -> int:
        return max(u.cycles for u in self.units)


def signed_bits(bound: int) -> int:
    """Two's complement width holding every value in [-bound, bound]."""
    return max(1, bound.bit_length()) + 1


def window_order(net: Network, layer: Layer, weights: np.ndarray) -> np.ndarray:
    """[C_out, L] weights in the line buffer's (row, column, channel) order."""
    s = net.in_shape(layer)
    if layer.kind == "fc":
        weights = weights.reshape(layer.out_channels, s.c, s.h, s.w)
    return weights.transpose(0, 2, 3, 1).reshape(layer.out_channels, -1)


def _groups(net: Network, layer: Layer, params: LayerParams, folding: Folding, a_format: Format,
            family: str) -> tuple[tuple[DotGroup, ...], int]:
    length = dot_length(layer, net.in_shape(layer))
    steps = length // folding.simd
    ordered = window_order(net, layer, params.weights)
    bits = channel_bits(layer)
    groups = []
    for g in sorted(set(bits.tolist())):
        members = np.flatnonzero(bits == g)
        units = ceil(len(members) / folding.fold)
        channels = np.full(units * folding.fold, -1, dtype=np.int64)
        channels[: len(members)] = members
        channels = channels.reshape(units, folding.fold)  # unit u: channels u*fold .. u*fold + fold-1
        used = np.maximum(channels, 0)
        w = np.where((channels >= 0)[..., None], ordered[used], 0)  # [units, fold, L]
        words = w.reshape(units, folding.fold, steps, folding.simd).transpose(1, 2, 0, 3)
        words = words.reshape(folding.fold * steps, units, folding.simd)
        bias = np.where(channels >= 0, params.bias[used], 0)
        pe = DotSpec(MulSpec(g, a_format.bits, True, a_format.signed, family), folding.simd,
                     search="greedy")  # as the resources were costed
        groups.append(DotGroup(g, pe, channels, words, bias))
    top = max(1 << (g - 1) for g in bits.tolist())
    a_top = max(abs(a_format.low), a_format.high)
    acc_bits = signed_bits(length * top * a_top + int(np.abs(params.bias).max(initial=0)))
    return tuple(groups), acc_bits


def plan_unit(net: Network, layer: Layer, folding: Folding, params: LayerParams, formats: dict[str, Format],
              fifo_extra: dict[str, int], family: str) -> UnitPlan:
    in_shape = net.in_shape(layer)
    window = window_geometry(net, layer) if uses_window(net, layer) else None
    common = dict(
        layer=layer, inputs=layer.inputs, in_formats=tuple(formats[s] for s in layer.inputs),
        out_format=formats[layer.name], in_shape=in_shape, out_shape=net.out_shape(layer), window=window,
        params=params, cycles=cycles(net, layer, folding),
        fifo_depths=tuple(INPUT_FIFO_DEPTH + fifo_extra.get(s, 0) for s in layer.inputs),
    )
    if not layer.is_compute:
        return UnitPlan(**common)
    groups, acc_bits = _groups(net, layer, params, folding, formats[layer.inputs[0]], family)
    steps = dot_length(layer, in_shape) // folding.simd
    return UnitPlan(**common, simd=folding.simd, fold=folding.fold, steps=steps, acc_bits=acc_bits, groups=groups)


def shortcut_depths(net: Network) -> dict[str, dict[str, int]]:
    """Per add: extra FIFO depth (pixels) on its early input, from the model plus one row of slack."""
    extra = {}
    for name, elements in shortcut_fifo_elements(net).items():
        layer = net.layer(name)
        s = net.in_shape(layer)
        early = _early_input(net, layer)
        extra[name] = {early: ceil(elements / s.c) + s.w}
    return extra


def _early_input(net: Network, layer: Layer) -> str:
    from .dataflow import first_output_times
    times = first_output_times(net)
    return min(layer.inputs, key=lambda s: times[s])


def plan_accel(net: Network, foldings: dict[str, Folding], params: dict[str, LayerParams], family: str) -> AccelPlan:
    formats = tensor_formats(net)
    extras = shortcut_depths(net)
    units = tuple(plan_unit(net, layer, foldings[layer.name], params[layer.name], formats,
                            extras.get(layer.name, {}), family) for layer in net.layers)
    consumers = {name: tuple(layer.name for layer in net.layers if name in layer.inputs)
                 for name in ["input", *(layer.name for layer in net.layers)]}
    read = {s for layer in net.layers for s in layer.inputs}
    outputs = [layer.name for layer in net.layers if layer.name not in read]
    if len(outputs) != 1:
        from .network import ArchError
        raise ArchError(f"{net.name}: the accelerator needs exactly one output tensor, got {', '.join(outputs)}")
    return AccelPlan(net, family, units, formats, consumers, outputs[0])

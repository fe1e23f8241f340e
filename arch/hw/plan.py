"""One plan, two readers: the hardware of every layer, which the cost model sums and the Verilog writer emits.

`plan_layer` gives one layer's hardware at one folding; the exploration
costs every folding with it (weights unknown: memories and requantizers at
their worst case), and `plan_accel` plans the chosen design again with the
weights, so that the report counts exactly what is emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from lutgen.timing import DelayModel, delay_model

from ..dataflow import Folding, first_output_times, shortcut_fifo_elements, uses_window
from ..golden import Format, LayerParams, tensor_formats
from ..inputs import ident
from ..network import ArchError, Layer, Network
from .compute import ComputeHw, plan_compute
from .lanes import LanesHw, plan_lanes
from .res import Res, total
from .stream import beats_per_pixel, fifo_res, fork_res, stream_in_res, stream_out_res
from .units import Block

SPEED_GRADE = "-2"


def unit_module(top: str, layer: Layer) -> str:
    return f"{top}_{ident(layer.name)}"


def model_of(family: str) -> DelayModel:
    return delay_model(family, SPEED_GRADE)


def shortcut_of(net: Network, layer: Layer) -> tuple[int, int] | None:
    """An add's early input and the FIFO depth that holds it while the later one catches up (one row of slack)."""
    if layer.kind != "add":
        return None
    elements = shortcut_fifo_elements(net)[layer.name]
    times = first_output_times(net)
    early = min(range(len(layer.inputs)), key=lambda k: times[layer.inputs[k]])
    s = net.in_shape(layer)
    return early, ceil(elements / s.c) + s.w + 2


def readers(net: Network, tensor: str) -> tuple[str, ...]:
    return tuple(layer.name for layer in net.layers if tensor in layer.inputs)


def plan_layer(net: Network, layer: Layer, folding: Folding, device, clock_mhz: float,
               params: LayerParams | None = None, top: str = "accel",
               formats: dict[str, Format] | None = None, weight_memory: str = "auto") -> ComputeHw | LanesHw:
    formats = formats or tensor_formats(net)
    model = model_of(device.family)
    period = 1000.0 / clock_mhz
    if layer.is_compute:
        hw = plan_compute(net, layer, folding, formats, device, model, period, params, weight_memory)
    else:
        hw = plan_lanes(net, layer, folding, formats, model, period, device.family, unit_module(top, layer),
                        params, shortcut_of(net, layer))
    branches = fork_branches(net, layer.name)
    if branches:  # the fork that copies this layer's output to its readers, a FIFO on each branch that has none
        width = net.out_shape(layer).c * formats[layer.name].bits
        res = fork_res(len(branches)) + fifo_res(width, BRANCH_FIFO_DEPTH).times(sum(branches))
        block = Block("fork", res, 0.0, f"{len(branches)} readers, {sum(branches)} branch FIFO(s) of {BRANCH_FIFO_DEPTH}")
        hw = type(hw)(**{**hw.__dict__, "blocks": hw.blocks + (block,)})
    return hw


BRANCH_FIFO_DEPTH = 4  # a fork's readers take at their own pace: a few beats of slack each


def has_input_fifo(net: Network, layer: Layer, tensor: str) -> bool:
    """A padded line buffer has its input FIFO, an add's early input its shortcut FIFO."""
    if uses_window(net, layer):
        return True
    shortcut = shortcut_of(net, layer)
    return bool(shortcut and layer.inputs[shortcut[0]] == tensor)


def fork_branches(net: Network, tensor: str) -> list[bool]:
    """For a tensor with several readers: per reader, whether its branch needs a FIFO of its own.
    Empty for a tensor with one reader."""
    names = readers(net, tensor)
    if len(names) < 2:
        return []
    return [not has_input_fifo(net, net.layer(name), tensor) for name in names]


def unit_res(hw) -> Res:
    return total(b.res for b in hw.blocks)


def unit_path(hw) -> float:
    return max((b.path_ns for b in hw.blocks), default=0.0)


@dataclass(frozen=True)
class AccelHw:
    net: Network
    family: str
    clock_mhz: float  # the target
    top: str
    units: tuple
    formats: dict[str, Format]
    consumers: dict[str, tuple[str, ...]]  # tensor -> reading layers, in order
    output: str  # the tensor leaving the accelerator
    in_width: int = 64  # bits of an s_data beat
    out_width: int = 64  # bits of an m_data beat

    @property
    def in_pixel_bits(self) -> int:
        return self.ports["in_pixel_bits"]

    @property
    def out_unit(self):
        return next(u for u in self.units if u.layer.name == self.output)

    @property
    def out_pixel_bits(self) -> int:
        return self.ports["out_pixel_bits"]

    @property
    def ports(self) -> dict:
        return stream_ports(self.net, self.in_width, self.out_width, self.formats, self.output)

    @property
    def ii(self) -> int:
        return max(max(u.cycles for u in self.units), self.ports["cycles"])

    @property
    def loads(self) -> list[tuple[object, object]]:
        """(unit, group) of every UltraRAM memory, in load order."""
        return [(u, g) for u in self.units if isinstance(u, ComputeHw) for g in u.groups if g.memory.style == "uram"]

    @property
    def res(self) -> Res:
        return total(unit_res(u) for u in self.units) + load_sequencer_res(len(self.loads)) + self.ports["res"]

    @property
    def path_ns(self) -> float:
        return max(unit_path(u) for u in self.units)


def output_tensor(net: Network) -> str:
    """The one tensor no layer reads: what leaves the accelerator."""
    read = {s for layer in net.layers for s in layer.inputs}
    outputs = [layer.name for layer in net.layers if layer.name not in read]
    if len(outputs) != 1:
        raise ArchError(f"{net.name}: the accelerator needs exactly one output tensor, got {', '.join(outputs)}")
    return outputs[0]


def stream_ports(net: Network, in_width: int, out_width: int, formats: dict[str, Format] | None = None,
                 output: str | None = None) -> dict:
    """The top's stream ports: widths, beats, the cycles a frame's beats take (one a cycle), the adapters'
    cells. The one count of them, for the plan that `lutgen accel` writes and for `lutgen arch`'s designs."""
    formats = formats or tensor_formats(net)
    output = output or output_tensor(net)
    layer = next(layer for layer in net.layers if layer.name == output)
    s0, s1 = net.input_shape, net.out_shape(layer)
    in_pixel_bits, out_pixel_bits = s0.c * formats["input"].bits, s1.c * formats[output].bits
    n_in, n_out = beats_per_pixel(in_pixel_bits, in_width), beats_per_pixel(out_pixel_bits, out_width)
    frame_in, frame_out = n_in * s0.h * s0.w, n_out * s1.h * s1.w
    return {"in_width": in_width, "out_width": out_width, "in_pixel_bits": in_pixel_bits,
            "out_pixel_bits": out_pixel_bits, "in_beats_per_pixel": n_in, "out_beats_per_pixel": n_out,
            "in_beats_per_frame": frame_in, "out_beats_per_frame": frame_out, "cycles": max(frame_in, frame_out),
            "res": stream_in_res(in_pixel_bits, in_width) + stream_out_res(out_pixel_bits, out_width)}


def load_sequencer_res(targets: int) -> Res:
    """The top's weight-load sequencer: which memory takes the beats, a compare per memory."""
    if not targets:
        return Res()
    from .stream import clog2
    bits = clog2(targets + 1)
    return Res(lut=2 * targets + bits + 2, ff=bits, carry=ceil(bits / 4))


def plan_accel(net: Network, foldings: dict[str, Folding], params: dict[str, LayerParams], device,
               clock_mhz: float, top: str, progress=lambda items, label: items, weight_memory: str = "auto",
               in_width: int = 64, out_width: int = 64) -> AccelHw:
    formats = tensor_formats(net)
    units = tuple(plan_layer(net, layer, foldings[layer.name], device, clock_mhz, params[layer.name], top, formats,
                             weight_memory)
                  for layer in progress(list(net.layers), "planning layers"))
    consumers = {name: readers(net, name) for name in ["input", *(layer.name for layer in net.layers)]}
    return AccelHw(net, device.family, clock_mhz, top, units, formats, consumers, output_tensor(net), in_width, out_width)

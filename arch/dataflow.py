"""Layer-pipelined streaming dataflow: folding, cycles per frame, buffer sizes.

Every layer has its own unit and all run at once on successive pixels, so a
frame takes, in steady state, as long as the slowest layer (the initiation
interval, II); frames/s = clock / II.

Folding of a conv / fc layer (FINN's SIMD x PE): `simd` products of one
output value per cycle (a dot-product unit of simd lanes) and `fold` output
channels computed in turn by each dot unit, so a layer with output channels
C has ceil(C_g / fold) units per weight width g, and takes

    cycles = H_out * W_out * (L / simd) * fold        (L = K*K*C_in/groups)

Pool, add, relu and global-pool layers take a whole pixel (all C channels)
per cycle: cycles = H_in * W_in, one lane per channel. Streams between
layers carry whole pixels.

A sliding-window layer (conv or pool with a window) reads its windows from a
line buffer that walks the zero-padded image one position per cycle; the
buffer steps to the next window while the unit works on the current one, so
each window costs max(work, walk gap) cycles: see `window_walk_cycles`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import ceil

from lutgen.mux import MAX_WAYS

from .network import ArchError, Layer, Network, dot_length

MAX_SIMD = 64  # dot-product lanes per unit


@dataclass(frozen=True, order=True)
class Folding:
    simd: int = 1  # conv / fc: dot-product lanes
    fold: int = 1  # conv / fc: output channels per dot unit, in turn
    lanes: int = 1  # other layers: channels per cycle
    hold: bool = False  # conv / fc behind a line buffer: copy each window, so the buffer walks on during the work

    def describe(self, layer: Layer) -> str:
        if layer.is_compute:
            return f"simd {self.simd}, fold {self.fold}" + (", hold" if self.hold else "")
        return f"lanes {self.lanes}"


@lru_cache(maxsize=None)
def divisors(n: int) -> tuple[int, ...]:
    small = [d for d in range(1, int(n ** 0.5) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


def units_per_group(layer: Layer, fold: int) -> dict[int, int]:
    """Weight width -> dot units of that width."""
    return {bits: ceil(count / fold) for bits, count in layer.weight_groups().items()}


def foldings(net: Network, layer: Layer) -> list[Folding]:
    """Every folding the layer allows: divisors, so cycle counts are exact; other layers take whole pixels."""
    if layer.is_compute:
        length = dot_length(layer, net.in_shape(layer))
        simds = [s for s in divisors(length) if s <= MAX_SIMD and length // s <= MAX_WAYS]
        if not simds:  # the unit's window multiplexer has at most MAX_WAYS ways
            raise ArchError(f"layer {layer.name!r}: a dot product of {length} terms needs more than {MAX_WAYS} "
                            f"steps at each lane count up to {MAX_SIMD} that divides it")
        out = []
        for s in simds:
            for f in divisors(layer.out_channels):
                plain = Folding(simd=s, fold=f)
                out.append(plain)
                held = Folding(simd=s, fold=f, hold=True)
                if uses_window(net, layer) and cycles(net, layer, held) < cycles(net, layer, plain):
                    out.append(held)  # worth its registers only where it saves cycles
        return out
    channels = net.in_shape(layer).c
    return [Folding(lanes=channels)]


def uses_window(net: Network, layer: Layer) -> bool:
    """True when the layer reads a line buffer (anything but a 1x1, stride-1, unpadded window)."""
    if layer.kind == "fc":
        s = net.in_shape(layer)
        return s.h * s.w > 1
    if layer.kind in ("conv", "maxpool", "avgpool"):
        return (layer.kernel, layer.stride, layer.padding) != (1, 1, 0)
    return False


def window_geometry(net: Network, layer: Layer) -> tuple[int, int, int]:
    """(kernel, stride, padding) of the window; an fc over H x W reads one H x W window."""
    if layer.kind == "fc":
        return net.in_shape(layer).h, 1, 0
    return layer.kernel, layer.stride, layer.padding


def window_gaps(h: int, w: int, k: int, stride: int, pad: int) -> list[tuple[int, int]]:
    """(gap, count): walk steps between successive windows over the padded image, frame after frame."""
    hp, wp = h + 2 * pad, w + 2 * pad
    h_out, w_out = (hp - k) // stride + 1, (wp - k) // stride + 1
    in_row = (stride, h_out * (w_out - 1))
    next_row = (stride * wp - (w_out - 1) * stride, h_out - 1)
    steps = hp * wp
    last_frame = steps - in_row[0] * in_row[1] - next_row[0] * next_row[1]
    return [g for g in (in_row, next_row, (last_frame, 1)) if g[1]]


def window_walk_cycles(h: int, w: int, k: int, stride: int, pad: int, work: int, hold: bool = True) -> int:
    """Cycles per frame of a unit spending `work` cycles per window behind a line buffer.

    With `hold` the unit copies the window and the buffer walks the gap meanwhile:
    max(work, gap) a window. Without, the buffer waits for the work's last cycle
    and then walks: work + gap - 1.
    """
    per_window = (lambda gap: max(work, gap)) if hold else (lambda gap: work + gap - 1)
    return sum(per_window(gap) * count for gap, count in window_gaps(h, w, k, stride, pad))


def cycles(net: Network, layer: Layer, folding: Folding) -> int:
    s = net.in_shape(layer)
    if layer.is_compute:
        out = net.out_shape(layer)
        length = dot_length(layer, s)
        work = (length // folding.simd) * folding.fold
        if uses_window(net, layer):
            k, stride, pad = window_geometry(net, layer)
            return window_walk_cycles(s.h, s.w, k, stride, pad, work, folding.hold)
        return out.h * out.w * work
    if uses_window(net, layer):
        return window_walk_cycles(s.h, s.w, layer.kernel, layer.stride, layer.padding, s.c // folding.lanes)
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

"""Integer model of the quantized network, with exactly the accelerator's arithmetic.

Every tensor has one format: `bits` and signedness (unsigned after a ReLU).
Every layer ends in the same requantizer, on a value v computed exactly:

    conv, fc   v = sum_k w_k * a_k + bias       (weights signed; zero padding)
    maxpool    v = max over the window          (padding counts as 0)
    avgpool    v = sum over the window
    gpool      v = sum over all pixels of the channel
    add        v = (x << align_x) + (y << align_y)
    relu       v = x

    out = clip((v + 2**(shift-1)) >> shift)     (shift 0: out = clip(v))

`>>` floors (arithmetic shift), so the rounding is half up; clip saturates
to [0, 2**bits - 1] for an unsigned (ReLU) output, else to the signed range.
The hardware computes v without overflow (its accumulators are sized from
these bounds), so this model and the Verilog agree bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .inputs import Array, read_npz
from .network import ArchError, Layer, Network, dot_length


@dataclass(frozen=True)
class Format:
    bits: int
    signed: bool

    @property
    def low(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def high(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1


@dataclass(frozen=True)
class LayerParams:
    weights: np.ndarray | None = None  # conv: [C_out, C_in, K, K]; fc: [C_out, C*H*W] (C, H, W order)
    bias: np.ndarray | None = None  # [C_out]
    shift: int = 0
    align: tuple[int, int] = (0, 0)  # add: left shifts of its two inputs


def tensor_formats(net: Network) -> dict[str, Format]:
    """Format of every tensor; all readers of a tensor must read it at one width."""
    formats: dict[str, Format] = {}
    signed = {"input": False}
    for layer in net.layers:
        if layer.kind == "relu":
            signed[layer.name] = False
        elif layer.kind in ("conv", "fc", "add"):
            signed[layer.name] = not layer.relu
        else:
            signed[layer.name] = signed[layer.inputs[0]]
    for name in ["input", *(layer.name for layer in net.layers)]:
        # an add reads each input in that input's own format (and aligns the two),
        # so only the other readers must agree on the width
        readers = [layer for layer in net.layers if name in layer.inputs]
        strict = [layer for layer in readers if layer.kind != "add"]
        widths = sorted({layer.a_bits for layer in strict or readers})
        if len(widths) > 1 and strict:
            shown = ", ".join(f"{layer.name} ({layer.a_bits})" for layer in strict)
            raise ArchError(f"tensor {name!r} is read at different widths by {shown}; give its readers one a_bits")
        formats[name] = Format(widths[-1] if widths else 8, signed[name])
    return formats


def _check_groups(layer: Layer) -> None:
    if layer.kind == "conv" and layer.groups != 1:
        raise ArchError(f"layer {layer.name!r}: grouped convolutions (groups {layer.groups}) are not emitted yet")


def channel_bits(layer: Layer) -> np.ndarray:
    return np.array(layer.channel_w_bits or [layer.w_bits] * layer.out_channels, dtype=np.int64)


# -- the layers ------------------------------------------------------------------------
def _windows(x: np.ndarray, k: int, stride: int, pad: int) -> np.ndarray:
    """[C, H_out, W_out, K, K] views of the zero-padded input."""
    c, h, w = x.shape
    padded = np.zeros((c, h + 2 * pad, w + 2 * pad), dtype=np.int64)
    padded[:, pad:pad + h, pad:pad + w] = x
    h_out, w_out = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    view = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))
    return view[:, ::stride, ::stride][:, :h_out, :w_out]


def _exact(net: Network, layer: Layer, params: LayerParams, xs: list[np.ndarray]) -> np.ndarray:
    """The layer's value v before requantization, as int64 [C, H, W]."""
    x = xs[0]
    if layer.kind == "conv":
        win = _windows(x, layer.kernel, layer.stride, layer.padding)
        return _conv_sum(win, params.weights, layer.groups) + params.bias[:, None, None]
    if layer.kind == "fc":
        return (params.weights @ x.reshape(-1) + params.bias)[:, None, None]
    if layer.kind == "maxpool":
        return _windows(x, layer.kernel, layer.stride, layer.padding).max(axis=(3, 4))
    if layer.kind == "avgpool":
        return _windows(x, layer.kernel, layer.stride, layer.padding).sum(axis=(3, 4))
    if layer.kind == "gpool":
        return x.sum(axis=(1, 2), keepdims=True)
    if layer.kind == "add":
        return (xs[0] << params.align[0]) + (xs[1] << params.align[1])
    return x  # relu


EXACT_FLOAT = 2 ** 53  # float64 holds every integer below this exactly


def _conv_sum(win: np.ndarray, weights: np.ndarray, groups: int = 1) -> np.ndarray:
    """sum over c, r, s of win[c, h, w, r, s] * weights[o, c, r, s], exactly, as int64 [O, H, W].

    Where every partial sum stays below 2**53 in magnitude (the bound of |w| * |a| over the window),
    a float64 matrix product (BLAS) gives the same integers many times faster than int64 einsum.
    """
    if groups != 1:
        return np.einsum("chwrs,ocrs->ohw", win, weights, optimize=True)
    c, h, w, k, _ = win.shape
    bound = int(np.abs(weights).max(initial=0)) * int(np.abs(win).max(initial=0)) * c * k * k
    if bound >= EXACT_FLOAT:
        return np.einsum("chwrs,ocrs->ohw", win, weights, optimize=True)
    a = np.ascontiguousarray(win.transpose(1, 2, 0, 3, 4)).reshape(h * w, c * k * k).astype(np.float64)
    out = a @ weights.reshape(weights.shape[0], -1).astype(np.float64).T
    return np.rint(out).astype(np.int64).T.reshape(-1, h, w)


def requantize(v: np.ndarray, shift: int, fmt: Format) -> np.ndarray:
    if shift:
        v = (v + (1 << (shift - 1))) >> shift
    return np.clip(v, fmt.low, fmt.high)


def run(net: Network, params: dict[str, LayerParams], image: np.ndarray) -> dict[str, np.ndarray]:
    """Every tensor for one input image [C, H, W] of ints in the input format."""
    formats = tensor_formats(net)
    fmt = formats["input"]
    image = np.asarray(image, dtype=np.int64)
    if image.shape != (net.input_shape.c, net.input_shape.h, net.input_shape.w):
        raise ArchError(f"image shape {image.shape} is not the network input {net.input_shape}")
    if image.min() < fmt.low or image.max() > fmt.high:
        raise ArchError(f"image values must lie in [{fmt.low}, {fmt.high}] ({fmt.bits}-bit input)")
    tensors = {"input": image}
    for layer in net.layers:
        p = params[layer.name]
        v = _exact(net, layer, p, [tensors[s] for s in layer.inputs])
        tensors[layer.name] = requantize(v, p.shift, formats[layer.name])
    return tensors


# -- parameters ------------------------------------------------------------------------
def weight_shape(net: Network, layer: Layer) -> tuple[int, ...]:
    s = net.in_shape(layer)
    if layer.kind == "conv":
        return (layer.out_channels, s.c, layer.kernel, layer.kernel)
    return (layer.out_channels, dot_length(layer, s))


def add_alignment(net: Network, layer: Layer, formats: dict[str, Format]) -> tuple[int, int]:
    """Left shifts that put the add's two inputs on the scale of the wider one."""
    bits = [formats[s].bits for s in layer.inputs]
    return (max(bits) - bits[0], max(bits) - bits[1])


def calibrated_shift(v: np.ndarray, fmt: Format) -> int:
    """Smallest shift that keeps the 99th percentile of what survives (|v|, or v > 0 under a ReLU) in range."""
    kept = np.abs(v) if fmt.signed else np.maximum(v, 0)
    top = float(np.percentile(kept, 99)) if v.size else 0.0
    shift = 0
    while top / (1 << shift) > fmt.high:
        shift += 1
    return shift


def random_params(net: Network, seed: int = 1) -> dict[str, LayerParams]:
    """Seeded random weights and biases in range, shifts calibrated on a seeded random image."""
    rng = np.random.default_rng(seed)
    raw: dict[str, dict] = {}
    for layer in net.layers:
        _check_groups(layer)
        if layer.is_compute:
            bits = channel_bits(layer)
            shape = weight_shape(net, layer)
            half = (1 << (bits - 1)).reshape(-1, *[1] * (len(shape) - 1))
            w = rng.integers(-half, half, size=shape)
            bias_span = 1 << (int(bits.max()) + layer.a_bits - 1)
            raw[layer.name] = dict(weights=w, bias=rng.integers(-bias_span, bias_span, layer.out_channels))
        else:
            raw[layer.name] = {}
    return calibrate(net, raw, rng)


def calibrate(net: Network, raw: dict[str, dict], rng: np.random.Generator) -> dict[str, LayerParams]:
    """Fill in missing shifts layer by layer on a random image, and every add's alignment."""
    formats = tensor_formats(net)
    fmt = formats["input"]
    s = net.input_shape
    tensors = {"input": rng.integers(fmt.low, fmt.high + 1, (s.c, s.h, s.w))}
    params = {}
    for layer in net.layers:
        given = dict(raw.get(layer.name, {}))
        if layer.kind == "add":
            given["align"] = add_alignment(net, layer, formats)
        p = LayerParams(**{k: v for k, v in given.items() if k != "shift"})
        v = _exact(net, layer, p, [tensors[x] for x in layer.inputs])
        shift = given["shift"] if "shift" in given else calibrated_shift(v, formats[layer.name])
        params[layer.name] = LayerParams(p.weights, p.bias, int(shift), p.align)
        tensors[layer.name] = requantize(v, shift, formats[layer.name])
    return params


def dot_bound(layer: Layer, length: int, a_format: Format) -> int:
    """The largest |sum of products| of one output value; a bias may be as large (the accumulator holds both)."""
    top = max(1 << (g - 1) for g in channel_bits(layer).tolist())
    return length * top * max(abs(a_format.low), a_format.high)


MAX_SHIFT = 48


def weights_wanted(net: Network) -> dict[str, Array]:
    """Every array a weights file may hold for this network, with its shape and the integers allowed."""
    formats = tensor_formats(net)
    wanted = {}
    for layer in net.layers:
        if layer.is_compute:
            shape = weight_shape(net, layer)
            half = (1 << (channel_bits(layer) - 1)).reshape(-1, *[1] * (len(shape) - 1))
            bound = min(dot_bound(layer, dot_length(layer, net.in_shape(layer)), formats[layer.inputs[0]]), 1 << 62)
            wanted[f"{layer.name}.weight"] = Array(shape, -half, half - 1)
            wanted[f"{layer.name}.bias"] = Array((layer.out_channels,), -bound, bound)
        wanted[f"{layer.name}.shift"] = Array((), 0, MAX_SHIFT, required=False, scalar_ok=True)
    return wanted


def load_params(net: Network, path: str | Path, seed: int = 1) -> dict[str, LayerParams]:
    """Weights from an .npz: '<layer>.weight' and '<layer>.bias' for conv/fc, optional '<layer>.shift'.

    Integer dtypes, or floats holding finite integers, within the ranges of weights_wanted.
    """
    for layer in net.layers:
        _check_groups(layer)
    arrays = read_npz(path, weights_wanted(net))
    raw: dict[str, dict] = {}
    for layer in net.layers:
        entry = {}
        if layer.is_compute:
            entry = dict(weights=arrays[f"{layer.name}.weight"], bias=arrays[f"{layer.name}.bias"])
        if f"{layer.name}.shift" in arrays:
            entry["shift"] = int(arrays[f"{layer.name}.shift"])
        raw[layer.name] = entry
    return calibrate(net, raw, np.random.default_rng(seed))

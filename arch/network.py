"""A CNN as a small explicit graph of layers, with shapes, widths and MAC counts.

Tensors are (channels, height, width). A layer reads the tensors of the
layers named in `inputs` ("input" is the network input) and makes one.
Kinds:

    conv     any kernel, stride, padding, groups; ReLU/requantize at its output
    fc       fully connected over the flattened input
    maxpool  avgpool  (kernel, stride, padding)
    gpool    global average pool to 1 x 1
    add      residual add of two equal-shaped tensors (identity or projection shortcut)
    relu     requantize (and ReLU) only

Widths: `w_bits` for the weights (conv, fc), optionally `channel_w_bits`,
one per output channel (channel-wise mixed precision); `a_bits` is the width
of the activations this layer reads. Activations after a ReLU are unsigned;
weights are signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

# ArchError, raised by every arch module, is defined with the input checks and imported from here
from .inputs import (MAX_NAME, ArchError, Bool, Choice, Either, Int, ListOf, Name, Optional, Record, Text, Tuple,
                     Where, ident, name_problem, read_mapping)

KINDS = ("conv", "fc", "maxpool", "avgpool", "gpool", "add", "relu")
COMPUTE_KINDS = ("conv", "fc")
MIN_BITS, MAX_BITS = 1, 16
# the largest values a file may give: far beyond ImageNet CNNs, within what the hardware models size
MAX_DIM = 1 << 16  # channels, groups
MAX_SIZE = 4096  # image height and width (a line buffer row holds the padded width)
MAX_WINDOW = 64  # kernel, stride, padding
MAX_LAYERS = 4096


@dataclass(frozen=True)
class Shape:
    c: int
    h: int
    w: int

    @property
    def elements(self) -> int:
        return self.c * self.h * self.w

    def __str__(self) -> str:
        return f"{self.c}x{self.h}x{self.w}"


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str
    inputs: tuple[str, ...]
    out_channels: int = 0  # conv, fc
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    groups: int = 1
    relu: bool = True  # conv, fc, add: a ReLU follows (activations stay unsigned)
    w_bits: int = 8
    a_bits: int = 8
    channel_w_bits: tuple[int, ...] | None = None
    signed_a: bool = False

    @property
    def is_compute(self) -> bool:
        return self.kind in COMPUTE_KINDS

    def weight_groups(self) -> dict[int, int]:
        """Weight width -> number of output channels with it."""
        if self.channel_w_bits is None:
            return {self.w_bits: self.out_channels}
        groups: dict[int, int] = {}
        for bits in self.channel_w_bits:
            groups[bits] = groups.get(bits, 0) + 1
        return dict(sorted(groups.items()))


@dataclass(frozen=True)
class Network:
    name: str
    input_shape: Shape
    layers: tuple[Layer, ...]
    shapes: dict[str, Shape] = field(default_factory=dict, compare=False)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def in_shape(self, layer: Layer) -> Shape:
        return self.shapes[layer.inputs[0]]

    def out_shape(self, layer: Layer) -> Shape:
        return self.shapes[layer.name]

    def with_layers(self, layers) -> "Network":
        return build_network(self.name, self.input_shape, layers)


# -- per-layer quantities --------------------------------------------------------
def dot_length(layer: Layer, in_shape: Shape) -> int:
    """Products summed into one output value."""
    if layer.kind == "fc":
        return in_shape.elements
    return layer.kernel * layer.kernel * in_shape.c // layer.groups


def macs(net: Network, layer: Layer) -> int:
    if not layer.is_compute:
        return 0
    out = net.out_shape(layer)
    return out.h * out.w * out.c * dot_length(layer, net.in_shape(layer))


def weight_count(net: Network, layer: Layer) -> int:
    if not layer.is_compute:
        return 0
    return layer.out_channels * dot_length(layer, net.in_shape(layer))


def weight_bits(net: Network, layer: Layer) -> int:
    length = dot_length(layer, net.in_shape(layer)) if layer.is_compute else 0
    return sum(bits * count * length for bits, count in layer.weight_groups().items()) if layer.is_compute else 0


def total_macs(net: Network) -> int:
    return sum(macs(net, layer) for layer in net.layers)


# -- validation and shape inference -------------------------------------------------
def _positive(layer: Layer, field_name: str, value, low: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ArchError(f"layer {layer.name!r}: {field_name} must be an integer >= {low}, got {value!r}")


def _width(layer: Layer, field_name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_BITS <= value <= MAX_BITS:
        raise ArchError(
            f"layer {layer.name!r}: {field_name} must be an integer from {MIN_BITS} to {MAX_BITS}, got {value!r}"
        )


def _window(layer: Layer, s: Shape) -> Shape:
    k, st, p = layer.kernel, layer.stride, layer.padding
    if p >= k:
        raise ArchError(f"layer {layer.name!r}: padding {p} must be smaller than the kernel {k}")
    h, w = (s.h + 2 * p - k) // st + 1, (s.w + 2 * p - k) // st + 1
    if h < 1 or w < 1:
        raise ArchError(f"layer {layer.name!r}: a {k}x{k} window does not fit the {s} input (padding {p})")
    return Shape(s.c, h, w)


def layer_shape(layer: Layer, ins: list[Shape]) -> Shape:
    s = ins[0]
    if layer.kind == "conv":
        if s.c % layer.groups or layer.out_channels % layer.groups:
            raise ArchError(
                f"layer {layer.name!r}: groups {layer.groups} must divide the input channels {s.c} "
                f"and the output channels {layer.out_channels}"
            )
        return replace(_window(layer, s), c=layer.out_channels)
    if layer.kind == "fc":
        if s.h != s.w:  # the unit reads its input as one H x H window (dataflow.window_geometry)
            raise ArchError(f"layer {layer.name!r}: an fc layer needs a square input, got {s}; "
                            f"put a gpool or a conv that makes it square before it")
        return Shape(layer.out_channels, 1, 1)
    if layer.kind in ("maxpool", "avgpool"):
        return _window(layer, s)
    if layer.kind == "gpool":
        return Shape(s.c, 1, 1)
    if layer.kind == "add":
        if len(ins) != 2 or ins[0] != ins[1]:
            shown = " and ".join(map(str, ins))
            raise ArchError(f"layer {layer.name!r}: add needs two inputs of the same shape, got {shown}")
        return s
    return s  # relu


def build_network(name: str, input_shape: Shape, layers) -> Network:
    """Check every layer and infer every tensor's shape; layers must come in dataflow order."""
    if min(input_shape.c, input_shape.h, input_shape.w) < 1:
        raise ArchError(f"network {name!r}: input shape must be positive, got {input_shape}")
    shapes: dict[str, Shape] = {"input": input_shape}
    signed_out: dict[str, bool] = {"input": False}  # the input image is unsigned
    cleaned = {ident("input"): "input"}  # module, wire and file names come from ident(name)
    checked = []
    for layer in layers:
        if layer.kind not in KINDS:
            raise ArchError(f"layer {layer.name!r}: unknown layer type {layer.kind!r}; known: {', '.join(KINDS)}")
        if layer.name in shapes:
            raise ArchError(f"layer name {layer.name!r} is used twice (or is the reserved name 'input')")
        other = cleaned.setdefault(ident(layer.name), layer.name)
        if other != layer.name:
            raise ArchError(f"layers {other!r} and {layer.name!r} would both be named {ident(layer.name)!r} "
                            f"in the Verilog and its files; rename one")
        if not layer.inputs:
            raise ArchError(f"layer {layer.name!r}: needs at least one input")
        for source in layer.inputs:
            if source not in shapes:
                raise ArchError(f"layer {layer.name!r}: input {source!r} is not an earlier layer or 'input'")
        if layer.kind != "add" and len(layer.inputs) != 1:
            raise ArchError(f"layer {layer.name!r}: a {layer.kind} layer takes one input, got {len(layer.inputs)}")
        for field_name in ("kernel", "stride", "groups"):
            _positive(layer, field_name, getattr(layer, field_name))
        _positive(layer, "padding", layer.padding, low=0)
        _width(layer, "a_bits", layer.a_bits)
        if layer.is_compute:
            _positive(layer, "out_channels", layer.out_channels)
            _width(layer, "w_bits", layer.w_bits)
            if layer.channel_w_bits is not None:
                if len(layer.channel_w_bits) != layer.out_channels:
                    raise ArchError(
                        f"layer {layer.name!r}: channel_w_bits has {len(layer.channel_w_bits)} entries "
                        f"for {layer.out_channels} output channels"
                    )
                for bits in layer.channel_w_bits:
                    _width(layer, "channel_w_bits", bits)
        shapes[layer.name] = layer_shape(layer, [shapes[s] for s in layer.inputs])
        layer = replace(layer, signed_a=any(signed_out[s] for s in layer.inputs))
        if layer.kind == "relu":
            signed_out[layer.name] = False
        elif layer.kind in ("conv", "fc", "add"):
            signed_out[layer.name] = not layer.relu
        else:
            signed_out[layer.name] = layer.signed_a
        checked.append(layer)
    net = Network(name, input_shape, tuple(checked))
    net.shapes.update(shapes)
    return net


# -- files -----------------------------------------------------------------------
DIM, SIZE, WINDOW = Int(1, MAX_DIM), Int(1, MAX_SIZE), Int(1, MAX_WINDOW)
WIDTH = Int(MIN_BITS, MAX_BITS)
LAYER = Record({
    "name": Name(), "type": Choice(KINDS), "kind": Choice(KINDS),
    "inputs": Either((str, Name()), (list, ListOf(Name(), 1, 2))),
    "out_channels": DIM, "kernel": WINDOW, "stride": WINDOW, "padding": Int(0, MAX_WINDOW), "groups": DIM,
    "relu": Bool(), "w_bits": WIDTH, "a_bits": WIDTH, "channel_w_bits": Optional(ListOf(WIDTH, 1, MAX_DIM)),
}, what="a layer")
NETWORK = Record({"name": Name(), "about": Text(), "input": Tuple("[C, H, W]", DIM, SIZE, SIZE),
                  "layers": ListOf(LAYER, 1, MAX_LAYERS)}, required=("input", "layers"), what="a network")


def network_from_dict(data: dict, source: str = "network", where: Where | None = None) -> Network:
    """{"name": ..., "input": [C, H, W], "layers": [{"name", "type", "inputs", ...}, ...]}.

    A layer's "inputs" defaults to the layer before it; `source` is the name when the data
    gives none, `where` the file for messages.
    """
    where = where or Where("network")
    data = NETWORK(where, data)
    layers = []
    previous = "input"
    for k, raw in enumerate(data["layers"]):
        kinds = {raw.pop(key) for key in ("type", "kind") if key in raw}
        if len(kinds) != 1:
            raise where.key("layers").item(k).error(f"needs one 'type' (or 'kind'): {', '.join(KINDS)}")
        kind = kinds.pop()
        name = raw.pop("name", f"layer{k}")
        inputs = raw.pop("inputs", [previous])
        if raw.get("channel_w_bits") is not None:
            raw["channel_w_bits"] = tuple(raw["channel_w_bits"])
        layers.append(Layer(name=name, kind=kind, inputs=tuple([inputs] if isinstance(inputs, str) else inputs), **raw))
        previous = name
    default = source if name_problem(source) is None else ident(source)[:MAX_NAME]
    try:
        return build_network(data.get("name", default), Shape(*data["input"]), layers)
    except ArchError as exc:
        raise where.wrap(exc) from None


def load_network_file(path) -> Network:
    """A network from a JSON or YAML file; its name defaults to the file's stem."""
    data, where = read_mapping(path, "network")
    return network_from_dict(data, Path(path).stem, where)

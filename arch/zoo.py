"""Built-in networks: ResNet-18 and ResNet-152 with ImageNet shapes (3 x 224 x 224).

Torchvision's layout (ResNet v1.5: a bottleneck's stride sits on its 3x3
conv). Each conv is followed by batch norm, folded into the requantization;
the second (third) conv of a block has no ReLU of its own, the add does.
Default widths are 8 bits; a precision config overrides them.
"""

from __future__ import annotations

from .network import Layer, Network, Shape, build_network


def _stem(layers: list[Layer]) -> str:
    layers.append(Layer("conv1", "conv", ("input",), out_channels=64, kernel=7, stride=2, padding=3))
    layers.append(Layer("maxpool", "maxpool", ("conv1",), kernel=3, stride=2, padding=1))
    return "maxpool"


def _head(layers: list[Layer], x: str) -> None:
    layers.append(Layer("avgpool", "gpool", (x,)))
    layers.append(Layer("fc", "fc", ("avgpool",), out_channels=1000, relu=False))


def _shortcut(layers: list[Layer], prefix: str, x: str, channels: int, stride: int, needed: bool) -> str:
    if not needed:
        return x
    layers.append(Layer(f"{prefix}.downsample", "conv", (x,), out_channels=channels, kernel=1, stride=stride, relu=False))
    return f"{prefix}.downsample"


def _basic_block(layers, prefix, x, in_c, c, stride) -> str:
    layers.append(Layer(f"{prefix}.conv1", "conv", (x,), out_channels=c, kernel=3, stride=stride, padding=1))
    layers.append(Layer(f"{prefix}.conv2", "conv", (f"{prefix}.conv1",), out_channels=c, kernel=3, padding=1, relu=False))
    short = _shortcut(layers, prefix, x, c, stride, stride != 1 or in_c != c)
    layers.append(Layer(f"{prefix}.add", "add", (f"{prefix}.conv2", short)))
    return f"{prefix}.add"


def _bottleneck(layers, prefix, x, in_c, c, stride) -> str:
    out_c = 4 * c
    layers.append(Layer(f"{prefix}.conv1", "conv", (x,), out_channels=c, kernel=1))
    layers.append(Layer(f"{prefix}.conv2", "conv", (f"{prefix}.conv1",), out_channels=c, kernel=3, stride=stride, padding=1))
    layers.append(Layer(f"{prefix}.conv3", "conv", (f"{prefix}.conv2",), out_channels=out_c, kernel=1, relu=False))
    short = _shortcut(layers, prefix, x, out_c, stride, stride != 1 or in_c != out_c)
    layers.append(Layer(f"{prefix}.add", "add", (f"{prefix}.conv3", short)))
    return f"{prefix}.add"


def _resnet(name: str, block, expansion: int, counts: tuple[int, ...]) -> Network:
    layers: list[Layer] = []
    x = _stem(layers)
    in_c = 64
    for stage, (c, n) in enumerate(zip((64, 128, 256, 512), counts), start=1):
        for k in range(n):
            stride = 2 if stage > 1 and k == 0 else 1
            x = block(layers, f"layer{stage}.{k}", x, in_c, c, stride)
            in_c = c * expansion
    _head(layers, x)
    return build_network(name, Shape(3, 224, 224), layers)


def resnet18() -> Network:
    return _resnet("resnet18", _basic_block, 1, (2, 2, 2, 2))


def resnet152() -> Network:
    return _resnet("resnet152", _bottleneck, 4, (3, 8, 36, 3))


ZOO = {"resnet18": resnet18, "resnet152": resnet152}

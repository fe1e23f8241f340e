"""Precision configs: per-layer (and per-channel) widths over a network, from JSON or YAML.

    default: {w_bits: 4, a_bits: 4}
    layers:
      conv1: {w_bits: 8, a_bits: 8}        # an exact layer name
      "layer4.*": {w_bits: 6}              # or a shell-style pattern
      layer1.0.conv1:
        channel_w_bits: {8: 16, 4: 48}     # width: channel count, in channel order; or a full list

`a_bits` is the width of the activations a layer reads, so it also sets the
requantization target of the layer that produces them. Later entries win
over earlier ones; `default` applies first.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace
from pathlib import Path

from .inputs import PATTERN, Either, Int, ListOf, MapOf, Optional, Pattern, Record, Text, Where, read_mapping
from .network import MAX_BITS, MAX_DIM, MIN_BITS, WIDTH, ArchError, Network


def _width_key(value) -> int | None:
    """A channel_w_bits mapping key: an int in YAML, its decimal text in JSON."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if MIN_BITS <= value <= MAX_BITS else None


CHANNELS = Either((list, ListOf(WIDTH, 1, MAX_DIM)),
                  (dict, MapOf(Pattern(f"a width from {MIN_BITS} to {MAX_BITS}", _width_key), Int(0, MAX_DIM), 1)))
ENTRY = Record({"w_bits": WIDTH, "a_bits": WIDTH, "channel_w_bits": Optional(CHANNELS)}, what="widths")
CONFIG = Record({"about": Text(), "default": ENTRY, "layers": Optional(MapOf(PATTERN, ENTRY))},
                what="a precision config")


def _channel_list(where: Where, layer, value) -> tuple[int, ...]:
    counts = value.items() if isinstance(value, dict) else [(bits, 1) for bits in value]
    covered = sum(count for _, count in counts)
    if covered != layer.out_channels:  # checked before the list is built: counts can be large
        raise where.error(f"covers {covered} channels; layer {layer.name!r} has {layer.out_channels}")
    return tuple(bits for bits, count in counts for _ in range(count))


def apply_precision(net: Network, config: dict, where: Where | None = None) -> Network:
    """The network with the config's widths; `where` names the file in messages."""
    where = where or Where("precision config")
    config = CONFIG(where, config)
    rules = config.get("layers") or {}
    names = [layer.name for layer in net.layers]
    for pattern in rules:
        if not fnmatch.filter(names, pattern):
            raise where.key("layers").key(pattern).error(f"names no layer of network {net.name!r}")
    default = (where.key("default"), config.get("default", {}))
    layers = []
    for layer in net.layers:
        entries = [default] + [(where.key("layers").key(p), e) for p, e in rules.items()
                               if fnmatch.fnmatchcase(layer.name, p)]
        settings = {}  # field -> (value, where it was set); later entries win
        for place, entry in entries:
            settings.update({k: (v, place.key(k)) for k, v in entry.items()})
        changes = {}
        if "a_bits" in settings:
            changes["a_bits"] = settings["a_bits"][0]
        if layer.is_compute:
            if "w_bits" in settings:
                changes["w_bits"] = settings["w_bits"][0]
                changes["channel_w_bits"] = None
            value, place = settings.get("channel_w_bits", (None, None))
            if value is not None:
                changes["channel_w_bits"] = _channel_list(place, layer, value)
        layers.append(replace(layer, **changes))
    try:
        return net.with_layers(layers)
    except ArchError as exc:
        raise where.wrap(exc) from None


def load_precision(net: Network, path: str | Path) -> Network:
    config, where = read_mapping(path, "precision")
    return apply_precision(net, config, where)


def reference_config_path() -> Path:
    """The shipped reference config: first and last layer 8 bits, the rest 4-bit weights and activations."""
    return Path(__file__).resolve().parent / "configs" / "resnet_w4a4_first_last_8.json"

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
import json
from dataclasses import replace
from pathlib import Path

from .network import ArchError, Network

FIELDS = ("w_bits", "a_bits", "channel_w_bits")


def load_mapping(path: str | Path, what: str) -> dict:
    """A JSON or YAML file as a dict, with one-line errors."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ArchError(f"cannot read {what} file {str(p)!r}: {exc.strerror}") from None
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parse error becomes one line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ArchError(f"{what} file {str(p)!r} is not valid {p.suffix.lstrip('.') or 'JSON'}: {first}") from None
    if not isinstance(data, dict):
        raise ArchError(f"{what} file {str(p)!r} must hold a mapping at the top level")
    return data


def _channel_list(name: str, value, channels: int) -> tuple[int, ...]:
    if isinstance(value, dict):
        out: list[int] = []
        for bits, count in value.items():
            out += [int(bits)] * int(count)
    elif isinstance(value, (list, tuple)):
        out = [int(v) for v in value]
    else:
        raise ArchError(f"precision for {name!r}: channel_w_bits must be a list or a {{width: count}} mapping")
    if len(out) != channels:
        raise ArchError(f"precision for {name!r}: channel_w_bits covers {len(out)} channels, the layer has {channels}")
    return tuple(out)


def _entry(where: str, entry) -> dict:
    if not isinstance(entry, dict):
        raise ArchError(f"precision {where}: must be a mapping of {', '.join(FIELDS)}, got {entry!r}")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise ArchError(f"precision {where}: unknown field(s) {', '.join(map(str, unknown))}; known: {', '.join(FIELDS)}")
    return entry


def apply_precision(net: Network, config: dict) -> Network:
    """The network with the config's widths; widths are range-checked when the network is rebuilt."""
    unknown = sorted(set(config) - {"default", "layers", "about"})
    if unknown:
        raise ArchError(f"precision config: unknown key(s) {', '.join(map(str, unknown))}; known: about, default, layers")
    default = _entry("default", config.get("default", {}))
    rules = config.get("layers", {}) or {}
    if not isinstance(rules, dict):
        raise ArchError("precision 'layers' must map layer names (or patterns) to widths")
    names = [layer.name for layer in net.layers]
    for pattern in rules:
        if not fnmatch.filter(names, str(pattern)):
            raise ArchError(f"precision names layer {pattern!r}, which is not in network {net.name!r}")
    layers = []
    for layer in net.layers:
        settings = dict(default)
        for pattern, entry in rules.items():
            if fnmatch.fnmatchcase(layer.name, str(pattern)):
                settings.update(_entry(f"for {pattern!r}", entry))
        changes = {}
        if "a_bits" in settings:
            changes["a_bits"] = settings["a_bits"]
        if layer.is_compute:
            if "w_bits" in settings:
                changes["w_bits"] = settings["w_bits"]
                changes["channel_w_bits"] = None
            if settings.get("channel_w_bits") is not None:
                changes["channel_w_bits"] = _channel_list(layer.name, settings["channel_w_bits"], layer.out_channels)
        layers.append(replace(layer, **changes))
    return net.with_layers(layers)


def load_precision(net: Network, path: str | Path) -> Network:
    return apply_precision(net, load_mapping(path, "precision"))


def reference_config_path() -> Path:
    """The shipped reference config: first and last layer 8 bits, the rest 4-bit weights and activations."""
    return Path(__file__).resolve().parent / "configs" / "resnet_w4a4_first_last_8.json"

"""Every input checked in one place: network, precision and sensitivity files (JSON or YAML) and weights (.npz).

The loaders (network.py, precision.py, explore.py, golden.py) only describe
what they allow, with the checks below. This module reads the bytes within
stated limits, parses strictly (no duplicate keys; YAML aliases counted
before they expand), checks every value and refuses anything else with one
ArchError line naming the file, the key path (`layers[3].kernel`), the
value and what is allowed. Names get their one cleaning here too: `ident`
is the only way a name becomes a file name or a Verilog identifier.
"""

from __future__ import annotations

import json
import math
import re
import reprlib
from functools import lru_cache
from pathlib import Path

from lutgen.spec import SpecError

MAX_FILE_BYTES = 4 << 20  # a network, precision or sensitivity file (ResNet-152's is about 40 kB)
MAX_NODES = 1_000_000  # values in one file, counting every expansion of a YAML alias
MAX_NAME = 80  # characters in a network or layer name
MAX_MESSAGE = 300  # characters in an error line
NPZ_SLACK = 64 << 10  # bytes of zip and .npy headers allowed per array beyond its data


class ArchError(SpecError):
    """Bad network, precision, sensitivity, weights or device input: one bounded line, fit to print."""

    def __init__(self, message: str):
        super().__init__(one_line(message))


def one_line(text: str) -> str:
    text = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", str(text))  # whatever a terminal takes as a break
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlong = 60, 60, 40
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 4
_repr.maxlevel = 2


def show(value) -> str:
    """A value as it appears in a message: repr, bounded however large or nested the value is."""
    return _repr.repr(value)


def show_path(path) -> str:
    text = str(path)
    return repr(text if len(text) <= 60 else "..." + text[-57:])


# -- names --------------------------------------------------------------------------------
def ident(name: str) -> str:
    """The one cleaning of a name into a file-name part and a Verilog identifier: layer1.0.conv1 -> layer1_0_conv1."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return text if re.match(r"[A-Za-z_]", text) else f"l_{text}"


def name_problem(value) -> str | None:
    """Why a value is not a name (None when it is one)."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME or not value.isprintable():
        hint = " (quote it to make it text)" if isinstance(value, (int, float)) else ""
        return f"must be a name of 1 to {MAX_NAME} printable characters, got {show(value)}{hint}"
    return None


def _pattern(value) -> str | None:
    return value if isinstance(value, str) and 1 <= len(value) <= 2 * MAX_NAME and value.isprintable() else None


# -- where a value sits, and refusing it --------------------------------------------------
class Where:
    """A file (or "network", "precision config" for a dict) and a key path in it."""

    def __init__(self, source: str, path: str = "", is_file: bool = False):
        self.source, self.path, self.is_file = source, path, is_file

    @classmethod
    def file(cls, what: str, path) -> "Where":
        return cls(f"{what} file {show_path(path)}", is_file=True)

    def key(self, key) -> "Where":
        plain = isinstance(key, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key)
        step = f".{key}" if plain else f"[{show(key)}]"
        return Where(self.source, self.path + step if self.path or not plain else str(key), self.is_file)

    def item(self, index: int) -> "Where":
        return Where(self.source, f"{self.path}[{index}]", self.is_file)

    def error(self, problem: str) -> ArchError:
        return ArchError(f"{self.source}: {self.path} {problem}" if self.path else f"{self.source} {problem}")

    def wrap(self, error: ArchError) -> ArchError:
        """An error found later (shapes, names), with the file named in front when there is one."""
        return ArchError(f"{self.source}: {error}") if self.is_file else error


# -- checks: each takes (where, value) and gives the value, or raises -----------------------
class Int:
    def __init__(self, low: int, high: int):
        self.low, self.high = low, high
        self.allowed = f"an integer from {low} to {high}"

    def __call__(self, where: Where, value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            raise where.error(f"must be {self.allowed}, got {show(value)}")
        return value


class Number:
    def __init__(self, low: float = -math.inf, high: float = math.inf):
        self.low, self.high = low, high
        self.allowed = "a finite number" + (f" of at least {low:g}" if low > -math.inf else "")

    def __call__(self, where: Where, value) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not self.low <= value <= self.high:
            raise where.error(f"must be {self.allowed}, got {show(value)}")
        return float(value)


class Bool:
    allowed = "true or false"

    def __call__(self, where: Where, value) -> bool:
        if not isinstance(value, bool):
            raise where.error(f"must be {self.allowed}, got {show(value)}")
        return value


class Text:
    def __init__(self, max_len: int = 10_000):
        self.max_len = max_len
        self.allowed = f"text of at most {max_len} characters"

    def __call__(self, where: Where, value) -> str:
        if not isinstance(value, str) or len(value) > self.max_len:
            raise where.error(f"must be {self.allowed}, got {show(value)}")
        return value


class Name:
    allowed = f"a name of 1 to {MAX_NAME} printable characters"

    def __call__(self, where: Where, value) -> str:
        problem = name_problem(value)
        if problem:
            raise where.error(problem)
        return value


class Choice:
    def __init__(self, options):
        self.options = tuple(options)
        self.allowed = "one of " + ", ".join(self.options)

    def __call__(self, where: Where, value) -> str:
        if not isinstance(value, str) or value not in self.options:
            raise where.error(f"must be {self.allowed}, got {show(value)}")
        return value


class Pattern:
    """A key that is read as something else: `parse(text) -> value or None` (a width key, a wWaA key)."""

    def __init__(self, allowed: str, parse):
        self.allowed, self.parse = allowed, parse

    def __call__(self, where: Where, value):
        parsed = self.parse(value)
        if parsed is None:
            raise where.error(f"must be {self.allowed}, got {show(value)}")
        return parsed


class ListOf:
    def __init__(self, item, min_len: int = 0, max_len: int = 1 << 16):
        self.item, self.min_len, self.max_len = item, min_len, max_len
        count = f"{min_len}" if min_len == max_len else f"{min_len} to {max_len}"
        self.allowed = f"a list of {count} values, each {item.allowed}"

    def __call__(self, where: Where, value) -> list:
        if not isinstance(value, list) or not self.min_len <= len(value) <= self.max_len:
            raise where.error(f"must be {self.allowed}, got {show(value)}")
        return [self.item(where.item(k), v) for k, v in enumerate(value)]


class Tuple:
    """A list of fixed length, each position with its own check."""

    def __init__(self, what: str, *items):
        self.items = items
        self.allowed = f"{what}: " + ", ".join(item.allowed for item in items)

    def __call__(self, where: Where, value) -> list:
        if not isinstance(value, list) or len(value) != len(self.items):
            raise where.error(f"must be {self.allowed}, got {show(value)}")
        return [check(where.item(k), v) for k, (check, v) in enumerate(zip(self.items, value))]


class MapOf:
    """A mapping with free keys (layer names, patterns, widths), each key and value checked."""

    def __init__(self, key, value, min_len: int = 0, max_len: int = 1 << 16):
        self.key, self.value, self.min_len, self.max_len = key, value, min_len, max_len
        self.allowed = f"a mapping of {key.allowed} to {value.allowed}"

    def __call__(self, where: Where, value) -> dict:
        if not isinstance(value, dict) or not self.min_len <= len(value) <= self.max_len:
            raise where.error(f"must be {self.allowed}" + (f" ({self.min_len} or more entries)" if self.min_len else "")
                              + f", got {show(value)}")
        out = {}
        for k, v in value.items():
            inner = where.key(k)
            key = self.key(inner, k)
            if key in out:
                raise inner.error(f"repeats the key {show(key)}")
            out[key] = self.value(inner, v)
        return out


class Record:
    """A mapping with fixed keys: unknown keys are refused with the list of allowed ones."""

    def __init__(self, fields: dict, required=(), what: str = "a mapping"):
        self.fields, self.required = fields, tuple(required)
        self.allowed = f"{what} (a mapping)"

    def __call__(self, where: Where, value) -> dict:
        if not isinstance(value, dict):
            raise where.error(f"must be {self.allowed}, got {show(value)}")
        for key in value:
            if key not in self.fields:
                raise where.error(f"has unknown key {show(key)}; allowed: {', '.join(self.fields)}")
        for key in self.required:
            if key not in value:
                raise where.error(f"needs {key!r} ({self.fields[key].allowed})")
        return {k: self.fields[k](where.key(k), v) for k, v in value.items()}


class Either:
    """The first check whose type fits the value; its error otherwise."""

    def __init__(self, *options: tuple[type | tuple, object]):
        self.options = options
        self.allowed = " or ".join(check.allowed for _, check in options)

    def __call__(self, where: Where, value):
        for types, check in self.options:
            if isinstance(value, types):
                return check(where, value)
        raise where.error(f"must be {self.allowed}, got {show(value)}")


class Optional:
    def __init__(self, check):
        self.check = check
        self.allowed = f"{check.allowed}, or null"

    def __call__(self, where: Where, value):
        return None if value is None else self.check(where, value)


PATTERN = Pattern(f"a layer name or shell pattern of 1 to {2 * MAX_NAME} printable characters", _pattern)


# -- text files -------------------------------------------------------------------------------
class _Refused(Exception):
    """Raised inside the parsers; becomes an ArchError naming the file."""


def read_bytes(path, where: Where, limit: int) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)  # never more than the limit, whatever the file claims
    except OSError as exc:
        raise ArchError(f"cannot read {where.source}: {exc.strerror}") from None
    if len(data) > limit:
        raise where.error(f"is larger than the {limit >> 20} MB allowed")
    return data


def read_mapping(path, what: str) -> tuple[dict, Where]:
    """A JSON or YAML file (by its suffix) as a dict, and where it came from for later messages."""
    p = Path(path)
    where = Where.file(what, p)
    data = read_bytes(p, where, MAX_FILE_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise where.error(f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    yaml_file = p.suffix.lower() in (".yaml", ".yml")
    try:
        value = _load_yaml(text) if yaml_file else json.loads(
            text, object_pairs_hook=_json_object, parse_constant=_json_constant)
    except _Refused as exc:
        raise where.error(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - whatever the parser raises, it is this file's fault
        raise where.error(f"is not valid {'YAML' if yaml_file else 'JSON'}: {_parse_error(exc)}") from None
    if not isinstance(value, dict):
        raise where.error(f"must hold a mapping at the top level, got {show(value)}")
    return value, where


def _parse_error(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    text = str(exc).splitlines()
    return text[0] if text else type(exc).__name__


def _json_object(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"repeats the key {show(key)}")
        out[key] = value
    return out


def _json_constant(name: str):
    raise _Refused(f"holds {name}, which JSON does not allow")


def _load_yaml(text: str):
    loader = _yaml_loader()(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@lru_cache(maxsize=None)
def _yaml_loader():
    import yaml  # only for YAML files

    class StrictLoader(yaml.SafeLoader):
        """SafeLoader that refuses duplicate keys and counts values, each alias as the values it stands for,
        while composing: a nest of aliases is refused before anything expands."""

        def __init__(self, stream):
            super().__init__(stream)
            self.sizes: dict[int, int] = {}  # id(node) -> values in it, aliases expanded

        def compose_node(self, parent, index):
            alias = self.check_event(yaml.AliasEvent)
            anchor = self.peek_event().anchor if alias else None
            node = super().compose_node(parent, index)
            if alias:
                if id(node) not in self.sizes:
                    raise _Refused(f"has a recursive YAML alias *{anchor}")
                return node
            if isinstance(node, yaml.MappingNode):
                size = 1 + sum(self.sizes[id(k)] + self.sizes[id(v)] for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                size = 1 + sum(self.sizes[id(v)] for v in node.value)
            else:
                size = 1
            if size > MAX_NODES:
                raise _Refused(f"holds more than {MAX_NODES:,} values once its YAML aliases are expanded")
            self.sizes[id(node)] = size
            return node

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                line = key_node.start_mark.line + 1
                try:
                    repeated = key in seen
                except TypeError:
                    raise _Refused(f"has a key that is not a plain value (line {line})") from None
                if repeated:
                    raise _Refused(f"repeats the key {show(key)} (line {line})")
                seen.add(key)
            return super().construct_mapping(node, deep)

    return StrictLoader


# -- weights (.npz) ---------------------------------------------------------------------------
class Array:
    """What one .npz member must be: its shape, and integers within [low, high] (broadcast over the shape)."""

    def __init__(self, shape: tuple[int, ...], low, high, required: bool = True, scalar_ok: bool = False):
        self.shape, self.low, self.high, self.required, self.scalar_ok = shape, low, high, required, scalar_ok

    def fits(self, shape: tuple) -> bool:
        return tuple(shape) == self.shape or (self.scalar_ok and tuple(shape) in ((), (1,)))

    def describe(self) -> str:
        return "a single integer" if self.scalar_ok else f"shape {self.shape}"


def read_npz(path, wanted: dict[str, Array]):
    """The arrays of an .npz as int64, each checked against `wanted` from its header before any data is read.

    Integer dtypes and floats that are finite and exactly integral are taken; bool, complex,
    strings, objects and structured dtypes are refused, as are arrays not in `wanted`.
    """
    import zipfile

    import numpy as np

    where = Where(f"weights {show_path(path)}")
    elements = sum(math.prod(a.shape) for a in wanted.values())
    read_bytes_limit = 8 * elements + NPZ_SLACK * (len(wanted) + 1)
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        raise ArchError(f"cannot read weights {show_path(path)}: {exc.strerror}") from None
    if size > read_bytes_limit:
        raise where.error(f"is {size:,} bytes, more than the {read_bytes_limit:,} this network's arrays can take")
    out = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > len(wanted):
                raise where.error(f"holds {len(members)} arrays; this network takes at most {len(wanted)}")
            for info in members:
                key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                member = Where(where.source, f"array {show(key)}")
                if key not in wanted or not info.filename.endswith(".npy"):
                    shown = ", ".join(sorted(wanted))
                    raise member.error(f"is not an array this network takes; allowed: {shown}")
                if key in out:
                    raise member.error("appears twice")
                with archive.open(info) as f:
                    shape, dtype = _npy_header(f, member)
                _check_header(member, wanted[key], shape, dtype)
                with archive.open(info) as f:
                    array = np.lib.format.read_array(f, allow_pickle=False)
                out[key] = _integers(member, wanted[key], array)
    except ArchError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged archive or member is the file's fault, however it shows
        raise where.error(f"is not a readable .npz: {_parse_error(exc)}") from None
    for key, spec in wanted.items():
        if spec.required and key not in out:
            raise where.error(f"has no array {key!r} ({spec.describe()})")
    return out


def _npy_header(f, where: Where):
    from numpy.lib import format as npy

    version = npy.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = npy.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = npy.read_array_header_2_0(f)
    else:
        raise where.error(f"is a .npy of version {version}; 1.0 and 2.0 are read")
    return tuple(shape), dtype


def _check_header(where: Where, spec: Array, shape: tuple, dtype) -> None:
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in "iuf" or dtype.itemsize > 8:
        raise where.error(f"has dtype {dtype.str!r}; allowed: integer dtypes, or floats holding integers")
    if not spec.fits(shape):
        raise where.error(f"has shape {shape}, expected {spec.describe()}")


def _integers(where: Where, spec: Array, array):
    import numpy as np

    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            raise where.error(f"must hold integers, got {show(array[bad].flat[0].item())}")
    if array.size:
        low, high = array.min().item(), array.max().item()  # Python numbers: exact for every dtype
        lowest, highest = int(np.min(spec.low)), int(np.max(spec.high))
        if low < lowest or high > highest:
            worst = low if low < lowest else high
            raise where.error(f"holds {show(worst)}; allowed: integers from {lowest} to {highest}")
    values = array.astype(np.int64).reshape(spec.shape)
    bad = (values < spec.low) | (values > spec.high)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        low = np.broadcast_to(spec.low, bad.shape)[index]
        high = np.broadcast_to(spec.high, bad.shape)[index]
        raise where.error(f"holds {values[index]} at {index}; allowed there: integers from {low} to {high}")
    return values

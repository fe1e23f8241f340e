"""Integer reference values and test vectors, shared by the tests."""

from __future__ import annotations

import numpy as np

from lutgen.spec import operand_range


def to_signed(values: np.ndarray, bits: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    return np.where((values >> (bits - 1)) & 1, values - (1 << bits), values)


def as_value(patterns: np.ndarray, bits: int, signed: bool) -> np.ndarray:
    return to_signed(patterns, bits) if signed else np.asarray(patterns, dtype=np.int64)


def all_pairs(w: int, a: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (w, a) bit-pattern pair."""
    rows = np.arange(1 << (w + a), dtype=np.int64)
    return rows & ((1 << w) - 1), rows >> w


def corner_patterns(bits: int, signed: bool) -> list[int]:
    """0, max, min, -1 (all ones), 1, and both alternating patterns, as bit patterns."""
    mask = (1 << bits) - 1
    lo, hi = operand_range(bits, signed)
    alt = int("10" * bits, 2) & mask
    return sorted({0, 1, hi & mask, lo & mask, mask, alt, alt ^ mask})


def corner_and_random_pairs(w: int, a: int, signed_w: bool, signed_a: bool, n_random: int, seed: int):
    rng = np.random.default_rng(seed)
    cw, ca = corner_patterns(w, signed_w), corner_patterns(a, signed_a)
    grid_w = np.repeat(cw, len(ca))
    grid_a = np.tile(ca, len(cw))
    rw = rng.integers(0, 1 << w, n_random)
    ra = rng.integers(0, 1 << a, n_random)
    return np.concatenate([grid_w, rw]).astype(np.int64), np.concatenate([grid_a, ra]).astype(np.int64)


def break_one_lut(netlist, index: int = 3):
    """The netlist with one reachable INIT bit of one LUT flipped (O6 at all-zero inputs)."""
    from dataclasses import replace

    lut = netlist.luts[index]
    bit = 32 if lut.o5 is not None else 0
    luts = list(netlist.luts)
    luts[index] = replace(lut, init=lut.init ^ (1 << bit))
    return replace(netlist, luts=tuple(luts))

"""Mapping a memory (words x bits) onto LUTs, BRAM36 or URAM, and counting it.

- LUT ROM/RAM: one LUT per bit column per 64 words (a LUT6 as a 64 x 1
  ROM, or a RAM64X1S for buffers).
- BRAM36: the best of its aspect ratios, 32K x 1 ... 512 x 72.
- URAM288: 4K x 72 only (UltraScale+ parts that have it).
The cheapest mapping is the one that takes the smallest share of the
device's own supply of that resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

BRAM36_SHAPES = ((32768, 1), (16384, 2), (8192, 4), (4096, 9), (2048, 18), (1024, 36), (512, 72))
URAM_SHAPE = (4096, 72)
LUTRAM_DEPTH = 64
LUTRAM_MAX_DEPTH = 256  # deeper than this, LUTs are never the sensible choice


@dataclass(frozen=True)
class Mapping:
    kind: str  # "lut", "bram36", "uram", "none"
    luts: int = 0
    bram36: int = 0
    uram: int = 0


def bram36_count(words: int, bits: int) -> int:
    return min(ceil(bits / w) * ceil(words / d) for d, w in BRAM36_SHAPES)


def uram_count(words: int, bits: int) -> int:
    return ceil(bits / URAM_SHAPE[1]) * ceil(words / URAM_SHAPE[0])


def lut_count(words: int, bits: int) -> int:
    return bits * ceil(words / LUTRAM_DEPTH)


def map_memory(words: int, bits: int, device) -> Mapping:
    if words <= 0 or bits <= 0:
        return Mapping("none")
    options = []
    if words <= LUTRAM_MAX_DEPTH:
        luts = lut_count(words, bits)
        options.append((luts / device.lutram_luts, 0, Mapping("lut", luts=luts)))
    if device.bram36:
        n = bram36_count(words, bits)
        options.append((n / device.bram36, 1, Mapping("bram36", bram36=n)))
    if device.uram:
        n = uram_count(words, bits)
        options.append((n / device.uram, 2, Mapping("uram", uram=n)))
    if not options:
        luts = lut_count(words, bits)
        return Mapping("lut", luts=luts)
    return min(options, key=lambda o: (o[0], o[1]))[2]

"""Wide multiplexers: q = word `sel` of `ways` words, as a tree of LUT muxes.

    d: ways * width bits, word k at d[k*width +: width];  sel: max(1, ceil(log2 ways)) bits
    q = d[sel*width +: width]        (sel >= ways: don't-care)

Combinational. Level 0 selects with sel[1:0] among groups of 4 words, level
1 with sel[3:2] among groups of 4 level-0 outputs, and so on; when a single
select bit is left, the top level selects among 2. At each level a group of
m inputs (the last one may be short) costs, per output bit:

    m = 4: a 6-input LUT6 (2 select + 4 data)
    m = 3: a 5-input LUT6 (2 select + 3 data; select value 3 is don't-care)
    m = 2: a 3-input function (its low select bit + 2 data)
    m = 1: nothing, the input goes up as it is

The 3-input functions of one level share their select bit, so any two fit
in one LUT6_2 (1 + 2 + 2 = 5 inputs, I5 tied to VCC). Hence the count:
with n_0 = ways, b_l = min(2, sel bits left) and g = 2**b_l at level l,

    big_l   = n_l // 4 + (n_l % 4 == 3)                  if b_l = 2, else 0
    small_l = (n_l // 2 if b_l = 1 else n_l % 4 == 2)    per output bit
    LUT6   += width * big_l + (width * small_l) % 2
    LUT6_2 += (width * small_l) // 2
    n_{l+1} = ceil(n_l / g)

e.g. ways = 2: ceil(width / 2) LUTs; 4: width; 8: 2.5 width (rounded up);
16: 5 width; 64: 21 width; 1024: 341 width. The LUT levels from d or sel to q
are ceil(sel bits / 2), 0 when ways = 1 (q is d).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np

from .cells import Netlist, check
from .constructions.builder import NetlistBuilder, fn_term
from .rom import address_bits, build_paired, check_name
from .target import FAMILIES

MAX_WAYS = 1 << 16  # a hold of a 3x3x4096 window read one activation a cycle


def _check(ways, width) -> None:
    if isinstance(ways, bool) or not isinstance(ways, (int, np.integer)) or not 1 <= ways <= MAX_WAYS:
        raise ValueError(f"mux ways must be an integer from 1 to {MAX_WAYS}, got {ways!r}")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"mux width must be an integer >= 1, got {width!r}")


def _group_fn(sel_bits: int, m: int):
    """fn(sel bits..., data...) = data[sel], a select value >= m (don't-care) reading the last input."""
    def fn(*bits):
        index = sum(np.asarray(bits[k], dtype=np.int64) << k for k in range(sel_bits))
        return np.choose(np.minimum(index, m - 1), [np.asarray(b) for b in bits[sel_bits:]])
    return fn


def _levels(ways: int) -> list[int]:
    """The select bits of each level, bottom first."""
    sb = address_bits(ways)
    if ways == 1:
        return []
    return [min(2, sb - start) for start in range(0, sb, 2)]


def build_mux(ways: int, width: int, name: str) -> Netlist:
    """The ways-to-1 multiplexer of width-bit words; see the module docstring."""
    _check(ways, width)
    check_name(name)
    ways, width = int(ways), int(width)
    sb = address_bits(ways)
    builder = NetlistBuilder(FAMILIES["xcup"], prefix="")  # LUTs only: the family does not matter
    nodes = [[f"d[{k * width + b}]" for k in range(ways)] for b in range(width)]  # per output bit
    start = 0
    for bits in _levels(ways):
        sel = tuple(f"sel[{start + i}]" for i in range(bits))
        group = 1 << bits
        terms, places = [], []
        upper = [[] for _ in range(width)]
        for b in range(width):
            for g in range(0, len(nodes[b]), group):
                data = nodes[b][g:g + group]
                upper[b].append(data[0])
                if len(data) == 1:
                    continue  # the only input of its group: goes up as it is
                used = address_bits(len(data))  # a short group reads only the low select bits it needs
                terms.append(fn_term(sel[:used] + tuple(data), _group_fn(used, len(data))))
                places.append((b, len(upper[b]) - 1))
        for (b, k), net in zip(places, build_paired(builder, terms, f"mux{start // 2}_")):
            upper[b][k] = net
        nodes = upper
        start += bits
    netlist = builder.netlist(
        name, inputs=[("d", ways * width), ("sel", sb)], outputs=[("q", tuple(n[0] for n in nodes))],
        meta=(("construction", "mux"), ("ways", ways), ("width", width)),
    )
    check(netlist)
    return netlist


@lru_cache(maxsize=None)
def mux_counts(ways: int, width: int) -> Counter:
    """Cell counts of build_mux(ways, width) from the formula in the module docstring (keys of netlist_counts)."""
    _check(ways, width)
    counts = Counter()
    n = ways
    for bits in _levels(ways):
        if bits == 2:
            big, small = n // 4 + (n % 4 == 3), int(n % 4 == 2)
        else:
            big, small = 0, n // 2
        counts["LUT6"] += width * big + (width * small) % 2
        counts["LUT6_2"] += (width * small) // 2
        n = -(-n // (1 << bits))
    counts["lut_sites"] = counts["LUT6"] + counts["LUT6_2"]
    return +counts


def mux_levels(ways: int) -> int:
    """LUT levels from d or sel to q: ceil(sel bits / 2), 0 for one way."""
    _check(ways, 1)
    return len(_levels(ways))

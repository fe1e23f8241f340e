"""Each product bit as one LUT over the inputs it depends on.

Applies when every output bit depends on at most 6 input bits (always when
w+a <= 6, and for 1 x k products). Two bits share a LUT6_2 when their inputs
together number at most 5; the pairing is a maximum matching. Bits that are
constant, a copy of an input, or a copy of another bit need no LUT.
"""

from __future__ import annotations

import numpy as np

from ..cells import GND, VCC
from ..heap import BitHeap
from .builder import NetlistBuilder, pair_by_support

MAX_TABLE_INPUTS = 17  # a 2**17-row truth table is still instant


def input_names(heap: BitHeap) -> list[str]:
    return [f"w[{i}]" for i in range(heap.spec.w)] + [f"a[{j}]" for j in range(heap.spec.a)]


def output_tables(heap: BitHeap) -> np.ndarray:
    """tables[k, r]: product bit k at input row r = w | a << w."""
    n_in = heap.spec.w + heap.spec.a
    rows = np.arange(1 << n_in, dtype=np.int64)
    w = rows & ((1 << heap.spec.w) - 1)
    a = rows >> heap.spec.w
    value = heap.evaluate(w, a)
    return np.stack([(value >> k) & 1 for k in range(heap.width)])


def support(bit_table: np.ndarray, n_in: int) -> tuple[int, ...]:
    rows = np.arange(bit_table.size)
    return tuple(v for v in range(n_in) if np.any(bit_table != bit_table[rows ^ (1 << v)]))


def applicable(heap: BitHeap) -> bool:
    n_in = heap.spec.w + heap.spec.a
    if n_in > MAX_TABLE_INPUTS:
        return False
    tables = output_tables(heap)
    return all(len(support(t, n_in)) <= 6 for t in tables)


def build_table(builder: NetlistBuilder, heap: BitHeap) -> dict[int, str]:
    n_in = heap.spec.w + heap.spec.a
    names = input_names(heap)
    tables = output_tables(heap)
    nets: dict[int, str] = {}
    functions: dict[int, tuple[tuple[int, ...], np.ndarray]] = {}
    seen: dict[bytes, int] = {}
    for k, bit_table in enumerate(tables):
        sup = support(bit_table, n_in)
        if not sup:
            nets[k] = VCC if bit_table[0] else GND
            continue
        if len(sup) == 1 and np.array_equal(bit_table, (np.arange(bit_table.size) >> sup[0]) & 1):
            nets[k] = names[sup[0]]
            continue
        key = bit_table.tobytes()
        if key in seen:
            continue
        seen[key] = k
        # the function on its support: read the table with every other input at 0
        local_rows = np.arange(1 << len(sup))
        global_rows = sum(((local_rows >> m) & 1) << v for m, v in enumerate(sup))
        functions[k] = (sup, bit_table[global_rows])
    supports = {k: tuple(names[v] for v in sup) for k, (sup, _) in functions.items()}
    for first, second in pair_by_support(supports):
        o6, o5 = _lut_from_tables(builder, [functions[first]] + ([functions[second]] if second is not None else []), names)
        nets[first] = o6
        if second is not None:
            nets[second] = o5
    for key, k in seen.items():
        for j, bit_table in enumerate(tables):
            if j not in nets and bit_table.tobytes() == key:
                nets[j] = nets[k]
    return {k: nets[k] for k in range(heap.width)}


def _lut_from_tables(builder: NetlistBuilder, funcs, names) -> tuple[str, str | None]:
    """One LUT computing one or two table functions over their union support."""
    union = sorted(set().union(*(set(sup) for sup, _ in funcs)))
    nets = [names[v] for v in union]

    def as_callable(sup, values):
        positions = [union.index(v) for v in sup]

        def fn(*bits):
            index = sum(np.asarray(bits[p]) << m for m, p in enumerate(positions))
            return values[index]

        return fn

    fn5 = as_callable(*funcs[1]) if len(funcs) == 2 else None
    return builder.lut_fn(nets, as_callable(*funcs[0]), fn5, hint="tab")

"""The bit heap: a partial-product graph of weighted bits.

A product w*a of two's-complement or unsigned operands is written as a sum of
positive weighted bits plus one constant, modulo 2**(w+a) (Baugh-Wooley):

    w*a = sum_ij  s_i t_j  w_i a_j 2^(i+j)       s_i = -1 for a signed sign bit
    -x 2^k = (1 - x) 2^k - 2^k = NOT(x) 2^k - 2^k

so every negative partial product becomes a NAND bit and its -2^k goes into a
single constant.

The sign-extension treatment instead keeps each row x_r * Y (rows over one
operand X) as a two's-complement number: a row's sign bit *extends*, standing
for copies of itself at every weight up to the top (-b 2^k = b (2^k + ... +
2^(n-1)) mod 2^n), and a negative row (X's sign bit) is subtracted as its
complement plus 2^r. Constructions add such rows with one extra sign position
per row instead of spreading constants, which wins for narrow operands. The graph runs from input-bit nodes through partial-product
nodes (AND / NAND) to output-column nodes; the constant node feeds the columns
of its set bits. Constructions read the heap; none of them re-derives the sign
handling.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from .spec import MulSpec


@dataclass(frozen=True, order=True)
class PartialProduct:
    """w[i] AND a[j] at weight i+j, complemented (NAND) when negated.

    An extending bit also stands at every weight above its own (a row's sign
    bit under the sign-extension treatment).
    """

    weight: int
    i: int
    j: int
    negated: bool
    extends: bool = False

    def value(self, w_bits: np.ndarray, a_bits: np.ndarray) -> np.ndarray:
        v = w_bits[self.i] & a_bits[self.j]
        return v ^ 1 if self.negated else v

    def columns(self, width: int) -> range:
        return range(self.weight, width if self.extends else self.weight + 1)


@dataclass(frozen=True)
class BitHeap:
    spec: MulSpec
    graph: nx.DiGraph
    bits: tuple[PartialProduct, ...]
    constant: int  # added modulo 2**width
    width: int
    treatment: str = "baugh-wooley"  # or "sign-extension"
    rows_over: str | None = None  # the row operand of the sign-extension treatment

    def columns(self) -> dict[int, list[PartialProduct]]:
        cols: dict[int, list[PartialProduct]] = {k: [] for k in range(self.width)}
        for bit in self.bits:
            cols[bit.weight].append(bit)
        return cols

    def constant_weights(self) -> list[int]:
        return [k for k in range(self.width) if (self.constant >> k) & 1]

    def evaluate(self, w: np.ndarray, a: np.ndarray) -> np.ndarray:
        """The heap's sum mod 2**width for operand bit patterns w, a (unsigned ints)."""
        w_bits = [(w >> i) & 1 for i in range(self.spec.w)]
        a_bits = [(a >> j) & 1 for j in range(self.spec.a)]
        total = np.full(np.shape(w), self.constant, dtype=np.int64)
        for bit in self.bits:
            for k in bit.columns(self.width):
                total = total + (bit.value(w_bits, a_bits).astype(np.int64) << k)
        return total & ((1 << self.width) - 1)

    def check(self) -> None:
        """Invariants: each PP reads one w bit and one a bit, sits in its column, sign rule holds."""
        g = self.graph
        if not nx.is_directed_acyclic_graph(g):
            raise AssertionError("heap graph has a cycle")
        if not 0 <= self.constant < (1 << self.width):
            raise AssertionError("heap constant out of range")
        for bit in self.bits:
            node = ("pp", bit.i, bit.j)
            preds = sorted(g.predecessors(node))
            if preds != [("a", bit.j), ("w", bit.i)]:
                raise AssertionError(f"{node} reads {preds}")
            if sorted(g.successors(node)) != [("col", k) for k in bit.columns(self.width)]:
                raise AssertionError(f"{node} not in columns {list(bit.columns(self.width))}")
            if bit.weight != bit.i + bit.j:
                raise AssertionError(f"{node} has weight {bit.weight}")
            if (bit.negated, bit.extends) != _treat(self.spec, bit.i, bit.j, self.treatment, self.rows_over):
                raise AssertionError(f"{node} sign treatment is wrong")
        for k in range(self.width):
            has_edge = g.has_edge(("const",), ("col", k))
            if has_edge != bool((self.constant >> k) & 1):
                raise AssertionError(f"constant edge to column {k} disagrees with {self.constant:#x}")


def _negative(spec: MulSpec, i: int, j: int) -> bool:
    w_neg = spec.signed_w and i == spec.w - 1
    a_neg = spec.signed_a and j == spec.a - 1
    return w_neg != a_neg


def _treat(spec: MulSpec, i: int, j: int, treatment: str, rows_over: str | None) -> tuple[bool, bool]:
    """(negated, extends) of partial product (i, j)."""
    if treatment == "baugh-wooley":
        return _negative(spec, i, j), False
    row_sign = spec.signed_w and i == spec.w - 1 if rows_over == "w" else spec.signed_a and j == spec.a - 1
    col_sign = spec.signed_a and j == spec.a - 1 if rows_over == "w" else spec.signed_w and i == spec.w - 1
    return row_sign, col_sign


def _row_constant(spec: MulSpec, treatment: str, rows_over: str | None) -> int:
    """The sign-extension treatment's constant: +2^r for the subtracted row, and
    its complemented zero extension (ones above the row) when the columns are unsigned."""
    if treatment == "baugh-wooley":
        return 0
    rows, cols = (spec.w, spec.a) if rows_over == "w" else (spec.a, spec.w)
    row_signed = spec.signed_w if rows_over == "w" else spec.signed_a
    col_signed = spec.signed_a if rows_over == "w" else spec.signed_w
    if not row_signed:
        return 0
    r = rows - 1
    constant = 1 << r
    if not col_signed:
        constant += sum(1 << m for m in range(r + cols, spec.out_bits))
    return constant


def build_heap(spec: MulSpec, treatment: str = "baugh-wooley", rows_over: str | None = None) -> BitHeap:
    width = spec.out_bits
    g = nx.DiGraph()
    for i in range(spec.w):
        g.add_node(("w", i), kind="input")
    for j in range(spec.a):
        g.add_node(("a", j), kind="input")
    for k in range(width):
        g.add_node(("col", k), kind="column", weight=k)
    if treatment not in ("baugh-wooley", "sign-extension"):
        raise ValueError(f"unknown sign treatment {treatment}")
    bits = []
    constant = _row_constant(spec, treatment, rows_over)
    for i in range(spec.w):
        for j in range(spec.a):
            negated, extends = _treat(spec, i, j, treatment, rows_over)
            bit = PartialProduct(i + j, i, j, negated, extends)
            node = ("pp", i, j)
            g.add_node(node, kind="nand" if negated else "and", weight=bit.weight, extends=extends)
            g.add_edge(("w", i), node)
            g.add_edge(("a", j), node)
            for k in bit.columns(width):
                g.add_edge(node, ("col", k))
            bits.append(bit)
            if negated and treatment == "baugh-wooley":
                constant -= 1 << bit.weight
    constant %= 1 << width
    g.add_node(("const",), kind="constant", value=constant)
    for k in range(width):
        if (constant >> k) & 1:
            g.add_edge(("const",), ("col", k))
    return BitHeap(spec, g, tuple(sorted(bits)), constant, width, treatment, rows_over)

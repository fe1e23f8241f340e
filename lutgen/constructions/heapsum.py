"""The product's bit heap summed by carry-chain compressors (ternary rows), as for dot products.

Every partial product is an AND / NAND bit of the Baugh-Wooley heap, folded
into the LUT that consumes it; stages of ternary carry-chain rows (three bits
per LUT, the O5 carry-save trick) and binary rows reduce the heap to two
bits a column, and one adder finishes (lutgen.compress). This wins for
mid-sized and large unsigned products such as 5 x 5 (19 LUTs against the array's 21)
and 8 x 8 (49 against Booth's 51).
"""

from __future__ import annotations

from ..heap import BitHeap
from .builder import NetlistBuilder, Term


def partial_product_terms(heap: BitHeap, lane: int = 0) -> dict[int, list[Term]]:
    """The heap's AND / NAND bits by column, as gates on lane `lane` of flat w and a vectors."""
    spec = heap.spec
    columns: dict[int, list[Term]] = {}
    for bit in heap.bits:
        nets = (f"w[{lane * spec.w + bit.i}]", f"a[{lane * spec.a + bit.j}]")
        columns.setdefault(bit.weight, []).append(Term("nand" if bit.negated else "and", nets))
    return columns


def build_heapsum(builder: NetlistBuilder, heap: BitHeap, over) -> dict[int, str]:
    from ..compress import sum_heap  # compress builds on this package's builder: import late

    # greedy stages only: a lone product's heap is wide and shallow, where the ILP is slow and
    # other constructions win anyway
    nets = sum_heap(builder, heap.width, partial_product_terms(heap), heap.constant, use_ilp=False)
    return dict(enumerate(nets))

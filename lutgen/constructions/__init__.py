"""Multiplier constructions, each with a cost, and the choice among them.

A construction builds the product's cell netlist from the bit heap. Its cost
is the LUT count of what it really builds (then carry primitives as the
tie-break), so the choice never trusts a formula that could drift from the
netlist.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from ..cells import Netlist, check
from ..heap import BitHeap, build_heap
from ..spec import MulSpec, SpecError
from ..target import FAMILIES
from . import booth, gatedrow, heapsum, rows, table, tilechain
from .builder import NetlistBuilder, SizingBuilder


@dataclass(frozen=True)
class Construction:
    name: str
    summary: str
    applicable: Callable[[BitHeap], bool]
    # (variant name, sign treatment, rows over, build(builder, heap, over) -> weight -> net)
    variants: tuple[tuple[str, str, str | None, Callable], ...]
    requires: str = ""  # when it applies, for the error when it is forced and does not


def _table_applicable(heap: BitHeap) -> bool:
    spec = heap.spec
    if spec.w + spec.a <= 6:
        return True
    # Wider products have output bits over more than 6 inputs, except 1 x k.
    return min(spec.w, spec.a) == 1 and table.applicable(heap)


def _row_variants(build) -> tuple:
    """Rows over either operand, with either sign treatment."""
    return tuple(
        (f"{treatment} rows-over-{over}", treatment, over, build)
        for treatment in ("baugh-wooley", "sign-extension")
        for over in ("w", "a")
    )


CONSTRUCTIONS: tuple[Construction, ...] = (
    Construction(
        "table",
        "each product bit one LUT (two per LUT6_2 when they share <= 5 inputs)",
        _table_applicable,
        (("", "baugh-wooley", None, lambda b, h, over: table.build_table(b, h)),),
        "w+a <= 6 or a 1-bit operand",
    ),
    Construction(
        "array",
        "fused-AND array: a 2 x k tile, then one LUT per bit per row on the carry chain",
        lambda heap: True,
        _row_variants(rows.build_array),
    ),
    Construction(
        "tiles",
        "2 x k carry-chain tiles summed by a tree of carry-chain adders",
        lambda heap: True,
        _row_variants(rows.build_tiles),
    ),
    Construction(
        "booth",
        "radix-4 Booth array: half the rows, one LUT6 per bit folds the Booth select into the add",
        lambda heap: True,
        tuple((f"recode-{over} signs-{signs}", "baugh-wooley", over, partial(booth.build_booth, signs=signs))
              for over in ("w", "a")
              for signs in booth.SIGN_TREATMENTS)
        + tuple((f"offset-recode-{over} signs-{signs} absorb-{absorb}", "baugh-wooley", over,
                 partial(booth.build_booth_offset, signs=signs, absorb=absorb))
                for over in ("w", "a")
                for signs in booth.SIGN_TREATMENTS
                for absorb in booth.ABSORB_MODES),
    ),
    Construction(
        "tilechain",
        "a table tile (<= 6 inputs), then one carry chain per further tile (<= 5 inputs), one LUT per bit",
        lambda heap: tilechain.applicable(heap.spec),
        (("", "baugh-wooley", None, tilechain.build_tilechain),),
        f"w+a <= {tilechain.MAX_OPERAND_BITS} and one operand of at most {tilechain.MAX_NARROW_OPERAND} bits",
    ),
    Construction(
        "gatedrow",
        "two 5-input tiles and one operand bit's row on two carry chains, the row gated through I5",
        lambda heap: gatedrow.applicable(heap.spec),
        tuple((f"split-{over}", "baugh-wooley", over, gatedrow.build_gatedrow) for over in ("w", "a")),
        "an unsigned 4 x 4 product",
    ),
    Construction(
        "heap",
        "the bit heap summed by ternary carry-chain rows (O5 carry-save) and a final adder, gates folded in",
        lambda heap: True,
        (("", "baugh-wooley", None, heapsum.build_heapsum),),
    ),
)

CONSTRUCTION_NAMES = tuple(c.name for c in CONSTRUCTIONS)


def module_name(spec: MulSpec) -> str:
    return f"lutgen_mul_{spec.tag}"


def _build_variant(spec: MulSpec, construction: Construction, variant, sizing: bool = False) -> Netlist:
    """One variant's netlist; with sizing, the same cells with every INIT left 0 (to count, not to use)."""
    name, treatment, over, build = variant
    heap = build_heap(spec, treatment, over)
    heap.check()
    builder = (SizingBuilder if sizing else NetlistBuilder)(FAMILIES[spec.family])
    nets = build(builder, heap, over)
    outputs = [("p", tuple(nets[k] for k in range(spec.out_bits)))]
    netlist = builder.netlist(
        module_name(spec),
        inputs=[("w", spec.w), ("a", spec.a)],
        outputs=outputs,
        output_signed=(("p", spec.signed_out),),
        meta=(("construction", construction.name), ("variant", name)),
    )
    if not sizing:
        check(netlist)
    return netlist


def cost(netlist: Netlist) -> tuple[int, int]:
    return len(netlist.luts), len(netlist.carries)


def candidates(spec: MulSpec) -> list[Netlist]:
    """Every applicable construction's best variant, in CONSTRUCTIONS order."""
    heap = build_heap(spec)
    found = []
    for construction in CONSTRUCTIONS:
        if spec.construction not in (None, construction.name):
            continue
        if not construction.applicable(heap):
            continue
        # Variants are compared without INITs, and only the winner is built for real.
        sized = [cost(_build_variant(spec, construction, v, sizing=True)) for v in construction.variants]
        best = sized.index(min(sized))  # the first of equals: deterministic
        found.append(_build_variant(spec, construction, construction.variants[best]))
    return found


def build_multiplier(spec: MulSpec) -> Netlist:
    """The cheapest netlist for spec (or the forced construction's)."""
    found = candidates(spec)
    if not found:
        needs = next(c.requires for c in CONSTRUCTIONS if c.name == spec.construction)
        raise SpecError(f"construction {spec.construction!r} does not apply to {spec.w}x{spec.a} "
                        f"({spec.construction} needs {needs})")
    return min(found, key=cost)

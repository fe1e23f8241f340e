"""The multiply-accumulate processing element.

    acc <= 0                     when rst
    acc <= (clr ? 0 : acc) + w*a when en   (else acc holds)

The product comes from the chosen multiplier construction; the accumulator
is one carry chain whose LUTs fold the clear (acc AND NOT clr) into the
adder, and one FDRE per bit (R = rst, CE = en). The sum wraps modulo
2**acc_bits; the default width never wraps within 2**10 products.
"""

from __future__ import annotations

from .cells import Ff, Netlist, check
from .constructions import build_multiplier
from .constructions.builder import NetlistBuilder, Term, net_term
from .spec import PeSpec
from .target import FAMILIES

PORT_DOC = (
    ("clk", "input", "clock; everything happens on its rising edge"),
    ("rst", "input", "synchronous reset: acc <= 0 (overrides en and clr)"),
    ("en", "input", "valid/enable: accumulate this cycle's w*a"),
    ("clr", "input", "with en: start a new sum, acc <= w*a"),
    ("w", "input", "weight operand"),
    ("a", "input", "activation operand"),
    ("acc", "output", "accumulator register"),
)


def module_name(spec: PeSpec) -> str:
    return f"lutgen_pe_{spec.tag}"


def build_pe(spec: PeSpec) -> Netlist:
    mul = build_multiplier(spec.mul)
    product = dict(mul.outputs)["p"]
    n = len(product)
    builder = NetlistBuilder(FAMILIES[spec.mul.family], prefix="acc_")
    q = [f"acc_q{i}" for i in range(spec.acc_bits)]
    # sign-extend the product into the accumulator's width
    p_bits = [product[min(i, n - 1)] if (i < n or spec.mul.signed_out) else None for i in range(spec.acc_bits)]
    kept = {i: Term("andnot", (q[i], "clr")) for i in range(spec.acc_bits)}
    addend = {i: net_term(net) for i, net in enumerate(p_bits) if net is not None}
    sums = builder.chain_add(kept, addend, 0, 0, spec.acc_bits - 1, carry_out=False)
    ffs = tuple(Ff(f"acc_ff{i}", sums[i], "en", "rst", q[i]) for i in range(spec.acc_bits))
    netlist = Netlist(
        name=module_name(spec),
        inputs=mul.inputs,
        outputs=(("acc", tuple(q)),),
        luts=mul.luts + tuple(builder.luts),
        carries=mul.carries + tuple(builder.carries),
        ffs=ffs,
        chains=mul.chains + tuple(builder.chains),
        clock="clk",
        scalar_inputs=("rst", "en", "clr"),
        output_signed=(("acc", spec.mul.signed_out),),
        meta=mul.meta + (("multiplier", mul.name),),
    )
    check(netlist)
    return netlist

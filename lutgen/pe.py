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
CONTROL_INPUTS = ("rst", "en", "clr")


def module_name(spec: PeSpec) -> str:
    return f"lutgen_pe_{spec.tag}"


def add_accumulator(builder: NetlistBuilder, value: tuple[str, ...], signed: bool, acc_bits: int) -> tuple[tuple[str, ...], tuple[Ff, ...]]:
    """acc <= rst ? 0 : en ? (clr ? 0 : acc) + value : acc; returns (acc nets, FFs).

    One carry chain: each position's LUT folds `acc AND NOT clr` into the
    adder; `value` is sign-extended (or zero-extended) to acc_bits.
    """
    n = len(value)
    q = tuple(f"{builder.prefix}q{i}" for i in range(acc_bits))
    v_bits = [value[min(i, n - 1)] if (i < n or signed) else None for i in range(acc_bits)]
    kept = {i: Term("andnot", (q[i], "clr")) for i in range(acc_bits)}
    addend = {i: net_term(net) for i, net in enumerate(v_bits) if net is not None}
    sums = builder.chain_add(kept, addend, 0, 0, acc_bits - 1, carry_out=False)
    ffs = tuple(Ff(f"{builder.prefix}ff{i}", sums[i], "en", "rst", q[i]) for i in range(acc_bits))
    return q, ffs


def build_pe(spec: PeSpec) -> Netlist:
    mul = build_multiplier(spec.mul)
    product = dict(mul.outputs)["p"]
    builder = NetlistBuilder(FAMILIES[spec.mul.family], prefix="acc_")
    q, ffs = add_accumulator(builder, product, spec.mul.signed_out, spec.acc_bits)
    netlist = Netlist(
        name=module_name(spec),
        inputs=mul.inputs,
        outputs=(("acc", q),),
        luts=mul.luts + tuple(builder.luts),
        carries=mul.carries + tuple(builder.carries),
        ffs=ffs,
        chains=mul.chains + tuple(builder.chains),
        clock="clk",
        scalar_inputs=CONTROL_INPUTS,
        output_signed=(("acc", spec.mul.signed_out),),
        meta=mul.meta + (("multiplier", mul.name),),
    )
    check(netlist)
    return netlist

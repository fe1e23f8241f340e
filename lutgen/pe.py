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
from .pipeline import delay_line, pipeline
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


def add_accumulator(builder: NetlistBuilder, value: tuple[str, ...], signed: bool, acc_bits: int,
                    en: str = "en", clr: str = "clr", rst: str = "rst") -> tuple[tuple[str, ...], tuple[Ff, ...]]:
    """acc <= rst ? 0 : en ? (clr ? 0 : acc) + value : acc; returns (acc nets, FFs).

    One carry chain: each position's LUT folds `acc AND NOT clr` into the
    adder; `value` is sign-extended (or zero-extended) to acc_bits.
    """
    n = len(value)
    q = tuple(f"{builder.prefix}q{i}" for i in range(acc_bits))
    v_bits = [value[min(i, n - 1)] if (i < n or signed) else None for i in range(acc_bits)]
    kept = {i: Term("andnot", (q[i], clr)) for i in range(acc_bits)}
    addend = {i: net_term(net) for i, net in enumerate(v_bits) if net is not None}
    sums = builder.chain_add(kept, addend, 0, 0, acc_bits - 1, carry_out=False)
    ffs = tuple(Ff(f"{builder.prefix}ff{i}", sums[i], en, rst, q[i]) for i in range(acc_bits))
    return q, ffs


def accumulate(product: Netlist, port: str, signed: bool, acc_bits: int, stages: int, family: str,
               name: str, meta: tuple, staged: Netlist | None = None) -> Netlist:
    """`product` (combinational, output `port`) pipelined by `stages` and summed into an accumulator.

    The control inputs travel beside the pipeline through as many registers,
    so the result is the unpipelined PE with every input `stages` cycles late.
    `staged` is pipeline(product, stages) when the caller has it already.
    """
    staged = pipeline(product, stages) if staged is None else staged
    control, delay_ffs = {}, []
    for net in CONTROL_INPUTS:
        control[net], ffs = delay_line(net, stages, "ctl_")
        delay_ffs += ffs
    builder = NetlistBuilder(FAMILIES[family], prefix="acc_")
    q, acc_ffs = add_accumulator(builder, dict(staged.outputs)[port], signed, acc_bits, **control)
    netlist = Netlist(
        name=name,
        inputs=product.inputs,
        outputs=(("acc", q),),
        luts=staged.luts + tuple(builder.luts),
        carries=staged.carries + tuple(builder.carries),
        ffs=staged.ffs + tuple(delay_ffs) + acc_ffs,
        chains=staged.chains + tuple(builder.chains),
        clock="clk",
        scalar_inputs=CONTROL_INPUTS,
        output_signed=(("acc", signed),),
        meta=meta + ((("pipeline_stages", stages),) if stages else ()),
    )
    check(netlist)
    return netlist


def build_pe(spec: PeSpec) -> Netlist:
    mul = build_multiplier(spec.mul)
    return accumulate(mul, "p", spec.mul.signed_out, spec.acc_bits, spec.pipeline, spec.mul.family,
                      module_name(spec), mul.meta + (("multiplier", mul.name),))

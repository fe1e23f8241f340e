"""The public API: spec in, verified-by-construction netlist, Verilog and report out.

    from lutgen.api import generate_mul, generate_pe
    from lutgen.spec import make_mul_spec, make_pe_spec, make_dot_spec
    core = generate_pe(make_pe_spec(make_mul_spec(3, 5)))
    dot = generate_dot(make_dot_spec(make_mul_spec(4, 4, True, True), 8, accumulate=True))
    core.verilog, core.report, core.netlist

Everything here is pure except `write_files` (lutgen/output.py: the output folder, all or nothing).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .cells import Netlist
from .constructions import build_multiplier
from .emit.verilog import emit_module
from .output import write_files
from .pack import Placement, check_placement, pack
from .dot import build_dot
from .pe import PORT_DOC, build_pe
from .pipeline import pipeline
from .report import make_report, summary, to_json
from .spec import DotSpec, MulSpec, PeSpec

__all__ = ["Generated", "generate_mul", "generate_pe", "generate_dot", "write_files"]


@dataclass(frozen=True)
class Generated:
    netlist: Netlist
    placement: Placement
    verilog: str
    report: dict

    @property
    def files(self) -> dict[str, str]:
        return {f"{self.netlist.name}.v": self.verilog, f"{self.netlist.name}.json": to_json(self.report)}

    @property
    def summary(self) -> str:
        return summary(self.report)


def _spec_dict(spec: MulSpec) -> dict:
    d = asdict(spec)
    d["out_bits"] = spec.out_bits
    return d


def _header(kind: str, spec: MulSpec, report: dict, extra: list[str]) -> list[str]:
    sw = "signed" if spec.signed_w else "unsigned"
    sa = "signed" if spec.signed_a else "unsigned"
    r = report["resources"]
    return [
        f"{kind}: {spec.w}-bit {sw} w x {spec.a}-bit {sa} a, family {spec.family}",
        f"construction: {report['construction']} {report['variant'] or ''}".rstrip(),
        f"resources: {r['lut_sites']} LUT sites, {r['carry_cells']} {r['carry_cell']}, "
        f"{r['FDRE']} FDRE, {r['sites']} {r['site_kind']}",
        *extra,
    ]


def _latency(stages: int) -> list[str]:
    if not stages:
        return []
    return [f"pipelined: {stages} register stage(s); every output appears {stages} cycle(s) after its inputs"]


def generate_mul(spec: MulSpec, pipeline_stages: int = 0) -> Generated:
    netlist = build_multiplier(spec)
    if pipeline_stages:
        netlist = replace(pipeline(netlist, pipeline_stages), name=f"{netlist.name}_p{pipeline_stages}")
    placement = pack(netlist, spec.family)
    check_placement(netlist, placement)
    report = make_report("mul", netlist, placement, {**_spec_dict(spec), "pipeline_stages": pipeline_stages})
    p_kind = "signed" if spec.signed_out else "unsigned"
    doc = {"w": "weight operand", "a": "activation operand", "p": f"product w*a, {p_kind}, full width"}
    if pipeline_stages:
        doc["clk"] = "clock of the pipeline registers"
    kind = "pipelined multiplier p = w * a" if pipeline_stages else "combinational multiplier p = w * a"
    header = _header(kind, spec, report, _latency(pipeline_stages))
    return Generated(netlist, placement, emit_module(netlist, header, doc), report)


def generate_pe(spec: PeSpec) -> Generated:
    netlist = build_pe(spec)
    placement = pack(netlist, spec.mul.family)
    check_placement(netlist, placement)
    spec_dict = {**_spec_dict(spec.mul), "acc_bits": spec.acc_bits, "pipeline_stages": spec.pipeline}
    report = make_report("pe", netlist, placement, spec_dict)
    acc_kind = "signed" if spec.mul.signed_out else "unsigned"
    extra = [
        "multiply-accumulate PE:",
        "  acc <= 0                      if rst",
        "  acc <= (clr ? 0 : acc) + w*a  else if en",
        f"  acc is {spec.acc_bits} bits, {acc_kind}, wraps modulo 2**{spec.acc_bits}",
        *_latency(spec.pipeline),
    ]
    doc = {name: text for name, _, text in PORT_DOC}
    header = _header("multiply-accumulate PE", spec.mul, report, extra)
    return Generated(netlist, placement, emit_module(netlist, header, doc), report)


def generate_dot(spec: DotSpec) -> Generated:
    """N-lane dot product; with spec.acc_bits, a multi-lane PE (accumulator like generate_pe's)."""
    netlist = build_dot(spec)
    placement = pack(netlist, spec.mul.family)
    check_placement(netlist, placement)
    spec_dict = {**_spec_dict(spec.mul), "lanes": spec.lanes, "sum_bits": spec.sum_bits, "acc_bits": spec.acc_bits,
                 "pipeline_stages": spec.pipeline}
    report = make_report("dot", netlist, placement, spec_dict)
    kind = "signed" if spec.mul.signed_out else "unsigned"
    n, w, a = spec.lanes, spec.mul.w, spec.mul.a
    doc = {
        "w": f"{n} weights, lane k in bits [{w}*k +: {w}]",
        "a": f"{n} activations, lane k in bits [{a}*k +: {a}]",
    }
    extra = [f"dot product of {n} lanes: sum_k w_k * a_k, {kind}, {spec.sum_bits} bits (exact)"]
    extra += _latency(spec.pipeline)
    if spec.acc_bits is None:
        doc["p"] = f"sum of the {n} products, {kind}, full width"
        if spec.pipeline:
            doc["clk"] = "clock of the pipeline registers"
    else:
        doc.update({name: text for name, _, text in PORT_DOC if name not in ("w", "a")})
        doc["en"] = "valid/enable: accumulate this cycle's dot product"
        doc["clr"] = "with en: start a new sum, acc <= dot product"
        extra += [
            "  acc <= 0                        if rst",
            "  acc <= (clr ? 0 : acc) + sum    else if en",
            f"  acc is {spec.acc_bits} bits, {kind}, wraps modulo 2**{spec.acc_bits}",
        ]
    header = _header(f"{n}-lane dot product", spec.mul, report, extra)
    return Generated(netlist, placement, emit_module(netlist, header, doc), report)

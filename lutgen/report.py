"""Resource reports: counted from the netlist and its packing, as JSON and text."""

from __future__ import annotations

import json

from .cells import Netlist
from .depth import critical_depth
from .pack import Placement
from .target import FAMILIES


def resources(netlist: Netlist, placement: Placement) -> dict:
    counts = netlist.cell_counts()
    family = FAMILIES[placement.family]
    levels, bits = critical_depth(netlist)
    return {
        "depth_lut_levels": levels,
        "depth_carry_bits": bits,
        "lut_sites": len(netlist.luts),
        "LUT6_2": counts.get("LUT6_2", 0),
        "LUT6": counts.get("LUT6", 0),
        "carry_cell": family.carry_cell,
        "carry_cells": counts.get(family.carry_cell, 0),
        "carry_chains": len(netlist.chains),
        "FDRE": counts.get("FDRE", 0),
        "sites": placement.sites,
        "site_kind": family.site_name,
    }


def make_report(kind: str, netlist: Netlist, placement: Placement, spec: dict) -> dict:
    meta = dict(netlist.meta)
    return {
        "lutgen_report": 1,
        "kind": kind,
        "module": netlist.name,
        "family": placement.family,
        "spec": spec,
        "construction": meta.get("construction"),
        "variant": meta.get("variant"),
        "resources": resources(netlist, placement),
    }


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def summary(report: dict) -> str:
    r = report["resources"]
    parts = [
        f"{r['lut_sites']} LUTs ({r['LUT6_2']} LUT6_2, {r['LUT6']} LUT6)",
        f"{r['carry_cells']} {r['carry_cell']}",
    ]
    if r["FDRE"]:
        parts.append(f"{r['FDRE']} FFs")
    parts.append(f"{r['sites']} {r['site_kind']}")
    parts.append(f"depth {r['depth_lut_levels']} LUT + {r['depth_carry_bits']} carry bits")
    construction = report["construction"] + (f" ({report['variant']})" if report["variant"] else "")
    return f"{report['module']}: {', '.join(parts)}; construction: {construction}"

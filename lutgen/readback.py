"""Parse emitted Verilog back with pyverilog and count what it instantiates.

An independent count of the file, to hold against the compiler's report.
pyverilog preprocesses with Icarus (`iverilog -E`) and writes scratch files
into the working directory, so it runs in a temporary one.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path


def count_instances(verilog_path: str | os.PathLike) -> dict[str, dict[str, int]]:
    """module name -> {instantiated module type: count}, for every module in the file."""
    from pyverilog.vparser import ast as vast
    from pyverilog.vparser.parser import parse

    source = Path(verilog_path).resolve()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            tree, _ = parse([str(source)], outputdir=scratch, debug=False)
        finally:
            os.chdir(cwd)
    result: dict[str, dict[str, int]] = {}
    for definition in tree.description.definitions:
        if not isinstance(definition, vast.ModuleDef):
            continue
        counts: Counter = Counter()
        for item in definition.items:
            if isinstance(item, vast.InstanceList):
                counts[item.module] += len(item.instances)
        result[definition.name] = dict(counts)
    return result


def report_counts(report: dict) -> dict[str, int]:
    """The same counts as the compiler's report states them."""
    r = report["resources"]
    counts = {"LUT6_2": r["LUT6_2"], "LUT6": r["LUT6"], r["carry_cell"]: r["carry_cells"], "FDRE": r["FDRE"]}
    return {k: v for k, v in counts.items() if v}

"""Cross-checks with a real synthesizer: native Yosys `synth_xilinx` on an emitted accelerator folder.

Used by benchmarks/synth.py and the tests, never by lutgen's own counting.
Counts are taken in the report's units: LUTs include the LUTs Yosys uses as
memory (RAM32M16 and RAM64M8 are 8 each) and as shift registers (SRL16E,
SRLC32E), and an inverter; block RAM in RAMB36 (a RAMB18 is half).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from lutgen.timing import delay_model, top_module, worst_path, yosys_graph

LUT_CELLS = {"LUT1": 1, "LUT2": 1, "LUT3": 1, "LUT4": 1, "LUT5": 1, "LUT6": 1, "LUT6_2": 1, "INV": 1,
             "RAM32M16": 8, "RAM64M8": 8, "RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4,
             "RAM256X1D": 8, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "SRL16E": 1, "SRLC32E": 1}
LUTRAM_CELLS = {k for k in LUT_CELLS if k.startswith("RAM")}
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE")


def yosys() -> str | None:
    return shutil.which("yosys")


def totals(cells: Counter) -> dict[str, float]:
    """Cell counts of a synthesized netlist in the report's units."""
    return {
        "LUT": sum(n * LUT_CELLS[t] for t, n in cells.items() if t in LUT_CELLS),
        "LUTRAM": sum(n * LUT_CELLS[t] for t, n in cells.items() if t in LUTRAM_CELLS),
        "SRL": cells.get("SRL16E", 0) + cells.get("SRLC32E", 0),
        "FF": sum(cells.get(t, 0) for t in FF_CELLS),
        "CARRY4": cells.get("CARRY4", 0),
        "CARRY8": cells.get("CARRY8", 0),
        "BRAM36": cells.get("RAMB36E2", 0) + cells.get("RAMB36E1", 0)
        + (cells.get("RAMB18E2", 0) + cells.get("RAMB18E1", 0)) / 2,
        "URAM": cells.get("URAM288", 0),
        "DSP": cells.get("DSP48E2", 0) + cells.get("DSP48E1", 0),
        "MUXF": cells.get("MUXF7", 0) + cells.get("MUXF8", 0) + cells.get("MUXF9", 0),
    }


def synthesize(folder: Path, top: str, family: str = "xcup", filelist: str = "filelist_synth.f",
               flatten: bool = True, timeout: float = 3600) -> dict:
    """Run `synth_xilinx` in `folder` (where the $readmemh paths point) and count what it built.

    flatten: one netlist (written as synth.json and returned as "module", for timing);
    otherwise the hierarchy is kept, which is faster, and only the counts come back.
    """
    exe = yosys()
    if exe is None:
        raise RuntimeError("native yosys not found (Debian package yosys)")
    files = [line for line in (folder / filelist).read_text().split() if line]
    script = (f"read_verilog -sv {' '.join(files)}\n"
              f"synth_xilinx -family {family} -top {top} {'-flatten ' if flatten else ''}-noiopad -noclkbuf\n"
              + ("write_json synth.json\n" if flatten else "tee -q -o stat.txt stat\n"))
    (folder / "synth.ys").write_text(script)
    run = subprocess.run([exe, "-q", "-l", "synth.log", "synth.ys"], cwd=folder, capture_output=True, text=True,
                         timeout=timeout)
    if run.returncode != 0:
        tail = (folder / "synth.log").read_text()[-3000:] if (folder / "synth.log").exists() else run.stderr
        raise RuntimeError(f"yosys failed on {folder}:\n{tail}")
    if not flatten:
        cells = hierarchy_cells((folder / "stat.txt").read_text())
        return {"module": None, "cells": cells, "totals": totals(cells)}
    module = top_module(json.loads((folder / "synth.json").read_text()))
    cells = Counter(cell["type"] for cell in module["cells"].values())
    return {"module": module, "cells": cells, "totals": totals(cells)}


def hierarchy_cells(stat: str) -> Counter:
    """The whole design's cells from Yosys's `stat` text: its last table (the hierarchy's total), or its only one."""
    section = stat.split("=== design hierarchy ===")[-1]
    block = section.split("Number of cells:")[-1]
    cells = Counter()
    for line in block.splitlines()[1:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            if cells:
                break
            continue
        cells[parts[0]] += int(parts[1])
    return cells


def synthesized_path(module: dict, family: str) -> float:
    """The slowest register-to-register path of a synthesized netlist under lutgen's delay model, in ns."""
    return worst_path(yosys_graph(module, delay_model(family))).delay_ns

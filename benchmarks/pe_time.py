"""Whole-process time of `lutgen pe --w 3 --a 5` (target: under 2 s), and of a few larger runs.

    python benchmarks/pe_time.py
"""

import statistics
import subprocess
import sys
import tempfile
import time

RUNS = [
    (["pe", "--w", "3", "--a", "5"], 2.0),
    (["mul", "--w", "8", "--a", "8", "--signed-w", "--signed-a"], None),
    (["pe", "--w", "16", "--a", "16", "--signed-w", "--signed-a", "--family", "xc7"], None),
]


def main() -> int:
    failed = False
    with tempfile.TemporaryDirectory() as out:
        for args, target in RUNS:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-m", "lutgen.cli", *args, "-o", out], check=True, capture_output=True)
                times.append(time.perf_counter() - t0)
            median = statistics.median(times)
            verdict = "" if target is None else (" ok" if median < target else " OVER TARGET")
            failed |= verdict == " OVER TARGET"
            goal = f"target < {target:.1f} s" if target else "no target"
            print(f"lutgen {' '.join(args):<55} median {median:.2f} s of 5 ({goal}){verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

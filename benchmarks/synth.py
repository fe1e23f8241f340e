"""The accelerator's report against a real synthesizer: native Yosys `synth_xilinx -family xcup`.

For each network it runs `lutgen accel` (a fresh folder), synthesizes the emitted
folder flattened, and prints the report's count beside the synthesized one for
every resource, then lutgen's static timing estimate (lutgen/timing.py) of the
slowest register-to-register path in the SYNTHESIZED netlist against the clock the
report promises. Goals: LUT and FF within +-10 %, BRAM and URAM exact, DSP 0, every
path within the reported clock.

Networks: the test suite's small network (arch/configs/small.json: 3x16x16, three
3x3 convs of 8/4/mixed 2-3-4-bit weights, a residual add, max pool, global pool, fc), and a CIFAR-size
ResNet-8 (arch/configs/resnet8_cifar.json), both on xczu7ev. The ResNet-8 is held
to a share of the LUTs (--lut-limit, default 0.15) so that Yosys finishes in minutes.

Where Yosys differs from Vivado: Yosys builds its own adders (the counters and
pointers of the control logic) from CARRY4 even for UltraScale+, where Vivado uses
CARRY8; it never packs two LUTs into a LUT6_2; it turns some chains of registers into
SRL16E shift registers (counted here as LUTs, as Vivado's report does); and its
block-RAM mapping is its own (lutgen emits one row per RAM shape so both agree).

    python benchmarks/synth.py [--only small|resnet8] [--lut-limit F]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from lutgen.api import write_files
from lutgen.arch.accel import build_accel
from lutgen.arch.cli import load_network
from lutgen.arch.device import Limits, get_device
from lutgen.arch.golden import random_params
from lutgen.arch.synth import synthesize
from lutgen.timing import delay_model, format_path, worst_path, yosys_graph

from common import write_csv

ROOT = Path(__file__).resolve().parent.parent
DEVICE = "xczu7ev"


def measure(name: str, net, limits: Limits, folder: Path) -> dict:
    device = get_device(DEVICE)
    t0 = time.perf_counter()
    accel = build_accel(net, device, random_params(net, seed=3), limits, None)
    emit_s = time.perf_counter() - t0
    write_files(folder, accel.files)
    report = json.loads(accel.files[f"arch_{net.name}_{device.name}.json"])
    t0 = time.perf_counter()
    synth = synthesize(folder, accel.top, device.family)
    synth_s = time.perf_counter() - t0
    path = worst_path(yosys_graph(synth["module"], delay_model(device.family)))
    return {"name": name, "report": report, "got": synth["totals"], "path": path, "emit_s": emit_s, "synth_s": synth_s}


def table(m: dict) -> list[dict]:
    r, got = m["report"], m["got"]
    usage = r["usage"]
    carry = sum(layer["carry"] for layer in r["layers"])
    rows = [("LUT (incl. LUTRAM, SRL)", usage["LUT"], got["LUT"]), ("FF", usage["FF"], got["FF"]),
            ("carry cells", carry, got["CARRY4"] + got["CARRY8"]), ("BRAM36", usage["BRAM36"], got["BRAM36"]),
            ("URAM", usage["URAM"], got["URAM"]), ("DSP", 0, got["DSP"])]
    return [{"network": m["name"], "resource": k, "report": a, "synthesized": b,
             "ratio": (b / a if a else (1.0 if b == a else float("inf")))} for k, a, b in rows]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["small", "resnet8"], default=None)
    ap.add_argument("--lut-limit", type=float, default=0.15, help="ResNet-8's share of the device's LUTs")
    args = ap.parse_args()
    nets = {"small": (load_network(str(ROOT / "arch" / "configs" / "small.json")), Limits()),
            "resnet8": (load_network(str(ROOT / "arch" / "configs" / "resnet8_cifar.json")), Limits(lut=args.lut_limit))}
    print(f"lutgen accel vs Yosys synth_xilinx -family xcup on {DEVICE}, {time.strftime('%Y-%m-%d')}")
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as tmp:
        for name, (net, limits) in nets.items():
            if args.only and name != args.only:
                continue
            m = measure(name, net, limits, Path(tmp) / name)
            r = m["report"]
            print(f"\n{name}: II {r['ii_cycles']} cycles, clock {r['clock_mhz']:.1f} MHz (target {r['clock_target_mhz']:g}, "
                  f"estimated Fmax {r['fmax_estimate_mhz']:.1f}), {r['fps']:.0f} frames/s; "
                  f"emitted in {m['emit_s']:.1f} s, synthesized in {m['synth_s']:.0f} s")
            print(f"  {'resource':<24} {'report':>10} {'Yosys':>10} {'Yosys/report':>13}")
            for row in table(m):
                print(f"  {row['resource']:<24} {row['report']:>10g} {row['synthesized']:>10g} {row['ratio']:>13.3f}")
                rows.append(row)
                if row["resource"].startswith(("LUT", "FF")):
                    ok &= abs(row["ratio"] - 1) <= 0.10
                elif row["resource"] in ("BRAM36", "URAM", "DSP"):
                    ok &= row["report"] == row["synthesized"]
            period = 1000.0 / r["clock_mhz"]
            path = m["path"]
            met = path.delay_ns <= period + 1e-9
            ok &= met
            print(f"  slowest path of the synthesized netlist: {path.delay_ns:.3f} ns against the reported "
                  f"{period:.3f} ns ({'within' if met else 'OVER'}); from {path.start} to {path.end}")
            print("    " + format_path(path).replace("\n", "\n    ") if "-v" in sys.argv else "", end="")
            rows.append({"network": name, "resource": "slowest path ns", "report": round(period, 3),
                         "synthesized": round(path.delay_ns, 3), "ratio": path.delay_ns / period})
    out = write_csv("synth.csv", rows)
    print(f"\n{'all goals met' if ok else 'SOME GOALS MISSED'}; table in {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

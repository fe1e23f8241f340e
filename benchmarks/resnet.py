"""ResNet-18 and ResNet-152 on xczu9eg and xcvu9p, beside the source paper.

Precision: arch/configs/resnet_w4a4_first_last_8.json (first conv and final
fc 8-bit weights reading 8-bit activations; every other layer 4-bit weights
and 4-bit activations). The counts are those of the hardware `lutgen accel`
emits (the arch.hw plan): every dot unit, requantizer and memory, and the
pipeline registers that bring each unit to the target clock (default: the
family's, 300 MHz on UltraScale+), under lutgen's delay model; frames/s are at
the clock the estimate meets. Assumptions, printed with the results: the
off-chip weight bandwidth (the device table's, one DDR4-2400 x64 channel,
19.2 GB/s, used only where weights spill off chip, which `lutgen accel` does
not emit), utilisation limits 70 % LUT / 50 % FF / 80 % BRAM and URAM, dot
units of at most 64 lanes. The paper (Design of High-Throughput
Mixed-Precision CNN Accelerators on FPGA, FPL 2022) reports 245 frames/s on
ResNet-18 and 1.13 TOps/s on ResNet-152; its device and clock are its own.

    python benchmarks/resnet.py [--clock MHZ] [--bandwidth GBPS]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lutgen.arch.device import get_device
from lutgen.arch.explore import explore
from lutgen.arch.network import ArchError
from lutgen.arch.precision import load_precision, reference_config_path
from lutgen.arch.report import design_dict, plot_front
from lutgen.arch.zoo import resnet18, resnet152

OUT = Path(__file__).resolve().parent / "out"
PAPER = {"resnet18": "245 frames/s, 4.9x memory", "resnet152": "1.13 TOps/s, 9.4x memory"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clock", type=float, default=None, help="target clock in MHz (default: the family's)")
    parser.add_argument("--bandwidth", type=float, default=None)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"lutgen arch, {time.strftime('%Y-%m-%d')}: precision {reference_config_path().name}, "
          f"target clock {'the family default' if args.clock is None else f'{args.clock:g} MHz'}")
    head = (f"{'network':<10} {'device':<8} {'MHz':>6} {'frames/s':>9} {'TOps/s':>7} {'LUT %':>6} {'FF %':>5} {'BRAM %':>6} "
            f"{'URAM %':>6} {'mem x':>6} {'off-chip':>8} {'explore s':>9}   paper")
    print(head)
    print("-" * len(head))
    for build in (resnet18, resnet152):
        net = load_precision(build(), reference_config_path())
        for name in ("xczu9eg", "xcvu9p"):
            device = get_device(name)
            t0 = time.perf_counter()
            try:
                exploration = explore(net, device, clock_mhz=args.clock, bandwidth=args.bandwidth,
                                      show_progress=sys.stderr.isatty())
            except ArchError as error:  # an honest answer too: say what does not fit, and go on
                print(f"{net.name:<10} {name:<8} does not fit: {str(error).split(': ', 1)[-1][:160]}")
                continue
            seconds = time.perf_counter() - t0
            r = design_dict(exploration.best)
            u = r["utilisation"]
            print(f"{net.name:<10} {name:<8} {r['clock_mhz']:>6.1f} {r['fps']:>9.1f} {r['tops']:>7.3f} "
                  f"{100 * u['LUT']:>6.1f} {100 * u['FF']:>5.1f} {100 * u['BRAM36']:>6.1f} {100 * u['URAM']:>6.1f} "
                  f"{r['memory_reduction']:>6.2f} {len(r['weights_offchip']):>8} {seconds:>9.1f}   {PAPER[net.name]}")
            plot_front(exploration, OUT / f"resnet_{net.name}_{name}_pareto.png")
    print(f"(off-chip = layers whose weights the model streams from DRAM, which lutgen accel does not build; "
          f"Pareto plots in {OUT})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

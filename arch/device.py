"""Target devices: resources, carry family, utilisation limits, off-chip bandwidth.

Numbers are AMD's product-table figures (LUTs, FFs, 36 Kb block RAMs,
288 Kb UltraRAMs, DSP slices, and LUTs in SLICEMs usable as LUTRAM).
`part` is one package of the device at speed grade -2 (lutgen's timing
model assumes -2), for the Vivado script; change it to your board's.
`ddr_gbytes_s` is an assumed off-chip weight bandwidth for the device's
usual board: ZedBoard-class DDR3 x32 for xc7z020, one DDR4-2400 x64 channel
(19.2 GB/s) for the others. Override it with --bandwidth.
"""

from __future__ import annotations

from dataclasses import dataclass

from .network import ArchError


@dataclass(frozen=True)
class Device:
    name: str
    luts: int
    ffs: int
    bram36: int
    uram: int
    dsps: int
    lutram_luts: int
    family: str  # lutgen family: carry primitive and site shape
    ddr_gbytes_s: float
    part: str  # a full part name at speed grade -2 (the timing model's), for build.tcl


DEVICES: dict[str, Device] = {d.name: d for d in (
    Device("xc7z020", 53_200, 106_400, 140, 0, 220, 17_400, "xc7", 4.2, "xc7z020clg400-2"),
    Device("xc7a100t", 63_400, 126_800, 135, 0, 240, 19_000, "xc7", 6.4, "xc7a100tcsg324-2"),
    Device("xc7k325t", 203_800, 407_600, 445, 0, 840, 64_000, "xc7", 12.8, "xc7k325tffg900-2"),
    Device("xczu7ev", 230_400, 460_800, 312, 96, 1_728, 101_760, "xcup", 19.2, "xczu7ev-ffvc1156-2-e"),
    Device("xczu9eg", 274_080, 548_160, 912, 0, 2_520, 144_000, "xcup", 19.2, "xczu9eg-ffvb1156-2-e"),
    Device("xcvu9p", 1_182_240, 2_364_480, 2_160, 960, 6_840, 591_840, "xcup", 19.2, "xcvu9p-flga2104-2-e"),
    Device("xcvu13p", 1_728_000, 3_456_000, 2_688, 1_280, 12_288, 864_000, "xcup", 19.2, "xcvu13p-flga2577-2-e"),
)}


@dataclass(frozen=True)
class Limits:
    """Fractions of each resource a design may use (timing closure headroom)."""

    lut: float = 0.70
    ff: float = 0.50
    bram: float = 0.80
    uram: float = 0.80
    dsp: float = 0.80


RESOURCES = ("LUT", "FF", "BRAM36", "URAM", "DSP")


def budget(device: Device, limits: Limits) -> dict[str, int]:
    """How much of each resource the design may use."""
    return {
        "LUT": int(device.luts * limits.lut),
        "FF": int(device.ffs * limits.ff),
        "BRAM36": int(device.bram36 * limits.bram),
        "URAM": int(device.uram * limits.uram),
        "DSP": int(device.dsps * limits.dsp),
    }


def get_device(name: str) -> Device:
    key = str(name).lower()
    if key not in DEVICES:
        raise ArchError(f"unknown device {name!r}; choose one of: {', '.join(DEVICES)}")
    return DEVICES[key]

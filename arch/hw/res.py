"""Resource counts that add up, in the units a synthesizer reports.

LUTs include the LUTs used as memory (distributed RAM: RAM32M16 and RAM64M8
are 8 LUTs each); block RAM is counted in RAMB18 halves, since Yosys and
Vivado place an 18 Kb half where a whole 36 Kb block would be wasted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Res:
    lut: int = 0
    ff: int = 0
    carry: int = 0  # CARRY4 / CARRY8 cells
    bram18: int = 0  # RAMB18 halves: a RAMB36 is 2
    uram: int = 0
    lutram: int = 0  # of `lut`, the LUTs used as memory

    def __add__(self, other: "Res") -> "Res":
        return Res(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def times(self, n: int) -> "Res":
        return Res(*(getattr(self, f.name) * n for f in fields(self)))

    @property
    def bram36(self) -> float:
        return self.bram18 / 2

    @staticmethod
    def of_cells(counts: Counter) -> "Res":
        """From lutgen's cell counts (lutgen.dot.netlist_counts keys)."""
        return Res(lut=counts.get("lut_sites", 0), ff=counts.get("FDRE", 0), carry=counts.get("carry_cells", 0))


def total(items) -> Res:
    out = Res()
    for item in items:
        out = out + item
    return out

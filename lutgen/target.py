"""Family models: what one site holds and which carry primitive it has."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str
    carry_cell: str  # UNISIM name of the carry primitive
    carry_width: int  # positions per carry primitive (= LUTs per site)
    ffs_per_site: int
    site_name: str  # what the report calls one site

    @property
    def luts_per_site(self) -> int:
        return self.carry_width


FAMILIES: dict[str, Family] = {
    # 7-series slice: 4 LUT6_2, 8 FF, one CARRY4.
    "xc7": Family("xc7", "CARRY4", 4, 8, "slices"),
    # UltraScale+ CLB: 8 LUT6_2, 16 FF, one CARRY8.
    "xcup": Family("xcup", "CARRY8", 8, 16, "CLBs"),
}

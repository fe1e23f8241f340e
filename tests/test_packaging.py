"""An installed lutgen finds its Verilog: the wheel carries rtl_lib and arch under lutgen/."""

import subprocess
import sys
import zipfile
from pathlib import Path

from lutgen.rtl import PRIMITIVES, prim_files

ROOT = Path(__file__).resolve().parent.parent


def test_models_are_found_through_the_package():
    files = prim_files()
    assert [p.stem for p in files] == list(PRIMITIVES)
    assert all(p.is_file() and f"module {p.stem}" in p.read_text() for p in files)


def test_wheel_contains_models_and_arch(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = tmp_path.glob("lutgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for prim in PRIMITIVES:
        assert f"lutgen/rtl_lib/prims/{prim}.v" in names
    assert "lutgen/arch/__init__.py" in names
    assert not any(n.startswith("arch/") for n in names), "arch must not install as a top-level package"

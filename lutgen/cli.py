"""The `lutgen` command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .spec import MAX_LANES, MAX_WIDTH, MIN_LANES, MIN_WIDTH, SpecError

EXAMPLES_MAIN = """\
examples:
  lutgen pe --w 3 --a 5                      3x5 unsigned MAC PE into ./lutgen_out
  lutgen mul --w 8 --a 8 --signed-w --signed-a --family xc7 -o build
  lutgen mul --w 4 --a 4 --construction tiles
  lutgen dot --lanes 8 --w 4 --a 4 --signed-w --signed-a --acc 20
"""

EXAMPLES_MUL = """\
examples:
  lutgen mul --w 3 --a 5
  lutgen mul --w 8 --a 8 --signed-w --signed-a --family xc7 -o build
  lutgen mul --w 2 --a 3 --construction table

writes DIR/lutgen_mul_<config>.v (ports: input [W-1:0] w, input [A-1:0] a,
output [W+A-1:0] p) and DIR/lutgen_mul_<config>.json (resource report).
"""

EXAMPLES_PE = """\
examples:
  lutgen pe --w 3 --a 5
  lutgen pe --w 4 --a 4 --signed-w --acc 24 --family xc7 -o build
  lutgen pe --w 4 --a 4 --lanes 8        an 8-lane dot-product PE

ports: clk, rst (sync reset, acc <= 0), en (accumulate w*a), clr (with en:
acc <= w*a), w, a, acc. The default --acc holds 2**10 products without
overflow. With --lanes N, w and a carry N lanes packed (lane k in bits
[W*k +: W]) and each cycle adds the sum of the N products.
"""

EXAMPLES_DOT = """\
examples:
  lutgen dot --lanes 8 --w 4 --a 4 --signed-w --signed-a
  lutgen dot --lanes 16 --w 3 --a 5 --signed-w --acc 24 --family xc7

ports: w (N*W bits, lane k in bits [W*k +: W]), a (N*A bits), and p, the
exact sum of the N products. With --acc BITS: clk, rst, en, clr and acc,
as for `lutgen pe`.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message):  # noqa: D401 - argparse API
        sys.stderr.write(f"lutgen: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


def _add_common(p: argparse.ArgumentParser) -> None:
    width_help = f"bits, an integer from {MIN_WIDTH} to {MAX_WIDTH}"
    p.add_argument("--w", required=True, metavar="W", help=f"weight width in {width_help}")
    p.add_argument("--a", required=True, metavar="A", help=f"activation width in {width_help}")
    p.add_argument("--signed-w", action="store_true", help="weight is two's complement (default unsigned)")
    p.add_argument("--signed-a", action="store_true", help="activation is two's complement (default unsigned)")
    p.add_argument("--family", default="xcup", metavar="{xc7,xcup}",
                   help="xc7: 7-series, CARRY4, 4 LUTs per slice; xcup: UltraScale+, CARRY8, 8 LUTs per CLB (default xcup)")
    p.add_argument("--construction", default=None, metavar="NAME",
                   help="force a construction (table, array, tiles, booth, tilechain, gatedrow, heap); default: the fewest LUTs")
    p.add_argument("--pipeline", default="0", metavar="K",
                   help="register stages cut in at the best points, 0 to 8 (default 0); latency K cycles")
    p.add_argument("-o", "--out", default="lutgen_out", metavar="DIR", help="output directory (default ./lutgen_out)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lutgen",
        description="LUT-level arithmetic compiler: verified LUT6_2 / carry-chain multipliers and PEs for AMD/Xilinx FPGAs.",
        epilog=EXAMPLES_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lutgen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{mul,pe,dot,arch,accel}", parser_class=_Parser)
    mul = sub.add_parser("mul", help="combinational multiplier p = w * a", epilog=EXAMPLES_MUL,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Write a combinational w x a multiplier built from LUT6_2 and carry primitives.")
    _add_common(mul)
    pe = sub.add_parser("pe", help="multiply-accumulate processing element", epilog=EXAMPLES_PE,
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="Write a multiply-accumulate PE: the multiplier, an accumulator chain and FDRE registers.")
    _add_common(pe)
    pe.add_argument("--acc", default=None, metavar="BITS",
                    help="accumulator width, from W+A to 64 (default: enough for 2**10 products)")
    pe.add_argument("--lanes", default="1", metavar="N",
                    help=f"products summed per cycle, {MIN_LANES} to {MAX_LANES} (default 1)")
    dot = sub.add_parser("dot", help="N-lane dot product, optionally with an accumulator", epilog=EXAMPLES_DOT,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Write the sum of N products w_k * a_k, combinational or accumulated.")
    _add_common(dot)
    dot.add_argument("--lanes", required=True, metavar="N", help=f"number of products, {MIN_LANES} to {MAX_LANES}")
    dot.add_argument("--acc", default=None, metavar="BITS",
                     help="add an accumulator of BITS bits (at least the sum's width, at most 64)")
    from .arch.cli import add_accel_parser, add_parsers

    add_parsers(sub, _Parser)
    add_accel_parser(sub, _Parser)
    return parser


def run(argv: list[str] | None = None) -> int:
    from .api import generate_dot, generate_mul, generate_pe, write_files
    from .output import check_output
    from .spec import make_dot_spec, make_mul_spec, make_pe_spec, parse_lanes, parse_pipeline

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "out", None) is not None:
        check_output(Path(args.out))  # refuse a folder lutgen may not replace before the work, not after
    if args.command == "arch":
        from .arch.cli import run as run_arch

        return run_arch(args, write_files)
    if args.command == "accel":
        from .arch.cli import run_accel

        return run_accel(args, write_files)
    mul_spec = make_mul_spec(args.w, args.a, args.signed_w, args.signed_a, args.family, args.construction)
    stages = parse_pipeline(args.pipeline)
    if args.command == "mul":
        core = generate_mul(mul_spec, stages)
    elif args.command == "dot":
        core = generate_dot(make_dot_spec(mul_spec, args.lanes, args.acc, pipeline=stages))
    elif parse_lanes(args.lanes) > 1:
        core = generate_dot(make_dot_spec(mul_spec, args.lanes, args.acc, accumulate=True, pipeline=stages))
    else:
        core = generate_pe(make_pe_spec(mul_spec, args.acc, stages))
    written = write_files(args.out, core.files)
    print(core.summary)
    for path in written:
        print(f"  wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> None:
    try:
        code = run(argv)
    except SpecError as exc:
        sys.stderr.write(f"lutgen: error: {exc}\n")
        code = 2
    except KeyboardInterrupt:
        sys.stderr.write("lutgen: interrupted\n")
        code = 130
    except BrokenPipeError:  # e.g. `lutgen ... | head -1`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except Exception as exc:  # a compiler bug: one line, the traceback only on request
        if os.environ.get("LUTGEN_DEBUG"):
            raise
        sys.stderr.write(f"lutgen: internal error: {type(exc).__name__}: {exc} (set LUTGEN_DEBUG=1 for details)\n")
        code = 70
    sys.exit(code)


if __name__ == "__main__":
    main()

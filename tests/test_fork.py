"""rtl_lib's lutgen_fork (cocotb, random backpressure per output) and lutgen_requant (cocotb against the golden rule)."""

import json
from pathlib import Path

import pytest

from sim import run_cocotb

pytestmark = pytest.mark.sim

RTL = Path(__file__).resolve().parent.parent / "rtl_lib"
RQ_CONFIGS = [[16, 0, 8, 0], [12, 4, 4, 1], [5, 2, 8, 1], [20, 19, 2, 0], [9, 3, 3, 0]]


def _top(n: int, width: int) -> str:
    rq = []
    for i, (in_w, shift, out_w, signed) in enumerate(RQ_CONFIGS):
        rq.append(f"    input  wire [{in_w - 1}:0] rq{i}_v,\n    output wire [{out_w - 1}:0] rq{i}_q,")
    insts = "\n".join(
        f"    lutgen_requant #(.IN_W({a}), .SHIFT({b}), .OUT_W({c}), .OUT_SIGNED({d})) u_rq{i} "
        f"(.v(rq{i}_v), .q(rq{i}_q));" for i, (a, b, c, d) in enumerate(RQ_CONFIGS))
    return f"""`default_nettype none
module tb_fork_top (
{chr(10).join(rq)}
    input  wire clk, input wire rst,
    input  wire s_valid, output wire s_ready, input wire [{width - 1}:0] s_data,
    output wire [{n - 1}:0] m_valid, input wire [{n - 1}:0] m_ready, output wire [{width - 1}:0] m_data
);
    lutgen_fork #(.WIDTH({width}), .N({n})) u (.clk(clk), .rst(rst), .s_valid(s_valid), .s_ready(s_ready),
        .s_data(s_data), .m_valid(m_valid), .m_ready(m_ready), .m_data(m_data));
{insts}
endmodule
`default_nettype wire
"""


@pytest.mark.parametrize("n,width", [(2, 8), (3, 5)])
def test_fork_and_requant(tmp_path, n, width):
    top = tmp_path / "tb_fork_top.v"
    top.write_text(_top(n, width))
    env = dict(N=n, BEATS=1500, SEED=n, RQ_CONFIGS=json.dumps(RQ_CONFIGS))
    run_cocotb([RTL / "stream" / "lutgen_fork.v", RTL / "accel" / "lutgen_requant.v", top], "tb_fork_top", "tb_fork",
               tmp_path / "build", env)

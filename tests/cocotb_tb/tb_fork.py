"""cocotb bench: lutgen_fork (N outputs) and lutgen_requant instances.

Fork: ports s_valid, s_ready, s_data, m_valid[N-1:0], m_ready[N-1:0], m_data; env N,
BEATS, SEED. Random input gaps and independent random m_ready per output; every output
must see exactly the input sequence, in order; a shown beat stays shown until taken; then
a full-rate phase must move one beat per cycle.

Requant: ports rq{i}_v, rq{i}_q for each entry of RQ_CONFIGS (JSON list of
[IN_W, SHIFT, OUT_W, OUT_SIGNED]); random and extreme v against the golden model's rule.
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, Timer

from tb_fifo import reset


@cocotb.test()
async def fork_delivers_every_beat_once_to_every_output(dut):
    n, beats, rng = int(os.environ["N"]), int(os.environ["BEATS"]), random.Random(int(os.environ["SEED"]))
    width = len(dut.s_data)
    sent = [rng.randrange(1 << width) for _ in range(beats)]
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.s_valid.value = 0
    dut.m_ready.value = 0
    await reset(dut)
    got = [[] for _ in range(n)]
    shown = [None] * n
    n_in, offered, cycle = 0, False, 0
    p_ready = [rng.uniform(0.3, 0.9) for _ in range(n)]
    while min(len(g) for g in got) < beats:
        await FallingEdge(dut.clk)
        if n_in < beats and not offered:
            offered = rng.random() < 0.7
        dut.s_valid.value = int(offered)
        dut.s_data.value = sent[n_in] if offered else 0
        ready = [rng.random() < p for p in p_ready]
        dut.m_ready.value = sum(int(r) << i for i, r in enumerate(ready))
        await ReadOnly()
        valid = int(dut.m_valid.value)
        for i in range(n):
            if shown[i] is not None:
                assert valid >> i & 1, f"cycle {cycle}: output {i} withdrew a beat before taking it"
            if valid >> i & 1:
                data = int(dut.m_data.value)
                if ready[i]:
                    got[i].append(data)
                    shown[i] = None
                else:
                    shown[i] = data
        if offered and int(dut.s_ready.value):
            n_in += 1
            offered = False
        cycle += 1
        assert cycle < 50 * beats, "no progress"
    for i in range(n):
        assert got[i] == sent, f"output {i} saw a different sequence"
    # full rate: one beat per cycle
    await FallingEdge(dut.clk)
    dut.s_valid.value = 1
    dut.m_ready.value = (1 << n) - 1
    taken = 0
    for _ in range(50):
        await ReadOnly()
        taken += int(dut.s_ready.value)
        await FallingEdge(dut.clk)
    assert taken == 50


def requantize(v, shift, bits, signed):
    if shift:
        v = (v + (1 << (shift - 1))) >> shift
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return min(max(v, low), high)


@cocotb.test()
async def requant_rounds_half_up_and_saturates(dut):
    configs = json.loads(os.environ["RQ_CONFIGS"])
    rng = random.Random(3)
    for i, (in_w, shift, out_w, out_signed) in enumerate(configs):
        lo, hi = -(1 << (in_w - 1)), (1 << (in_w - 1)) - 1
        values = [lo, hi, 0, -1, 1] + [rng.randint(lo, hi) for _ in range(400)]
        for v in values:
            getattr(dut, f"rq{i}_v").value = v & ((1 << in_w) - 1)
            await Timer(1, unit="ns")
            q = int(getattr(dut, f"rq{i}_q").value)
            if out_signed and q >> (out_w - 1):
                q -= 1 << out_w
            assert q == requantize(v, shift, out_w, out_signed), (i, v, q)

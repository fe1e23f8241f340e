"""cocotb bench: the MAC PE (one lane, or an N-lane dot product) over random streams with reset, clear and enable.

Parameters from the environment: W, A, SIGNED_W, SIGNED_A, ACC, CYCLES, SEED,
and LANES (default 1; lane k of w and a sits in bits [W*k +: W], [A*k +: A]).
"""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

W, A, ACC = int(os.environ["W"]), int(os.environ["A"]), int(os.environ["ACC"])
SW, SA = os.environ["SIGNED_W"] == "1", os.environ["SIGNED_A"] == "1"
CYCLES, SEED = int(os.environ["CYCLES"]), int(os.environ["SEED"])
LANES = int(os.environ.get("LANES", "1"))


def value(pattern, bits, signed):
    return pattern - (1 << bits) if signed and pattern >> (bits - 1) else pattern


@cocotb.test()
async def random_accumulation(dut):
    rng = random.Random(SEED)
    cocotb.start_soon(Clock(dut.clk, 10, "ns").start())
    dut.rst.value, dut.en.value, dut.clr.value, dut.w.value, dut.a.value = 1, 0, 0, 0, 0
    await RisingEdge(dut.clk)
    model = 0
    mask = (1 << ACC) - 1
    counts = {"en": 0, "clr": 0, "rst": 0, "hold": 0}
    for cycle in range(CYCLES):
        await FallingEdge(dut.clk)
        got = int(dut.acc.value)
        assert got == model, f"cycle {cycle}: acc={got:#x}, expected {model:#x}"
        rst = int(rng.random() < 0.02)
        en = int(rng.random() < 0.7)
        clr = int(rng.random() < 0.1)
        wp, ap = rng.randrange(1 << (W * LANES)), rng.randrange(1 << (A * LANES))
        if cycle < 4:  # the first products push the sum towards both extremes
            wp, ap = (1 << (W * LANES)) - 1, (1 << (A * LANES)) - 1
        dut.rst.value, dut.en.value, dut.clr.value, dut.w.value, dut.a.value = rst, en, clr, wp, ap
        if rst:
            model = 0
            counts["rst"] += 1
        elif en:
            total = sum(value((wp >> (W * k)) & ((1 << W) - 1), W, SW) * value((ap >> (A * k)) & ((1 << A) - 1), A, SA)
                        for k in range(LANES))
            model = ((0 if clr else model) + total) & mask
            counts["clr" if clr else "en"] += 1
        else:
            counts["hold"] += 1
    assert min(counts.values()) > 0, counts
    dut._log.info("cycles by kind: %s", counts)

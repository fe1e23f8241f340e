"""cocotb bench: lutgen_fifo instances against a Python queue, with random input gaps and output backpressure.

The top (a test-only wrapper) holds several FIFOs side by side; instance i has ports
u{i}_s_valid, u{i}_s_ready, u{i}_s_data, u{i}_m_valid, u{i}_m_ready, u{i}_m_data, u{i}_count
and all share clk and rst. Parameters from the environment: CONFIGS, a JSON list of
[WIDTH, DEPTH, BLOCK], one per instance; BEATS, beats per instance; SEED. Two rounds, with
random traffic and a reset mid-stream between them; `count` and `s_ready` are checked
every cycle too.

`run_stream`, `reset` and `scramble_and_reset` are shared with the other stream benches.
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

# (probability that a new input beat is offered in a cycle, probability of m_ready in a cycle)
MODES = [(1.0, 1.0), (0.5, 1.0), (0.95, 0.35), (0.7, 0.7), (0.2, 0.9), (0.9, 0.15), (0.95, 0.9)]


async def run_stream(dut, pre, sent, expected, seed, *, first_cycles=64, checkpoint=None, check=None, tail=40,
                     max_cycles=200_000, require_stalls=True):
    """Send `sent` into port `pre`s_*, and require exactly `expected` out of `pre`m_*, in order.

    Every cycle (at the falling edge) it offers the next input beat with a probability and
    sets m_ready at random, in modes that change every 64 cycles; the first `first_cycles`
    cycles are without stalls. An offered beat stays offered until taken; while no beat is
    offered s_data carries garbage. It asserts on every cycle that m_valid does not follow
    the newly set inputs, that a beat shown with m_valid && !m_ready is shown again
    unchanged, and that each shown beat is the next expected one; after the last expected
    beat it watches `tail` more cycles for extra beats. `checkpoint` = (cycle, min_in,
    min_out) asserts progress after the first cycles; `check(cycle, n_in, n_out, m_ready)`
    runs every cycle, before that cycle's handshakes are counted.
    """
    s_valid, s_ready, s_data = (getattr(dut, pre + n) for n in ("s_valid", "s_ready", "s_data"))
    m_valid, m_ready, m_data = (getattr(dut, pre + n) for n in ("m_valid", "m_ready", "m_data"))
    width = len(s_data)
    rng = random.Random(seed)
    n_in = n_out = 0
    offered = False
    held = None
    mode = MODES[0]
    cycle = 0
    done_at = None
    stats = {"in": 0, "out": 0, "stalled_out": 0, "gaps_in": 0}
    while True:
        await FallingEdge(dut.clk)
        if cycle >= first_cycles and (cycle - first_cycles) % 64 == 0:
            mode = rng.choice(MODES[1:])
        valid_before = int(m_valid.value)
        if n_in < len(sent) and not offered:
            offered = rng.random() < mode[0]
            stats["gaps_in"] += not offered
        s_valid.value = int(offered)
        s_data.value = sent[n_in] if offered else rng.randrange(1 << width)
        ready = rng.random() < mode[1]
        m_ready.value = int(ready)
        await ReadOnly()
        valid = int(m_valid.value)
        assert valid == valid_before, f"{pre} cycle {cycle}: m_valid changed with this cycle's inputs"
        if held is not None:
            assert valid and int(m_data.value) == held, f"{pre} cycle {cycle}: beat withdrawn or changed while stalled"
        if check is not None:
            check(cycle, n_in, n_out, ready)
        if offered and int(s_ready.value):
            n_in += 1
            offered = False
            stats["in"] += 1
        held = None
        if valid:
            data = int(m_data.value)
            assert n_out < len(expected), f"{pre} cycle {cycle}: extra output beat {data:#x} after {n_out}"
            assert data == expected[n_out], (
                f"{pre} cycle {cycle}: beat {n_out} is {data:#x}, expected {expected[n_out]:#x}")
            if ready:
                n_out += 1
                stats["out"] += 1
            else:
                held = data
                stats["stalled_out"] += 1
        cycle += 1
        if checkpoint is not None and cycle == checkpoint[0]:
            assert n_in >= checkpoint[1] and n_out >= checkpoint[2], (
                f"{pre}: after {cycle} cycles without stalls only {n_in} in, {n_out} out; want {checkpoint[1:]}")
        if done_at is None and n_in == len(sent) and n_out == len(expected):
            done_at = cycle
        if done_at is not None and cycle >= done_at + tail:
            break
        assert cycle < max_cycles, f"{pre}: stuck at {n_in} in, {n_out} out after {cycle} cycles"
    assert n_in == len(sent) and n_out == len(expected)
    if require_stalls:  # the run did test backpressure and input gaps
        assert stats["stalled_out"] > 0 and stats["gaps_in"] > 0, stats
    dut._log.info("%s: %d cycles, %s", pre, cycle, stats)
    return stats


async def reset(dut, cycles=3):
    dut.rst.value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


async def scramble_and_reset(dut, n_blocks, cycles, seed):
    """Random traffic into every block for `cycles` cycles, outputs unchecked, then a reset mid-stream.

    After the reset every block must show no output beat.
    """
    rng = random.Random(seed)
    for _ in range(cycles):
        await FallingEdge(dut.clk)
        for i in range(n_blocks):
            s_data = getattr(dut, f"u{i}_s_data")
            getattr(dut, f"u{i}_s_valid").value = int(rng.random() < 0.8)
            s_data.value = rng.randrange(1 << len(s_data))
            getattr(dut, f"u{i}_m_ready").value = int(rng.random() < 0.5)
    dut.rst.value = 1
    await FallingEdge(dut.clk)
    for i in range(n_blocks):
        getattr(dut, f"u{i}_s_valid").value = 0
        getattr(dut, f"u{i}_m_ready").value = 0
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await ReadOnly()
    for i in range(n_blocks):
        assert int(getattr(dut, f"u{i}_m_valid").value) == 0, f"u{i}_: m_valid after reset"


@cocotb.test()
async def fifo_random_streams(dut):
    configs = json.loads(os.environ["CONFIGS"])
    beats, seed = int(os.environ["BEATS"]), int(os.environ["SEED"])
    cocotb.start_soon(Clock(dut.clk, 10, "ns").start())
    for i, _ in enumerate(configs):
        getattr(dut, f"u{i}_s_valid").value = 0
        getattr(dut, f"u{i}_m_ready").value = 0
    await reset(dut)

    def checker(pre, depth):
        count = getattr(dut, pre + "count")
        s_ready = getattr(dut, pre + "s_ready")

        def check(cycle, n_in, n_out, m_ready):
            stored = n_in - n_out
            assert int(count.value) == stored, f"{pre} cycle {cycle}: count {int(count.value)}, stored {stored}"
            # full throughput: ready whenever there is room (DEPTH 1: also when the one beat leaves)
            want = stored < depth or (depth == 1 and m_ready)
            assert int(s_ready.value) == want, f"{pre} cycle {cycle}: s_ready {int(s_ready.value)} with {stored} stored"
        return check

    for round_ in range(2):
        tasks = []
        for i, (width, depth, block) in enumerate(configs):
            rng = random.Random(seed * 100 + 10 * round_ + i)
            data = [rng.randrange(1 << width) for _ in range(beats)]
            pre = f"u{i}_"
            # no stalls for the first 64 cycles: a beat in and out every cycle after the first
            # (after the second with block RAM, whose head is read into a register first)
            tasks.append(cocotb.start_soon(run_stream(
                dut, pre, data, data, seed * 100 + 10 * round_ + i + 1, first_cycles=64,
                checkpoint=(64, 64, 63 - block), check=checker(pre, depth))))
        for t in tasks:
            await t
        if round_ == 0:
            await scramble_and_reset(dut, len(configs), 37, seed)

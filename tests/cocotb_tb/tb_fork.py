"""cocotb bench: lutgen_fork instances against a Python model.

Fork: the top (a test-only wrapper) holds several forks side by side; instance i has ports
u{i}_s_valid, u{i}_s_ready, u{i}_s_data, u{i}_m_valid[N-1:0], u{i}_m_ready[N-1:0],
u{i}_m_data, and all share clk and rst. Parameters from the environment: CONFIGS, a JSON
list of [WIDTH, N], one per instance; BEATS, beats per instance and round; SEED. Each round
first moves FULL_RATE beats with the input always valid and every output always ready,
which must take one cycle per beat, then BEATS beats with random input gaps and
independent random m_ready per output. Two rounds, with random traffic and a reset
mid-stream between them.

Every cycle it asserts, per output: m_valid[i] is exactly s_valid && "output i does not
have the current beat yet" (so it never follows m_ready, and a beat is never shown twice);
a beat shown with m_valid[i] && !m_ready[i] is shown again, unchanged (the AXI-Stream
rule); each beat taken is the next one of the input sequence; s_ready is high exactly when
every output has the beat or takes it now. At the end every output must have taken exactly
the input sequence, no beat lost, none extra.
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from tb_fifo import reset, scramble_and_reset

FULL_RATE = 200


async def run_fork(dut, pre, n, sent, seed, *, full_rate=False, tail=20, max_cycles=200_000):
    """Send `sent` into `pre`s_* and require exactly `sent` on each of the n outputs; return the cycles used.

    Random mode: every 64 cycles the probability of offering a beat (0.3..1) and, for each
    output on its own, the probability of m_ready (0.3..0.9) are drawn anew. An offered beat
    stays offered until taken; while none is offered s_data carries garbage. full_rate:
    s_valid and every m_ready are always high. After the last beat it watches `tail` more
    cycles (s_valid low) for stray m_valid.
    """
    s_valid, s_ready, s_data = (getattr(dut, pre + x) for x in ("s_valid", "s_ready", "s_data"))
    m_valid, m_ready, m_data = (getattr(dut, pre + x) for x in ("m_valid", "m_ready", "m_data"))
    width = len(s_data)
    rng = random.Random(seed)
    n_in = 0                      # beats the input has handed over
    got = [0] * n                 # beats each output has taken
    has = [False] * n             # output i has taken the current beat (the model of done[i])
    held = [None] * n             # beat shown to output i last cycle and not taken
    offered = False
    p_valid, p_ready = 1.0, [1.0] * n
    stats = {"stalled": 0, "split": 0, "gaps_in": 0}
    cycle = 0
    done_at = None
    while done_at is None or cycle < done_at + tail:
        await FallingEdge(dut.clk)
        if not full_rate and cycle % 64 == 0:
            p_valid = rng.uniform(0.3, 1.0)
            p_ready = [rng.uniform(0.3, 0.9) for _ in range(n)]
        if n_in < len(sent) and not offered:
            offered = rng.random() < p_valid
            stats["gaps_in"] += not offered
        s_valid.value = int(offered)
        s_data.value = sent[n_in] if offered else rng.randrange(1 << width)
        ready = [rng.random() < p for p in p_ready]
        m_ready.value = sum(int(r) << i for i, r in enumerate(ready))
        await ReadOnly()
        valid = int(m_valid.value)
        data = int(m_data.value)
        for i in range(n):
            v = bool(valid >> i & 1)
            if held[i] is not None:  # the AXI-Stream rule on output i
                assert v and data == held[i], (
                    f"{pre} cycle {cycle}: output {i} withdrew or changed a beat before taking it")
            assert v == (offered and not has[i]), (
                f"{pre} cycle {cycle}: m_valid[{i}] is {int(v)}, expected {int(offered and not has[i])}")
            held[i] = None
            if v and ready[i]:  # the scoreboard: the next beat of the input sequence, no extra ones
                assert got[i] < len(sent), f"{pre} cycle {cycle}: output {i} took an extra beat {data:#x}"
                assert data == sent[got[i]], (
                    f"{pre} cycle {cycle}: output {i} beat {got[i]} is {data:#x}, expected {sent[got[i]]:#x}")
                got[i] += 1
                has[i] = True
            elif v:
                held[i] = data
                stats["stalled"] += 1
        if offered:
            complete = all(has)
            assert int(s_ready.value) == complete, (
                f"{pre} cycle {cycle}: s_ready is {int(s_ready.value)} with outputs having the beat: {has}")
            if complete:
                n_in += 1
                offered = False
                has = [False] * n
            elif any(has):
                stats["split"] += 1
        cycle += 1
        if done_at is None and n_in == len(sent):
            done_at = cycle
        assert cycle < max_cycles, f"{pre}: stuck at {n_in} in, {got} out after {cycle} cycles"
    assert n_in == len(sent) and got == [len(sent)] * n, f"{pre}: {n_in} in, {got} out, want {len(sent)} each"
    if not full_rate:  # the run did test backpressure, input gaps and outputs taking a beat in different cycles
        assert stats["stalled"] > 0 and stats["gaps_in"] > 0 and stats["split"] > 0, stats
    dut._log.info("%s: %d beats in %d cycles, %s", pre, len(sent), done_at, stats)
    return done_at


async def run_both(dut, pre, n, width, beats, seed):
    rng = random.Random(seed)
    burst = [rng.randrange(1 << width) for _ in range(FULL_RATE)]
    cycles = await run_fork(dut, pre, n, burst, seed + 1, full_rate=True)
    assert cycles == FULL_RATE, f"{pre}: {FULL_RATE} beats at full rate took {cycles} cycles"
    await run_fork(dut, pre, n, [rng.randrange(1 << width) for _ in range(beats)], seed + 2)


@cocotb.test()
async def fork_delivers_every_beat_once_to_every_output(dut):
    configs = json.loads(os.environ["CONFIGS"])
    beats, seed = int(os.environ["BEATS"]), int(os.environ["SEED"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for i, _ in enumerate(configs):
        getattr(dut, f"u{i}_s_valid").value = 0
        getattr(dut, f"u{i}_m_ready").value = 0
    await reset(dut)
    for round_ in range(2):
        tasks = [cocotb.start_soon(run_both(dut, f"u{i}_", n, width, beats, seed * 100 + 10 * round_ + i))
                 for i, (width, n) in enumerate(configs)]
        for t in tasks:
            await t
        if round_ == 0:
            # leaves output 0 of each fork holding a half-delivered beat, which the reset must forget
            await scramble_and_reset(dut, len(configs), 37, seed)


"""cocotb bench: a whole lutgen accelerator against the numpy golden model.

Environment: VECTORS, a JSON file {"inputs": [pixel, ...], "outputs": [pixel, ...],
"frames": n} with every frame's packed input pixels and expected output pixels, back to
back; RESULT, where to write the measured cycles per frame; SEED; STEADY_FRAMES.

When LOAD names a file of 64-bit beats (hex, one a line), they go into the weight-load
port first, and the input must not be taken before the last one.

Round 1 streams all frames with random input gaps and random output backpressure
(run_stream from tb_fifo: every output beat checked in order, no loss, no duplicate,
nothing withdrawn while stalled). Round 2, after a reset, streams STEADY_FRAMES frames
at full rate with m_ready always high, checks them again, and records the cycle of each
frame's last output beat: the steady-state cycles per frame are the mean spacing of
those after the first two frames.
"""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from tb_fifo import reset, run_stream


async def steady(dut, sent, expected, frames):
    """Full-rate input, always-ready output; returns the cycle at which each frame's last beat left."""
    per_frame = len(expected) // frames
    n_in = n_out = 0
    cycle = 0
    ends = []
    while n_out < len(expected):
        await FallingEdge(dut.clk)
        dut.s_valid.value = int(n_in < len(sent))
        dut.s_data.value = sent[n_in] if n_in < len(sent) else 0
        dut.m_ready.value = 1
        await ReadOnly()
        if n_in < len(sent) and int(dut.s_ready.value):
            n_in += 1
        if int(dut.m_valid.value):
            data = int(dut.m_data.value)
            assert data == expected[n_out], f"steady: beat {n_out} is {data:#x}, expected {expected[n_out]:#x}"
            n_out += 1
            if n_out % per_frame == 0:
                ends.append(cycle)
        cycle += 1
        assert cycle < 2_000_000, "steady: no progress"
    return ends


async def load_weights(dut, path):
    """The weight-load stream, one beat a cycle while ld_ready; s_ready must stay low meanwhile."""
    beats = [int(line, 16) for line in open(path).read().split()]
    dut.ld_valid.value = 0
    sent = 0
    while sent < len(beats):
        await FallingEdge(dut.clk)
        dut.ld_valid.value = 1
        dut.ld_data.value = beats[sent]
        await ReadOnly()
        assert int(dut.s_ready.value) == 0, "the input was ready before the weights were loaded"
        if int(dut.ld_ready.value):
            sent += 1
    await FallingEdge(dut.clk)
    dut.ld_valid.value = 0
    await ReadOnly()
    assert int(dut.ld_ready.value) == 0, "ld_ready after the last beat"


@cocotb.test()
async def accelerator_matches_the_golden_model(dut):
    vectors = json.loads(open(os.environ["VECTORS"]).read())
    sent, expected, frames = vectors["inputs"], vectors["outputs"], vectors["frames"]
    seed = int(os.environ.get("SEED", "1"))
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.s_valid.value = 0
    dut.m_ready.value = 0
    await reset(dut)
    if os.environ.get("LOAD"):
        await load_weights(dut, os.environ["LOAD"])
        await FallingEdge(dut.clk)
    # a classifier gives one beat per frame, so a short run may never see its output stalled
    require_stalls = os.environ.get("REQUIRE_STALLS", "1") == "1"
    await run_stream(dut, "", sent, expected, seed, first_cycles=200, max_cycles=5_000_000,
                     require_stalls=require_stalls)
    result = {"frames_random": frames}
    steady_frames = int(os.environ.get("STEADY_FRAMES", "0"))
    if steady_frames:
        await FallingEdge(dut.clk)  # leave run_stream's read-only phase before driving again
        dut.s_valid.value = 0
        await reset(dut)
        per_in, per_out = len(sent) // frames, len(expected) // frames
        ends = await steady(dut, sent[: per_in * steady_frames], expected[: per_out * steady_frames], steady_frames)
        spacing = [b - a for a, b in zip(ends[1:], ends[2:])]
        result.update(frame_end_cycles=ends, cycles_per_frame=sum(spacing) / len(spacing))
    with open(os.environ["RESULT"], "w") as handle:
        json.dump(result, handle)

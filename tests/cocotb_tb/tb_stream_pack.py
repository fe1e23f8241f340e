"""cocotb bench: lutgen_stream_pack instances against a Python model (the same item stream, regrouped).

The top (a test-only wrapper) holds several width adapters side by side; instance i has
ports u{i}_s_valid, u{i}_s_ready, u{i}_s_data, u{i}_m_valid, u{i}_m_ready, u{i}_m_data and
all share clk and rst. Parameters from the environment: CONFIGS, a JSON list of
[ITEM_W, IN_LANES, OUT_LANES], one per instance; ITEMS, items per instance (a multiple of
every lane count); SEED.
Two rounds, with random traffic and a reset mid-stream between them.
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock

from tb_fifo import reset, run_stream, scramble_and_reset


def group(items, lanes, item_w):
    """Beats of `lanes` items, item j of a beat in bits [j*item_w +: item_w]."""
    return [sum(v << (j * item_w) for j, v in enumerate(items[b:b + lanes])) for b in range(0, len(items), lanes)]


@cocotb.test()
async def stream_pack_random_streams(dut):
    configs = json.loads(os.environ["CONFIGS"])
    n_items, seed = int(os.environ["ITEMS"]), int(os.environ["SEED"])
    assert group([1, 2, 3, 4], 2, 4) == [0x21, 0x43]
    cocotb.start_soon(Clock(dut.clk, 10, "ns").start())
    for i, _ in enumerate(configs):
        getattr(dut, f"u{i}_s_valid").value = 0
        getattr(dut, f"u{i}_m_ready").value = 0
    await reset(dut)
    for round_ in range(2):
        tasks = []
        for i, (item_w, lanes_in, lanes_out) in enumerate(configs):
            assert n_items % lanes_in == 0 and n_items % lanes_out == 0
            rng = random.Random(seed * 100 + 10 * round_ + i)
            items = [rng.randrange(1 << item_w) for _ in range(n_items)]
            # 64 cycles without stalls: the narrow side moves a beat every cycle after the first
            n = max(lanes_in, lanes_out) // min(lanes_in, lanes_out)
            progress = (64, 64, 64 // n - 1) if lanes_out > lanes_in else (64, 64 // n, 62)
            tasks.append(cocotb.start_soon(run_stream(
                dut, f"u{i}_", group(items, lanes_in, item_w), group(items, lanes_out, item_w),
                seed * 100 + 10 * round_ + i + 1, first_cycles=64, checkpoint=progress)))
        for t in tasks:
            await t
        if round_ == 0:
            # leaves beats partly packed or partly sent, then resets
            await scramble_and_reset(dut, len(configs), 29, seed)

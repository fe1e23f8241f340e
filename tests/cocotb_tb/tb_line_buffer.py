"""cocotb bench: lutgen_line_buffer instances against a Python sliding-window model.

The top (a test-only wrapper) holds several line buffers side by side; instance i has ports
u{i}_s_valid, u{i}_s_ready, u{i}_s_data, u{i}_m_valid, u{i}_m_ready, u{i}_m_data and all
share clk and rst. Parameters from the environment: CONFIGS, a JSON list of
[DATA_W, IMG_W, IMG_H, K, STRIDE, PAD], one per instance; FRAMES, frames back to back; SEED.
Two rounds of FRAMES frames, with random traffic and a reset mid-frame between them.
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock

from tb_fifo import reset, run_stream, scramble_and_reset


def windows(frame, data_w, img_w, img_h, k, stride, pad):
    """The expected output beats of one frame (a list of img_h rows of img_w pixels)."""
    h_out = (img_h + 2 * pad - k) // stride + 1
    w_out = (img_w + 2 * pad - k) // stride + 1
    beats = []
    for oy in range(h_out):
        for ox in range(w_out):
            beat = 0
            for r in range(k):
                for c in range(k):
                    y, x = oy * stride - pad + r, ox * stride - pad + c
                    if 0 <= y < img_h and 0 <= x < img_w:
                        beat |= frame[y][x] << ((r * k + c) * data_w)
            beats.append(beat)
    return beats


def check_model_by_hand():
    """The model itself, on a 3x3 image with a 3x3 window and padding 1 (centre = the whole image)."""
    frame = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    got = windows(frame, 4, 3, 3, 3, 1, 1)
    assert len(got) == 9
    assert [(got[4] >> (4 * j)) & 15 for j in range(9)] == list(range(1, 10))
    assert [(got[0] >> (4 * j)) & 15 for j in range(9)] == [0, 0, 0, 0, 1, 2, 0, 4, 5]
    assert windows(frame, 4, 3, 3, 2, 2, 0) == [1 | 2 << 4 | 4 << 8 | 5 << 12]


@cocotb.test()
async def line_buffer_random_frames(dut):
    check_model_by_hand()
    configs = json.loads(os.environ["CONFIGS"])
    frames, seed = int(os.environ["FRAMES"]), int(os.environ["SEED"])
    cocotb.start_soon(Clock(dut.clk, 10, "ns").start())
    for i, _ in enumerate(configs):
        getattr(dut, f"u{i}_s_valid").value = 0
        getattr(dut, f"u{i}_m_ready").value = 0
    await reset(dut)
    for round_ in range(2):
        tasks = []
        for i, (data_w, img_w, img_h, k, stride, pad, _block) in enumerate(configs):
            rng = random.Random(seed * 100 + 10 * round_ + i)
            sent, expected = [], []
            for _ in range(frames):
                frame = [[rng.randrange(1, 1 << data_w) for _ in range(img_w)] for _ in range(img_h)]
                sent += [p for row in frame for p in row]
                expected += windows(frame, data_w, img_w, img_h, k, stride, pad)
            # The first frame runs without stalls: it takes one cycle per padded position.
            steps = (img_h + 2 * pad) * (img_w + 2 * pad)
            per_frame = len(expected) // frames
            tasks.append(cocotb.start_soon(run_stream(
                dut, f"u{i}_", sent, expected, seed * 100 + 10 * round_ + i + 1,
                first_cycles=steps + 1, checkpoint=(steps + 1, img_w * img_h, per_frame), tail=steps)))
        for t in tasks:
            await t
        if round_ == 0:
            # stop in the middle of a frame (with a window pending on some), then start afresh
            await scramble_and_reset(dut, len(configs), 71, seed)

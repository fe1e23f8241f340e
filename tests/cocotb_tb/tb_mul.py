"""cocotb bench: a multiplier (or a batch of copies) against Python integer products.

Parameters come from the environment: W, A, SIGNED_W, SIGNED_A, LANES.
LANES = 0 drives the emitted module's own ports w, a, p; LANES > 0 drives a
test-only wrapper with LANES copies, packed in w_flat, a_flat, p_flat.
"""

import os

import cocotb
from cocotb.triggers import Timer

W, A = int(os.environ["W"]), int(os.environ["A"])
SW, SA = os.environ["SIGNED_W"] == "1", os.environ["SIGNED_A"] == "1"
LANES = int(os.environ.get("LANES", "0"))


def value(pattern, bits, signed):
    return pattern - (1 << bits) if signed and pattern >> (bits - 1) else pattern


def expected_pattern(wp, ap):
    n = W + A
    return (value(wp, W, SW) * value(ap, A, SA)) % (1 << n)


@cocotb.test()
async def every_input_pair(dut):
    """All 2**(W+A) input pairs; fails on the first mismatch with the operands in the message."""
    pairs = [(wp, ap) for ap in range(1 << A) for wp in range(1 << W)]
    n = W + A
    checked = 0
    if LANES == 0:
        for wp, ap in pairs:
            dut.w.value = wp
            dut.a.value = ap
            await Timer(1, "ns")
            got = int(dut.p.value)
            assert got == expected_pattern(wp, ap), f"w={wp:#x} a={ap:#x}: p={got:#x}"
            checked += 1
    else:
        for start in range(0, len(pairs), LANES):
            chunk = pairs[start:start + LANES]
            chunk += [(0, 0)] * (LANES - len(chunk))
            dut.w_flat.value = sum(wp << (i * W) for i, (wp, _) in enumerate(chunk))
            dut.a_flat.value = sum(ap << (i * A) for i, (_, ap) in enumerate(chunk))
            await Timer(1, "ns")
            flat = int(dut.p_flat.value)
            for i, (wp, ap) in enumerate(chunk):
                got = (flat >> (i * n)) & ((1 << n) - 1)
                assert got == expected_pattern(wp, ap), f"lane {i}: w={wp:#x} a={ap:#x}: p={got:#x}"
            checked += len(chunk)
    assert checked >= len(pairs)
    dut._log.info("checked %d vectors", len(pairs))

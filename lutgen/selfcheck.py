"""The compiler's own check of a combinational dot-product netlist against sum_k w_k * a_k.

The netlist is evaluated from its cells alone (lutgen.simulate), on every
input when the lanes' operands total at most EXHAUSTIVE_BITS bits, else on
corner vectors (every lane at each operand's extremes, and mixtures) plus
seeded random ones. A mismatch raises; the count of vectors is returned.
"""

from __future__ import annotations

import numpy as np

from .cells import Netlist
from .simulate import run_comb, run_seq
from .spec import DotSpec, operand_range

EXHAUSTIVE_BITS = 20


class SelfCheckError(AssertionError):
    pass


def _lane_values(spec: DotSpec, n_random: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """[vectors, lanes] operand values for w and a."""
    mul, lanes = spec.mul, spec.lanes
    w_lo, w_hi = operand_range(mul.w, mul.signed_w)
    a_lo, a_hi = operand_range(mul.a, mul.signed_a)
    if lanes * (mul.w + mul.a) <= EXHAUSTIVE_BITS:
        w_axis = np.arange(w_lo, w_hi + 1)
        a_axis = np.arange(a_lo, a_hi + 1)
        grids = np.meshgrid(*([w_axis] * lanes + [a_axis] * lanes), indexing="ij")
        flat = np.stack([g.reshape(-1) for g in grids], axis=1)
        return flat[:, :lanes], flat[:, lanes:]
    rng = np.random.default_rng(seed)
    corners_w = [w_lo, w_hi, 0, -1 if mul.signed_w else 1]
    corners_a = [a_lo, a_hi, 0, -1 if mul.signed_a else 1]
    ws = [np.full(lanes, cw) for cw in corners_w for _ in corners_a]
    as_ = [np.full(lanes, ca) for _ in corners_w for ca in corners_a]
    ws += [rng.choice(corners_w, lanes) for _ in range(256)]
    as_ += [rng.choice(corners_a, lanes) for _ in range(256)]
    w = np.concatenate([np.array(ws), rng.integers(w_lo, w_hi + 1, (n_random, lanes))])
    a = np.concatenate([np.array(as_), rng.integers(a_lo, a_hi + 1, (n_random, lanes))])
    return w, a


def _pack(values: np.ndarray, bits: int) -> np.ndarray:
    """Lane k's two's-complement pattern at bits [bits*k +: bits], as Python ints when wide."""
    patterns = values & ((1 << bits) - 1)
    width = bits * values.shape[1]
    if width <= 62:
        shifts = np.arange(values.shape[1], dtype=np.int64) * bits
        return (patterns.astype(np.int64) << shifts).sum(axis=1)
    out = np.empty(len(values), dtype=object)
    for i, row in enumerate(patterns.tolist()):
        out[i] = sum(int(v) << (bits * k) for k, v in enumerate(row))
    return out


def check_dot(netlist: Netlist, spec: DotSpec, n_random: int = 4000, seed: int = 1) -> int:
    """Raise SelfCheckError unless netlist.p == sum_k w_k * a_k on every vector tried."""
    if spec.acc_bits is not None or spec.pipeline:
        raise ValueError("check_dot checks combinational dot products only")
    w, a = _lane_values(spec, n_random, seed)
    got = run_comb(netlist, w=_pack(w, spec.mul.w), a=_pack(a, spec.mul.a))["p"]
    want = (w.astype(np.int64) * a.astype(np.int64)).sum(axis=1)
    bad = np.flatnonzero(got != want)
    if bad.size:
        k = bad[0]
        raise SelfCheckError(f"{netlist.name}: w={w[k].tolist()} a={a[k].tolist()} gives {got[k]}, expected {want[k]}")
    return len(want)


def check_mac(netlist: Netlist, spec: DotSpec, streams: int = 96, cycles: int = 24, seed: int = 1) -> int:
    """Raise SelfCheckError unless the accumulating unit follows its rule, cycle by cycle.

    acc <= rst ? 0 : en ? (clr ? 0 : acc) + sum_k w_k * a_k : acc, wrapping at acc_bits, with every
    input `spec.pipeline` cycles late. `streams` independent random streams (operands at their
    corners half of the time, en and clr at random, a reset in the middle) run side by side.
    Returns the number of cycles checked.
    """
    if spec.acc_bits is None:
        raise ValueError("check_mac checks accumulating dot products only")
    rng = np.random.default_rng(seed)
    mul, lanes, bits = spec.mul, spec.lanes, spec.acc_bits
    w_lo, w_hi = operand_range(mul.w, mul.signed_w)
    a_lo, a_hi = operand_range(mul.a, mul.signed_a)
    steps = []
    for t in range(cycles):
        corner = rng.random((streams, 1)) < 0.5
        w = np.where(corner, rng.choice([w_lo, w_hi], (streams, lanes)), rng.integers(w_lo, w_hi + 1, (streams, lanes)))
        a = np.where(corner, rng.choice([a_lo, a_hi], (streams, lanes)), rng.integers(a_lo, a_hi + 1, (streams, lanes)))
        rst = np.full(streams, int(t == 0 or t == cycles // 2), dtype=np.int64)
        steps.append(dict(w=w, a=a, rst=rst, en=(rng.random(streams) < 0.8).astype(np.int64),
                          clr=(rng.random(streams) < 0.2).astype(np.int64)))
    seen = run_seq(netlist, [dict(w=_pack(s["w"], mul.w), a=_pack(s["a"], mul.a), rst=s["rst"], en=s["en"],
                                  clr=s["clr"]) for s in steps])
    acc = np.zeros(streams, dtype=object)
    late = spec.pipeline
    for t in range(cycles):
        got = seen[t]["acc"]
        want = np.array([(int(v) + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1)) for v in acc])
        if not np.array_equal(np.asarray(got, dtype=np.int64), want.astype(np.int64)):
            k = int(np.flatnonzero(np.asarray(got, dtype=np.int64) != want.astype(np.int64))[0])
            raise SelfCheckError(f"{netlist.name}: stream {k}, cycle {t}: acc {got[k]}, expected {want[k]}")
        if t >= late:
            s = steps[t - late]
            total = (s["w"].astype(object) * s["a"].astype(object)).sum(axis=1)
            acc = np.where(s["rst"] == 1, 0, np.where(s["en"] == 1, np.where(s["clr"] == 1, 0, acc) + total, acc))
    return cycles * streams

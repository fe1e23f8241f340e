"""Truth tables and LUT INIT values, computed with numpy, never typed by hand."""

from __future__ import annotations

from typing import Callable

import numpy as np

# A logic function of up to 5 inputs, given as a numpy-vectorised callable
# over 0/1 arrays, one argument per input.
LogicFn = Callable[..., np.ndarray]


def table(fn: LogicFn, n_inputs: int, n_rows: int) -> np.ndarray:
    """fn evaluated at row index r = sum(bit_k << k), for r in range(n_rows)."""
    rows = np.arange(n_rows, dtype=np.int64)
    args = [(rows >> k) & 1 for k in range(n_inputs)]
    out = np.asarray(fn(*args), dtype=np.int64) & 1
    return np.broadcast_to(out, rows.shape)


def bits_to_int(bits: np.ndarray) -> int:
    return int(sum(int(b) << i for i, b in enumerate(bits)))


def init_single(fn: LogicFn, n_inputs: int) -> int:
    """INIT of a LUT6 whose O computes fn(I0..I{n-1}); unused pins are tied to GND."""
    assert 0 <= n_inputs <= 6
    return bits_to_int(table(fn, n_inputs, 64))


def init_dual(fn6: LogicFn, fn5: LogicFn, n_inputs: int) -> int:
    """INIT of a LUT6_2 with O6 = fn6 and O5 = fn5 over I0..I{n-1}, I5 tied to VCC.

    O5 reads INIT[31:0] and O6 (with I5 = 1) reads INIT[63:32].
    """
    assert 0 <= n_inputs <= 5
    low = table(fn5, n_inputs, 32)
    high = table(fn6, n_inputs, 32)
    return bits_to_int(np.concatenate([low, high]))


def rows_of_init(init: int) -> np.ndarray:
    """The 64 output values of an INIT, row r = {I5..I0} (init_from_rows undone)."""
    return ((init >> np.arange(64, dtype=object)) & 1).astype(np.uint8)


def init_from_rows(values: np.ndarray) -> int:
    """INIT of a LUT6 from its 64 output values, row r = {I5..I0}."""
    assert values.shape == (64,)
    return bits_to_int(values)

"""Bit-exact model of a cell netlist, vectorised with numpy over many vectors.

It reads only the cells and the primitive semantics (LUT INIT indexing,
carry rule, FDRE), never the construction that made them, so it checks the
constructions independently of how they were derived.
"""

from __future__ import annotations

import numpy as np

from .cells import GND, VCC, Carry, Lut, Netlist, comb_order
from .truth import rows_of_init


def _int_bits(values: np.ndarray, width: int) -> list[np.ndarray]:
    """Bit planes of port values; ports wider than 63 bits take Python ints (dtype=object)."""
    values = np.asarray(values)
    if values.dtype != object:
        values = values.astype(np.int64)
    return [((values >> i) & 1).astype(np.uint8) for i in range(width)]


def evaluate(netlist: Netlist, inputs: dict[str, np.ndarray], state: dict[str, np.ndarray] | None = None,
             order: list | None = None) -> dict[str, np.ndarray]:
    """Values of every net, given input port values (ints) and FF outputs (Q nets -> 0/1).

    `order` is comb_order(netlist), passed in by callers that evaluate many times.
    """
    shape = np.shape(next(iter(inputs.values()))) if inputs else (1,)
    env: dict[str, np.ndarray] = {GND: np.zeros(shape, np.uint8), VCC: np.ones(shape, np.uint8)}
    for port, width in netlist.inputs:
        for i, bit in enumerate(_int_bits(inputs[port], width)):
            env[f"{port}[{i}]"] = bit
    for port in netlist.scalar_inputs:
        env[port] = np.broadcast_to(np.asarray(inputs[port], dtype=np.uint8) & 1, shape)
    for ff in netlist.ffs:
        env[ff.q] = np.broadcast_to((state or {}).get(ff.q, 0), shape).astype(np.uint8)
    for cell in order if order is not None else comb_order(netlist):
        if isinstance(cell, Lut):
            _eval_lut(cell, env)
        else:
            _eval_carry(cell, env)
    return env


def _eval_lut(lut: Lut, env) -> None:
    table = rows_of_init(lut.init)
    index = sum(env[net].astype(np.int64) << k for k, net in enumerate(lut.inputs))
    env[lut.o6] = table[index]
    if lut.o5 is not None:
        env[lut.o5] = table[index & 31]


def _eval_carry(carry: Carry, env) -> None:
    c = env[carry.ci] | env[carry.cyinit]
    for i in range(carry.width):
        s, di = env[carry.s[i]], env[carry.di[i]]
        if carry.o[i] is not None:
            env[carry.o[i]] = s ^ c
        c = np.where(s == 1, c, di).astype(np.uint8)
        if carry.co[i] is not None:
            env[carry.co[i]] = c


def read_port(netlist: Netlist, env, port: str, signed: bool | None = None) -> np.ndarray:
    nets = dict(netlist.outputs)[port]
    value = np.zeros(np.shape(env[GND]), dtype=np.int64)
    for i, net in enumerate(nets):
        value |= env[net].astype(np.int64) << i
    if signed is None:
        signed = dict(netlist.output_signed).get(port, False)
    if signed:
        value = np.where(value >> (len(nets) - 1) & 1, value - (1 << len(nets)), value)
    return value


def run_comb(netlist: Netlist, **inputs) -> dict[str, np.ndarray]:
    """Output port values (as integers, signed where the port is) of a combinational netlist."""
    env = evaluate(netlist, inputs)
    return {port: read_port(netlist, env, port) for port, _ in netlist.outputs}


def run_seq(netlist: Netlist, cycles: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    """Clock a sequential netlist: outputs seen before each rising edge, one dict per cycle.

    FDRE: Q <= 0 when R, else D when CE, else Q.
    """
    state: dict[str, np.ndarray] = {}
    seen = []
    order = comb_order(netlist)
    for inputs in cycles:
        env = evaluate(netlist, inputs, state, order)
        seen.append({port: read_port(netlist, env, port) for port, _ in netlist.outputs})
        state = {
            ff.q: np.where(env[ff.r] == 1, 0, np.where(env[ff.ce] == 1, env[ff.d], env[ff.q])).astype(np.uint8)
            for ff in netlist.ffs
        }
    return seen

"""Compression stages chosen by an integer linear program, for heaps small enough to solve quickly.

Kumm and Zipf (FPL 2014) choose a compressor tree's GPCs stage by stage
with an ILP. Here the compressors are lutgen's own chain positions
(`lutgen.compress`), and the program sees only counts: per stage and
column, how many gates (a two-net AND / NAND / AND-NOT, or a one-net
function) and how many plain bits (nets and constant ones) there are.

Positions (each one LUT, giving one sum bit in its column):
- binary chain: two bits of any kind (two gates read four nets);
- ternary chain: three bits with at most one gate (four nets and the
  carry-save input), or two bits of any kind; its first position, with no
  carry-save input, may take two gates and a plain bit (five nets);
- full adder, on no chain: three bits with at most two gates (five nets),
  O6 their parity and O5 their majority, which goes to the column above.
A binary chain that ends gives its carry to the column above; a ternary
chain gives its carry and its last carry-save bit. A chain's carry-in takes
one more plain bit in its first column for free, but not a carry-out (that
would read as a cascade), so the program counts the carry-outs apart. The
last adder takes at most three bits a column (at most one gate among
three, two in its lowest column), plus one plain bit in its lowest column
(its carry-in), and costs
one LUT per column from the first that holds two bits. The program minimises all
of these LUTs; `Plan` is its answer as plain data, and the chains are
formed from the counts (any chain that continues may take any position of
its family in the next column).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import lru_cache

import highspy

STAGES = 5  # three are often infeasible on narrow heaps; five save a LUT or three over four on 16 lanes
MAX_NODES = 1000
GAP = 0.0  # the node limit alone bounds the search
MIN_BITS = 24  # below this the greedy stages are within a LUT or so of the best, and the solve costs a second
# Carry-ins on the stages' chains make the program several times slower (17 s against 1 s on the
# 256 plain bits of 16 lanes of 8 x 8 products): above this many bits only the last adder's is planned
STAGE_CARRY_INS_MAX_BITS = 96
MAX_BITS = 320  # above this the greedy stages are kept: solve time grows fast with the heap (16 lanes of 4 x 4 plus an accumulator fit)

# name: (family, gates, plain) a position consumes
POSITIONS = {
    "b_gg": ("binary", 2, 0), "b_gp": ("binary", 1, 1), "b_pp": ("binary", 0, 2),
    "t_gpp": ("ternary", 1, 2), "t_ppp": ("ternary", 0, 3),
    "t_gg": ("ternary", 2, 0), "t_gp": ("ternary", 1, 1), "t_pp": ("ternary", 0, 2),
    "t_ggp": ("ternary", 2, 1),  # first positions only (FIRST_ONLY); last of its family, so that chains going on take the others
    "f_ggp": ("full_adder", 2, 1), "f_gpp": ("full_adder", 1, 2), "f_ppp": ("full_adder", 0, 3),
}
POSITION_KINDS = ("binary", "ternary", "full_adder")  # not the device families of lutgen.target
CARRIES_AT_END = {"binary": 1, "ternary": 2, "full_adder": 1}
ON_CHAIN = ("binary", "ternary")  # the families with a carry-in and a carry-out
FIRST_ONLY = ("t_ggp",)


@dataclass(frozen=True, order=True)
class Position:
    column: int
    gates: int
    plain: int


@dataclass(frozen=True, order=True)
class Chain:
    family: str
    positions: tuple[Position, ...]  # consecutive columns, lowest first
    carry_in: bool = False  # a plain bit of the first column goes into the carry-in


Plan = tuple[tuple[Chain, ...], ...]  # one tuple of chains per stage


@lru_cache(maxsize=None)
def plan(width: int, gates: tuple[int, ...], plain: tuple[int, ...], stages: int = STAGES,
         stage_carry_ins: bool = True) -> Plan | None:
    """The stages with the fewest LUTs the solver finds for a heap of these column heights, or None if it finds none.

    The search stops after MAX_NODES branch-and-bound nodes (a count, not a time,
    so that the answer is the same on every machine); on the heaps of up to
    MAX_BITS bits that lutgen gives it, the optimum usually comes well before.
    """
    filled = [c for c in range(width) if gates[c] + plain[c]]
    if not filled:
        return tuple(() for _ in range(stages))
    solver = _solver()

    def integer():
        return solver.addIntegral(lb=0)

    # a stage moves bits at most one column up: stage s has positions only where bits can be
    reach = [range(filled[0], min(width, filled[-1] + 1 + s)) for s in range(stages)]
    x = {(s, c, t): integer() for s in range(stages) for c in reach[s] for t in POSITIONS}
    ends = {(s, c, f): integer() for s in range(stages) for c in reach[s] for f in POSITION_KINDS}
    carry_ins = {(s, c, f): integer() for s in range(stages) for c in reach[s] for f in ON_CHAIN} if stage_carry_ins else {}
    g: dict[int, object] = {c: gates[c] for c in range(width)}
    p: dict[int, object] = {c: plain[c] for c in range(width)}
    k: dict[int, object] = {c: 0 for c in range(width)}  # the carry-outs among the plain bits

    def count(s, c, family):
        return solver.qsum([x[s, c, t] for t in POSITIONS if POSITIONS[t][0] == family and (s, c, t) in x])

    for s in range(stages):
        g_next, p_next, k_next = dict(g), dict(p), dict(k)
        for c in reach[s]:
            for f in POSITION_KINDS:
                solver.addConstr(ends[s, c, f] <= count(s, c, f))
                goes_on = f != "full_adder" and c + 1 < width and c + 1 in reach[s]
                if goes_on:  # chains that go on find a position of their family in the column above
                    solver.addConstr(count(s, c, f) - ends[s, c, f] <= count(s, c + 1, f))
                else:
                    solver.addConstr(ends[s, c, f] == count(s, c, f))
            for f in ON_CHAIN:  # a carry-in, and a five-net first position, only where a chain starts
                below = count(s, c - 1, f) - ends[s, c - 1, f] if c - 1 in reach[s] else 0
                firsts = [x[s, c, t] for t in FIRST_ONLY if POSITIONS[t][0] == f]
                if carry_ins:
                    solver.addConstr(carry_ins[s, c, f] <= count(s, c, f) - below)
                if firsts:
                    solver.addConstr(solver.qsum(firsts) <= count(s, c, f) - below)
            used_g = solver.qsum([POSITIONS[t][1] * x[s, c, t] for t in POSITIONS])
            used_p = solver.qsum([POSITIONS[t][2] * x[s, c, t] for t in POSITIONS])
            used_ci = solver.qsum([carry_ins[s, c, f] for f in ON_CHAIN]) if carry_ins else 0
            used_k = integer()  # carry-outs the positions take (never a carry-in)
            solver.addConstr(used_g <= g[c])
            solver.addConstr(used_k <= k[c])
            solver.addConstr(used_k <= used_p)
            solver.addConstr(used_p - used_k + used_ci <= p[c] - k[c])
            g_next[c] = g_next[c] - used_g
            p_next[c] = p_next[c] - used_p - used_ci + solver.qsum([x[s, c, t] for t in POSITIONS])
            k_next[c] = k_next[c] - used_k
            if c + 1 < width:  # a chain that ends gives its carry (and its carry-save bit) to the column above
                p_next[c + 1] = p_next[c + 1] + solver.qsum([CARRIES_AT_END[f] * ends[s, c, f] for f in POSITION_KINDS])
                k_next[c + 1] = k_next[c + 1] + solver.qsum([ends[s, c, f] for f in ON_CHAIN])
        g, p, k = g_next, p_next, k_next
    in_adder = {c: solver.addBinary() for c in range(width)}
    for c in range(width):
        height = g[c] + p[c]
        if isinstance(height, int):  # a column no stage reaches: it held no bits and gets none
            if height >= 2:
                solver.addConstr(in_adder[c] == 1)
            continue
        lowest = in_adder[c] - in_adder[c - 1] if c else in_adder[c]
        carry_in = solver.addBinary()  # the last adder's carry-in takes a bit here
        solver.addConstr(carry_in <= lowest)
        solver.addConstr(carry_in <= p[c] - k[c])
        solver.addConstr(height - carry_in <= 3)
        solver.addConstr(g[c] + height - carry_in <= 4 + lowest)  # three bits hold one gate (two in the lowest column)
        solver.addConstr(height - 2 * in_adder[c] <= 1)  # two or more bits: the last adder covers this column ...
    for c in range(1, width):
        solver.addConstr(in_adder[c] - in_adder[c - 1] >= 0)  # ... and every one above it
    solver.minimize(solver.qsum(list(x.values()) + list(in_adder.values())))
    if solver.getInfo().primal_solution_status != 2:  # 2: a feasible solution
        return None
    value = {key: round(solver.val(v)) for key, v in x.items()}
    ended = {key: round(solver.val(v)) for key, v in ends.items()}
    fed = {key: round(solver.val(v)) for key, v in carry_ins.items()}
    return tuple(_chains(width, s, value, ended, fed) for s in range(stages))


def _solver():
    """A quiet, single-threaded HiGHS with a node limit (its banner, printed when it is made, goes nowhere)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            solver = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    solver.setOptionValue("mip_max_nodes", MAX_NODES)
    solver.setOptionValue("mip_rel_gap", GAP)
    solver.setOptionValue("mip_pscost_minreliable", 0)  # no strong branching: it took most of the time here
    # no primal heuristics: with them HiGHS 1.x aborted the process on a 75-bit heap (5 lanes
    # of 3 x 5), and on large heaps they took half the time for the same answer
    solver.setOptionValue("mip_heuristic_effort", 0.0)
    return solver


def _chains(width: int, s: int, value: dict, ended: dict, fed: dict) -> tuple[Chain, ...]:
    """Chains from the counts of one stage: those open go on into the next column's positions first.

    Of the chains that start in a column, the first ones the program feeds take a carry-in.
    """
    done: list[Chain] = []
    for family in POSITION_KINDS:
        open_chains: list[tuple[bool, list[Position]]] = []
        for c in range(width):
            here = [Position(c, POSITIONS[t][1], POSITIONS[t][2])
                    for t in POSITIONS if POSITIONS[t][0] == family for _ in range(value.get((s, c, t), 0))]
            going_on, open_chains = open_chains, []
            for k, position in enumerate(here):
                started = k - len(going_on)
                chain = going_on[k] if started < 0 else (started < fed.get((s, c, family), 0), [])
                chain[1].append(position)
                open_chains.append(chain)
            stopping = ended.get((s, c, family), 0)
            done += [Chain(family, tuple(positions), carry_in) for carry_in, positions in open_chains[len(open_chains) - stopping:]]
            open_chains = open_chains[:len(open_chains) - stopping]
    return tuple(sorted(done, key=lambda chain: (chain.positions[0].column, chain)))

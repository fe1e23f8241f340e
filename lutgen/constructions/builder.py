"""Shared building blocks for constructions: foldable terms, LUTs, carry chains.

A construction is a pure function spec -> Netlist; inside, it collects cells
in a NetlistBuilder. Nothing here knows about Verilog.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from ..cells import GND, VCC, Carry, Lut, Netlist
from ..target import Family
from ..truth import init_dual, init_single, rows_of_init


@dataclass(frozen=True)
class Term:
    """A bit that a LUT can fold in: a net, a small function of a few nets, or a constant.

    Kinds: "net"; "and", "nand", "andnot" (first AND NOT second) of two nets;
    "fn", any function of its nets given as a truth table (bit r of `value`
    is the output for nets' bits r = sum(bit_k << k)); "const" (`value`).
    """

    kind: str
    nets: tuple[str, ...] = ()
    value: int = 0

    def eval(self, env: dict[str, np.ndarray]):
        if self.kind == "const":
            return self.value
        if self.kind == "net":
            return env[self.nets[0]]
        if self.kind == "fn":
            index = sum(np.asarray(env[n], dtype=np.int64) << k for k, n in enumerate(self.nets))
            table = np.array([(self.value >> r) & 1 for r in range(1 << len(self.nets))], dtype=np.uint8)
            return table[index]
        if self.kind == "andnot":
            return env[self.nets[0]] & (env[self.nets[1]] ^ 1)
        v = env[self.nets[0]] & env[self.nets[1]]
        return v ^ 1 if self.kind == "nand" else v


def fn_term(nets: tuple[str, ...], fn) -> "Term":
    """The term computing fn(*bits of nets), with constant nets folded away.

    Inputs it does not depend on are dropped; a constant or a plain net
    comes back as such.
    """
    live = tuple(dict.fromkeys(n for n in nets if n not in (GND, VCC)))

    def full(*bits):
        env = dict(zip(live, bits))
        env[GND], env[VCC] = 0, 1
        return fn(*[env[n] for n in nets])

    rows = np.arange(1 << len(live), dtype=np.int64)
    out = np.broadcast_to(np.asarray(full(*[(rows >> k) & 1 for k in range(len(live))])) & 1, rows.shape)
    needed = [k for k in range(len(live)) if np.any(out != out[rows ^ (1 << k)])]
    if not needed:
        return Term("const", value=int(out[0]))
    kept = tuple(live[k] for k in needed)
    local = np.arange(1 << len(kept), dtype=np.int64)
    index = sum(((local >> m) & 1) << k for m, k in enumerate(needed))
    table = out[index]
    if len(kept) == 1 and table[0] == 0:
        return Term("net", kept)
    return Term("fn", kept, int(sum(int(b) << r for r, b in enumerate(table))))


def complement(term: Term) -> Term:
    """The term's inverse, over the same nets."""
    if term.kind == "const":
        return Term("const", value=term.value ^ 1)
    return fn_term(term.nets, lambda *bits: 1 ^ term.eval(dict(zip(term.nets, bits))))


ZERO = Term("const", value=0)
ONE = Term("const", value=1)


def net_term(net: str) -> Term:
    if net == GND:
        return ZERO
    if net == VCC:
        return ONE
    return Term("net", (net,))


def zeroing_net(term: Term, other: Term) -> str | None:
    """A net of `term` that `other` does not read and whose 0 makes `term` 0 (an AND's input)."""
    if term.kind in ("and", "andnot"):
        candidates = term.nets[:1] if term.kind == "andnot" else term.nets
    elif term.kind == "fn":
        candidates = term.nets
    else:
        return None
    for net in candidates:
        if net in other.nets:
            continue
        rest = [n for n in term.nets if n != net]
        rows = np.arange(1 << len(rest), dtype=np.int64)
        env = {n: (rows >> k) & 1 for k, n in enumerate(rest)}
        env[net] = np.zeros_like(rows)
        if not np.any(np.asarray(term.eval(env))):
            return net
    return None


def carry_position_fits(ta: Term, tb: Term) -> bool:
    """Whether one LUT can add ta and tb at a carry position (the cases of NetlistBuilder._carry_position)."""
    count = len(unique_nets([ta, tb]))
    if count <= 5 or (count == 6 and ("const" in (ta.kind, tb.kind) or "net" in (ta.kind, tb.kind))):
        return True
    return count == 6 and (zeroing_net(tb, ta) is not None or zeroing_net(ta, tb) is not None)


def _xor_of(x: Term, y: Term, nets: tuple[str, ...], bits) -> int:
    env = dict(zip(nets, bits))
    return x.eval(env) ^ y.eval(env)


def unique_nets(terms) -> tuple[str, ...]:
    seen: list[str] = []
    for term in terms:
        for net in term.nets:
            if net not in seen:
                seen.append(net)
    return tuple(seen)


class NetlistBuilder:
    def __init__(self, family: Family, prefix: str = ""):
        self.family = family
        self.prefix = prefix
        self.luts: list[Lut] = []
        self.carries: list[Carry] = []
        self.chains: list[tuple[str, ...]] = []
        self._count: dict[str, int] = {}
        self._bypass: dict[str, str] = {}  # an O5 that only feeds DI -> a plain-net addend DI could take instead

    def fresh(self, hint: str) -> str:
        k = self._count.get(hint, 0)
        self._count[hint] = k + 1
        return f"{self.prefix}{hint}{k}"

    # -- LUTs ---------------------------------------------------------------
    def lut(self, terms6: list[Term], combine6, term5: Term | None = None, hint="lut") -> tuple[str, str | None]:
        """One LUT: O6 = combine6(*values of terms6); O5 = term5 (optional).

        Inputs are the distinct nets of all terms, at most 6 (5 with O5).
        """
        nets = unique_nets(list(terms6) + ([term5] if term5 is not None else []))

        def fn6(*bits):
            env = dict(zip(nets, bits))
            return combine6(*[t.eval(env) for t in terms6])

        fn5 = None if term5 is None else (lambda *bits: term5.eval(dict(zip(nets, bits))))
        return self.lut_fn(nets, fn6, fn5, hint)

    def lut_fn(self, nets, fn6, fn5=None, hint="lut") -> tuple[str, str | None]:
        """One LUT over `nets` (I0 first): O6 = fn6(bits), and O5 = fn5(bits) if given."""
        limit = 5 if fn5 is not None else 6
        if len(nets) > limit:
            raise ValueError(f"LUT needs {len(nets)} inputs, limit {limit}")
        name = self.fresh(hint)
        pins = list(nets)
        if fn5 is not None:
            pins += [GND] * (5 - len(nets)) + [VCC]
            o6, o5 = f"{name}_o6", f"{name}_o5"
        else:
            pins += [GND] * (6 - len(nets))
            o6, o5 = f"{name}_o", None
        self.luts.append(Lut(name, self.init(nets, fn6, fn5), tuple(pins), o6, o5))
        return o6, o5

    def lut_fn_live_i5(self, nets, fn6, hint="lut") -> tuple[str, str]:
        """A LUT6_2 with all six inputs live: O6 = fn6(bits), O5 = fn6 with I5 (the last net) at 0.

        The vendor's "6-input function and a 5-input function with shared inputs
        and shared logic values": O5 is the low half of the same INIT.
        """
        if len(nets) != 6:
            raise ValueError(f"a live-I5 LUT needs 6 inputs, got {len(nets)}")
        name = self.fresh(hint)
        self.luts.append(Lut(name, self.init(nets, fn6, None), tuple(nets), f"{name}_o6", f"{name}_o5"))
        return f"{name}_o6", f"{name}_o5"

    def init(self, nets, fn6, fn5) -> int:
        """The INIT of a LUT over `nets` computing fn6 (and fn5 on O5)."""
        return init_single(fn6, len(nets)) if fn5 is None else init_dual(fn6, fn5, len(nets))

    def lut_pair(self, first: Term, second: Term | None, hint="lut") -> tuple[str, str | None]:
        """Materialise one or two terms; two share a LUT6_2 (O6, O5) when they fit in 5 inputs."""
        if second is None:
            return self.lut([first], lambda x: x, hint=hint)
        return self.lut([first], lambda x: x, term5=second, hint=hint)

    # -- carry chains -------------------------------------------------------
    def chain_add(self, a: dict[int, Term], b: dict[int, Term], cin: int | str, lo: int, hi: int, carry_out: bool,
                  peel: bool = False) -> dict[int, str]:
        """a + b + cin over weights lo..hi on one carry chain; cin is 0, 1 or a net.

        With `peel`, the lowest position leaves the chain if its addends and
        carry-in read at most five nets: its sum bit and its carry (the chain's
        new carry-in) become two small functions, which ride on spare O5s where
        there are some (see host_on_free_o5) and otherwise share one LUT6_2.

        Position p has one LUT: O6 = a_p ^ b_p (the propagate, into S), O5 = a_p
        (the generate when a_p == b_p, into DI). When the two terms need six
        inputs, the LUT is a LUT6 and DI takes the plain-net addend through the
        bypass. Returns weight -> sum net, plus weight hi+1 from CO when carry_out.
        """
        if peel and lo < hi:
            peeled = self._peel_lowest(a, b, cin, lo, hi, carry_out)
            if peeled is not None:
                return peeled
        s_nets, di_nets = [], []
        for p in range(lo, hi + 1):
            s, di = self._carry_position(a.get(p, ZERO), b.get(p, ZERO))
            s_nets.append(s)
            di_nets.append(di)
        carry_in = cin if isinstance(cin, str) else (VCC if cin else GND)
        return self.carry_cells(s_nets, di_nets, carry_in, lo, carry_out)

    def carry_cells(self, s_nets: list[str], di_nets: list[str], carry_in: str, lo: int,
                    carry_out: bool) -> dict[int, str]:
        """One carry chain over positions from weight lo, given each position's S and DI nets.

        The carry-in comes from the fabric: CYINIT on a CARRY4, CI on a CARRY8.
        Returns weight -> sum net, plus the weight above the top from CO when carry_out.
        """
        count = len(s_nets)
        o_nets, co_nets = self.chain_cells(s_nets, di_nets, carry_in, read_co={count - 1} if carry_out else set())
        sums = {lo + i: o_nets[i] for i in range(count)}
        if carry_out:
            sums[lo + count] = co_nets[count - 1]
        return sums

    def chain_cells(self, s_nets: list[str], di_nets: list[str], carry_in: str, read_o: list[bool] | None = None,
                    read_co: set[int] = frozenset()) -> tuple[list[str | None], list[str | None]]:
        """The carry cells of one chain; position i's O named where read_o[i] (default: all), its CO where i
        is in read_co (the cascade between cells always). Returns the O and CO net of every position."""
        width = self.family.carry_width
        count = len(s_nets)
        o_nets: list[str | None] = [None] * count
        co_nets: list[str | None] = [None] * count
        cells: list[str] = []
        for start in range(0, count, width):
            seg = range(start, min(start + width, count))
            name = self.fresh("carry")
            pad = width - len(seg)
            o = [f"{name}_o{k}" if read_o is None or read_o[i] else None for k, i in enumerate(seg)] + [None] * pad
            co: list[str | None] = [f"{name}_co{k}" if i in read_co else None for k, i in enumerate(seg)] + [None] * pad
            if start + width < count:
                co[width - 1] = f"{name}_co{width - 1}"
            s = tuple(s_nets[i] for i in seg) + (GND,) * pad
            di = tuple(di_nets[i] for i in seg) + (GND,) * pad
            if cells:
                ci, cyinit = self.carries[-1].co[width - 1], GND
            elif self.family.carry_cell == "CARRY4":
                ci, cyinit = GND, carry_in
            else:
                ci, cyinit = carry_in, GND
            self.carries.append(Carry(name, self.family.carry_cell, ci, cyinit, di, s, tuple(o), tuple(co)))
            cells.append(name)
            for k, i in enumerate(seg):
                o_nets[i], co_nets[i] = o[k], co[k]
        self.chains.append(tuple(cells))
        return o_nets, co_nets

    def _peel_lowest(self, a, b, cin, lo, hi, carry_out) -> dict[int, str] | None:
        """chain_add with its lowest position on two spare O5s, or None (and nothing built) if they are not there."""
        terms = [a.get(lo, ZERO), b.get(lo, ZERO), net_term(cin) if isinstance(cin, str) else Term("const", value=cin)]
        nets = unique_nets(terms)
        if len(nets) > 5:
            return None

        def total(*values):
            env = dict(zip(nets, values))
            return sum(np.asarray(t.eval(env), dtype=np.int64) for t in terms)

        low_sum = fn_term(nets, lambda *v: total(*v) & 1)
        carry = fn_term(nets, lambda *v: total(*v) >> 1)
        built = len(self.luts), len(self.carries), len(self.chains)
        sums = self.chain_add({k: t for k, t in a.items() if k != lo}, {k: t for k, t in b.items() if k != lo},
                              GND, lo + 1, hi, carry_out)
        small = [t for t in (low_sum, carry) if t.kind not in ("const", "net")]
        first = self._find_host(small[0]) if small else None
        second = self._find_host(small[1], taken=(first,)) if len(small) == 2 and first is not None else None
        if (small and first is None) or (len(small) == 2 and second is None):
            del self.luts[built[0]:], self.carries[built[1]:], self.chains[built[2]:]
            self._bypass = {o5: net for o5, net in self._bypass.items() if any(lut.o5 == o5 for lut in self.luts)}
            return None  # the position would only move to a LUT of its own: leave the chain as it was
        hosts = dict(zip(small, (first, second)))

        def net_of(term: Term) -> str:
            if term.kind == "const":
                return VCC if term.value else GND
            return term.nets[0] if term.kind == "net" else self._host(hosts[term], term)

        self.set_carry_in(len(self.chains) - 1, net_of(carry))
        return {lo: net_of(low_sum), **sums}

    def _fanin_cells(self, nets) -> set[str]:
        """Names of the cells that `nets` depend on, through any number of cells."""
        driver: dict[str, Lut | Carry] = {}
        for lut in self.luts:
            driver.update({n: lut for n in (lut.o6, lut.o5) if n is not None})
        for carry in self.carries:
            driver.update({n: carry for n in (*carry.o, *carry.co) if n is not None})
        seen: set[str] = set()
        stack = list(nets)
        while stack:
            cell = driver.get(stack.pop())
            if cell is None or cell.name in seen:
                continue
            seen.add(cell.name)
            stack.extend(cell.inputs if isinstance(cell, Lut) else (cell.ci, cell.cyinit, *cell.di, *cell.s))
        return seen

    def _reroute_di(self, old: str, new: str) -> None:
        for index, carry in enumerate(self.carries):
            if old in carry.di:
                self.carries[index] = replace(carry, di=tuple(new if n == old else n for n in carry.di))

    def set_carry_in(self, chain: int, net: str) -> None:
        """Feed chain number `chain` (in build order) its carry-in, once the net exists."""
        first = self.chains[chain][0]
        index = next(k for k, c in enumerate(self.carries) if c.name == first)
        carry = self.carries[index]
        if self.family.carry_cell == "CARRY4":
            self.carries[index] = replace(carry, cyinit=net)
        else:
            self.carries[index] = replace(carry, ci=net)

    def _carry_position(self, ta: Term, tb: Term) -> tuple[str, str]:
        """The LUT of one carry position: (S net, DI net) for addends ta, tb.

        DI only matters when S = 0, that is when ta == tb, so DI may be either
        addend: a constant one goes straight to DI, a plain net through the
        bypass when the LUT needs all six inputs, otherwise ta from O5.
        """
        if ta.kind == "const":
            ta, tb = tb, ta
        if tb.kind == "const":
            s, _ = self.lut([ta, tb], lambda x, y: x ^ y, hint="cy")
            return s, VCC if tb.value else GND
        if len(unique_nets([ta, tb])) <= 5:
            s, o5 = self.lut([ta, tb], lambda x, y: x ^ y, term5=ta, hint="cy")
            plain = next((t.nets[0] for t in (ta, tb) if t.kind == "net"), None)
            if plain is not None:
                self._bypass[o5] = plain  # DI could take this addend through the bypass instead
            return s, o5
        if ta.kind == "net" or tb.kind == "net":
            if ta.kind != "net":
                ta, tb = tb, ta
            s, _ = self.lut([ta, tb], lambda x, y: x ^ y, hint="cy")
            return s, ta.nets[0]
        for x, y in ((ta, tb), (tb, ta)):
            gate = zeroing_net(y, x)
            if gate is not None:
                # I5 = gate: with it 0, y = 0 and O6 = x, so O5 (INIT's low half) is x, a valid DI.
                nets = tuple(n for n in unique_nets([x, y]) if n != gate) + (gate,)
                return self.lut_fn_live_i5(nets, lambda *bits: _xor_of(x, y, nets, bits), hint="cy")
        raise ValueError("a six-input carry position needs a plain-net addend for the DI bypass, "
                         "or an addend that one of its own nets zeroes")

    def host_on_free_o5(self, term: Term) -> str | None:
        """Put `term` on the unused O5 of a LUT already built, if one leaves room; returns that net.

        The host keeps its O6 function and net; with I5 tied to VCC it and the
        term share at most five inputs (the vendor's two independent functions).
        A LUT off the carry chains comes first: on a chain, the O5 leaves the
        slice beside the position's sum, which lutgen's site rules (lutgen/pack.py) allow (as
        for the ternary adder's carry-save bit) but real output muxes may not.
        Last come chain LUTs whose O5 feeds DI with a plain-net addend, which
        DI then takes through the bypass instead.
        """
        index = self._find_host(term)
        return None if index is None else self._host(index, term)

    def _find_host(self, term: Term, taken: tuple[int, ...] = ()) -> int | None:
        wanted = set(term.nets)
        fits = [index for index, lut in enumerate(self.luts)
                if index not in taken and (lut.o5 is None or lut.o5 in self._bypass)
                and len(wanted | {n for n in lut.inputs if n not in (GND, VCC)}) <= 5]
        if not fits:
            return None
        on_chain = {net for carry in self.carries for net in carry.s}
        upstream = self._fanin_cells(term.nets)  # a host there would close a loop
        fits = [index for index in fits if self.luts[index].name not in upstream]
        return min(fits, key=lambda i: (self.luts[i].o5 is not None, self.luts[i].o6 in on_chain, i), default=None)

    def _host(self, index: int, term: Term) -> str:
        lut = self.luts[index]
        nets = tuple(dict.fromkeys([*(n for n in lut.inputs if n not in (GND, VCC)), *term.nets]))

        table = rows_of_init(lut.init)

        def old_o6(*bits):
            env = {GND: 0, VCC: 1, **dict(zip(nets, bits))}
            return table[sum(np.asarray(env[pin], dtype=np.int64) << k for k, pin in enumerate(lut.inputs))]

        def new_o5(*bits):
            return term.eval(dict(zip(nets, bits)))

        o5 = f"{lut.name}_o5"
        if lut.o5 is not None:  # its DI takes the plain-net addend through the bypass from now on
            self._reroute_di(lut.o5, self._bypass.pop(lut.o5))
            o5 = f"{lut.name}_o5t"
        pins = tuple(nets) + (GND,) * (5 - len(nets)) + (VCC,)
        self.luts[index] = Lut(lut.name, self.init(nets, old_o6, new_o5), pins, lut.o6, o5)
        return o5

    # -- output -------------------------------------------------------------
    def materialise(self, bits: dict[int, Term]) -> dict[int, str]:
        """Nets for terms; AND/NAND terms get LUTs, paired into LUT6_2 where they fit."""
        nets: dict[int, str] = {}
        pending = []
        for weight in sorted(bits):
            term = bits[weight]
            if term.kind == "const":
                nets[weight] = VCC if term.value else GND
            elif term.kind == "net":
                nets[weight] = term.nets[0]
            else:
                pending.append(weight)
        for weight in list(pending):  # a spare O5 costs nothing; pairs cost a LUT each
            hosted = self.host_on_free_o5(bits[weight])
            if hosted is not None:
                nets[weight] = hosted
                pending.remove(weight)
        for first, second in pair_by_support({w: bits[w].nets for w in pending}):
            o6, o5 = self.lut_pair(bits[first], bits[second] if second is not None else None, hint="pp")
            nets[first] = o6
            if second is not None:
                nets[second] = o5
        return nets

    def netlist(self, name, inputs, outputs, **extra) -> Netlist:
        return Netlist(
            name=name,
            inputs=tuple(inputs),
            outputs=tuple(outputs),
            luts=tuple(self.luts),
            carries=tuple(self.carries),
            chains=tuple(self.chains),
            **extra,
        )


class SizingBuilder(NetlistBuilder):
    """Builds the same cells with every LUT INIT left 0: for searches that only count."""

    def init(self, nets, fn6, fn5) -> int:
        return 0


def pair_by_support(supports: dict[int, tuple[str, ...]], limit: int = 5) -> list[tuple[int, int | None]]:
    """Pair functions into LUT6_2s (union of inputs <= limit) with a maximum matching.

    Returns (first, second-or-None) in a deterministic order.
    """
    keys = sorted(supports)
    g = nx.Graph()
    g.add_nodes_from(keys)
    for x_index, x in enumerate(keys):
        for y in keys[x_index + 1:]:
            if len(set(supports[x]) | set(supports[y])) <= limit:
                g.add_edge(x, y)
    matching = nx.max_weight_matching(g, maxcardinality=True)
    partner: dict[int, int] = {}
    for x, y in matching:
        partner[x], partner[y] = y, x
    pairs, done = [], set()
    for x in keys:
        if x in done:
            continue
        y = partner.get(x)
        pairs.append((x, y) if y is None or x < y else (y, x))
        done.update({x, y} - {None})
    return pairs

"""The requantizer as a cell netlist: q = clip((v + offset[slot]) >> shift).

    v       signed input, in_bits wide (port `v`)
    slot    which offset, ceil(log2(S)) bits (port `slot`, only when S = len(offsets) > 1;
            slot values >= S never occur, so the netlist may do anything for them)
    offset  one integer per slot: bias and rounding half already added by the caller
    >>      arithmetic (floor) shift
    clip    saturate to [0, 2**out_bits - 1] (unsigned: negatives become 0, a ReLU)
            or to [-2**(out_bits-1), 2**(out_bits-1) - 1] (signed)

The sum u = v + offset is exact (its width comes from the range of v and the
offsets), on ONE carry chain, and only over the bits that matter:

- below the lowest bit where some offset has a 1, the sum bits are v's own
  bits and carry nothing, so the chain starts there;
- bits that only carry (those below `shift`, and those above the output that
  only reach the sign) share a chain position per group: the group's LUT6_2
  gives the group's propagate on O6 (S) and its generate on O5 (DI), up to five
  inputs (v bits and slot bits); the lowest group, up to six inputs, leaves the
  chain as one LUT on the carry-in;
- the output bits and the sign take one position each, O = v_i ^ offset_i(slot)
  ^ carry. offset_i(slot) folds into the position's LUT when v_i and its slot
  bits are at most six nets; otherwise it is a LUT ROM (one LUT6 per 64 slots)
  and a mux tree, built first.

The clip: with Z = shift + out_bits, the result is in range when u >> Z == 0
(for a signed output the offset gets 2**(Z-1) more, so that the same test
applies; the top output bit is then NOT u's bit Z-1). Where the range of v and
the offsets rules out one side of the clip, that side costs nothing (clipping
low only needs just the sign); where it rules out both, q is the sum bits. The
test "bits Z.. of u are all zero" (up to below the sign, which is read anyway)
is an AND tree over one of:

- "sum": NOT of each sum bit, the chain giving those bits;
- "carry": no sum bit at all: A + B + c has zero bits from Z up iff
  a_Z ^ b_Z == c_Z and, for every j > Z, a_j ^ b_j == a_(j-1) | b_(j-1). These
  are LUTs of v (and offset) bits beside the chain; only c_Z, a carry-out,
  comes from it, and the bits above the output only carry, in groups;
- "mixed": as "carry", with NOT of sum bit Z (one net) for the lowest condition.

The per-bit selects q_i = in_range ? u_i : (negative ? LO_i : HI_i) then pair
up in LUT6_2s (and ride on spare O5s where there are some).

Every variant is built (the three tests; the AND tree packed in order or by
arrival, and cut at every point where the selects can take what is left;
offset-bit functions that several high bits share as their slot bits or as one
LUT net), and the netlist with the fewest LUTs, then the fewest LUT levels,
then carry cells, is kept. No FFs: pipeline it with
lutgen.pipeline.pipeline(netlist, K).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import operator
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache, reduce

import numpy as np

from .cells import GND, VCC, Lut, Netlist, check
from .constructions.builder import ONE, ZERO, NetlistBuilder, Term, complement, fn_term, net_term, unique_nets
from .depth import arrival_times, critical_depth
from .dot import netlist_counts
from .spec import SpecError, bits_for_range
from .target import FAMILIES

MAX_SLOTS = 4096
MAX_OFFSET = 1 << 64  # |offset| must stay below this
MAX_EXTRA_SHIFT = 64  # shift may go up to in_bits + this (offsets can be wider than v)
LUT_INPUTS = 6
DUAL_INPUTS = 5  # a LUT6_2 with two independent outputs shares five inputs

PORT_DOC = {
    "v": "signed input value, two's complement",
    "slot": "which offset to add (0 .. number of offsets - 1)",
    "q": "clip((v + offset[slot]) >> shift), saturated to the output range",
}


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


@dataclass(frozen=True)
class RequantSpec:
    """q = clip((v + offsets[slot]) >> shift) for a signed in_bits-wide v; see the module docstring.

    Bad values raise SpecError (a ValueError) with a one-line message.
    """

    in_bits: int
    shift: int
    out_bits: int
    out_signed: bool
    offsets: tuple[int, ...]
    family: str = "xcup"

    def __post_init__(self):
        if not _is_int(self.in_bits) or not 1 <= self.in_bits <= 64:
            raise SpecError(f"in_bits must be an integer from 1 to 64, got {self.in_bits!r}")
        if not _is_int(self.out_bits) or not 1 <= self.out_bits <= 32:
            raise SpecError(f"out_bits must be an integer from 1 to 32, got {self.out_bits!r}")
        top = self.in_bits + MAX_EXTRA_SHIFT
        if not _is_int(self.shift) or not 0 <= self.shift <= top:
            raise SpecError(f"shift must be an integer from 0 to in_bits + {MAX_EXTRA_SHIFT} = {top}, "
                            f"got {self.shift!r}")
        if not isinstance(self.out_signed, (bool, np.bool_)):
            raise SpecError(f"out_signed must be True or False, got {self.out_signed!r}")
        if self.family not in FAMILIES:
            raise SpecError(f"family must be one of {', '.join(FAMILIES)}, got {self.family!r}")
        try:
            offsets = tuple(self.offsets)
        except TypeError:
            raise SpecError(f"offsets must be a sequence of integers, got {self.offsets!r}") from None
        if not 1 <= len(offsets) <= MAX_SLOTS:
            raise SpecError(f"offsets must hold 1 to {MAX_SLOTS} integers, got {len(offsets)}")
        for o in offsets:
            if not _is_int(o) or not -MAX_OFFSET < o < MAX_OFFSET:
                raise SpecError(f"every offset must be an integer of magnitude below 2**64, got {o!r}")
        object.__setattr__(self, "offsets", tuple(int(o) for o in offsets))
        object.__setattr__(self, "in_bits", int(self.in_bits))
        object.__setattr__(self, "shift", int(self.shift))
        object.__setattr__(self, "out_bits", int(self.out_bits))
        object.__setattr__(self, "out_signed", bool(self.out_signed))

    @property
    def slots(self) -> int:
        return len(self.offsets)

    @property
    def slot_bits(self) -> int:
        return (self.slots - 1).bit_length() if self.slots > 1 else 0

    def clip_range(self) -> tuple[int, int]:
        m = self.out_bits
        return (-(1 << (m - 1)), (1 << (m - 1)) - 1) if self.out_signed else (0, (1 << m) - 1)

    @property
    def tag(self) -> str:
        digest = hashlib.sha1(repr(self.offsets).encode()).hexdigest()[:8]
        sign = "s" if self.out_signed else "u"
        return f"v{self.in_bits}_sh{self.shift}_q{self.out_bits}{sign}_{self.slots}off{digest}_{self.family}"


def module_name(spec: RequantSpec) -> str:
    return f"lutgen_requant_{spec.tag}"


# -- the integer model ---------------------------------------------------------
def emulate(spec: RequantSpec, v: np.ndarray, slot: np.ndarray | None = None) -> np.ndarray:
    """clip((v + offsets[slot]) >> shift) as int64; v is read as in_bits two's complement (values or bit patterns).

    Exact for any width: wide values are computed with Python ints (dtype=object).
    `slot` is required when there is more than one offset, and must be below the count.
    """
    n = spec.in_bits
    wide = n > 60 or any(abs(o) >= 1 << 60 for o in spec.offsets)
    dtype = object if wide else np.int64
    values = np.asarray(v)
    values = values.astype(object) if wide else values.astype(np.int64)
    if wide:
        values = np.vectorize(int, otypes=[object])(values) if values.size else values
    half, full = 1 << (n - 1), 1 << n
    values = (values + half) % full - half
    if spec.slots == 1:
        if slot is not None and np.any(np.asarray(slot) != 0):
            raise ValueError("this requantizer has one offset: slot must be None (or 0)")
        off = np.asarray(spec.offsets[0], dtype=dtype)
    else:
        if slot is None:
            raise ValueError(f"this requantizer has {spec.slots} offsets: slot is required")
        slot = np.asarray(slot, dtype=np.int64)
        if slot.size and (slot.min() < 0 or slot.max() >= spec.slots):
            raise ValueError(f"slot must be from 0 to {spec.slots - 1}")
        off = np.array(spec.offsets, dtype=dtype)[slot]
    r = (values + off) >> spec.shift
    lo, hi = spec.clip_range()
    return np.where(r < lo, lo, np.where(r > hi, hi, r)).astype(np.int64)


# -- the plan: what the range of v and the offsets leave to compute --------------
@dataclass(frozen=True)
class _Plan:
    """mode: "const" (q never varies), "none" (never clips), "low" / "high" (clips one way only),
    "both", or "sign" (a signed 1-bit output: q is the sign of the sum)."""

    mode: str
    offsets: tuple[int, ...]  # the offsets the chain adds (2**(Z-1) more for a clipping signed output)
    width: int  # of the exact sum u
    has_sign: bool  # u can be negative; then its top bit is its sign
    z0: int | None  # lowest bit where some offset has a 1 (None: every offset is 0)
    zero_from: int  # Z: in range iff u >> Z == 0
    invert_top: bool  # the top output bit is NOT u's bit Z-1 (the signed output's shift by 2**(Z-1))
    const: int = 0

    @property
    def top(self) -> int:
        return self.width - 1


def _plan(spec: RequantSpec) -> _Plan:
    n, sh, m = spec.in_bits, spec.shift, spec.out_bits
    vlo, vhi = -(1 << (n - 1)), (1 << (n - 1)) - 1
    rlo, rhi = (vlo + min(spec.offsets)) >> sh, (vhi + max(spec.offsets)) >> sh
    lo, hi = spec.clip_range()
    z = sh + m
    if rhi <= lo or rlo >= hi:
        return _Plan("const", spec.offsets, 1, False, None, z, False, lo if rhi <= lo else hi)
    modes = {(False, False): "none", (True, False): "low", (False, True): "high", (True, True): "both"}
    mode = modes[rlo < lo, rhi > hi]  # which sides can clip
    if spec.out_signed and m == 1 and mode != "none":
        mode = "sign"  # clip to [-1, 0]: the sign of the sum
    adjust = 1 << (z - 1) if spec.out_signed and mode in ("low", "high", "both") else 0
    offsets = tuple(o + adjust for o in spec.offsets)
    ulo, uhi = vlo + min(offsets), vhi + max(offsets)
    nonzero = [o for o in offsets if o]
    z0 = min((o & -o).bit_length() - 1 for o in nonzero) if nonzero else None
    has_sign = ulo < 0
    return _Plan(mode, offsets, bits_for_range(ulo, uhi, has_sign), has_sign, z0, z, adjust != 0)


# -- partial functions of the slot bits -----------------------------------------
def _drop_free_bits(func: dict[int, int], bits: tuple[int, ...]) -> tuple[dict[int, int], tuple[int, ...]]:
    """Drop slot bits the function need not read, using the codes it is not defined on (slot >= S).

    `func` maps codes (over the slot bits in `bits`; other bits 0) to 0/1.
    Greedy from the top bit, where the missing codes are.
    """
    items, kept = _drop_free_bits_of(tuple(sorted(func.items())), bits)
    return dict(items), kept


@lru_cache(maxsize=1 << 16)
def _drop_free_bits_of(items: tuple[tuple[int, int], ...], bits: tuple[int, ...]):
    func = dict(items)
    for k in reversed(bits):
        mask = 1 << k
        if all(func.get(code ^ mask, value) == value for code, value in func.items()):
            func = {code & ~mask: value for code, value in func.items()}
            bits = tuple(b for b in bits if b != k)
    return tuple(sorted(func.items())), bits


def _table_fn(values: np.ndarray, nets: tuple[str, ...]):
    def fn(*bits):
        index = sum(np.asarray(b, dtype=np.int64) << k for k, b in enumerate(bits))
        return values[index]

    return fn


def _mux_fn(sel_nets: tuple[str, ...], data: list[Term], nets: tuple[str, ...]):
    def fn(*bits):
        env = dict(zip(nets, bits))
        index = sum(np.asarray(env[s], dtype=np.int64) << k for k, s in enumerate(sel_nets))
        out = np.zeros(np.shape(index), dtype=np.int64)
        for code, term in enumerate(data):
            out = np.where(index == code, term.eval(env), out)
        return out

    return fn


def _repeated_offset_bits(plan: _Plan) -> set[tuple[int, ...]]:
    """Offset-bit functions of the slot (values per slot) that several bits from Z up have, like the offsets' sign.

    There, bits are grouped into chain positions and in-range conditions, which
    hold more bits when the function is one net than when it is its slot bits.
    """
    counts = Counter(tuple((o >> j) & 1 for o in plan.offsets) for j in range(plan.zero_from, plan.width))
    slot_bits = (len(plan.offsets) - 1).bit_length()
    return {values for values, count in counts.items()
            if count > 1 and len(_drop_free_bits(dict(enumerate(values)), tuple(range(slot_bits)))[1]) > 1}


@lru_cache(maxsize=1 << 16)
def _folded_slot_term(values: tuple[int, ...], slot_bits: int, budget: int) -> Term | None:
    """The slot function with these values per slot, as a term over at most `budget` slot bits, or None (needs LUTs)."""
    func, bits = _drop_free_bits(dict(enumerate(values)), tuple(range(slot_bits)))
    if len(bits) > budget:
        return None
    return _slot_table_term(tuple(sorted(func.items())), bits)


@lru_cache(maxsize=1 << 16)
def _slot_table_term(items: tuple[tuple[int, int], ...], bits: tuple[int, ...]) -> Term:
    func = dict(items)
    nets = tuple(f"slot[{k}]" for k in bits)
    rows = np.arange(1 << len(bits))
    codes = sum(((rows >> i) & 1) << k for i, k in enumerate(bits)) if bits else rows
    values = np.array([func.get(int(c), 0) for c in codes], dtype=np.int64)
    return fn_term(nets, _table_fn(values, nets))


class _Context:
    """The builder, and the nets of terms (each small function gets one LUT, shared by every reader)."""

    def __init__(self, spec: RequantSpec, plan: _Plan, share: bool = False):
        self.spec = spec
        self.plan = plan
        self.b = NetlistBuilder(FAMILIES[spec.family])
        self._nets: dict[Term, str] = {}
        self._offset_terms: dict[tuple, Term] = {}
        self._shared = _repeated_offset_bits(plan) if share else set()

    def fork(self) -> "_Context":
        """An independent copy: cells built in it stay out of this one."""
        other = copy.copy(self)
        other.b = copy.copy(self.b)
        for name in ("luts", "carries", "chains", "_count", "_bypass"):
            setattr(other.b, name, copy.copy(getattr(self.b, name)))
        other._nets = dict(self._nets)
        other._offset_terms = dict(self._offset_terms)
        return other

    def lut(self, term: Term, hint: str) -> str:
        """A new LUT6 computing `term` (a net or a truth table over at most six nets); returns its output.

        Its INIT is the term's table repeated over the rows of the pins tied to GND.
        """
        nets = term.nets
        width = 1 << len(nets)
        table = term.value if term.kind == "fn" else 2  # a plain net: row 1 is 1
        init = table * (((1 << 64) - 1) // ((1 << width) - 1))
        name = self.b.fresh(hint)
        self.b.luts.append(Lut(name, init, tuple(nets) + (GND,) * (LUT_INPUTS - len(nets)), f"{name}_o"))
        return f"{name}_o"

    def arrival(self) -> dict[str, tuple[int, int]]:
        """(LUT levels, carry bits) of every net built so far."""
        ports = (("v", self.spec.in_bits), ("slot", self.spec.slot_bits))
        return arrival_times(self.b.netlist("partial", ports, []))

    def v(self, j: int) -> str:
        return f"v[{min(j, self.spec.in_bits - 1)}]"

    def net(self, term: Term, hint: str = "lut") -> str:
        """A net carrying `term`: a constant, the net itself, or one LUT (built once per distinct term)."""
        if term.kind == "const":
            return VCC if term.value else GND
        if term.kind == "net":
            return term.nets[0]
        if term not in self._nets:
            self._nets[term] = self.lut(term, hint)
        return self._nets[term]

    # -- offset bits ------------------------------------------------------
    def offset_bit(self, j: int, budget: int) -> Term:
        """Bit j of offset[slot] as a term over at most `budget` nets (slot bits, or LUT ROM / mux nets)."""
        key = (j, budget)
        if key not in self._offset_terms:
            values = tuple((o >> j) & 1 for o in self.plan.offsets)
            if len(set(values)) == 1:
                term = ONE if values[0] else ZERO
            elif values in self._shared:  # one LUT (or ROM) for it, read by every bit that has it
                term = self._slot_fn(dict(enumerate(values)), tuple(range(self.spec.slot_bits)), LUT_INPUTS)
                term = term if len(term.nets) <= 1 else net_term(self.net(term, "off"))
            else:
                term = _folded_slot_term(values, self.spec.slot_bits, budget) \
                    or self._slot_fn(dict(enumerate(values)), tuple(range(self.spec.slot_bits)), budget)
            self._offset_terms[key] = term
        return self._offset_terms[key]

    def _slot_fn(self, func: dict[int, int], bits: tuple[int, ...], budget: int) -> Term:
        func, bits = _drop_free_bits(func, bits)
        if not bits:
            return ONE if next(iter(func.values())) else ZERO
        if len(bits) <= LUT_INPUTS:
            term = _slot_table_term(tuple(sorted(func.items())), bits)
            return term if len(term.nets) <= budget else net_term(self.net(term, "rom"))
        # more than six slot bits: a ROM LUT per value of the top bits, then a mux
        low, sels = bits[:LUT_INPUTS], bits[LUT_INPUTS:]
        low_mask = sum(1 << k for k in low)
        cofactors: list[dict[int, int]] = [{} for _ in range(1 << len(sels))]
        for code, value in func.items():
            cofactors[sum(((code >> k) & 1) << i for i, k in enumerate(sels))][code & low_mask] = value
        data = [self._slot_fn(sub, low, LUT_INPUTS) if sub else ZERO for sub in cofactors]
        return self._mux(tuple(f"slot[{k}]" for k in sels), data, budget)

    def _mux(self, sel_nets: tuple[str, ...], data: list[Term], budget: int) -> Term:
        """data[slot bits sel_nets] as a term over at most `budget` nets, building LUTs as needed."""
        data = list(data)
        while True:
            nets = unique_nets([Term("net", (s,)) for s in sel_nets] + data)
            if len(nets) <= LUT_INPUTS:
                term = fn_term(nets, _mux_fn(sel_nets, data, nets))
                return term if len(term.nets) <= budget else net_term(self.net(term, "mux"))
            wide = [d for d in data if d.kind not in ("const", "net")]
            if not wide:
                break
            biggest = max(wide, key=lambda d: len(d.nets))
            data = [net_term(self.net(d, "rom")) if d == biggest else d for d in data]
        half = len(data) // 2
        low = self._mux(sel_nets[:-1], data[:half], LUT_INPUTS)
        high = self._mux(sel_nets[:-1], data[half:], LUT_INPUTS)
        return self._mux(sel_nets[-1:], [low, high], budget)

    def addends(self, j: int, budget: int = DUAL_INPUTS) -> tuple[Term, Term]:
        return net_term(self.v(j)), self.offset_bit(j, budget)


# -- the carry chain -------------------------------------------------------------
@dataclass(frozen=True)
class _Position:
    s: str
    di: str
    out: int | None = None  # weight whose sum bit O gives, if read
    co: int | None = None  # weight whose carry-out CO gives (the carry into weight + 1), if read


def _propagate_generate(pairs, env):
    """Group propagate (every a ^ b) and generate (carry out with carry in 0), bit by bit from the lowest."""
    p, g = 1, 0
    for a, b in pairs:
        x, y = a.eval(env), b.eval(env)
        g = (x & y) | ((x ^ y) & g)
        p = p & (x ^ y)
    return p, g


def _group_fn(pairs, nets, which: int):
    def fn(*bits):
        return _propagate_generate(pairs, dict(zip(nets, bits)))[which]

    return fn


def _fits(terms, limit: int) -> bool:
    return len(unique_nets(terms)) <= limit


# Terms are pure functions of their nets: the same addends give the same terms in every variant, so cache them.
@lru_cache(maxsize=1 << 16)
def _xor_term(a: Term, b: Term) -> Term:
    nets = unique_nets([a, b])

    def xor(*bits):
        env = dict(zip(nets, bits))
        return a.eval(env) ^ b.eval(env)

    return fn_term(nets, xor)


@lru_cache(maxsize=1 << 16)
def _group_terms_of(pairs: tuple[tuple[Term, Term], ...]) -> tuple[Term, Term] | None:
    nets = unique_nets([t for pair in pairs for t in pair])
    if len(nets) > LUT_INPUTS:
        return None
    gen = fn_term(nets, _group_fn(pairs, nets, 1))
    if len(nets) == LUT_INPUTS and gen.kind not in ("const", "net"):
        return None
    return fn_term(nets, _group_fn(pairs, nets, 0)), gen


@lru_cache(maxsize=1 << 16)
def _generate_term(pairs: tuple[tuple[Term, Term], ...]) -> Term:
    nets = unique_nets([t for pair in pairs for t in pair])
    return fn_term(nets, _group_fn(pairs, nets, 1))


@lru_cache(maxsize=1 << 16)
def _condition_term(a: Term, b: Term, right: tuple[Term, ...]) -> Term:
    """a ^ b == (the OR of `right`): right is (carry,) or (a_(j-1), b_(j-1))."""
    nets = unique_nets([a, b, *right])

    def fn(*bits):
        env = dict(zip(nets, bits))
        return 1 ^ a.eval(env) ^ b.eval(env) ^ reduce(operator.or_, [t.eval(env) for t in right])

    return fn_term(nets, fn)


def _single(ctx: _Context, j: int, out: bool, co: bool) -> _Position:
    """One chain position for weight j: S = v_j ^ offset_j (one LUT), DI = the offset bit or v_j (bypass)."""
    a, b = ctx.addends(j)
    s = _xor_term(a, b)
    s_net = ctx.lut(s, "cy") if s.kind != "const" else ctx.net(s)
    di = ctx.net(b) if b.kind == "const" else a.nets[0]
    return _Position(s_net, di, j if out else None, j if co else None)


def _group_terms(ctx: _Context, bits: list[int]) -> tuple[Term, Term] | None:
    """(propagate, generate) of a group of weights, or None when one LUT cannot give both.

    Both share a LUT6_2 over at most five inputs; with six, DI cannot take O5,
    so the generate must be a constant or a plain net (through the bypass).
    """
    return _group_terms_of(tuple(ctx.addends(j) for j in bits))


def _group(ctx: _Context, bits: list[int]) -> _Position:
    """One chain position for consecutive weights that only carry: S = group propagate, DI = group generate."""
    if len(bits) == 1:
        return _single(ctx, bits[0], False, False)
    prop, gen = _group_terms(ctx, bits)
    if prop.kind == "const":
        return _Position(ctx.net(prop), ctx.net(gen))
    if gen.kind in ("const", "net"):  # DI takes it through the bypass
        return _Position(ctx.lut(prop, "cy"), ctx.net(gen))
    s, di = ctx.b.lut([prop], lambda x: x, term5=gen, hint="cy")
    return _Position(s, di)


def _carry_only(ctx: _Context, bits: list[int], bottom: bool) -> tuple[list[_Position], str | None]:
    """Positions for a run of weights that only carry; at the chain's bottom, the lowest part becomes the carry-in."""
    carry_in = None
    if bottom:
        k, terms = 0, []
        while k < len(bits) and _fits(terms + list(ctx.addends(bits[k])), LUT_INPUTS):
            terms += list(ctx.addends(bits[k]))
            k += 1
        carry_in = ctx.net(_generate_term(tuple(ctx.addends(j) for j in bits[:k])), "cin")
        bits = bits[k:]
    positions, group = [], []
    for j in bits:
        if group and _group_terms(ctx, group + [j]) is None:
            positions.append(_group(ctx, group))
            group = []
        group.append(j)
    if group:
        positions.append(_group(ctx, group))
    return positions, carry_in


def _carry_cells(ctx: _Context, positions: list[_Position], carry_in: str) -> tuple[dict[int, str], dict[int, str]]:
    """The chain's carry cells; returns (weight -> O net, weight -> CO net) for the positions that read them."""
    if not positions:
        return {}, {}
    o_nets, co_nets = ctx.b.chain_cells([p.s for p in positions], [p.di for p in positions], carry_in,
                                        read_o=[p.out is not None for p in positions],
                                        read_co={i for i, p in enumerate(positions) if p.co is not None})
    outs = {p.out: o_nets[i] for i, p in enumerate(positions) if p.out is not None}
    cos = {p.co: co_nets[i] for i, p in enumerate(positions) if p.co is not None}
    return outs, cos


def _chain(ctx: _Context, need_out: set[int], need_co: set[int]) -> tuple[dict[int, str], dict[int, str]]:
    """One chain from the lowest offset bit up to the highest weight whose sum bit or carry-out is read."""
    z0 = ctx.plan.z0
    if z0 is None:
        return {}, {}
    wanted = {j for j in need_out | need_co if j >= z0}
    if not wanted:
        return {}, {}
    positions: list[_Position] = []
    carry_in = GND
    run: list[int] = []
    for j in range(z0, max(wanted) + 1):
        if j not in wanted:
            run.append(j)
            continue
        if run:
            more, cin = _carry_only(ctx, run, bottom=not positions)
            positions += more
            carry_in = cin if cin is not None else carry_in
            run = []
        positions.append(_single(ctx, j, j in need_out, j in need_co))
    return _carry_cells(ctx, positions, carry_in)


# -- the clip --------------------------------------------------------------------
def _and_states(ctx: _Context, terms: list[Term], packer: str):
    """Yield lists of terms with the same AND as `terms`, each after one more AND LUT, down to one net.

    packer "order" fills each LUT with the first terms (in order) that fit six
    inputs; "level" fills it with the earliest-arriving terms only, reaching for
    later ones when nothing of its level is left, so the tree stays shallow.
    The caller may fork `ctx` at any state and carry on from there.
    """
    terms = list(dict.fromkeys(t for t in terms if t != ONE))
    if ZERO in terms:
        terms = [ZERO]
    yield terms
    levels = {net: depth[0] for net, depth in ctx.arrival().items()} if packer == "level" else {}

    def level(t: Term) -> int:
        return max((levels.get(n, 0) for n in t.nets), default=0)

    while len(unique_nets(terms)) > 1:
        if packer == "level":
            order = sorted(terms, key=level)
            pack = [order[0]]
            for t in order[1:]:
                if level(t) <= level(order[0]) and _fits(pack + [t], LUT_INPUTS):
                    pack.append(t)
        else:
            order, pack = terms, []
        if len(pack) <= 1:
            pack = pack[:1]
            for t in order[len(pack):]:
                if _fits(pack + [t], LUT_INPUTS):
                    pack.append(t)
        if len(pack) == 1 and len(pack[0].nets) == 1:  # it fits with nothing: shrink the widest term instead
            pack = [max(terms, key=lambda t: len(t.nets))]
        net = ctx.b.lut(pack, lambda *xs: reduce(operator.and_, xs), hint="and")[0] \
            if len(pack) > 1 else ctx.net(pack[0], "and")
        levels[net] = max(level(t) for t in pack) + 1
        terms = [t for t in terms if t not in pack] + [net_term(net)]
        yield terms


def _zero_conditions(ctx: _Context, lo: int, hi: int, method: str, bit, carry_into_lo: str) -> list[Term]:
    """Terms whose AND says bits lo..hi of u are all zero (in-range test), inputs-only terms first.

    "sum": NOT of each sum bit. "carry": without the sum bits, from the addends:
    a_lo ^ b_lo == c_lo, and a_j ^ b_j == a_(j-1) | b_(j-1) for lo < j <= hi.
    "mixed": as "carry", but NOT of sum bit lo instead of its condition (one net, not three).
    """
    if hi < lo:
        return []
    if method == "sum":
        return [complement(net_term(bit(j))) for j in range(lo, hi + 1)]

    def condition(j: int, carry: Term | None) -> Term:
        for budget in (DUAL_INPUTS, 1):  # offset bits folded, or else each one net
            a, b = ctx.addends(j, budget)
            right = (carry,) if carry is not None else ctx.addends(j - 1, budget)
            if _fits([a, b, *right], LUT_INPUTS):
                break
        return _condition_term(a, b, right)

    lowest = complement(net_term(bit(lo))) if method == "mixed" else condition(lo, net_term(carry_into_lo))
    return [condition(j, None) for j in range(lo + 1, hi + 1)] + [lowest]


def _out_bits(spec: RequantSpec, plan: _Plan, i: int) -> tuple[str, int, int, int]:
    """(mode, bit i of the low clip value, bit i of the high one, whether x_i is inverted) for output bit i."""
    lo, hi = spec.clip_range()
    return plan.mode, (lo >> i) & 1, (hi >> i) & 1, int(plan.invert_top and i == spec.out_bits - 1)


@lru_cache(maxsize=1 << 16)
def _select_term(inside: tuple[Term, ...], sign: Term, x: Term,
                 mode: str, lo_i: int, hi_i: int, invert: int) -> Term:
    """q_i = (AND of inside) ? x ^ invert : (sign ? lo_i : hi_i), or its one-sided forms (see _out_bits)."""
    nets = unique_nets([*inside, sign, x])

    def fn(*bits):
        env = dict(zip(nets, bits))
        ok = reduce(operator.and_, [t.eval(env) for t in inside], 1)
        value = x.eval(env) ^ invert
        if mode == "low":
            return np.where(sign.eval(env), lo_i, value)
        if mode == "high":
            return np.where(ok, value, hi_i)
        return np.where(sign.eval(env), lo_i, np.where(ok, value, hi_i))  # both: `inside` leaves the sign out

    return fn_term(nets, fn)


def _netlist(ctx: _Context, q_nets: list[str], variant: str) -> Netlist:
    spec = ctx.spec
    inputs = (("v", spec.in_bits),) + ((("slot", spec.slot_bits),) if spec.slots > 1 else ())
    meta = (("construction", "requant"), ("variant", variant), ("slots", spec.slots))
    return ctx.b.netlist(module_name(spec), inputs, [("q", tuple(q_nets))],
                         output_signed=(("q", spec.out_signed),), meta=meta)


def _selects(ctx: _Context, inside: list[Term], sign: str, xs: list[str], variant: str) -> Netlist | None:
    """q_i = select(AND of inside, sign, x_i) for each output bit, paired into LUT6_2s; None if they do not fit."""
    terms: dict[int, Term] = {}
    sign_term = net_term(sign)
    for i, x in enumerate(xs):
        x_term = net_term(x)
        nets = unique_nets(inside + [sign_term, x_term])
        if len(nets) > LUT_INPUTS:
            return None
        terms[i] = _select_term(tuple(inside), sign_term, x_term, *_out_bits(ctx.spec, ctx.plan, i))
    q = ctx.b.materialise(terms)
    return _netlist(ctx, [q[i] for i in range(len(xs))], variant)


def _candidates(spec: RequantSpec):
    """Every variant's netlist for the spec (one or two when there is no in-range test to vary)."""
    plan = _plan(spec)
    if plan.mode == "const":
        mask = (1 << spec.out_bits) - 1
        q = [VCC if (plan.const & mask) >> i & 1 else GND for i in range(spec.out_bits)]
        yield _netlist(_Context(spec, plan), q, "const")
        return
    for method in ("carry", "mixed", "sum") if plan.mode in ("high", "both") else (None,):
        for share in (False, True):
            if not share or _repeated_offset_bits(plan):
                yield from _variant(spec, plan, method, share)


def _variant(spec: RequantSpec, plan: _Plan, method: str | None, share: bool):
    """The chain, then the in-range test by `method` (AND trees cut at every usable point), then the selects."""
    ctx = _Context(spec, plan, share)
    top, z = plan.top, plan.zero_from
    need_sign = plan.mode in ("low", "both", "sign")
    zero_hi = top - 1 if plan.mode == "both" else top  # with the sign at hand, the test stops below it
    x_weights = [spec.shift + i for i in range(spec.out_bits)] if plan.mode != "sign" else []
    need_out = {min(j, top) for j in x_weights if j <= top or plan.has_sign}
    if need_sign:
        need_out.add(top)
    if method == "sum":
        need_out |= set(range(z, zero_hi + 1))
    if method == "mixed" and z <= zero_hi:
        need_out.add(z)
    need_co = {z - 1} if method == "carry" and z - 1 <= zero_hi else set()
    outs, cos = _chain(ctx, need_out, need_co)

    def bit(j: int) -> str:
        if j > top:
            return bit(top) if plan.has_sign else GND
        if plan.z0 is None or j < plan.z0:
            return ctx.v(j)  # no carry reaches here: the offsets' bits are 0 up to z0
        return outs[j]

    sign = bit(top) if need_sign else GND
    xs = [bit(j) for j in x_weights]
    shared = ", shared offset bits" if share else ""
    if plan.mode == "sign":
        yield _netlist(ctx, [sign], "sign of the sum" + shared)
    elif plan.mode == "none":
        yield _netlist(ctx, xs, "no clip" + shared)
    elif plan.mode == "low":
        yield _selects(ctx, [], sign, xs, "clips low only: the sign of the sum" + shared)
    else:
        carry = cos.get(z - 1, GND)  # no chain position at z - 1: nothing carries into z
        conditions = _zero_conditions(ctx, z, zero_hi, method, bit, carry)
        seen = set()
        for packer in ("level", "order"):
            work = ctx.fork()
            for step, inside in enumerate(_and_states(work, conditions, packer)):
                state = (tuple(work.b.luts), tuple(inside))
                if len(unique_nets(inside)) < LUT_INPUTS and state not in seen:
                    seen.add(state)
                    variant = f"clips {plan.mode}, {method} in-range test, {packer} AND tree, {step} AND LUTs{shared}"
                    netlist = _selects(work.fork(), inside, sign, xs, variant)
                    if netlist is not None:
                        yield netlist


def _cost(netlist: Netlist) -> tuple:
    return len(netlist.luts), critical_depth(netlist), len(netlist.carries)


MAX_VARIANTS = 4  # the first ones tried hold the best nearly always; an accelerator builds hundreds of these


@lru_cache(maxsize=None)
def _build_cached(spec: RequantSpec) -> Netlist:
    built = list(itertools.islice(_candidates(spec), MAX_VARIANTS))
    fewest = min(len(netlist.luts) for netlist in built)
    best = min((n for n in built if len(n.luts) == fewest), key=_cost)  # first of equals: the first built
    check(best)
    return best


def build_requant(spec: RequantSpec, name: str | None = None) -> Netlist:
    """The combinational requantizer: inputs v (and slot when there are several offsets), output q.

    Of the first MAX_VARIANTS variants of the in-range test, the one with the
    fewest LUTs (then LUT levels, then carry cells). Passes lutgen.cells.check().
    """
    netlist = _build_cached(spec)
    if name is not None and name != netlist.name:
        netlist = replace(netlist, name=name)
    return netlist


def requant_counts(spec: RequantSpec) -> Counter:
    """Cell counts of build_requant(spec), with lutgen.dot.netlist_counts' keys (lut_sites, carry_cells, LUT6, ...).

    Built once per spec (cached); each call returns a fresh Counter.
    """
    return Counter(_counts(spec))


@lru_cache(maxsize=None)
def _counts(spec: RequantSpec) -> Counter:
    return netlist_counts(_build_cached(spec))

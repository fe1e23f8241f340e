"""Bit-heap compression on carry chains: the partial products of many lanes summed as one heap.

The heap holds every partial product of every lane (AND / NAND bits, the
Baugh-Wooley form) and one merged constant, by column, modulo 2**width.
Stages of carry-chain compressors reduce it until the last adder can take
it (two bits a column, or three within a ternary position's pins); that
adder starts at the first column with two bits, since the lone bits below
it are sum bits already.

Per stage, each column's bits are split into groups, and group g of
adjacent columns forms one chain:
- a ternary chain (Kumm et al.'s ternary adder): a position takes up to
  three bits whose nets number at most four, plus the carry-save bit of
  the position below; O5 = majority (the carry-save bit, routed to the next
  LUT and, through the bypass, to DI there), O6 = parity XOR carry-save in;
- a binary chain where no position needs three bits: O6 = x ^ y, DI = x.
An AND / NAND bit is folded into the LUT that consumes it, so the gates
cost nothing. A chain's carry-out (and its top carry-save bit) return to
the heap one column above its top. A chain's carry-in (CYINIT on a CARRY4,
CI on a CARRY8) can take one more plain bit of its lowest column, any but a
carry-out; the last adder's does where its lowest column holds three bits
or more, the ILP's chains where the plan says so. A chain's first position
has no carry-save input, so its three bits may read five nets.

`sum_heap` sizes several greedy ways to form the groups, and on heaps small
enough the stages an integer program chooses (`lutgen.compress_ilp`), and
builds the cheapest.
"""

from __future__ import annotations

from . import compress_ilp
from .cells import GND, VCC
from .constructions.builder import ONE, ZERO, NetlistBuilder, SizingBuilder, Term, unique_nets

MAX_TERM_NETS = 4  # three bits plus the carry-save input fit one dual-output LUT6_2
MAX_FIRST_TERM_NETS = 5  # a chain's first position has no carry-save input: its three bits may read five nets
MAX_STAGES = 64  # a 1024-lane heap needs about a dozen
# Above this many bits, an accumulator joins the heap all at once, early or late, and the
# strategies are tried at the better of the two only: each try is a sizing run, and the
# architecture layer sizes hundreds of wide MACs (on 16 lanes of 8x8, 1,024 bits, the
# cuts save 0.7 % of the LUTs).
SPLIT_CUT_MAX_BITS = 1024

# How many gates of a gates-only column pair up in the first stage (the rest wait to join
# triples): a fraction and its rounding. No one fraction is best for every heap, so
# sum_heap tries each and keeps the cheapest; the first is the default.
Strategy = tuple[int, int, str]
STRATEGIES: tuple[Strategy, ...] = ((1, 3, "ceil"), (1, 3, "floor"), (1, 4, "ceil"), (3, 8, "ceil"), (7, 20, "ceil"))


def _is_gate(term: Term) -> bool:
    return term.kind not in ("net", "const")


def _order(term: Term) -> tuple:
    rank = {"net": 0, "and": 1, "nand": 1, "andnot": 1, "fn": 1, "const": 2}[term.kind]
    return (rank, term.nets, term.value)


def _nets(terms) -> int:
    return len(unique_nets(terms))


def split_column(bits: list[Term], save_gates: bool = False, strategy: Strategy = STRATEGIES[0]) -> list[list[Term]]:
    """Groups of at most three bits, each with at most MAX_TERM_NETS nets; the fullest first.

    Two plain bits and one gate make a triple; gates left over pair up.
    With save_gates (a column of gates only, in the first stage), only a
    fraction of the gates pair up (a third, by default) and the rest wait: the
    next stage folds each into a triple with two of the plain bits this one
    makes, which removes two bits per LUT instead of one.
    """
    plain = [t for t in bits if not _is_gate(t)]
    gates = [t for t in bits if _is_gate(t)]
    groups: list[list[Term]] = []
    if save_gates and not plain and len(gates) >= 3:
        num, den, rounding = strategy
        pairs = -(-len(gates) * num // den) if rounding == "ceil" else len(gates) * num // den
        pairs = max(1, min(pairs, len(gates) // 2))
        groups = [[gates[2 * k], gates[2 * k + 1]] for k in range(pairs)]
        return groups + [[t] for t in gates[2 * pairs:]]
    while len(plain) >= 2 and gates:
        groups.append([plain.pop(0), plain.pop(0), gates.pop(0)])
    while len(plain) >= 3:
        groups.append([plain.pop(0), plain.pop(0), plain.pop(0)])
    rest = plain + gates
    while len(rest) >= 2:
        groups.append([rest.pop(0), rest.pop(0)])
    groups += [[t] for t in rest]
    return groups


def _take(gates: list[Term], plain: list[Term], want_gates: int, want_plain: int) -> list[Term]:
    """Up to the wanted gates and plain bits from a column's pools; short of one kind, the other kind stands in.

    Three bits on a ternary position hold at most one gate (its pins), so a gate stands
    in for a plain bit of a triple only where the triple has no gate yet.
    """
    terms = [gates.pop(0) for _ in range(min(want_gates, len(gates)))]
    terms += [plain.pop(0) for _ in range(min(want_plain, len(plain)))]
    size = want_gates + want_plain
    while len(terms) < size and plain:
        terms.append(plain.pop(0))
    while len(terms) < size and gates and (size < 3 or sum(map(_is_gate, terms)) == 0):
        terms.append(gates.pop(0))
    return terms


def _carry_in_net(term: Term | None) -> str:
    """The net a chain's carry-in reads for a plain bit (or for none)."""
    if term is None or term.kind == "const":
        return VCC if term is not None and term.value else GND
    return term.nets[0]


def _merged(columns: dict[int, list[Term]], more: dict[int, list[Term]]) -> dict[int, list[Term]]:
    out = {c: list(bits) for c, bits in columns.items()}
    for c, bits in more.items():
        out.setdefault(c, []).extend(bits)
    return out


def sum_heap(builder: NetlistBuilder, width: int, columns: dict[int, list[Term]], constant: int = 0,
             late: dict[int, list[Term]] | None = None, use_ilp: bool = True) -> list[str]:
    """The heap's sum by the cheapest strategy: each one sized on a SizingBuilder, the best built into `builder`.

    `late` bits (an accumulator's) below a cut column join at the start, the rest only
    for the last adder; every cut is tried (with the first strategy). Joining last turns
    the final binary adder into a ternary one instead of feeding every stage one more bit
    per column, but low columns that already hold the constant's bits can be cheaper early.
    """
    late = late or {}
    top = max(columns, default=0) + 4  # well above the heap an early bit only waits: cuts there are all alike
    cuts = [0] + sorted({min(c + 1, top) for c in late}) if late else [0]
    wide = sum(map(len, columns.values())) > SPLIT_CUT_MAX_BITS
    if wide:
        cuts = [0, width]  # all late or all early: a wide heap gains little from the cuts between

    def run(target: NetlistBuilder, option) -> list[str]:
        strategy, cut = option
        if strategy == "ilp":
            return HeapCompressor(target, width).run_plan(_merged(columns, late), constant, plan)
        early = {c: bits for c, bits in late.items() if c < cut}
        waiting = {c: bits for c, bits in late.items() if c >= cut}
        return HeapCompressor(target, width, strategy).run(_merged(columns, early), constant, waiting)

    sized: dict = {}

    def cost(option) -> tuple[int, int]:
        if option not in sized:
            trial = SizingBuilder(builder.family, builder.prefix)
            run(trial, option)
            sized[option] = len(trial.luts), len(trial.carries)
        return sized[option]

    # Every cut with the first strategy, then every strategy at the two best cuts (the best
    # one, on a wide heap): a full grid costs ten times more, for at most a LUT or two.
    best_cuts = sorted(cuts, key=lambda c: cost((STRATEGIES[0], c)))[:1 if wide else 2]  # a stable sort: deterministic
    options = [(strategy, cut) for cut in best_cuts for strategy in STRATEGIES]
    plan = _ilp_plan(width, _merged(columns, late), constant) if use_ilp else None
    if plan is not None:
        options.append(("ilp", None))
    return run(builder, min(options, key=cost))


def _ilp_plan(width: int, columns: dict[int, list[Term]], constant: int) -> compress_ilp.Plan | None:
    """The ILP's stages for this heap (every late bit joining at the start), or None where the greedy ones stay."""
    terms = [t for c, bits in columns.items() if c < width for t in bits]
    if not compress_ilp.MIN_BITS <= len(terms) <= compress_ilp.MAX_BITS or any(len(t.nets) > 2 for t in terms):
        return None
    constant %= 1 << width
    gates = tuple(sum(map(_is_gate, columns.get(c, []))) for c in range(width))
    plain = tuple(len(columns.get(c, [])) - gates[c] + ((constant >> c) & 1) for c in range(width))
    return compress_ilp.plan(width, gates, plain, stage_carry_ins=len(terms) <= compress_ilp.STAGE_CARRY_INS_MAX_BITS)


class HeapCompressor:
    def __init__(self, builder: NetlistBuilder, width: int, strategy: Strategy = STRATEGIES[0]):
        self.builder = builder
        self.width = width
        self.strategy = strategy

    def run(self, columns: dict[int, list[Term]], constant: int = 0,
            late: dict[int, list[Term]] | None = None) -> list[str]:
        """The sum of the heap plus `constant` (plus `late` bits), modulo 2**width, as nets (LSB first).

        The constant's bits wait outside the heap and ride for free: in
        ternary positions that have a slot left, and in the last adder. The
        late bits wait too, and join the last adder once they fit into it.
        """
        self.constant = constant % (1 << self.width)
        late = {c: bits for c, bits in (late or {}).items() if c < self.width and bits}
        columns = {c: sorted(bits, key=_order) for c, bits in columns.items() if c < self.width and bits}
        first = True
        for _ in range(MAX_STAGES):
            if self.final_fits(self.with_constant(_merged(columns, late))):
                break
            columns = self.stage(columns, save_gates=first)
            first = False
        else:
            raise RuntimeError(f"heap compression did not converge in {MAX_STAGES} stages")  # a compiler bug
        return self.final(self.with_constant({c: sorted(bits, key=_order) for c, bits in _merged(columns, late).items()}))

    def run_plan(self, columns: dict[int, list[Term]], constant: int, plan: compress_ilp.Plan) -> list[str]:
        """The sum by the ILP's stages (the constant's bits as plain ones from the start), then greedy ones if needed.

        A position takes the kinds of bits the plan gives it; should a column run short
        of one kind (a ternary chain built as a binary one gives a bit fewer), it takes
        the other kind where the LUT's pins allow, and a chain breaks at a position
        left with fewer than two bits.
        """
        self.constant = constant % (1 << self.width)
        columns = {c: sorted(bits, key=_order) for c, bits in self.with_constant(columns).items() if c < self.width and bits}
        self.constant = 0  # its bits are in the heap now, as plain ones
        for stage in plan:
            columns = self.planned_stage(columns, stage)
        for _ in range(MAX_STAGES):
            if self.final_fits(columns):
                break
            columns = self.stage(columns)
        else:
            raise RuntimeError(f"heap compression did not converge in {MAX_STAGES} stages")  # a compiler bug
        return self.final(columns)

    def planned_stage(self, columns: dict[int, list[Term]], chains: tuple[compress_ilp.Chain, ...]) -> dict[int, list[Term]]:
        gates = {c: [t for t in bits if _is_gate(t)] for c, bits in columns.items()}
        plain = {c: [t for t in bits if not _is_gate(t)] for c, bits in columns.items()}
        out: dict[int, list[Term]] = {}
        emit = self._emitter(out)
        # Carry-ins choose first, so that the positions take the carry-outs, which no carry-in may
        carry_ins = [self.take_carry_in(plain.setdefault(chain.positions[0].column, [])) if chain.carry_in else None
                     for chain in chains]

        for chain, carry_in in zip(chains, carry_ins):
            if chain.family == "full_adder":
                self.full_adder(chain.positions[0], gates, plain, emit)
                continue
            run: list[tuple[int, list[Term]]] = []
            for position in chain.positions:
                terms = _take(gates.setdefault(position.column, []), plain.setdefault(position.column, []),
                              position.gates, position.plain)
                if run and len(terms) == 3 and _nets(terms) > MAX_TERM_NETS:  # five nets: it can only start a chain
                    self.chain(run, emit, carry_in)
                    run, carry_in = [], None
                if len(terms) >= 2:
                    run.append((position.column, terms))
                    continue
                for term in terms:
                    emit(position.column, term)
                if run:
                    self.chain(run, emit, carry_in)
                    run = []
                elif carry_in is not None:  # the chain's first position did not come about: its carry-in bit waits
                    emit(chain.positions[0].column, carry_in)
                carry_in = None
            if run:
                self.chain(run, emit, carry_in)
        for pool in (gates, plain):
            for c, bits in pool.items():
                for term in bits:
                    emit(c, term)
        return {c: sorted(bits, key=_order) for c, bits in out.items()}

    def full_adder(self, position: compress_ilp.Position, gates, plain, emit) -> None:
        """One LUT6_2 off the chains: O6 the parity of three bits, O5 their majority (one column up)."""
        c = position.column
        terms = _take(gates.setdefault(c, []), plain.setdefault(c, []), position.gates, position.plain)
        if len(terms) < 3 or len(unique_nets(terms)) > 5:
            for term in terms:  # the plan asked for bits this column no longer has: they wait
                emit(c, term)
            return
        total, carry = self._ternary_position(terms, None, True, hint="fa")  # no carry-save input: a full adder
        emit(c, Term("net", (total,)))
        emit(c + 1, Term("net", (carry,)))

    def with_constant(self, columns: dict[int, list[Term]]) -> dict[int, list[Term]]:
        out = {c: list(bits) for c, bits in columns.items()}
        for c in range(self.width):
            if (self.constant >> c) & 1:
                out.setdefault(c, []).append(ONE)
        return out

    def take_constant_bit(self, column: int) -> bool:
        if (self.constant >> column) & 1:
            self.constant ^= 1 << column
            return True
        return False

    def take_carry_in(self, bits: list[Term]) -> Term | None:
        """Removes and returns a bit of `bits` that a chain's carry-in may take (a constant one first: it needs no pin).

        Any plain bit but a carry-out: a carry-out feeding a chain's first carry-in would
        read as a cascade, one chain.
        """
        carry_outs = {net for carry in self.builder.carries for net in carry.co}
        able = [t for t in bits if t.kind == "const" or (t.kind == "net" and t.nets[0] not in carry_outs)]
        if not able:
            return None
        bit = next((t for t in able if t.kind == "const"), able[0])
        bits.remove(bit)
        return bit

    def carry_in_bit(self, columns: dict[int, list[Term]]) -> tuple[dict[int, list[Term]], Term | None]:
        """The heap less the bit the last adder's carry-in takes, and that bit (None if it takes none).

        The adder starts at the lowest column with two bits; where that column has three
        or more, one of its plain bits goes to the carry-in.
        """
        lo = min((c for c, bits in columns.items() if len(bits) >= 2), default=None)
        if lo is None or len(columns[lo]) < 3:
            return columns, None
        rest = list(columns[lo])
        bit = self.take_carry_in(rest)
        return ({**columns, lo: rest}, bit) if bit is not None else (columns, None)

    def final_fits(self, columns: dict[int, list[Term]]) -> bool:
        """One last ternary chain can take it: at most three bits a column, each triple within the pins.

        The lowest column with two bits may hold one plain bit more (the chain's carry-in
        takes it), and its triple may read five nets (it has no carry-save input).
        """
        columns, _ = self.carry_in_bit(columns)
        lo = min((c for c, bits in columns.items() if len(bits) >= 2), default=None)
        return all(len(bits) <= 2 or (len(bits) == 3 and _nets(bits) <= (MAX_FIRST_TERM_NETS if c == lo else MAX_TERM_NETS))
                   for c, bits in columns.items())

    def final(self, columns: dict[int, list[Term]]) -> list[str]:
        """The last adder, over every column up to the top: binary, or ternary where a column has three bits."""
        columns, carry_in = self.carry_in_bit(columns)
        # Below the first column with two bits no carry can arrive: a lone bit there is its
        # sum bit already, and the chain starts above it.
        lo, alone = 0, {}
        while lo < self.width and len(columns.get(lo, [])) <= 1:
            if columns.get(lo):
                alone[lo] = columns[lo][0]
            lo += 1
        nets = self.builder.materialise(alone)
        if lo == self.width:
            return [nets.get(c, GND) for c in range(self.width)]
        if all(len(bits) <= 2 for bits in columns.values()):
            a = {c: bits[0] for c, bits in columns.items() if bits and c >= lo}
            b = {c: bits[1] for c, bits in columns.items() if len(bits) > 1}
            sums = self.builder.chain_add(a, b, _carry_in_net(carry_in), lo, self.width - 1, carry_out=False)
        else:
            run = [(c, columns.get(c, [])) for c in range(lo, self.width)]
            sums = self.ternary(run, lambda column, term: None, carry_in)
        return [nets.get(c, GND) if c < lo else sums[c] for c in range(self.width)]

    def _emitter(self, out: dict[int, list[Term]]):
        """emit(column, term): the term joins the next stage's heap, unless it is above the width or a constant zero."""
        def emit(column: int, term: Term) -> None:
            if column < self.width and not (term.kind == "const" and term.value == 0):
                out.setdefault(column, []).append(term)

        return emit

    def stage(self, columns: dict[int, list[Term]], save_gates: bool = False) -> dict[int, list[Term]]:
        groups = {c: split_column(bits, save_gates, self.strategy) for c, bits in sorted(columns.items())}
        out: dict[int, list[Term]] = {}
        emit = self._emitter(out)

        depth = max(len(g) for g in groups.values())
        for g in range(depth):
            run: list[tuple[int, list[Term]]] = []
            for c in range(self.width + 1):
                group = groups.get(c, [])
                if g < len(group) and len(group[g]) >= 2:
                    run.append((c, group[g]))
                    continue
                if g < len(group):
                    emit(c, group[g][0])  # a lone bit waits for the next stage
                if run:
                    self.chain(run, emit)
                    run = []
        return {c: sorted(bits, key=_order) for c, bits in out.items()}

    def chain(self, run: list[tuple[int, list[Term]]], emit, carry_in: Term | None = None) -> None:
        """One chain over consecutive columns; each position's group of 2 or 3 bits, and a plain bit into the carry-in."""
        if any(len(terms) == 3 for _, terms in run):  # a ternary chain: free slots take the constant's bits
            run = [(c, terms + [ONE]) if len(terms) == 2 and self.take_constant_bit(c) else (c, terms)
                   for c, terms in run]
        if all(len(terms) == 2 for _, terms in run):
            lo, hi = run[0][0], run[-1][0]
            a = {c: terms[0] for c, terms in run}
            b = {c: terms[1] for c, terms in run}
            sums = self.builder.chain_add(a, b, _carry_in_net(carry_in), lo, hi, carry_out=hi + 1 < self.width)
            for c in range(lo, hi + 2):
                if c in sums:
                    emit(c, Term("net", (sums[c],)))
            return
        self.ternary(run, emit, carry_in)

    def ternary(self, run: list[tuple[int, list[Term]]], emit, carry_in: Term | None = None) -> dict[int, str]:
        s_nets, di_nets = [], []
        carry_save: str | None = None
        hi = run[-1][0]
        for c, terms in run:
            keep_save = c + 1 < self.width  # the top carry-save bit of a chain ending at the last column is dropped
            s, save = self._ternary_position(terms + [ZERO] * (3 - len(terms)), carry_save, keep_save)
            s_nets.append(s)
            di_nets.append(carry_save or GND)
            carry_save = save
        lo = run[0][0]
        sums = self.builder.carry_cells(s_nets, di_nets, _carry_in_net(carry_in), lo, carry_out=hi + 1 < self.width)
        for c in range(lo, hi + 2):
            if c in sums:
                emit(c, Term("net", (sums[c],)))
        if carry_save is not None:
            emit(hi + 1, Term("net", (carry_save,)))
        return sums

    def _ternary_position(self, terms: list[Term], cs_in: str | None, keep_save: bool,
                          hint: str = "t3") -> tuple[str, str | None]:
        """One LUT: O6 = x ^ y ^ z ^ cs_in (into S), O5 = maj(x, y, z) (the carry-save bit out)."""
        term_nets = unique_nets(terms)
        nets = term_nets + ((cs_in,) if cs_in else ())

        def values(bits):
            env = dict(zip(nets, bits))
            return [t.eval(env) for t in terms]

        def parity(*bits):
            x, y, z = values(bits)
            return x ^ y ^ z ^ (bits[len(term_nets)] if cs_in else 0)

        def majority(*bits):
            x, y, z = values(bits)
            return (x & y) | (x & z) | (y & z)

        o6, o5 = self.builder.lut_fn(nets, parity, majority if keep_save else None, hint=hint)
        return o6, o5

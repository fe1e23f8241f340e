"""Weight ROMs: D words of `width` bits as LUT6 / LUT6_2 cells, optionally read through FDREs.

    q = words[addr]                                   (combinational)
    q <= en ? words[addr] : q                         (registered: a synchronous-read ROM)

Addresses >= D are don't-care. The ROM is built column by column, a column
being one bit of the word as a function of the address:

- a constant column costs nothing: its output bit is GND or VCC. Registered,
  it gets no FDRE either, so before the first read (en = 1) that bit already
  shows the weight while the registered bits still show their INIT of 0; the
  weights are only used after the first read, so this is never observed;
- identical columns share one net (and one FDRE);
- a column equal to an address bit is that addr net (registered: one FDRE on it);
- D <= 64: one LUT per remaining distinct column over the address bits. Each
  function keeps only the address bits it needs (the rows at addresses >= D
  are free), and two functions whose inputs fit in 5 share a LUT6_2 (O6 and
  O5, I5 tied to VCC), paired by a maximum matching: with D <= 32 (at most 5
  address bits) every pair fits, so the column LUTs are ceil(columns / 2);
- 64 < D <= 256: the address space is cut into 64-word slices. Each column's
  function on a slice (a "slice function") is a LUT6 over addr[5:0], unless
  it is constant or an address bit; identical slice functions across columns
  share one LUT, and slice functions are paired like the columns above (only
  a last, short slice has functions of 5 inputs or fewer). A second level
  then has one LUT per column choosing among its (up to 4) slice outputs by
  addr[6] (and addr[7]): at most 2 + 4 inputs; with 128 words or fewer it
  reads 3 inputs, and those pair into LUT6_2s too. The levels are never
  paired with each other (a LUT reading its own O5 would be a loop).

Every INIT comes from a truth table (lutgen.truth via NetlistBuilder).
`rom_counts` is the worst case for weights not known yet: every column distinct
and in need of its LUTs. A built ROM is counted with `lutgen.dot.netlist_counts`
(`built_rom_counts`).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from .cells import GND, VCC, Ff, Netlist, check
from .constructions.builder import NetlistBuilder, Term, fn_term
from .target import FAMILIES

MAX_DEPTH = 256
SLICE = 64  # words one LUT6 holds
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def address_bits(depth: int) -> int:
    """Width of the addr port: max(1, ceil(log2(depth)))."""
    return max(1, (depth - 1).bit_length())


def check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"module name must be a Verilog identifier, got {name!r}")


# -- pairing ----------------------------------------------------------------
def pair_terms(terms: list[Term], limit: int = 5) -> list[tuple[int, int | None]]:
    """Indices of `terms` paired into LUT6_2s (union of nets <= limit); deterministic, sorted by first index.

    Near linear, for ROMs of thousands of columns: terms on the same nets pair
    with each other in order (they always fit); the ones left over pair
    first-fit in order, each with the next that fits among a bounded window.
    Where all fit with each other (a ROM of <= 32 words, a row of selects
    sharing their select bits) that is a maximum matching.
    """
    groups: dict[frozenset, list[int]] = {}
    pairs: list[tuple[int, int | None]] = []
    for i, term in enumerate(terms):
        support = frozenset(term.nets)
        if len(support) > limit:
            pairs.append((i, None))
        else:
            groups.setdefault(support, []).append(i)
    left = []
    for members in groups.values():
        if len(members) % 2:
            left.append(members.pop())
        pairs += [(members[k], members[k + 1]) for k in range(0, len(members), 2)]
    left.sort()
    taken: set[int] = set()
    for k, i in enumerate(left):
        if i in taken:
            continue
        taken.add(i)
        mate = next((j for j in left[k + 1:k + 1 + PAIR_WINDOW]
                     if j not in taken and len(frozenset(terms[i].nets) | frozenset(terms[j].nets)) <= limit), None)
        if mate is not None:
            taken.add(mate)
        pairs.append((i, mate))
    return sorted(pairs)


PAIR_WINDOW = 64  # how far ahead a left-over term looks for a partner


def build_paired(builder: NetlistBuilder, terms: list[Term], hint: str) -> list[str]:
    """One net per term: the terms paired into LUT6_2s where they fit, LUT6s otherwise."""
    nets: list[str] = [""] * len(terms)
    for first, second in pair_terms(terms):
        o6, o5 = builder.lut_pair(terms[first], terms[second] if second is not None else None, hint=hint)
        nets[first] = o6
        if second is not None:
            nets[second] = o5
    return nets


# -- one column or slice function -------------------------------------------------
def _trivial_nets(rows: int, nets: list[str]) -> dict[bytes, str]:
    """Truth table (uint8 bytes of rows 0..rows-1) -> GND / VCC / the addr net, for the functions needing no LUT."""
    index = np.arange(rows)
    found = {np.zeros(rows, np.uint8).tobytes(): GND, np.ones(rows, np.uint8).tobytes(): VCC}
    for k, net in enumerate(nets):
        found.setdefault(((index >> k) & 1).astype(np.uint8).tobytes(), net)
    return found


# Rows of a 64-row table whose input k is 0: bit r set when r has bit k clear.
_LOW_ROWS = tuple(sum(1 << r for r in range(64) if not r >> k & 1) for k in range(6))


def _reduced_term(values: np.ndarray, nets: list[str]) -> Term:
    """The function given at rows 0..len-1 (the rest don't-care) over as few of `nets` as greedy finds.

    An input is dropped when no two defined rows that differ only in it
    disagree; the highest inputs are tried first, since the free rows are at
    the top. Rows still free at the end read 0. Tables are Python ints, bit r
    the value at row r, as an INIT is.
    """
    bits = len(nets)
    table = int.from_bytes(np.packbits(np.asarray(values, np.uint8), bitorder="little").tobytes(), "little")
    defined = (1 << len(values)) - 1
    kept = list(range(bits))
    for k in reversed(range(bits)):
        step = 1 << k
        low_rows = _LOW_ROWS[k]
        t0, t1 = table & low_rows, (table >> step) & low_rows
        d0, d1 = defined & low_rows, (defined >> step) & low_rows
        if (t0 ^ t1) & d0 & d1:
            continue
        merged = (t0 & d0) | (t1 & d1 & ~d0)
        table, defined = merged | (merged << step), (d0 | d1) | ((d0 | d1) << step)
        kept.remove(k)
    if kept == list(range(len(kept))):  # the low inputs: the table's first rows as they are
        value = table & ((1 << (1 << len(kept))) - 1)
    else:
        value = sum(((table >> sum(((r >> j) & 1) << k for j, k in enumerate(kept))) & 1) << r
                    for r in range(1 << len(kept)))
    return Term("fn", tuple(nets[k] for k in kept), value)


# -- the ROM ------------------------------------------------------------------
def _word_bits(values: list[int], width: int) -> np.ndarray:
    """D x width array of 0/1, bit j of word a at [a, j]."""
    size = (width + 7) // 8
    raw = np.frombuffer(b"".join(v.to_bytes(size, "little") for v in values), dtype=np.uint8)
    return np.unpackbits(raw.reshape(len(values), size), axis=1, bitorder="little")[:, :width]


def _words(words, width: int) -> list[int]:
    """The words as Python ints; refuses anything but 1..256 integers in 0..2**width-1."""
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"ROM width must be an integer >= 1, got {width!r}")
    array = np.asarray(words, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"ROM words must be a flat sequence of integers, got shape {array.shape}")
    if not 1 <= len(array) <= MAX_DEPTH:
        raise ValueError(f"ROM depth must be 1..{MAX_DEPTH} words, got {len(array)}")
    values = []
    for a, v in enumerate(array):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < (1 << int(width)):
            raise ValueError(f"ROM word {a} is {v!r}, outside 0..2**{width}-1")
        values.append(int(v))
    return values


def build_rom(words, width: int, name: str, registered: bool = True) -> Netlist:
    """The ROM holding `words` (D = len(words), 1..256), `width` bits each; see the module docstring.

    Ports: addr (address_bits(D) bits) -> q (width bits); registered, also
    the clock "clk" and the clock enable "en" (FDRE: D = the column's net,
    CE = en, R = GND).
    """
    word_values = _words(words, width)
    check_name(name)
    width, depth = int(width), len(word_values)
    bits = _word_bits(word_values, width)
    ab = address_bits(depth)
    addr = [f"addr[{k}]" for k in range(ab)]
    builder = NetlistBuilder(FAMILIES["xcup"], prefix="")  # LUTs only: the family does not matter

    # columns: distinct truth tables, the trivial ones settled at once
    column_of_bit: list[bytes] = []
    column_net: dict[bytes, str | None] = {}
    column_values: dict[bytes, np.ndarray] = {}
    trivial = _trivial_nets(depth, addr)
    for j in range(width):
        values = bits[:, j]
        key = values.tobytes()
        column_of_bit.append(key)
        if key not in column_net:
            column_net[key] = trivial.get(key)
            column_values[key] = values
    open_columns = [key for key, net in column_net.items() if net is None]

    # level 1: slice functions (the whole column when D <= 64)
    slices = -(-depth // SLICE)
    slice_addr = addr[:min(ab, 6)]
    slice_trivial = [_trivial_nets(min(SLICE, depth - s * SLICE), slice_addr) for s in range(slices)]
    slice_key: dict[tuple[int, bytes], int] = {}  # (slice, truth table) -> index in slice_nets / pending
    slice_nets: list[str | None] = []
    pending: list[Term] = []
    pending_at: list[int] = []
    for key in open_columns:
        values = column_values[key]
        for s in range(slices):
            part = values[s * SLICE:(s + 1) * SLICE]
            sk = (s, part.tobytes())
            if sk in slice_key:
                continue
            slice_key[sk] = len(slice_nets)
            net = slice_trivial[s].get(sk[1])
            slice_nets.append(net)
            if net is None:
                pending.append(_reduced_term(part, slice_addr))
                pending_at.append(len(slice_nets) - 1)
    for index, net in zip(pending_at, build_paired(builder, pending, "rom")):
        slice_nets[index] = net

    # level 2: each column chooses its slice output by addr[7:6]
    select = addr[6:]
    pending, pending_key = [], []
    for key in open_columns:
        values = column_values[key]
        data = [slice_nets[slice_key[(s, values[s * SLICE:(s + 1) * SLICE].tobytes())]] for s in range(slices)]
        if slices == 1:
            column_net[key] = data[0]
            continue
        term = fn_term(tuple(select) + tuple(data), _selector(len(select), len(data)))
        if term.kind == "const":
            column_net[key] = VCC if term.value else GND
        elif term.kind == "net":
            column_net[key] = term.nets[0]
        else:
            pending.append(term)
            pending_key.append(key)
    for key, net in zip(pending_key, build_paired(builder, pending, "romsel")):
        column_net[key] = net

    q = [column_net[key] for key in column_of_bit]
    extra: dict = {}
    if registered:
        ffs: dict[str, Ff] = {}
        for net in q:
            if net not in (GND, VCC) and net not in ffs:
                ffs[net] = Ff(f"q_ff{len(ffs)}", net, "en", GND, f"q_r{len(ffs)}")
        q = [ffs[net].q if net in ffs else net for net in q]
        extra = dict(ffs=tuple(ffs.values()), clock="clk", scalar_inputs=("en",))
    netlist = builder.netlist(
        name, inputs=[("addr", ab)], outputs=[("q", tuple(q))],
        meta=(("construction", "rom"), ("depth", depth), ("width", width), ("registered", registered)),
        **extra,
    )
    check(netlist)
    return netlist


def _selector(sel_bits: int, ways: int):
    """fn(sel bits..., data...) = data[sel]; a select value >= ways (a free address) reads the last one."""
    def fn(*bits):
        index = sum(np.asarray(bits[k], dtype=np.int64) << k for k in range(sel_bits))
        index = np.minimum(index, ways - 1)
        return np.choose(index, [np.asarray(b) for b in bits[sel_bits:]])
    return fn


# -- counting -------------------------------------------------------------------
def _nontrivial_functions(rows: int) -> int:
    """How many functions on `rows` defined rows are neither constant nor an address bit."""
    if rows < 2:
        return 0
    return (1 << rows) - 2 - address_bits(rows)


def _pair_counts(six_input: int, pairable: int) -> Counter:
    return Counter({"LUT6": six_input + pairable % 2, "LUT6_2": pairable // 2})


def rom_counts(depth: int, width: int, registered: bool = True) -> Counter:
    """The worst case over all weights of build_rom: every column distinct, non-constant, no address bit.

    With C = min(width, number of such functions on D rows), ab = address bits:
    - D <= 32: ceil(C / 2) LUTs, C // 2 LUT6_2 (+ 1 LUT6 when C is odd);
    - 32 < D <= 64: C LUT6;
    - D > 64, S = ceil(D / 64) slices, the last one n = D - 64 (S - 1) words:
      each full slice C LUT6, the last F = min(C, functions on n rows) more,
      LUT6 if n > 32, else paired (F // 2 LUT6_2 + F % 2 LUT6);
      then the select level: C // 2 LUT6_2 + C % 2 LUT6 for D <= 128
      (3 inputs each), C LUT6 for D > 128.
    FDRE (registered): min(width, 2**D - 2), the distinct non-constant columns.
    Keys are those of lutgen.dot.netlist_counts (lut_sites, LUT6, LUT6_2,
    FDRE); lut_sites and FDRE bound every built ROM, the LUT6 / LUT6_2
    split is the worst case's.
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"ROM width must be an integer >= 1, got {width!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"ROM depth must be 1..{MAX_DEPTH} words, got {depth!r}")
    columns = min(width, _nontrivial_functions(depth))
    counts = Counter()
    if depth <= SLICE:
        counts += _pair_counts(0, columns) if depth <= 32 else _pair_counts(columns, 0)
    else:
        slices = -(-depth // SLICE)
        last = depth - SLICE * (slices - 1)
        functions = min(columns, _nontrivial_functions(last))
        full = columns * (slices - 1)
        counts += _pair_counts(full + functions, 0) if last > 32 else _pair_counts(full, functions)
        counts += _pair_counts(0, columns) if slices == 2 else _pair_counts(columns, 0)
    counts["lut_sites"] = counts["LUT6"] + counts["LUT6_2"]
    if registered:
        counts["FDRE"] = min(width, (1 << depth) - 2)
    return +counts


def built_rom_counts(netlist: Netlist) -> Counter:
    """Cell counts of a built ROM, the keys of lutgen.dot.netlist_counts."""
    from .dot import netlist_counts  # lutgen.dot pulls in the whole compiler: only when asked

    return netlist_counts(netlist)

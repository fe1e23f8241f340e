"""Dot products: N lanes of w_k * a_k, summed, optionally accumulated.

    p   = sum_k w_k * a_k                                 (combinational)
    acc <= rst ? 0 : en ? (clr ? 0 : acc) + p : acc       (with an accumulator)

Three ways to sum, and the one with fewer LUTs is kept (or DotSpec.method
forces one):
- heap: every partial product of every lane goes into ONE bit heap with a
  single merged constant, the AND / NAND gates are folded into the first
  compressors, and carry-chain compressors reduce it (`lutgen.compress`);
- products: each lane is the cheapest lone multiplier, and the bits of all
  the products form that one heap instead (a signed product's top bit
  complemented, its weight in the constant). It wins where a lone
  construction beats the gates by far: odd signed widths (offset Booth);
- tree: each lane is the cheapest lone multiplier, and a balanced tree of
  carry-chain adders, each exactly as wide as its subtree's range, sums them.
The accumulator is the PE's (`pe.add_accumulator`), or, for the two heap
forms, the accumulator's bits ride in the heap (a fused MAC).

`dot_counts` gives the same unit's cell counts without building all of it:
the tree is added up from its counted parts, the heap is built once per
configuration and cached, so the architecture layer can cost thousands of
options quickly. Tests pin it to the built netlist.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from functools import lru_cache

from .cells import CONSTANTS, Carry, Ff, Lut, Netlist, check
from .compress import sum_heap
from .constructions import build_multiplier
from .constructions.builder import ZERO, NetlistBuilder, SizingBuilder, Term, fn_term, net_term
from .constructions.heapsum import partial_product_terms
from .heap import build_heap
from .pe import CONTROL_INPUTS, accumulate, add_accumulator
from .pipeline import pipeline
from .spec import DotSpec, MulSpec, bits_for_range
from .target import FAMILIES


def module_name(spec: DotSpec) -> str:
    return f"lutgen_dot_{spec.tag}"


# -- lanes ------------------------------------------------------------------
def _renamed(net: str, prefix: str, ports: dict[str, str]) -> str:
    if net in ports:
        return ports[net]
    if net.startswith("1'b"):
        return net
    return prefix + net


def lane_cells(mul: Netlist, lane: int, spec: MulSpec) -> tuple[list[Lut], list[Carry], list[tuple[str, ...]], tuple[str, ...]]:
    """The multiplier's cells for one lane: internal nets prefixed, w/a bits moved to the lane's slice."""
    prefix = f"l{lane}_"
    ports = {f"w[{i}]": f"w[{lane * spec.w + i}]" for i in range(spec.w)}
    ports.update({f"a[{j}]": f"a[{lane * spec.a + j}]" for j in range(spec.a)})

    def r(net):
        return None if net is None else _renamed(net, prefix, ports)

    luts = [Lut(prefix + c.name, c.init, tuple(r(n) for n in c.inputs), r(c.o6), r(c.o5)) for c in mul.luts]
    carries = [
        Carry(prefix + c.name, c.kind, r(c.ci), r(c.cyinit), tuple(r(n) for n in c.di), tuple(r(n) for n in c.s),
              tuple(r(n) for n in c.o), tuple(r(n) for n in c.co))
        for c in mul.carries
    ]
    chains = [tuple(prefix + name for name in chain) for chain in mul.chains]
    product = tuple(r(n) for n in dict(mul.outputs)["p"])
    return luts, carries, chains, product


@lru_cache(maxsize=None)
def lone_multiplier(mul: MulSpec) -> Netlist:
    """The cheapest lone multiplier, built once per spec (netlists are immutable); every lane copies it."""
    return build_multiplier(mul)


# -- adder tree -------------------------------------------------------------
def subtree_bits(mul: MulSpec, lanes: int) -> int:
    lo, hi = mul.product_range()
    return bits_for_range(lo * lanes, hi * lanes, mul.signed_out)


def add_numbers(builder: NetlistBuilder, x: tuple[str, ...], y: tuple[str, ...], signed: bool, width: int) -> tuple[str, ...]:
    """x + y on one carry chain, `width` bits wide, which the caller has made wide enough for the exact sum."""
    def bit(v, p):
        if p < len(v):
            return net_term(v[p])
        return net_term(v[-1]) if signed else ZERO

    if signed:
        top = width - 1
        carry_out = False
    else:
        top = max(len(x), len(y)) - 1
        carry_out = width > top + 1
    a = {p: bit(x, p) for p in range(top + 1)}
    b = {p: bit(y, p) for p in range(top + 1)}
    sums = builder.chain_add(a, b, 0, 0, top, carry_out=carry_out)
    return tuple(sums[p] for p in range(width))


def split(lanes: int) -> tuple[int, int]:
    """How a subtree of `lanes` products divides: the bigger half first."""
    half = (lanes + 1) // 2
    return half, lanes - half


def add_tree(builder: NetlistBuilder, products: list[tuple[str, ...]], mul: MulSpec) -> tuple[str, ...]:
    if len(products) == 1:
        return products[0]
    left, right = split(len(products))
    x = add_tree(builder, products[:left], mul)
    y = add_tree(builder, products[left:], mul)
    return add_numbers(builder, x, y, mul.signed_out, subtree_bits(mul, len(products)))


# -- the netlist --------------------------------------------------------------
def _lane_terms(mul: MulSpec, lanes: int) -> tuple[dict[int, list[Term]], int]:
    """Every lane's partial products (Baugh-Wooley AND / NAND bits) by column, and the exact constant."""
    heap = build_heap(mul, "baugh-wooley")
    columns: dict[int, list[Term]] = {}
    for lane in range(lanes):
        for weight, terms in partial_product_terms(heap, lane).items():
            columns.setdefault(weight, []).extend(terms)
    # NOT(x) 2^k = 2^k - x 2^k: each NAND bit stands for -2^k more than its value
    constant = -lanes * sum(1 << bit.weight for bit in heap.bits if bit.negated)
    return columns, constant


def _lane_products(spec: DotSpec, builder: NetlistBuilder) -> tuple[dict[int, list[Term]], int]:
    """Every lane's cheapest lone multiplier, its cells put into `builder`; its product bits by column, and the constant.

    A signed product's top bit weighs -2^t: it enters complemented, since
    -b 2^t = (1 - b) 2^t - 2^t, and -2^t goes into the constant.
    """
    mul_spec = spec.mul
    mul = lone_multiplier(mul_spec)
    columns: dict[int, list[Term]] = {}
    constant = 0
    for lane in range(spec.lanes):
        luts, carries, chains, product = lane_cells(mul, lane, mul_spec)
        builder.luts += luts
        builder.carries += carries
        builder.chains += chains
        for weight, net in enumerate(product):
            top = mul_spec.signed_out and weight == len(product) - 1
            bit = net_term(net)
            if bit.kind == "const":
                constant += (-bit.value if top else bit.value) << weight
            elif top:
                columns.setdefault(weight, []).append(fn_term((net,), lambda b: 1 - b))
                constant -= 1 << weight
            else:
                columns.setdefault(weight, []).append(bit)
    return columns, constant


HEAP_TERMS = {"heap": "AND / NAND gates", "products": "lone products"}


def _compress(spec: DotSpec, width: int, late: dict[int, list[Term]], terms: str = "heap",
              sizing: bool = False) -> tuple[NetlistBuilder, list[str]]:
    """The heap of all lanes plus `late` bits (those below a searched cut join first, the rest last), modulo 2**width.

    `terms`: "heap" puts every lane's gates into it, "products" every lane's product bits.
    With `sizing`, the heap's LUTs get no INITs: for counting only.
    """
    mul = spec.mul
    builder = (SizingBuilder if sizing else NetlistBuilder)(FAMILIES[mul.family], prefix="heap_")
    columns, constant = _lane_terms(mul, spec.lanes) if terms == "heap" else _lane_products(spec, builder)
    return builder, sum_heap(builder, width, columns, constant, late, use_ilp=spec.search == "ilp")


def _terms_text(spec: DotSpec, terms: str) -> str:
    """What the heap holds, naming the lanes' multiplier where there is one."""
    if terms == "heap":
        return HEAP_TERMS[terms]
    return f"{HEAP_TERMS[terms]} ({dict(lone_multiplier(spec.mul).meta)['construction']})"


def _heap_netlist(spec: DotSpec, terms: str, sizing: bool = False) -> Netlist:
    builder, total = _compress(spec, spec.sum_bits, {}, terms, sizing)
    return builder.netlist(
        module_name(spec), inputs=_ports(spec), outputs=[("p", tuple(total))],
        output_signed=(("p", spec.mul.signed_out),),
        meta=(("construction", terms), ("variant", f"carry-chain compressors over {_terms_text(spec, terms)}"),
              ("lanes", spec.lanes)),
    )


def heap_sum(spec: DotSpec) -> Netlist:
    """All lanes' partial products in one bit heap, compressed on carry chains (lutgen.compress)."""
    return _heap_netlist(spec, "heap")


def products_sum(spec: DotSpec) -> Netlist:
    """Each lane its cheapest lone multiplier, and all the products' bits in one heap."""
    return _heap_netlist(spec, "products")


def tree_sum(spec: DotSpec) -> Netlist:
    """Each lane its cheapest lone multiplier, summed by a balanced tree of carry-chain adders."""
    mul_spec = spec.mul
    mul = lone_multiplier(mul_spec)
    luts: list[Lut] = []
    carries: list[Carry] = []
    chains: list[tuple[str, ...]] = []
    products = []
    for lane in range(spec.lanes):
        l_luts, l_carries, l_chains, product = lane_cells(mul, lane, mul_spec)
        luts += l_luts
        carries += l_carries
        chains += l_chains
        products.append(product)
    tree = NetlistBuilder(FAMILIES[mul_spec.family], prefix="sum_")
    total = add_tree(tree, products, mul_spec)
    meta = mul.meta + (("multiplier", mul.name), ("lanes", spec.lanes), ("tree", "carry-chain adder tree"))
    return Netlist(
        name=module_name(spec), inputs=_ports(spec), outputs=(("p", total),),
        luts=tuple(luts + tree.luts), carries=tuple(carries + tree.carries), chains=tuple(chains + tree.chains),
        output_signed=(("p", mul_spec.signed_out),), meta=meta,
    )


def heap_mac(spec: DotSpec, terms: str = "heap", sizing: bool = False) -> Netlist:
    """The accumulator's own bits (acc AND NOT clr) ride in the same heap: the MAC's add costs no chain of its own.

    The heap is summed modulo 2**acc_bits, which the heap's constant makes
    exact at any width, and the sum goes straight into the registers.
    """
    mul = spec.mul
    q = tuple(f"acc_q{i}" for i in range(spec.acc_bits))
    kept = {i: [Term("andnot", (q[i], "clr"))] for i in range(spec.acc_bits)}
    builder, total = _compress(spec, spec.acc_bits, kept, terms, sizing)
    ffs = tuple(Ff(f"acc_ff{i}", total[i], "en", "rst", q[i]) for i in range(spec.acc_bits))
    return builder.netlist(
        module_name(spec), inputs=_ports(spec), outputs=[("acc", q)], ffs=ffs, clock="clk",
        scalar_inputs=CONTROL_INPUTS, output_signed=(("acc", mul.signed_out),),
        meta=(("construction", terms), ("variant", f"carry-chain compressors over {_terms_text(spec, terms)}, "
                                                   "accumulator in the heap"), ("lanes", spec.lanes)),
    )


def sum_methods(spec: DotSpec) -> list[str]:
    """The ways to sum that spec allows, in the order they are tried: the forced method, or all of them.

    A forced construction (`--construction`) is each lane's multiplier, so only the
    sums over lone products honour it: the gate heap has no lone multipliers.
    """
    if spec.method:
        return [spec.method]
    return [m for m in SUM_METHODS if not (spec.mul.construction and m == "heap")]


def fused_macs(spec: DotSpec) -> list[str]:
    """The heap forms a fused MAC may take: those of sum_methods."""
    return [m for m in HEAP_TERMS if m in sum_methods(spec)]


def products_floor(spec: DotSpec, out_bits: int, accumulate: bool) -> int:
    """No products heap takes fewer LUTs: the lanes' multipliers, plus one LUT per two product bits removed.

    A compressor LUT takes at most three bits and gives back at least one, so
    it removes at most two. The products' N * n bits (and, in a MAC, the
    accumulator's) come down to `out_bits`. Used to skip building a heap that
    cannot win (the architecture layer costs hundreds of wide dot products).
    """
    lone = multiplier_counts(spec.mul)["lut_sites"]
    bits = spec.lanes * spec.mul.out_bits + (out_bits if accumulate else 0)
    return spec.lanes * lone + max(0, bits - out_bits + 1) // 2


def _in_turn(spec: DotSpec, methods: list[str], build, luts, out_bits: int, accumulate: bool) -> list:
    """build(method) for each method in order, skipping the products heap when its floor cannot beat one built."""
    found: list = []
    for method in methods:
        if found and method == "products" != spec.method:
            if products_floor(spec, out_bits, accumulate) >= min(map(luts, found)):
                continue
        found.append(build(method))
    return found


def _checked(netlist: Netlist) -> Netlist:
    check(netlist)
    return netlist


def _ports(spec: DotSpec) -> tuple:
    return (("w", spec.lanes * spec.mul.w), ("a", spec.lanes * spec.mul.a))


SUM_METHODS = {"heap": heap_sum, "products": products_sum, "tree": tree_sum}


def best_sum(spec: DotSpec) -> Netlist:
    """The combinational sum of products: the forced method's, or the one with fewer LUTs (then carries)."""
    plain = replace(spec, acc_bits=None, pipeline=0)
    netlist = _best_plain_sum(plain)
    return netlist if plain == spec else replace(netlist, name=module_name(spec))


@lru_cache(maxsize=256)
def staged_sum(plain: DotSpec, stages: int) -> Netlist:
    """The sum (a spec without accumulator or pipeline) pipelined once per stage count: every
    accumulator width shares it, and so do the architecture layer's costs and timing."""
    return pipeline(_best_plain_sum(plain), stages)


@lru_cache(maxsize=256)
def _best_plain_sum(spec: DotSpec) -> Netlist:
    """Built once per sum: the accumulating and pipelined units share it (netlists are immutable)."""
    built = _in_turn(spec, sum_methods(spec), lambda m: _checked(SUM_METHODS[m](spec)), lambda n: len(n.luts), spec.sum_bits, False)
    return min(built, key=lambda n: (len(n.luts), len(n.carries)))  # first of equals: heap


def build_dot(spec: DotSpec) -> Netlist:
    combinational = best_sum(spec)
    mul = spec.mul
    plain = replace(spec, acc_bits=None, pipeline=0)
    if spec.acc_bits is None:
        return replace(staged_sum(plain, spec.pipeline), name=combinational.name)
    separate = accumulate(combinational, "p", mul.signed_out, spec.acc_bits, spec.pipeline, mul.family,
                          module_name(spec), combinational.meta, staged=staged_sum(plain, spec.pipeline))
    if spec.pipeline or not fused_macs(spec):
        return separate  # the accumulator's loop cannot cross pipeline registers
    fused = _in_turn(spec, fused_macs(spec), lambda t: _checked(heap_mac(spec, t)), lambda n: len(n.luts),
                     spec.acc_bits, True)
    return min((*fused, separate), key=lambda n: (len(n.luts), len(n.carries)))


# -- counting without building -------------------------------------------------
def netlist_counts(netlist: Netlist) -> Counter:
    counts = Counter(netlist.cell_counts())
    counts["lut_sites"] = len(netlist.luts)
    counts["carry_cells"] = len(netlist.carries)
    counts["FDRE"] = len(netlist.ffs)
    return +counts


def _builder_counts(builder: NetlistBuilder, ffs: int = 0) -> Counter:
    counts = Counter(lut.kind for lut in builder.luts)
    counts.update(carry.kind for carry in builder.carries)
    counts["lut_sites"] = len(builder.luts)
    counts["carry_cells"] = len(builder.carries)
    counts["FDRE"] = ffs
    return +counts


@lru_cache(maxsize=None)
def multiplier_counts(mul: MulSpec) -> Counter:
    return netlist_counts(lone_multiplier(mul))


def _shape(nets: tuple[str, ...]) -> tuple[str | None, ...]:
    """What the adder's cells depend on: which bits are constants (and which), not the names."""
    return tuple(n if n in CONSTANTS else None for n in nets)


def _stand_in(shape: tuple[str | None, ...], name: str) -> tuple[str, ...]:
    return tuple(c if c is not None else f"{name}[{i}]" for i, c in enumerate(shape))


@lru_cache(maxsize=None)
def _adder_counts(family: str, x_shape: tuple, y_shape: tuple, signed: bool, width: int) -> Counter:
    builder = NetlistBuilder(FAMILIES[family])
    add_numbers(builder, _stand_in(x_shape, "x"), _stand_in(y_shape, "y"), signed, width)
    return _builder_counts(builder)


@lru_cache(maxsize=None)
def product_shape(mul: MulSpec) -> tuple[str | None, ...]:
    return _shape(dict(lone_multiplier(mul).outputs)["p"])


@lru_cache(maxsize=None)
def tree_counts(mul: MulSpec, lanes: int) -> Counter:
    """Cells of add_tree over `lanes` products of `mul`: each adder costed on stand-in nets of the same shape."""
    if lanes == 1:
        return Counter()
    left, right = split(lanes)

    def shape(n):  # an adder's sums are carry outputs, never constants
        return product_shape(mul) if n == 1 else (None,) * subtree_bits(mul, n)

    adder = _adder_counts(mul.family, shape(left), shape(right), mul.signed_out, subtree_bits(mul, lanes))
    return tree_counts(mul, left) + tree_counts(mul, right) + adder


@lru_cache(maxsize=None)
def accumulator_counts(family: str, value_shape: tuple, signed: bool, acc_bits: int) -> Counter:
    return netlist_counts(accumulator_netlist(family, value_shape, signed, acc_bits))


@lru_cache(maxsize=None)
def accumulator_netlist(family: str, value_shape: tuple, signed: bool, acc_bits: int) -> Netlist:
    """pe.add_accumulator alone, on a stand-in value `v` of the sum's shape (its constant bits kept)."""
    builder = NetlistBuilder(FAMILIES[family], prefix="acc_")
    q, ffs = add_accumulator(builder, _stand_in(value_shape, "v"), signed, acc_bits)
    return builder.netlist("accumulator", inputs=[("v", len(value_shape))], outputs=[("acc", q)], ffs=ffs,
                           clock="clk", scalar_inputs=CONTROL_INPUTS)


def output_shape(netlist: Netlist, port: str = "p") -> tuple[str | None, ...]:
    """Which bits of an output are constants (and which), not the names."""
    return _shape(dict(netlist.outputs)[port])


@lru_cache(maxsize=None)
def heap_counts(mul: MulSpec, lanes: int, terms: str = "heap", search: str = "ilp") -> tuple[Counter, tuple]:
    """Counts of a heap sum, and its output's shape; built once per configuration."""
    netlist = _heap_netlist(DotSpec(mul, lanes, search=search), terms, sizing=True)
    return netlist_counts(netlist), _shape(dict(netlist.outputs)["p"])


def tree_sum_counts(mul: MulSpec, lanes: int) -> tuple[Counter, tuple]:
    counts = Counter()
    for kind, n in multiplier_counts(mul).items():
        counts[kind] += n * lanes
    counts += tree_counts(mul, lanes)
    shape = product_shape(mul) if lanes == 1 else (None,) * subtree_bits(mul, lanes)
    return +counts, shape


def dot_counts(spec: DotSpec) -> Counter:
    """Cell counts of build_dot(spec), without building the whole unit.

    The tree is added up from its parts; the heap is built once per (product,
    lanes) and cached; the accumulator is costed on a stand-in of the sum's
    shape. Keys: lut_sites, carry_cells, FDRE, and one per primitive kind
    (LUT6, LUT6_2, CARRY4/CARRY8). Unpipelined specs only.
    """
    if spec.pipeline:
        raise ValueError("dot_counts covers unpipelined dot products")
    mul = spec.mul
    options = {"heap": lambda: heap_counts(mul, spec.lanes, "heap", spec.search),
               "products": lambda: heap_counts(mul, spec.lanes, "products", spec.search),
               "tree": lambda: tree_sum_counts(mul, spec.lanes)}
    # the same choices as best_sum and build_dot, in the same order
    found = _in_turn(spec, sum_methods(spec), lambda m: options[m](), lambda o: o[0]["lut_sites"], spec.sum_bits, False)
    counts, shape = min(found, key=lambda o: (o[0]["lut_sites"], o[0]["carry_cells"]))
    counts = Counter(counts)
    if spec.acc_bits is not None:
        counts += accumulator_counts(mul.family, shape, mul.signed_out, spec.acc_bits)
        fused = _in_turn(spec, fused_macs(spec), lambda t: heap_mac_counts(mul, spec.lanes, spec.acc_bits, t, spec.search),
                         lambda c: c["lut_sites"], spec.acc_bits, True)
        counts = min((*fused, counts), key=lambda c: (c["lut_sites"], c["carry_cells"]))
    return +counts  # drops zero entries


@lru_cache(maxsize=None)
def heap_mac_counts(mul: MulSpec, lanes: int, acc_bits: int, terms: str = "heap", search: str = "ilp") -> Counter:
    return netlist_counts(heap_mac(DotSpec(mul, lanes, acc_bits, search=search), terms, sizing=True))

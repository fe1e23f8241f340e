"""Dot products: N lanes of w_k * a_k, summed, optionally accumulated.

    p   = sum_k w_k * a_k                                 (combinational)
    acc <= rst ? 0 : en ? (clr ? 0 : acc) + p : acc       (with an accumulator)

Each lane is the chosen lone multiplier; the lane products are summed by a
balanced tree of carry-chain adders, each exactly as wide as its subtree's
value range needs; the accumulator is the PE's (`pe.add_accumulator`).

`dot_counts` gives the same netlist's cell counts without building it: it
adds up the counts of the very cells the builder makes (one multiplier, each
distinct tree adder, the accumulator), memoised, so the architecture layer
can cost thousands of lanes in microseconds. A test pins it to the built
netlist.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from .cells import CONSTANTS, Carry, Lut, Netlist, check
from .constructions import build_multiplier
from .constructions.builder import ZERO, NetlistBuilder, net_term
from .pe import accumulate, add_accumulator
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
def build_dot(spec: DotSpec) -> Netlist:
    mul_spec = spec.mul
    mul = build_multiplier(mul_spec)
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
    family = FAMILIES[mul_spec.family]
    tree = NetlistBuilder(family, prefix="sum_")
    total = add_tree(tree, products, mul_spec)
    meta = mul.meta + (("multiplier", mul.name), ("lanes", spec.lanes), ("tree", "carry-chain adder tree"))
    combinational = Netlist(
        name=module_name(spec),
        inputs=(("w", spec.lanes * mul_spec.w), ("a", spec.lanes * mul_spec.a)),
        outputs=(("p", total),),
        luts=tuple(luts + tree.luts),
        carries=tuple(carries + tree.carries),
        chains=tuple(chains + tree.chains),
        output_signed=(("p", mul_spec.signed_out),),
        meta=meta,
    )
    check(combinational)
    if spec.acc_bits is None:
        return pipeline(combinational, spec.pipeline)
    return accumulate(combinational, "p", mul_spec.signed_out, spec.acc_bits, spec.pipeline, mul_spec.family,
                      module_name(spec), meta)


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
    return netlist_counts(build_multiplier(mul))


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
    return _shape(dict(build_multiplier(mul).outputs)["p"])


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
    builder = NetlistBuilder(FAMILIES[family], prefix="acc_")
    _, ffs = add_accumulator(builder, _stand_in(value_shape, "v"), signed, acc_bits)
    return _builder_counts(builder, len(ffs))


def dot_counts(spec: DotSpec) -> Counter:
    """Cell counts of build_dot(spec), added up from its parts without building it.

    Keys: lut_sites, carry_cells, FDRE, and one per primitive kind (LUT6,
    LUT6_2, CARRY4/CARRY8). Unpipelined specs only.
    """
    if spec.pipeline:
        raise ValueError("dot_counts covers unpipelined dot products")
    mul = spec.mul
    counts = Counter()
    for kind, n in multiplier_counts(mul).items():
        counts[kind] += n * spec.lanes
    counts += tree_counts(mul, spec.lanes)
    if spec.acc_bits is not None:
        value = product_shape(mul) if spec.lanes == 1 else (None,) * spec.sum_bits
        counts += accumulator_counts(mul.family, value, mul.signed_out, spec.acc_bits)
    return +counts  # drops zero entries

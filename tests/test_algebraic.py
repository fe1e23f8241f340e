"""Algebraic proofs (backward rewriting, tests/algebraic.py) of netlists that SAT sweeping cannot match.

The fused bit-heap dot products share no internal points with any behavioural
sum, so ABC neither sweeps nor collapses them (test_formal.py proves their
adder-tree form). Rewriting the output word through every cell into a
polynomial over the inputs, modulo 2^n, proves them in well under a second.
"""

import itertools

import pytest

from lutgen.constructions import candidates
from lutgen.dot import build_dot, heap_mac
from lutgen.spec import DotSpec, MulSpec

from algebraic import accumulate_spec, dot_spec, equal_modulo, rewrite
from reference import break_one_lut

pytestmark = pytest.mark.formal

SIGNS = [(True, True), (True, False), (False, False)]


def _proved(netlist, lanes, w, a, signed_w, signed_a, bits) -> bool:
    return equal_modulo(rewrite(netlist, "p", bits), dot_spec(lanes, w, a, signed_w, signed_a), bits)


@pytest.mark.parametrize("family", ["xc7", "xcup"])
@pytest.mark.parametrize("signed_w,signed_a", SIGNS)
def test_16_lane_4x4_heap_dot_product_equals_the_sum(family, signed_w, signed_a):
    spec = DotSpec(MulSpec(4, 4, signed_w, signed_a, family), 16)
    netlist = build_dot(spec)
    assert dict(netlist.meta)["construction"] == "heap"  # the fused form is the one proved here
    assert _proved(netlist, 16, 4, 4, signed_w, signed_a, spec.sum_bits)


@pytest.mark.parametrize("lanes,w,a", [(8, 8, 8), (16, 3, 5), (8, 2, 2), (5, 7, 3)])
def test_more_heap_dot_products(lanes, w, a):
    spec = DotSpec(MulSpec(w, a, True, False, "xc7"), lanes, method="heap")
    assert _proved(build_dot(spec), lanes, w, a, True, False, spec.sum_bits)


@pytest.mark.parametrize("lanes,w,a,signed_w,signed_a", [(8, 7, 7, True, True), (6, 5, 5, True, True)])
def test_products_heap_dot_products(lanes, w, a, signed_w, signed_a):
    """Lone products (offset Booth, live-I5 LUT6_2s) whose bits, a signed top complemented, share one heap.

    Unsigned or mixed lanes blow up here (8x8 unsigned over 100 s): their product
    bits are long polynomials, and the heap's LUTs multiply them together before
    the rewriting cancels them. test_dot.py simulates those.
    """
    spec = DotSpec(MulSpec(w, a, signed_w, signed_a, "xc7"), lanes, method="products")
    netlist = build_dot(spec)
    assert dict(netlist.meta)["construction"] == "products"
    assert _proved(netlist, lanes, w, a, signed_w, signed_a, spec.sum_bits)


@pytest.mark.parametrize("w,a", [(12, 12), (16, 16), (6, 7), (3, 5), (5, 5), (4, 4), (8, 8)])
def test_every_construction_equals_the_product(w, a):
    for signed_w, signed_a in itertools.product([False, True], repeat=2):
        for netlist in candidates(MulSpec(w, a, signed_w, signed_a)):
            assert _proved(netlist, 1, w, a, signed_w, signed_a, w + a), dict(netlist.meta)


@pytest.mark.parametrize("lanes,w,a,signed_a,acc,terms", [
    (8, 4, 4, True, 19, "heap"), (16, 3, 5, False, 20, "heap"), (8, 2, 2, True, 15, "heap"), (8, 7, 7, True, 24, "products"),
])
def test_fused_mac_next_value_is_sum_plus_held_value(lanes, w, a, signed_a, acc, terms):
    """The accumulator's bits ride in the dot product's heap: its FF inputs are sum + acc AND NOT clr."""
    netlist = heap_mac(DotSpec(MulSpec(w, a, True, signed_a, "xc7"), lanes, acc), terms)
    d = tuple(ff.d for ff in netlist.ffs)
    q = tuple(ff.q for ff in netlist.ffs)
    spec = accumulate_spec(dot_spec(lanes, w, a, True, signed_a), q, "clr")
    assert equal_modulo(rewrite(netlist, d, acc), spec, acc)
    assert not equal_modulo(rewrite(netlist, d, acc), dot_spec(lanes, w, a, True, signed_a), acc)


def test_the_proof_can_fail():
    """A flipped INIT bit, and a right netlist against the wrong spec, are both refuted.

    The flips are in first-stage LUTs and the last one: a flip in the middle of the tree
    stops the carries from cancelling, and the polynomials grow to gigabytes before the
    refutation (LUTs 77 and 120 of this netlist do).
    """
    spec = DotSpec(MulSpec(4, 4, True, True, "xcup"), 16)
    netlist = build_dot(spec)
    for lut in (3, 40, len(netlist.luts) - 1):
        assert not _proved(break_one_lut(netlist, lut), 16, 4, 4, True, True, spec.sum_bits)
    assert not _proved(netlist, 16, 4, 4, True, False, spec.sum_bits)
    booth = candidates(MulSpec(12, 12, True, True, construction="booth"))[0]
    assert not _proved(booth, 1, 12, 12, False, False, 24)

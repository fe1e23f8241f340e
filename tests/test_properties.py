"""Property tests: random multipliers and dot products, any construction and family, equal the integer model."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lutgen.constructions import CONSTRUCTION_NAMES, build_multiplier, candidates
from lutgen.dot import SUM_METHODS, build_dot, dot_counts, netlist_counts
from lutgen.simulate import run_comb
from lutgen.spec import DotSpec, MulSpec, SpecError

from reference import as_value


@settings(max_examples=60, deadline=None, derandomize=True)  # the same examples in every CI run
@given(
    w=st.integers(1, 16), a=st.integers(1, 16), signed_w=st.booleans(), signed_a=st.booleans(),
    family=st.sampled_from(["xc7", "xcup"]), construction=st.sampled_from(CONSTRUCTION_NAMES),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_multiplier_matches_integer_product(w, a, signed_w, signed_a, family, construction, seed):
    spec = MulSpec(w, a, signed_w, signed_a, family, construction)
    rng = np.random.default_rng(seed)
    w_in = rng.integers(0, 1 << w, 500)
    a_in = rng.integers(0, 1 << a, 500)
    expected = as_value(w_in, w, signed_w) * as_value(a_in, a, signed_a)
    built = candidates(spec)
    if not built:  # the forced construction does not apply to these widths: it must be refused, in words
        with pytest.raises(SpecError, match=f"construction '{construction}' does not apply to {w}x{a}"):
            build_multiplier(spec)
        return
    for netlist in built:
        assert dict(netlist.meta)["construction"] == construction
        assert np.array_equal(run_comb(netlist, w=w_in, a=a_in)["p"], expected)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    w=st.integers(1, 8), a=st.integers(1, 8), signed_w=st.booleans(), signed_a=st.booleans(),
    lanes=st.integers(1, 24), family=st.sampled_from(["xc7", "xcup"]),
    construction=st.sampled_from((None,) + CONSTRUCTION_NAMES), method=st.sampled_from((None,) + tuple(SUM_METHODS)),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_dot_product_matches_integer_sum(w, a, signed_w, signed_a, lanes, family, construction, method, seed):
    if construction is not None and not candidates(MulSpec(w, a, signed_w, signed_a, family, construction)):
        construction = None  # it does not apply to this product (table, tilechain: small ones only)
    spec = DotSpec(MulSpec(w, a, signed_w, signed_a, family, construction), lanes, method=method)
    rng = np.random.default_rng(seed)
    w_lanes = rng.integers(0, 1 << w, (300, lanes))
    a_lanes = rng.integers(0, 1 << a, (300, lanes))
    w_word = np.array([sum(int(v) << (w * k) for k, v in enumerate(row)) for row in w_lanes], dtype=object)
    a_word = np.array([sum(int(v) << (a * k) for k, v in enumerate(row)) for row in a_lanes], dtype=object)
    expected = (as_value(w_lanes, w, signed_w) * as_value(a_lanes, a, signed_a)).sum(axis=1)
    netlist = build_dot(spec)
    assert np.array_equal(run_comb(netlist, w=w_word, a=a_word)["p"], expected)
    assert dot_counts(spec) == netlist_counts(netlist)

"""Property test: random multipliers, any construction and family, equal the integer product."""

import numpy as np
from hypothesis import given, settings, strategies as st

from lutgen.constructions import CONSTRUCTION_NAMES, candidates
from lutgen.simulate import run_comb
from lutgen.spec import MulSpec

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
    for netlist in candidates(spec):  # empty when the forced construction does not apply
        assert dict(netlist.meta)["construction"] == construction
        assert np.array_equal(run_comb(netlist, w=w_in, a=a_in)["p"], expected)

"""What to build, and the one place where bad input is refused.

Every user-facing value passes through here; the rest of the compiler may
assume a valid spec. Errors are `SpecError` with a one-line message that
names the problem and the allowed range.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_WIDTH = 1
MAX_WIDTH = 16
MAX_ACC_BITS = 64
MIN_LANES = 1
MAX_LANES = 1024
MAX_PIPELINE = 8
DEFAULT_ACC_DEPTH_LOG2 = 10  # the default accumulator holds 2**10 products without overflow


DOT_METHODS = (None, "heap", "products", "tree")  # how a dot product sums its lanes (lutgen.dot); None: the fewest LUTs
STAGE_SEARCHES = ("ilp", "greedy")  # how its heap's compression stages are chosen (lutgen.compress)


class SpecError(ValueError):
    """Bad user input; the message is one line, fit to print as it is."""


@dataclass(frozen=True)
class MulSpec:
    """A w x a product, each operand signed or unsigned, full-width result."""

    w: int
    a: int
    signed_w: bool = False
    signed_a: bool = False
    family: str = "xcup"
    construction: str | None = None  # None: the cheapest applicable one

    @property
    def out_bits(self) -> int:
        return self.w + self.a

    @property
    def signed_out(self) -> bool:
        return self.signed_w or self.signed_a

    @property
    def tag(self) -> str:
        """Short configuration name used in module and file names."""
        sw = "s" if self.signed_w else "u"
        sa = "s" if self.signed_a else "u"
        return f"w{self.w}{sw}_a{self.a}{sa}_{self.family}"

    def product_range(self) -> tuple[int, int]:
        """Smallest and largest value of w*a."""
        w_lo, w_hi = operand_range(self.w, self.signed_w)
        a_lo, a_hi = operand_range(self.a, self.signed_a)
        corners = [x * y for x in (w_lo, w_hi) for y in (a_lo, a_hi)]
        return min(corners), max(corners)


@dataclass(frozen=True)
class PeSpec:
    """A multiply-accumulate processing element: MulSpec plus an accumulator."""

    mul: MulSpec
    acc_bits: int
    pipeline: int = 0  # register stages in the product path (latency in cycles)

    @property
    def tag(self) -> str:
        return f"{self.mul.tag}_acc{self.acc_bits}" + (f"_p{self.pipeline}" if self.pipeline else "")


@dataclass(frozen=True)
class DotSpec:
    """sum over `lanes` of w_k * a_k; combinational, or accumulated when acc_bits is set."""

    mul: MulSpec
    lanes: int
    acc_bits: int | None = None
    pipeline: int = 0  # register stages in the sum of products (latency in cycles)
    method: str | None = None  # "heap", "products" or "tree"; None: whichever takes fewer LUTs
    # how the heap's compression stages are chosen: "ilp" also tries the integer program's
    # stages where the heap is small enough (lutgen.compress_ilp), "greedy" only the greedy
    # ones (the architecture layer, which costs and builds hundreds of units, uses these)
    search: str = "ilp"

    def __post_init__(self):
        if self.method not in DOT_METHODS:
            raise SpecError(f"unknown sum method {self.method!r}; choose one of: {', '.join(map(str, DOT_METHODS[1:]))} (or None)")
        if self.search not in STAGE_SEARCHES:
            raise SpecError(f"unknown stage search {self.search!r}; choose one of: {', '.join(STAGE_SEARCHES)}")

    def sum_range(self) -> tuple[int, int]:
        lo, hi = self.mul.product_range()
        return lo * self.lanes, hi * self.lanes

    @property
    def sum_bits(self) -> int:
        """Width of the exact combinational sum."""
        return bits_for_range(*self.sum_range(), self.mul.signed_out)

    @property
    def tag(self) -> str:
        acc = f"_acc{self.acc_bits}" if self.acc_bits is not None else ""
        pipe = f"_p{self.pipeline}" if self.pipeline else ""
        forced = f"_{self.method}" if self.method else ""
        return f"{self.mul.tag}_l{self.lanes}{acc}{pipe}{forced}"


def operand_range(bits: int, signed: bool) -> tuple[int, int]:
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def bits_for_range(lo: int, hi: int, signed: bool) -> int:
    """Fewest bits that hold every integer in [lo, hi]."""
    if not signed:
        return max(1, hi.bit_length())
    n = 1
    while not (-(1 << (n - 1)) <= lo and hi <= (1 << (n - 1)) - 1):
        n += 1
    return n


def default_acc_bits(mul: MulSpec) -> int:
    """Enough bits for 2**10 accumulations of any product without overflow."""
    lo, hi = mul.product_range()
    k = 1 << DEFAULT_ACC_DEPTH_LOG2
    return bits_for_range(lo * k, hi * k, mul.signed_out)


def parse_width(name: str, value: object) -> int:
    """An operand width: an integer from MIN_WIDTH to MAX_WIDTH."""
    allowed = f"an integer from {MIN_WIDTH} to {MAX_WIDTH}"
    number = _parse_int(name, value, allowed)
    if not MIN_WIDTH <= number <= MAX_WIDTH:
        raise SpecError(f"{name} must be {allowed}, got {number}")
    return number


def _parse_int(name: str, value: object, allowed: str) -> int:
    if isinstance(value, bool):
        raise SpecError(f"{name} must be {allowed}, got {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text, 10)
    except ValueError:
        raise SpecError(f"{name} must be {allowed}, got {str(value)!r}") from None


def make_mul_spec(w, a, signed_w=False, signed_a=False, family="xcup", construction=None) -> MulSpec:
    """Validate raw values (ints or strings) and build a MulSpec."""
    from .constructions import CONSTRUCTION_NAMES
    from .target import FAMILIES

    if family not in FAMILIES:
        raise SpecError(f"unknown family {family!r}; choose one of: {', '.join(sorted(FAMILIES))}")
    if construction is not None and construction not in CONSTRUCTION_NAMES:
        raise SpecError(
            f"unknown construction {construction!r}; choose one of: {', '.join(CONSTRUCTION_NAMES)}"
        )
    return MulSpec(
        w=parse_width("--w", w),
        a=parse_width("--a", a),
        signed_w=bool(signed_w),
        signed_a=bool(signed_a),
        family=family,
        construction=construction,
    )


def default_dot_acc_bits(mul: MulSpec, lanes: int) -> int:
    """Enough bits for 2**10 accumulations of the whole dot product without overflow."""
    lo, hi = mul.product_range()
    k = lanes << DEFAULT_ACC_DEPTH_LOG2
    return bits_for_range(lo * k, hi * k, mul.signed_out)


def parse_lanes(value: object) -> int:
    allowed = f"an integer from {MIN_LANES} to {MAX_LANES}"
    lanes = _parse_int("--lanes", value, allowed)
    if not MIN_LANES <= lanes <= MAX_LANES:
        raise SpecError(f"--lanes must be {allowed}, got {lanes}")
    return lanes


def parse_pipeline(value: object) -> int:
    allowed = f"an integer from 0 to {MAX_PIPELINE}"
    stages = _parse_int("--pipeline", value, allowed)
    if not 0 <= stages <= MAX_PIPELINE:
        raise SpecError(f"--pipeline must be {allowed}, got {stages}")
    return stages


def make_dot_spec(mul: MulSpec, lanes, acc_bits=None, accumulate: bool = False, pipeline=0) -> DotSpec:
    """A dot product; with accumulate (or an explicit acc_bits) it ends in an accumulator register."""
    n = parse_lanes(lanes)
    stages = parse_pipeline(pipeline)
    if acc_bits is None and not accumulate:
        return DotSpec(mul, n, None, stages)
    if acc_bits is None:
        return DotSpec(mul, n, default_dot_acc_bits(mul, n), stages)
    lowest = DotSpec(mul, n).sum_bits
    allowed = f"an integer from {lowest} (the width of one sum of {n} products) to {MAX_ACC_BITS}"
    bits = _parse_int("--acc", acc_bits, allowed)
    if not lowest <= bits <= MAX_ACC_BITS:
        raise SpecError(f"--acc must be {allowed}, got {bits}")
    return DotSpec(mul, n, bits, stages)


def make_pe_spec(mul: MulSpec, acc_bits=None, pipeline=0) -> PeSpec:
    """Validate the accumulator width: at least the product width, at most MAX_ACC_BITS."""
    stages = parse_pipeline(pipeline)
    if acc_bits is None:
        return PeSpec(mul, default_acc_bits(mul), stages)
    lowest = mul.out_bits
    allowed = f"an integer from {lowest} (the product width) to {MAX_ACC_BITS}"
    bits = _parse_int("--acc", acc_bits, allowed)
    if not lowest <= bits <= MAX_ACC_BITS:
        raise SpecError(f"--acc must be {allowed}, got {bits}")
    return PeSpec(mul, bits, stages)

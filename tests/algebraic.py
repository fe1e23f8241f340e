"""Algebraic equivalence by backward rewriting: a proof for arithmetic netlists that SAT sweeping cannot match.

The output word sum_i 2^i p_i is a polynomial over the output nets. Going
backwards through the netlist, each net is replaced by its driver's function
as a multilinear integer polynomial (x^2 = x for a bit): a LUT's by the Moebius
transform of its INIT over its input nets, a carry cell's by the UNISIM rule

    c_0 = CI | CYINIT,  O_k = S_k XOR c_k,  c_{k+1} = S_k ? c_k : DI_k

What is left is a polynomial over the inputs. A multilinear polynomial is the
unique form of its function, so the netlist computes the spec modulo 2^n
exactly when every coefficient of (netlist - spec) is a multiple of 2^n. In
adder and compressor trees the carries cancel as they are substituted
(Ciesielski et al.), so the polynomials stay small. This reads only the cells
and the primitives' documented semantics, never how lutgen built them.
"""

from __future__ import annotations

from lutgen.cells import GND, VCC, Netlist, comb_order

Poly = dict[frozenset, int]
CONSTANT = frozenset()


_modulus = [0]  # while rewriting: coefficients are kept modulo 2^n (0: exact)


def _add(into: Poly, poly: Poly, scale: int = 1) -> None:
    m = _modulus[0]
    for mono, coef in poly.items():
        value = into.get(mono, 0) + scale * coef
        if m:
            value %= m
        if value:
            into[mono] = value
        else:
            into.pop(mono, None)


def _mul(x: Poly, y: Poly) -> Poly:
    out: Poly = {}
    for mx, cx in x.items():
        for my, cy in y.items():
            _add(out, {mx | my: cx * cy})
    return out


def _var(net: str) -> Poly:
    if net == GND:
        return {}
    if net == VCC:
        return {CONSTANT: 1}
    return {frozenset([net]): 1}


def _xor(x: Poly, y: Poly) -> Poly:
    out = dict(x)
    _add(out, y)
    _add(out, _mul(x, y), -2)
    return out


def _or(x: Poly, y: Poly) -> Poly:
    """x OR y = x + y - xy."""
    out = dict(x)
    _add(out, y)
    _add(out, _mul(x, y), -1)
    return out


def _substitute(poly: Poly, net: str, value: Poly) -> Poly:
    out: Poly = {}
    for mono, coef in poly.items():
        if net in mono:
            _add(out, _mul({mono - {net}: coef}, value))
        else:
            _add(out, {mono: coef})
    return out


def _lut_function(init: int, pins: tuple[str, ...], dual_o5: bool) -> Poly:
    """O6 = INIT[I5..I0], or O5 = INIT[0, I4..I0], as a polynomial over the pins' nets."""
    used = 5 if dual_o5 else 6
    nets = sorted({p for p in pins[:used] if p not in (GND, VCC)})
    k = len(nets)
    table = []
    for row in range(1 << k):
        bits = {net: (row >> i) & 1 for i, net in enumerate(nets)}
        index = 0
        for pin, net in enumerate(pins[:used]):
            bit = 1 if net == VCC else 0 if net == GND else bits[net]
            index |= bit << pin
        table.append((init >> index) & 1)
    for i in range(k):  # Moebius transform: values -> coefficients
        for row in range(1 << k):
            if row >> i & 1:
                table[row] -= table[row ^ (1 << i)]
    return {frozenset(n for i, n in enumerate(nets) if row >> i & 1): c for row, c in enumerate(table) if c}


def rewrite(netlist: Netlist, port: str | tuple[str, ...], bits: int) -> Poly:
    """sum_i 2^i port[i] modulo 2^bits as a polynomial over the netlist's inputs (and FF outputs).

    `port` is an output port's name, or a word of nets (an accumulator's FF inputs).
    Working modulo 2^bits drops the terms of carries out of the top, which never cancel.
    """
    _modulus[0] = 1 << bits
    try:
        return _rewrite(netlist, dict(netlist.outputs)[port] if isinstance(port, str) else port)
    finally:
        _modulus[0] = 0


def _rewrite(netlist: Netlist, nets: tuple[str, ...]) -> Poly:
    poly: Poly = {}
    for i, net in enumerate(nets):
        _add(poly, _var(net), 1 << i)

    def present(net):
        return net is not None and any(net in mono for mono in poly)

    for cell in reversed(comb_order(netlist)):
        if hasattr(cell, "init"):
            if present(cell.o6):
                poly = _substitute(poly, cell.o6, _lut_function(cell.init, cell.inputs, False))
            if present(cell.o5):
                poly = _substitute(poly, cell.o5, _lut_function(cell.init, cell.inputs, True))
            continue
        width = len(cell.s)
        carry = [f"{cell.name}#c{k}" for k in range(width + 1)]
        for k in range(width):
            if present(cell.o[k]):
                poly = _substitute(poly, cell.o[k], _xor(_var(cell.s[k]), _var(carry[k])))
            if present(cell.co[k]):
                poly = _substitute(poly, cell.co[k], _var(carry[k + 1]))
        for k in range(width - 1, -1, -1):  # c_{k+1} = S c_k + (1 - S) DI
            s, di = _var(cell.s[k]), _var(cell.di[k])
            value = _mul(s, _var(carry[k]))
            _add(value, di)
            _add(value, _mul(s, di), -1)
            poly = _substitute(poly, carry[k + 1], value)
        poly = _substitute(poly, carry[0], _or(_var(cell.ci), _var(cell.cyinit)))
    return poly


def operand(name: str, lo: int, bits: int, signed: bool) -> Poly:
    poly: Poly = {}
    for i in range(bits):
        weight = -(1 << i) if signed and i == bits - 1 else 1 << i
        _add(poly, _var(f"{name}[{lo + i}]"), weight)
    return poly


def dot_spec(lanes: int, w: int, a: int, signed_w: bool, signed_a: bool) -> Poly:
    total: Poly = {}
    for lane in range(lanes):
        _add(total, _mul(operand("w", lane * w, w, signed_w), operand("a", lane * a, a, signed_a)))
    return total


def accumulate_spec(sum_of_products: Poly, q: tuple[str, ...], clear: str) -> Poly:
    """The MAC's next value: the sum plus the held value unless cleared, sum + q * (1 - clr)."""
    held = {}
    for i, net in enumerate(q):
        _add(held, _var(net), 1 << i)
    out = dict(sum_of_products)
    _add(out, held)
    _add(out, _mul(held, _var(clear)), -1)
    return out


def equal_modulo(poly: Poly, spec: Poly, bits: int) -> bool:
    """True when poly and spec agree on every input, modulo 2**bits."""
    difference = dict(poly)
    _add(difference, spec, -1)
    return all(coef % (1 << bits) == 0 for coef in difference.values())

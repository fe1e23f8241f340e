"""Logic depth of a cell netlist: LUT levels and carry-chain bits on the longest path.

Paths start at inputs, constants and FF outputs and end at module outputs
and FF inputs. A path's length is (LUT levels, carry bits), compared LUT
levels first: a LUT and its routing cost far more than one carry bit. A
carry bit is one position of a chain passed by the path (S or DI or the
incoming carry, to O or CO). A LUT output is reached only from the pins its
function depends on: in a ternary compressor row, O5 (the carry-save bit)
ignores the carry-save input that O6 reads, so the row does not ripple
through its LUTs.
"""

from __future__ import annotations

from .cells import Lut, Netlist, comb_order

Depth = tuple[int, int]  # (LUT levels, carry bits)


def _later(*depths: Depth) -> Depth:
    return max(depths)


# Rows of a 64-row INIT whose pin k is 0: bit r set when r has bit k clear.
_PIN_LOW = tuple(sum(1 << r for r in range(64) if not r >> k & 1) for k in range(6))


def depends_on(init: int, pin: int, o5: bool) -> bool:
    """Whether O6 (or O5: INIT[31:0], I5 = 0) changes with input pin `pin`."""
    if pin >= (5 if o5 else 6):
        return False
    rows = (1 << 32) - 1 if o5 else (1 << 64) - 1
    # row r against row r + 2^pin, for every r with that pin low
    return bool((init ^ (init >> (1 << pin))) & _PIN_LOW[pin] & rows)


def arrival_times(netlist: Netlist) -> dict[str, Depth]:
    arrival: dict[str, Depth] = {}

    def at(net: str) -> Depth:
        return arrival.get(net, (0, 0))  # inputs, constants, FF outputs

    for cell in comb_order(netlist):
        if isinstance(cell, Lut):
            for net, o5 in ((cell.o6, False), (cell.o5, True)):
                if net is not None:
                    pins = [n for k, n in enumerate(cell.inputs) if depends_on(cell.init, k, o5)]
                    levels, bits = _later((0, 0), *(at(n) for n in pins))
                    arrival[net] = (levels + 1, bits)
            continue
        carry = _later(at(cell.ci), at(cell.cyinit))
        for k in range(cell.width):
            through = _later(carry, at(cell.s[k]))
            if cell.o[k] is not None:
                arrival[cell.o[k]] = (through[0], through[1] + 1)
            levels, bits = _later(through, at(cell.di[k]))
            carry = (levels, bits + 1)
            if cell.co[k] is not None:
                arrival[cell.co[k]] = carry
    return arrival


def critical_depth(netlist: Netlist) -> Depth:
    """The longest (LUT levels, carry bits) over every path end."""
    arrival = arrival_times(netlist)
    ends = [net for _, nets in netlist.outputs for net in nets]
    ends += [net for ff in netlist.ffs for net in (ff.d, ff.ce, ff.r)]
    return _later((0, 0), *(arrival.get(net, (0, 0)) for net in ends))

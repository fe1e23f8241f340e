"""Logic depth of a cell netlist: LUT levels and carry-chain bits on the longest path.

Paths start at inputs, constants and FF outputs and end at module outputs
and FF inputs. A path's length is (LUT levels, carry bits), compared LUT
levels first: a LUT and its routing cost far more than one carry bit. A
carry bit is one position of a chain passed by the path (S or DI or the
incoming carry, to O or CO).
"""

from __future__ import annotations

from .cells import Lut, Netlist, comb_order

Depth = tuple[int, int]  # (LUT levels, carry bits)


def _later(*depths: Depth) -> Depth:
    return max(depths)


def arrival_times(netlist: Netlist) -> dict[str, Depth]:
    arrival: dict[str, Depth] = {}

    def at(net: str) -> Depth:
        return arrival.get(net, (0, 0))  # inputs, constants, FF outputs

    for cell in comb_order(netlist):
        if isinstance(cell, Lut):
            levels, bits = _later(*(at(n) for n in cell.inputs))
            arrival[cell.o6] = (levels + 1, bits)
            if cell.o5 is not None:
                arrival[cell.o5] = (levels + 1, bits)
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

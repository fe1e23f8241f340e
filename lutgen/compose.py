"""Netlists put together: one netlist's outputs feeding another's inputs, as one netlist.

Both keep their cells; every internal net and cell name gets a prefix, so
the two never collide, and the second's input ports read the first's output
nets directly. The result is checked like any netlist, so it can be
simulated, timed, pipelined and counted as one.
"""

from __future__ import annotations

from dataclasses import replace

from .cells import CONSTANTS, Carry, Ff, Lut, Netlist, check


def renamed(netlist: Netlist, prefix: str, ports: dict[str, str]) -> Netlist:
    """Every net and cell prefixed, except constants, the clock and the nets in `ports` (net -> new net)."""
    keep = set(CONSTANTS) | ({netlist.clock} if netlist.clock else set())

    def r(net):
        if net is None or net in keep:
            return net
        return ports.get(net, prefix + net)

    luts = tuple(Lut(prefix + c.name, c.init, tuple(r(n) for n in c.inputs), r(c.o6), r(c.o5)) for c in netlist.luts)
    carries = tuple(Carry(prefix + c.name, c.kind, r(c.ci), r(c.cyinit), tuple(r(n) for n in c.di),
                          tuple(r(n) for n in c.s), tuple(r(n) for n in c.o), tuple(r(n) for n in c.co))
                    for c in netlist.carries)
    ffs = tuple(Ff(prefix + f.name, r(f.d), r(f.ce), r(f.r), r(f.q)) for f in netlist.ffs)
    chains = tuple(tuple(prefix + name for name in chain) for chain in netlist.chains)
    outputs = tuple((port, tuple(r(n) for n in nets)) for port, nets in netlist.outputs)
    return replace(netlist, luts=luts, carries=carries, ffs=ffs, chains=chains, outputs=outputs)


def feed(first: Netlist, second: Netlist, connect: dict[str, str], name: str) -> Netlist:
    """`second` with its input port p reading `first`'s output port connect[p].

    The result's inputs are first's, then second's unconnected ones (the same
    port in both is one port); its outputs are second's. A port narrower than
    the output it reads takes the low bits.
    """
    a = renamed(first, "a_", {net: net for net in first.input_nets()})
    outs = dict(a.outputs)
    ports: dict[str, str] = {}
    for port, width in second.inputs:
        if port in connect:
            source = outs[connect[port]]
            if width > len(source):
                raise ValueError(f"{second.name}.{port} is {width} bits, {first.name}.{connect[port]} only {len(source)}")
            ports.update({f"{port}[{i}]": source[i] for i in range(width)})
    b = renamed(second, "b_", {**ports, **{net: net for net in second.input_nets() if net not in ports}})
    inputs = list(first.inputs) + [(p, w) for p, w in second.inputs if p not in connect and p not in dict(first.inputs)]
    scalars = tuple(dict.fromkeys((*first.scalar_inputs, *second.scalar_inputs)))
    clock = first.clock or second.clock
    result = Netlist(
        name=name, inputs=tuple(inputs), outputs=b.outputs, luts=a.luts + b.luts, carries=a.carries + b.carries,
        ffs=a.ffs + b.ffs, chains=a.chains + b.chains, clock=clock, scalar_inputs=scalars,
        output_signed=second.output_signed, meta=(("composed", (first.name, second.name)),),
    )
    check(result)
    return result

"""lutgen.timing: the delay model, netlist and Yosys timing graphs, and the worst path.

Every expected delay is written out from the model's fields. How hops count:
each cell input reached over general routing costs one `net`, on the arc
into that cell (a LUT arc is net + lut); the hop into a capturing FF is part
of its end extra (net + ff_setup); a module output adds nothing by default.
Dedicated wires (LUT O6 -> S and its O5 -> DI, CO[top] -> next CI, LUT -> MUXF)
cost no hop.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace

import pytest

from lutgen.cells import GND, VCC, Ff, Lut, Netlist, check
from lutgen.constructions.builder import NetlistBuilder, net_term
from lutgen.depth import critical_depth
from lutgen.target import FAMILIES
from lutgen.timing import (CombinationalLoop, arrival_times, carry_top, chain_delay, delay_model, fmax_mhz,
                           format_path, netlist_graph, top_module, worst_path, yosys_graph)

from tools import need

FAMILY_NAMES = ("xcup", "xc7")
BUFFER = 0xAAAAAAAAAAAAAAAA  # O6 = I0
PARITY6 = sum(1 << r for r in range(64) if bin(r).count("1") & 1)  # O6 = I0 ^ .. ^ I5; O5 = I0 ^ .. ^ I4


def lut_levels(path) -> int:
    return sum(1 for step in path.steps if step.kind.startswith("LUT"))


def carry_cells(path) -> list[str]:
    return list(dict.fromkeys(step.cell for step in path.steps if step.kind.startswith("CARRY")))


# -- the model ----------------------------------------------------------------------


def test_delay_model_grades_and_sources():
    fast, base, slow = (delay_model("xcup", g) for g in ("-3", "-2", "-1"))
    assert base.lut == 0.10 and base.net == 0.35 and base.carry_per_bit == 0.05 / 8
    assert slow.net == pytest.approx(base.net * 1.15) and fast.lut == pytest.approx(base.lut * 0.88)
    assert delay_model("xcup") == base
    xc7 = delay_model("xc7")
    assert xc7.carry_per_bit == pytest.approx(0.11 / 4) and xc7.uram_clk_to_q is None
    assert "estimate" in base.source and "DS922" in base.source and "assum" in base.source
    with pytest.raises(ValueError, match="xc6"):
        delay_model("xc6")
    with pytest.raises(ValueError, match="-4"):
        delay_model("xcup", "-4")


# -- lutgen netlists ------------------------------------------------------------------


def lut_chain_netlist(levels: int) -> Netlist:
    """FF q0 -> `levels` buffer LUTs -> FF; each LUT reads the previous one on I0."""
    luts, previous = [], "q0"
    for k in range(1, levels + 1):
        luts.append(Lut(f"l{k}", BUFFER, (previous, GND, GND, GND, GND, GND), f"l{k}_o"))
        previous = f"l{k}_o"
    ffs = (Ff("ff0", "x[0]", VCC, GND, "q0"), Ff("ff1", previous, VCC, GND, "q1"))
    netlist = Netlist("chain", (("x", 1),), (("y", ("q1",)),), tuple(luts), (), ffs, clock="clk")
    check(netlist)
    return netlist


@pytest.mark.parametrize("family", FAMILY_NAMES)
@pytest.mark.parametrize("levels", [1, 2, 5])
def test_lut_chain_between_ffs(family, levels):
    """clock-to-Q, one hop + LUT per level, the hop into the FF with its setup."""
    m = delay_model(family)
    path = worst_path(netlist_graph(lut_chain_netlist(levels), m))
    expected = m.ff_clk_to_q + levels * (m.net + m.lut) + m.net + m.ff_setup
    assert path.delay_ns == pytest.approx(expected)
    assert path.delay_ns == pytest.approx(chain_delay(m, levels, 0))
    assert path.nets == ("q0",) + tuple(f"l{k}_o" for k in range(1, levels + 1))
    assert (path.launch_ns, path.end_extra_ns) == (m.ff_clk_to_q, m.net + m.ff_setup)
    assert fmax_mhz(path) == pytest.approx(1000 / expected)
    assert "l1_o" in format_path(path)


def adder_netlist(family: str, bits: int) -> Netlist:
    """x + y on one carry chain (chain_add), with the carry-out as the top sum bit."""
    builder = NetlistBuilder(FAMILIES[family])
    x = {p: net_term(f"x[{p}]") for p in range(bits)}
    y = {p: net_term(f"y[{p}]") for p in range(bits)}
    sums = builder.chain_add(x, y, 0, 0, bits - 1, carry_out=True)
    netlist = builder.netlist("add", [("x", bits), ("y", bits)], [("s", tuple(sums[p] for p in range(bits + 1)))])
    check(netlist)
    return netlist


@pytest.mark.parametrize("family", FAMILY_NAMES)
@pytest.mark.parametrize("bits", [8, 16, 24])
def test_carry_chain(family, bits):
    """Input -> LUT -> S[0] (dedicated) -> carry through bits - 1 positions -> top CO.

    Between cells the carry takes the dedicated CO[top] -> CI wire: no hop, no
    carry_out / carry_in, so the time is the same whatever the cell count.
    """
    m = delay_model(family)
    netlist = adder_netlist(family, bits)
    width = FAMILIES[family].carry_width
    path = worst_path(netlist_graph(netlist, m))
    expected = m.net + m.lut + m.carry_in + (bits - 1) * m.carry_per_bit + m.carry_out
    assert path.delay_ns == pytest.approx(expected)
    assert lut_levels(path) == 1
    chain = netlist.chains[0]
    assert len(chain) == bits // width and carry_cells(path) == list(chain)
    carries = {c.name: c for c in netlist.carries}
    for low, high in zip(chain, chain[1:]):
        assert carry_top(low, width) in path.nets and f"{high}.c0" in path.nets  # the cascade wire
        assert carries[low].co[-1] not in path.nets  # not the CO net out on routing
    registered = worst_path(netlist_graph(netlist, m, input_arrival=m.ff_clk_to_q,
                                          output_required=m.net + m.ff_setup))
    assert registered.delay_ns == pytest.approx(chain_delay(m, 1, bits))


def late_input_netlist(lut: Lut, outputs: tuple[str, ...]) -> Netlist:
    """x[0..5] plus `late`, x[0] through three buffer LUTs; `lut` reads them."""
    buffers, previous = [], "x[0]"
    for k in range(3):
        buffers.append(Lut(f"buf{k}", BUFFER, (previous, GND, GND, GND, GND, GND), f"buf{k}_o"))
        previous = f"buf{k}_o"
    netlist = Netlist("late", (("x", 6),), (("y", outputs),), tuple(buffers) + (lut,), ())
    check(netlist)
    return netlist


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_o5_ignores_a_late_i5(family):
    """A LUT6_2 with I5 live: O6 reads all six pins, O5 (INIT[31:0], I5 = 0) only I0..I4."""
    m = delay_model(family)
    lut = Lut("dual", PARITY6, ("x[1]", "x[2]", "x[3]", "x[4]", "x[5]", "buf2_o"), "o6", "o5")
    arrival, _ = arrival_times(netlist_graph(late_input_netlist(lut, ("o6", "o5")), m))
    assert arrival["o6"] == pytest.approx(4 * (m.net + m.lut))
    assert arrival["o5"] == pytest.approx(m.net + m.lut)
    path = worst_path(netlist_graph(late_input_netlist(lut, ("o5",)), m))
    assert path.delay_ns == pytest.approx(m.net + m.lut) and "buf2_o" not in path.nets


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_o6_ignores_a_late_pin(family):
    """O6 = I0 with the late net on I3: the LUT's output does not wait for it."""
    m = delay_model(family)
    lut = Lut("single", BUFFER, ("x[1]", "x[2]", "x[3]", "buf2_o", "x[4]", "x[5]"), "o6")
    graph = netlist_graph(late_input_netlist(lut, ("o6",)), m)
    assert not [a for a in graph.arcs if a.src == "buf2_o"]
    path = worst_path(graph)
    assert path.nets == ("x[1]", "o6") and path.delay_ns == pytest.approx(m.net + m.lut)


def test_combinational_loop_is_named():
    loop = Netlist("loop", (("x", 1),), (("y", ("a_o",)),), (
        Lut("a", PARITY6, ("b_o", "x[0]", GND, GND, GND, GND), "a_o"),
        Lut("b", BUFFER, ("a_o", GND, GND, GND, GND, GND), "b_o"),
    ), ())
    with pytest.raises(CombinationalLoop, match=r"loop through net (a_o|b_o): .*(a_o -> b_o|b_o -> a_o)"):
        worst_path(netlist_graph(loop, delay_model("xcup")))


@pytest.mark.parametrize("family,stages", [("xcup", 0), ("xc7", 2)])
def test_dot_product_levels_match_critical_depth(family, stages):
    """The worst path in ns passes as many LUTs as depth.py's deepest path.

    search="greedy": the default ILP finds the same kind of netlist but takes seconds.
    """
    from lutgen.api import generate_dot
    from lutgen.spec import make_dot_spec, make_mul_spec

    spec = make_dot_spec(make_mul_spec(4, 4, True, False, family=family), 8, pipeline=stages)
    netlist = generate_dot(replace(spec, search="greedy")).netlist
    path = worst_path(netlist_graph(netlist, delay_model(family)))
    assert lut_levels(path) == critical_depth(netlist)[0]


# -- Yosys netlists --------------------------------------------------------------------

DESIGNS = """
module add16(input clk, input [15:0] a, b, output reg [16:0] s);
  reg [15:0] ra, rb;
  always @(posedge clk) begin ra <= a; rb <= b; s <= ra + rb; end
endmodule

module lutchain(input clk, input [20:0] a, output reg y);
  reg [20:0] r;
  wire [4:0] l;
  assign l[0] = r[0];
  genvar i;
  generate for (i = 0; i < 4; i = i + 1) begin : level
    LUT6 #(.INIT(64'h6996966996696996)) lut (.O(l[i+1]), .I0(l[i]), .I1(r[5*i+1]), .I2(r[5*i+2]),
      .I3(r[5*i+3]), .I4(r[5*i+4]), .I5(r[5*i+5]));
  end endgenerate
  always @(posedge clk) begin r <= a; y <= l[4]; end
endmodule

module carry8_add16(input clk, input [15:0] a, b, output reg [16:0] s);
  reg [15:0] ra, rb;
  wire [15:0] p, g, o, co;
  genvar i;
  generate for (i = 0; i < 16; i = i + 1) begin : pos
    LUT6_2 #(.INIT(64'h66666666AAAAAAAA)) lut (.O6(p[i]), .O5(g[i]), .I0(ra[i]), .I1(rb[i]),
      .I2(1'b0), .I3(1'b0), .I4(1'b0), .I5(1'b1));
  end endgenerate
  CARRY8 #(.CARRY_TYPE("SINGLE_CY8")) low (.CI(1'b0), .CI_TOP(1'b0), .DI(g[7:0]), .S(p[7:0]),
    .O(o[7:0]), .CO(co[7:0]));
  CARRY8 #(.CARRY_TYPE("SINGLE_CY8")) high (.CI(co[7]), .CI_TOP(1'b0), .DI(g[15:8]), .S(p[15:8]),
    .O(o[15:8]), .CO(co[15:8]));
  always @(posedge clk) begin ra <= a; rb <= b; s <= {co[15], o}; end
endmodule

module lutram(input clk, input we, input [5:0] wa, ra, input [7:0] d, output reg [7:0] q);
  reg [7:0] m [0:63];
  reg [5:0] rra, rwa;
  reg [7:0] rd;
  reg rwe;
  always @(posedge clk) begin
    rra <= ra; rwa <= wa; rd <= d; rwe <= we;
    if (rwe) m[rwa] <= rd;
    q <= m[rra];
  end
endmodule

module top(input clk, input [20:0] a, input [15:0] b, input we, input [5:0] wa, ra, input [7:0] d,
           output [16:0] s, s8, output y, output [7:0] q);
  add16 u_add (.clk(clk), .a(a[15:0]), .b(b), .s(s));
  lutchain u_chain (.clk(clk), .a(a), .y(y));
  carry8_add16 u_carry8 (.clk(clk), .a(a[15:0]), .b(b), .s(s8));
  lutram u_ram (.clk(clk), .we(we), .wa(wa), .ra(ra), .d(d), .q(q));
endmodule
"""

# xcup: one run keeps every design as its own module (no -flatten: the leaves hold only
# primitives, as a flattened netlist does). xc7: the documented flow on the adder alone,
# with -flatten and the I/O and clock buffers it inserts. The two run side by side.
SCRIPTS = {
    "xcup": "read_verilog designs.v; synth_xilinx -family xcup -top top; write_json xcup.json",
    "xc7": "read_verilog designs.v; synth_xilinx -family xc7 -flatten -top add16; write_json xc7.json",
}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory) -> dict[str, dict]:
    yosys = need("yosys", "apt-get install yosys (native Yosys synthesizes the timing test designs)")
    folder = tmp_path_factory.mktemp("timing")
    (folder / "designs.v").write_text(DESIGNS)
    runs = {f: subprocess.Popen([yosys, "-q", "-p", s], cwd=folder, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for f, s in SCRIPTS.items()}
    for family, run in runs.items():
        log, _ = run.communicate()
        assert run.returncode == 0, log[-3000:]
    return {family: json.loads((folder / f"{family}.json").read_text()) for family in SCRIPTS}


def synthesized_adder(synthesized, family):
    design = synthesized[family]
    return design["modules"]["add16"] if family == "xcup" else top_module(design)


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_yosys_registered_adder(synthesized, family):
    """Yosys builds a+b as one LUT2 per bit into a CARRY4 chain (0.23 uses CARRY4 on xcup too).

    The 17th bit leaves the fifth cell's O[0]: FF -> LUT2 -> S[0], then the carry
    passes 15 positions over four dedicated cascades, then out to the FF.
    """
    m = delay_model(family)
    module = synthesized_adder(synthesized, family)
    kinds = [cell["type"] for cell in module["cells"].values()]
    assert kinds.count("CARRY4") == 5 and kinds.count("LUT2") == 16 and kinds.count("FDRE") == 49
    graph = yosys_graph(module, m)
    path = worst_path(graph)
    assert lut_levels(path) == 1 and [graph.kinds[c] for c in carry_cells(path)] == ["CARRY4"] * 5
    assert path.start in {"ra[0]", "rb[0]"} and path.end_extra_ns == m.net + m.ff_setup
    cells = carry_cells(path)
    for low, high in zip(cells, cells[1:]):
        assert path.nets.index(f"{high}.c0") == path.nets.index(carry_top(low, 4)) + 1
    assert path.delay_ns == pytest.approx(chain_delay(m, 1, 16))


def test_yosys_flattened_buffers_keep_ports_connected(synthesized):
    """In the flattened xc7 netlist IBUF/OBUF/BUFG are zero-delay wires: input -> FF D still ends."""
    m = delay_model("xc7")
    module = top_module(synthesized["xc7"])
    assert {"IBUF", "OBUF", "BUFG"} <= {cell["type"] for cell in module["cells"].values()}
    arrival, _ = arrival_times(yosys_graph(module, m))
    assert arrival["s[16]"] == pytest.approx(m.ff_clk_to_q)  # FF Q through the OBUF


def test_yosys_lut_chain(synthesized):
    m = delay_model("xcup")
    graph = yosys_graph(synthesized["xcup"]["modules"]["lutchain"], m)
    path = worst_path(graph)
    assert [step.kind for step in path.steps] == ["LUT6"] * 4
    assert path.nets[1:] == ("l[1]", "l[2]", "l[3]", "l[4]")
    assert path.delay_ns == pytest.approx(m.ff_clk_to_q + 4 * (m.net + m.lut) + m.net + m.ff_setup)


def test_yosys_carry8_cascade_and_lut6_2(synthesized):
    """LUT6_2 O6 -> S and O5 -> DI, two CARRY8s joined CO[7] -> CI: the dedicated wires."""
    m = delay_model("xcup")
    path = worst_path(yosys_graph(synthesized["xcup"]["modules"]["carry8_add16"], m))
    assert [step.kind for step in path.steps][0] == "LUT6_2" and carry_cells(path) == ["low", "high"]
    assert "high.c0" in path.nets and "co[7]" not in path.nets and path.end == "co[15]"
    assert path.delay_ns == pytest.approx(chain_delay(m, 1, 16))


def test_yosys_lutram(synthesized):
    """Registered read address -> RAM64M8 -> registered data: one read between two hops."""
    m = delay_model("xcup")
    path = worst_path(yosys_graph(synthesized["xcup"]["modules"]["lutram"], m))
    assert [step.kind for step in path.steps] == ["RAM64M8"] and path.start.startswith("rra[")
    assert path.delay_ns == pytest.approx(m.ff_clk_to_q + m.net + m.lutram_read + m.net + m.ff_setup)


# -- hand-written Yosys cells (pin classification, no Yosys needed) ---------------------


def one_cell_module(kind: str, pins: dict[str, tuple[str, int]], **parameters) -> dict:
    """A module whose ports are exactly the pins of one cell: pin -> (direction, width)."""
    ports, connections, directions, bit = {}, {}, {}, 2
    for pin, (direction, width) in pins.items():
        bits = list(range(bit, bit + width))
        bit += width
        ports[pin] = {"direction": direction, "bits": bits}
        connections[pin] = bits
        directions[pin] = direction
    netnames = {pin: {"hide_name": 0, "bits": port["bits"]} for pin, port in ports.items()}
    cell = {"type": kind, "parameters": parameters, "port_directions": directions, "connections": connections}
    return {"ports": ports, "cells": {"u": cell}, "netnames": netnames}


def sources_of(graph, net: str) -> set[str]:
    return {arc.src.split("[")[0] for arc in graph.arcs if arc.dst == net}


def test_yosys_dual_port_lutram_pins():
    """RAM64X1D: A reads SPO and is the write address; DPRA reads DPO only."""
    m = delay_model("xcup")
    module = one_cell_module("RAM64X1D", {
        **{f"A{i}": ("input", 1) for i in range(6)}, **{f"DPRA{i}": ("input", 1) for i in range(6)},
        "D": ("input", 1), "WE": ("input", 1), "WCLK": ("input", 1), "SPO": ("output", 1), "DPO": ("output", 1)})
    graph = yosys_graph(module, m)
    assert sources_of(graph, "SPO") == {f"A{i}" for i in range(6)}
    assert sources_of(graph, "DPO") == {f"DPRA{i}" for i in range(6)}
    setup = m.net + m.lutram_setup
    assert {n for n, extra in graph.ends.items() if extra == setup} == {f"A{i}" for i in range(6)} | {"D", "WE"}
    assert graph.starts["SPO"] == m.lutram_read


def test_yosys_quad_port_lutram_pins():
    """RAM32M: DOx reads ADDRx; ADDRD is also the write address."""
    m = delay_model("xcup")
    pins = {f"ADDR{x}": ("input", 5) for x in "ABCD"}
    pins.update({f"DI{x}": ("input", 2) for x in "ABCD"})
    pins.update({f"DO{x}": ("output", 2) for x in "ABCD"})
    pins.update({"WE": ("input", 1), "WCLK": ("input", 1)})
    graph = yosys_graph(one_cell_module("RAM32M", pins), m)
    assert sources_of(graph, "DOA[0]") == {"ADDRA"} and sources_of(graph, "DOD[1]") == {"ADDRD"}
    ends = {n.split("[")[0] for n in graph.ends if graph.ends[n] > 0}
    assert ends == {"ADDRD", "DIA", "DIB", "DIC", "DID", "WE"}


def test_yosys_block_ram_and_uram():
    m = delay_model("xcup")
    pins = {"CLKARDCLK": ("input", 1), "ADDRARDADDR": ("input", 15), "DINADIN": ("input", 32),
            "WEA": ("input", 4), "DOUTBDOUT": ("output", 32)}
    graph = yosys_graph(one_cell_module("RAMB36E2", pins), m)
    assert graph.starts["DOUTBDOUT[3]"] == m.bram_clk_to_q and not graph.arcs
    assert graph.ends["WEA[0]"] == m.net + m.bram_setup and graph.ends.get("CLKARDCLK", 0) == 0
    uram = one_cell_module("URAM288", {"CLK": ("input", 1), "DIN_A": ("input", 72), "DOUT_A": ("output", 72)})
    assert yosys_graph(uram, m).starts["DOUT_A[0]"] == m.uram_clk_to_q
    with pytest.raises(ValueError, match="URAM288"):
        yosys_graph(uram, delay_model("xc7"))


def test_yosys_muxf7_from_luts_is_dedicated():
    """Two LUT6s into a MUXF7: I0/I1 dedicated (muxf alone), S routed (net + muxf)."""
    m = delay_model("xcup")

    def lut(out: int) -> dict:
        return {"type": "LUT6", "parameters": {"INIT": format(PARITY6, "064b")},
                "port_directions": {**{f"I{i}": "input" for i in range(6)}, "O": "output"},
                "connections": {**{f"I{i}": [2 + i] for i in range(6)}, "O": [out]}}

    mux = {"type": "MUXF7", "parameters": {}, "port_directions": {"I0": "input", "I1": "input", "S": "input",
                                                                  "O": "output"},
           "connections": {"I0": [10], "I1": [11], "S": [8], "O": [12]}}
    module = {"ports": {"x": {"direction": "input", "bits": list(range(2, 8))},
                        "sel": {"direction": "input", "bits": [8]},
                        "y": {"direction": "output", "bits": [12]}},
              "cells": {"lo": lut(10), "hi": lut(11), "mux": mux}, "netnames": {}}
    graph = yosys_graph(module, m)
    path = worst_path(graph)
    assert [step.kind for step in path.steps] == ["LUT6", "MUXF7"]
    assert path.delay_ns == pytest.approx(m.net + m.lut + m.muxf)
    assert {arc.delay for arc in graph.arcs if arc.src == "$8"} == {m.net + m.muxf}


def test_yosys_shift_register():
    """SRLC32E: the address selects Q like a LUT input; Q and Q31 launch at the clock; D, CE capture."""
    m = delay_model("xcup")
    graph = yosys_graph(one_cell_module("SRLC32E", {
        "A": ("input", 5), "CE": ("input", 1), "CLK": ("input", 1), "D": ("input", 1),
        "Q": ("output", 1), "Q31": ("output", 1)}), m)
    assert {(a.src, a.dst, a.delay) for a in graph.arcs} == {(f"A[{i}]", "Q", m.net + m.lut) for i in range(5)}
    assert graph.starts["Q"] == graph.starts["Q31"] == m.lutram_read
    assert graph.ends["D"] == graph.ends["CE"] == m.net + m.lutram_setup and "CLK" not in graph.ends


def test_yosys_dual_carry8_splits_at_ci_top():
    """DUAL_CY8: positions 4..7 take their carry from CI_TOP, not from position 3."""
    m = delay_model("xcup")
    pins = {"CI": ("input", 1), "CI_TOP": ("input", 1), "DI": ("input", 8), "S": ("input", 8),
            "O": ("output", 8), "CO": ("output", 8)}
    graph = yosys_graph(one_cell_module("CARRY8", pins, CARRY_TYPE="DUAL_CY8"), m)
    arrival, _ = arrival_times(replace(graph, starts={"CI": 0.0}))
    assert "O[3]" in arrival and "O[4]" not in arrival and "CO[7]" not in arrival
    arrival, _ = arrival_times(replace(graph, starts={"CI_TOP": 0.0}))
    assert arrival["O[7]"] == pytest.approx(m.net + m.carry_in + 3 * m.carry_per_bit + m.carry_out)
    assert "O[3]" not in arrival


def test_yosys_unknown_cell_is_named():
    module = one_cell_module("DSP48E2", {"A": ("input", 30), "P": ("output", 48)})
    with pytest.raises(ValueError, match="DSP48E2"):
        yosys_graph(module, delay_model("xcup"))

"""What makes an emitted accelerator folder a drop-in core: the self-checking test bench and its golden
vectors, the FuseSoC core file, the build scripts and the folder's README.

Stream format (the top's s_data / m_data; arch.hw.stream.stream_in_instance and stream_out_instance):
a pixel is its channels side by side, channel c in bits [c*B +: B] (B the tensor's bits); the
pixel is cut into ceil(pixel bits / beat bits) beats, low bits first, every pixel starting a new
beat; the last beat's bits above the pixel are zero on m_data and ignored on s_data.
"""

from __future__ import annotations

import numpy as np

from .golden import LayerParams, run
from .hw.plan import AccelHw
from .hw.stream import beats_per_pixel

VECTOR_FRAMES = 2  # frames of golden vectors the test bench streams
VECTOR_SEED = 1


def pixels_of(tensor: np.ndarray, bits: int) -> list[int]:
    """[C, H, W] -> one int per pixel in raster order, channel c at bits [c*bits +: bits]."""
    c, h, w = tensor.shape
    flat = (np.asarray(tensor, dtype=np.int64).reshape(c, h * w).T & ((1 << bits) - 1)).tolist()
    return [sum(int(v) << (k * bits) for k, v in enumerate(row)) for row in flat]


def beats_of(pixels: list[int], pixel_bits: int, beat_bits: int) -> list[int]:
    """The stream of beats that carries these pixels: each pixel low bits first, its last beat zero-padded."""
    n = beats_per_pixel(pixel_bits, beat_bits)
    mask = (1 << beat_bits) - 1
    return [(p >> (beat_bits * k)) & mask for p in pixels for k in range(n)]


def golden_vectors(hw: AccelHw, params: dict[str, LayerParams], frames: int = VECTOR_FRAMES,
                   seed: int = VECTOR_SEED) -> tuple[list[int], list[int]]:
    """Input and expected output beats of `frames` seeded random images, back to back, from the golden model."""
    rng = np.random.default_rng(seed)
    fin, fout = hw.formats["input"], hw.out_unit.out_format
    s = hw.net.input_shape
    ins, outs = [], []
    for _ in range(frames):
        image = rng.integers(fin.low, fin.high + 1, (s.c, s.h, s.w))
        ins += beats_of(pixels_of(image, fin.bits), hw.in_pixel_bits, hw.in_width)
        outs += beats_of(pixels_of(run(hw.net, params, image)[hw.output], fout.bits), hw.out_pixel_bits,
                         hw.out_width)
    return ins, outs


def hex_text(beats: list[int], bits: int) -> str:
    digits = (bits + 3) // 4
    return "".join(f"{b:0{digits}x}\n" for b in beats)


def testbench(hw: AccelHw, in_beats: int, out_beats: int, load_beats: int, frames: int) -> str:
    """A self-checking Verilog-2005 bench: random input gaps and output backpressure, every beat compared."""
    top, iw, ow = hw.top, hw.in_width, hw.out_width
    load_ports = ", .ld_valid(ld_valid), .ld_ready(ld_ready), .ld_data(ld_data)" if load_beats else ""
    load = ""
    if load_beats:
        load = f"""
    // the weight load: every beat of load_stream.hex, before the input is taken
    reg [63:0] ld_mem [0:{load_beats - 1}];
    initial $readmemh({{WEIGHTS_DIR, "/load_stream.hex"}}, ld_mem);
    integer loaded_beats;
    reg ld_valid;
    wire ld_ready;
    wire [63:0] ld_data = ld_mem[loaded_beats < {load_beats} ? loaded_beats : 0];
    always @(posedge clk) begin
        if (rst) begin
            loaded_beats <= 0;
            ld_valid <= 1'b0;
        end else begin
            if (ld_valid && ld_ready) loaded_beats <= loaded_beats + 1;
            ld_valid <= loaded_beats + (ld_valid && ld_ready ? 1 : 0) < {load_beats};
        end
    end
"""
    return f"""`timescale 1ns / 1ps
`default_nettype none
// tb_{top}: streams {frames} golden-model frames ({in_beats} beats of {iw} bits) into {top} with random gaps,
// takes the output under random backpressure, and compares every one of the {out_beats} output beats
// ({ow} bits) with the golden model's. Prints PASS or FAIL; a mismatch or a timeout ends in $fatal.
// Parameters: WEIGHTS_DIR and VECTORS_DIR, the folders of the weight and vector files, from where it runs.
module tb_{top};
    parameter WEIGHTS_DIR = "weights";
    parameter VECTORS_DIR = "vectors";
    parameter SEED = 1;
    localparam MAX_CYCLES = {20 * (hw.ii * (frames + 2) + in_beats + out_beats + load_beats) + 10000};

    reg clk = 1'b0;
    always #5 clk = !clk;
    reg rst = 1'b1;
    integer cycle = 0;
    integer seed_in = SEED;
    integer seed_out = SEED + 1;

    reg [{iw - 1}:0] in_mem [0:{in_beats - 1}];
    reg [{ow - 1}:0] out_mem [0:{out_beats - 1}];
    initial begin
        $readmemh({{VECTORS_DIR, "/in_beats.hex"}}, in_mem);
        $readmemh({{VECTORS_DIR, "/out_beats.hex"}}, out_mem);
    end

    reg s_valid;
    wire s_ready;
    reg [{iw - 1}:0] s_data;
    wire m_valid;
    reg m_ready;
    wire [{ow - 1}:0] m_data;
{load}
    {top} #(.WEIGHTS_DIR(WEIGHTS_DIR)) dut (.clk(clk), .rst(rst), .s_valid(s_valid), .s_ready(s_ready),
        .s_data(s_data), .m_valid(m_valid), .m_ready(m_ready), .m_data(m_data){load_ports});

    // input: a beat holds until taken; after that the next one comes three cycles in four
    integer sent;
    always @(posedge clk) begin
        if (rst) begin
            sent <= 0;
            s_valid <= 1'b0;
            s_data <= {iw}'d0;
        end else if (!s_valid || s_ready) begin
            if (s_valid) sent <= sent + 1;
            if (sent + (s_valid ? 1 : 0) < {in_beats} && ($random(seed_in) & 3) != 0) begin
                s_valid <= 1'b1;
                s_data <= in_mem[sent + (s_valid ? 1 : 0)];
            end else begin
                s_valid <= 1'b0;
            end
        end
    end

    // output: ready three cycles in four; every beat taken is compared
    integer got;
    always @(posedge clk) begin
        cycle <= cycle + 1;
        if (rst) begin
            got <= 0;
            m_ready <= 1'b0;
        end else begin
            m_ready <= ($random(seed_out) & 3) != 0;
            if (m_valid && m_ready) begin
                if (m_data !== out_mem[got]) begin
                    $display("FAIL: output beat %0d is %h, expected %h", got, m_data, out_mem[got]);
                    $fatal(1, "tb_{top}: output mismatch");
                end
                got <= got + 1;
                if (got + 1 == {out_beats}) begin
                    $display("PASS: {frames} frames, %0d output beats bit-exact, %0d cycles", got + 1, cycle);
                    $finish;
                end
            end
            if (cycle > MAX_CYCLES) begin
                $display("FAIL: timeout after %0d cycles, %0d of {out_beats} output beats", cycle, got);
                $fatal(1, "tb_{top}: timeout");
            end
        end
    end

    initial begin
        repeat (4) @(posedge clk);
        rst <= 1'b0;
    end
endmodule
`default_nettype wire
"""


def _yaml_list(paths: list[str], indent: str = "      ") -> str:
    return "".join(f"{indent}- {p}\n" for p in paths)


def _copied(paths: list[str], indent: str = "      ") -> str:
    """User files copied into the tool's work folder under the same name, where $readmemh looks."""
    return "".join(f"{indent}- {p}: {{copyto: {p}}}\n" for p in paths)


def core_file(name: str, top: str, part: str, family: str, groups: dict[str, list[str]]) -> str:
    """The FuseSoC (CAPI2) core: filesets of the folder's files, targets lint, sim, sim_lut, synth, vivado."""
    def fileset(key, file_type, paths, copied=False):
        if not paths:
            return ""
        body = _copied(paths) if copied else _yaml_list(paths)
        return f"  {key}:\n    file_type: {file_type}\n    files:\n{body}"

    sets = "".join([
        fileset("prims", "verilogSource", groups["prims"]),
        fileset("lut_view", "verilogSource", groups["pe"]),
        fileset("behavioural_view", "verilogSource", groups["behavioural"]),
        fileset("rtl", "verilogSource", groups["common"]),
        fileset("weights", "user", groups["weights"], copied=True),
        fileset("tb", "verilogSource", groups["tb"]),
        fileset("vectors", "user", groups["vectors"], copied=True),
        fileset("constraints", "xdc", ["constraints.xdc"]),
    ])
    weights = ", weights" if groups["weights"] else ""
    synth_family = {"xcup": "xcup", "xc7": "xc7"}[family]
    return f"""CAPI=2:
# FuseSoC core of {top}, written by lutgen accel. From this folder's parent, or with --cores-root:
#   fusesoc --cores-root . run --target lint {name}
#   fusesoc --cores-root . run --target sim {name}
name: {name}
description: "{top}: layer-pipelined CNN dataflow accelerator generated by lutgen accel"

filesets:
{sets}
targets:
  default: &default
    filesets: [lut_view, rtl{weights}]
    toplevel: {top}

  lint:
    description: Verilator -Wall on the LUT view (the primitive models beside it)
    default_tool: verilator
    filesets: [prims, lut_view, rtl]
    toplevel: {top}
    tools:
      verilator:
        mode: lint-only
        verilator_options: [-Wall]

  sim:
    description: the self-checking test bench on Icarus, behavioural dot units (fast)
    default_tool: icarus
    filesets: [prims, behavioural_view, rtl{weights}, tb, vectors]
    toplevel: tb_{top}
    tools:
      icarus:
        iverilog_options: [-g2005]

  sim_lut:
    description: the same bench on the LUT view, every cell on the primitive models (slower)
    default_tool: icarus
    filesets: [prims, lut_view, rtl{weights}, tb, vectors]
    toplevel: tb_{top}
    tools:
      icarus:
        iverilog_options: [-g2005]

  synth:
    description: Yosys synth_xilinx
    default_tool: yosys
    filesets: [lut_view, rtl{weights}]
    toplevel: {top}
    tools:
      yosys:
        arch: xilinx
        yosys_synth_options: [-family, {synth_family}, -noiopad, -noclkbuf]

  vivado:
    description: Vivado out-of-context synthesis for {part}
    default_tool: vivado
    filesets: [lut_view, rtl{weights}, constraints]
    toplevel: {top}
    tools:
      vivado:
        part: {part}
        synth: vivado
        pnr: none
"""


def vivado_script(top: str, part: str) -> str:
    return (f"# Vivado: vivado -mode batch -source build.tcl (from any folder)\n"
            f"# Synthesizes {top} out of context for {part} and writes utilisation and timing reports.\n"
            "set here [file dirname [file normalize [info script]]]\n"
            "cd $here\n"
            f"set part {part}\n"
            "set files [open filelist_synth.f]\n"
            "foreach path [split [read $files] \"\\n\"] { if {$path ne \"\"} { read_verilog $path } }\n"
            "close $files\n"
            "read_xdc constraints.xdc\n"
            "# the $readmemh files, wherever this folder is: the top's WEIGHTS_DIR parameter\n"
            f"synth_design -top {top} -part $part -mode out_of_context -generic WEIGHTS_DIR=\\\"$here/weights\\\"\n"
            "report_utilization -file utilization.txt\n"
            "report_timing_summary -file timing.txt\n")


def yosys_script(top: str, family: str) -> str:
    """Yosys: `yosys -c synth.tcl` from this folder; WEIGHTS_DIR from the environment (default: ./weights)."""
    return (f"# Yosys: yosys -c synth.tcl (from this folder; WEIGHTS_DIR=/path/to/weights to read them elsewhere)\n"
            "yosys -import\n"
            "set weights [expr {[info exists ::env(WEIGHTS_DIR)] ? $::env(WEIGHTS_DIR) : \"weights\"}]\n"
            "set files [open filelist_synth.f]\n"
            "foreach path [split [read $files] \"\\n\"] { if {$path ne \"\"} { read_verilog -defer -sv $path } }\n"
            "close $files\n"
            f"chparam -set WEIGHTS_DIR \"\\\"$weights\\\"\" {top}\n"
            f"synth_xilinx -family {family} -top {top} -noiopad -noclkbuf\n"
            "tee -o yosys_stat.txt stat\n"
            f"write_verilog -noattr {top}_yosys.v\n")


def _report_table(report: dict) -> str:
    rows = ["| layer | type | out | widths | folding | cycles | LUT | FF | BRAM36 | URAM | weights |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["layers"]:
        rows.append(f"| {r['name']} | {r['type']} | {r['out_shape']} | {r['widths']} | {r['folding']} | {r['cycles']:,} | "
                    f"{r['lut']:,} | {r['ff']:,} | {r['bram36']:g} | {r['uram']} | {r['weight_memory']} |")
    return "\n".join(rows)


def readme(hw: AccelHw, report: dict, core_name: str, part: str, load_beats: int, frames: int) -> str:
    """The emitted folder's README: what was built, its ports and stream formats, how to run it."""
    top, net = hw.top, hw.net
    sp = report["stream_ports"]
    fin, fout = hw.formats["input"], hw.out_unit.out_format
    s0, s1 = net.input_shape, hw.out_unit.out_shape
    u = report["usage"]
    sign = {False: "unsigned", True: "signed"}
    load = ""
    if load_beats:
        load = f"""
## Weight load (UltraRAM)

UltraRAM has no initial contents, so some weights arrive on `ld_valid` / `ld_ready` / `ld_data[63:0]` before
the first frame: the {load_beats:,} beats of `weights/load_stream.hex` in order (memory after memory in layer
order, then weight width; each memory's words from address 0; each word in ceil(width / 64) beats, low bits
first). `s_ready` stays low until the last beat is taken; `ld_ready` then stays low. The load state has
power-up values and no reset: a reset does not ask for the weights again.
"""
    return f"""# {top}

A layer-pipelined CNN dataflow accelerator for **{net.name}** on **{report['device']}** ({report['family']}),
written by `lutgen accel`. Clock: {report['clock_mhz']:.1f} MHz (lutgen's timing estimate; target
{report['clock_target_mhz']:g} MHz). One frame every {report['ii_cycles']:,} cycles in steady state (bottleneck
{report['bottleneck']}): {report['fps']:.1f} frames/s at that clock.

Usage counted from these files (`report.txt`, `{report_name(report)}`): LUT {u['LUT']:,}, FF {u['FF']:,},
BRAM36 {u['BRAM36']:g}, URAM {u['URAM']}, DSP 0.

{_report_table(report)}

The stream adapters at the ports: LUT {sp['lut']:,}, FF {sp['ff']:,} (in the totals above).

## Ports

| port | dir | width | meaning |
|---|---|---|---|
| `clk` | in | 1 | clock, rising edge |
| `rst` | in | 1 | synchronous, active high: clears every stream (not the weight memories) |
| `s_valid`, `s_ready`, `s_data` | in, out, in | 1, 1, {sp['in_width']} | input pixels |
| `m_valid`, `m_ready`, `m_data` | out, in, out | 1, 1, {sp['out_width']} | output pixels |
""" + ("| `ld_valid`, `ld_ready`, `ld_data` | in, out, in | 1, 1, 64 | weight load (below) |\n" if load_beats else "") + f"""| parameter `WEIGHTS_DIR` | | string | folder of the `$readmemh` files, as the tool running sees it (default `"weights"`) |

Streams are AXI-Stream style: a beat moves when `valid && ready`; `valid` holds, with its data, until taken.

## Stream format

- Input: {s0.h}x{s0.w} pixels a frame in raster order (row 0 first, left to right), frames back to back. A pixel
  is {s0.c} channels of {fin.bits}-bit {sign[fin.signed]} values, channel c in bits [c*{fin.bits} +: {fin.bits}] of a
  {sp['in_pixel_bits']}-bit pixel word. It travels in {sp['in_beats_per_pixel']} beat(s) of {sp['in_width']} bits:
  beat k carries pixel bits [k*{sp['in_width']} +: {sp['in_width']}] (channel 0 in the lowest bits of the first beat);
  each pixel starts a new beat and the bits of its last beat above the pixel are ignored. {sp['in_beats_per_frame']:,}
  beats a frame.
- Output: {s1.h}x{s1.w} pixel(s) a frame, same order; {s1.c} channels of {fout.bits}-bit {sign[fout.signed]} values,
  channel c in bits [c*{fout.bits} +: {fout.bits}] of a {sp['out_pixel_bits']}-bit pixel word, in
  {sp['out_beats_per_pixel']} beat(s) of {sp['out_width']} bits, low bits first; the bits of the last beat above the
  pixel are zero. {sp['out_beats_per_frame']:,} beats a frame.
- The stream ports take or give one beat a cycle at most: {sp['cycles']:,} cycles a frame for the busier one.
{load}
## Files

- `{top}.v` the top; `layers/` one module per layer; `cells/` and `pe/` lutgen netlists (LUT6_2, CARRY, FDRE
  instances); `pe_behavioural/` the same dot units as behavioural Verilog; `rtl_lib/stream/` FIFO, line buffer,
  fork, width adapter; `rtl_lib/prims/` simulation models of the Xilinx primitives (for simulators without UNISIM).
- `weights/` the `$readmemh` files (block-RAM rows{', the load stream' if load_beats else ''}); a memory reads
  `{{WEIGHTS_DIR, "/<file>.hex"}}`.
- `filelist.f` (LUT view with the primitive models), `filelist_behavioural.f`, `filelist_synth.f` (no models).
- `tb/tb_{top}.v` a self-checking bench; `vectors/in_beats.hex`, `vectors/out_beats.hex` {frames} seeded frames of
  the golden model's input and output beats.
- `{core_name.split(':')[2]}_accel.core` the FuseSoC core; `build.tcl` (Vivado), `synth.tcl` (Yosys), `constraints.xdc`.

## Simulate and synthesize

With FuseSoC (fusesoc 2.4 / edalize 0.6; the core is `{core_name}`):

```sh
fusesoc --cores-root . run --target lint {core_name}     # Verilator --lint-only -Wall, LUT view
fusesoc --cores-root . run --target sim {core_name}      # Icarus: the bench, behavioural dot units; prints PASS
fusesoc --cores-root . run --target sim_lut {core_name}  # Icarus: the bench on the LUT view
fusesoc --cores-root . run --target synth {core_name}    # Yosys synth_xilinx
fusesoc --cores-root . run --target vivado {core_name}   # Vivado, part {part}
```

FuseSoC copies the `weights/` and `vectors/` files into its work folder, where the default `WEIGHTS_DIR` finds them.
Without FuseSoC, from this folder (from elsewhere, set `WEIGHTS_DIR` and `VECTORS_DIR` to these folders):

```sh
verilator --lint-only -Wall --top-module {top} -f filelist.f
iverilog -g2005 -s tb_{top} -o tb.vvp -c filelist_behavioural.f tb/tb_{top}.v && vvp -n tb.vvp
iverilog -g2005 -s tb_{top} -o tb.vvp -Ptb_{top}.WEIGHTS_DIR='"/abs/weights"' -Ptb_{top}.VECTORS_DIR='"/abs/vectors"' \\
    -c filelist_behavioural.f tb/tb_{top}.v && vvp -n tb.vvp
yosys -c synth.tcl
vivado -mode batch -source build.tcl
```
"""


def report_name(report: dict) -> str:
    from .inputs import ident
    return f"arch_{ident(report['network'])}_{report['device']}.json"

// lutgen_fifo: synchronous first-word-fall-through FIFO with AXI-Stream style handshakes.
//
// Parameters
//   WIDTH  bits of one beat (>= 1, default 8)
//   DEPTH  number of beats it can hold (any value >= 1, not only powers of two; default 16)
//
// Ports
//   clk                 clock, everything is on its rising edge
//   rst                 synchronous active-high reset: empties the FIFO (stored data is not cleared)
//   s_valid, s_ready    input handshake; a beat is written when s_valid && s_ready
//   s_data[WIDTH-1:0]   input beat
//   m_valid, m_ready    output handshake; a beat is read when m_valid && m_ready
//   m_data[WIDTH-1:0]   output beat: the oldest stored beat, stable while m_valid && !m_ready
//   count               number of beats stored, 0..DEPTH ($clog2(DEPTH+1) bits)
//
// Latency and behaviour
//   A beat written in cycle t is on m_data with m_valid high from cycle t+1 (one cycle;
//   there is no combinational path from s_* to m_*). m_valid = (count != 0) and is a
//   register output. For DEPTH >= 2, s_ready = (count != DEPTH) is a register output too,
//   and one beat in plus one beat out per cycle is sustained whenever neither side stalls.
//   For DEPTH == 1, s_ready = (count == 0) || m_ready, so that a one-entry FIFO also moves
//   one beat per cycle: this is the only combinational path (m_ready to s_ready).
//   Storage is an array of DEPTH x WIDTH with an asynchronous read (distributed RAM or
//   registers); pointers wrap at DEPTH.
`default_nettype none

module lutgen_fifo #(
    parameter WIDTH = 8,
    parameter DEPTH = 16
) (
    input  wire                         clk,
    input  wire                         rst,
    input  wire                         s_valid,
    output wire                         s_ready,
    input  wire [WIDTH-1:0]             s_data,
    output wire                         m_valid,
    input  wire                         m_ready,
    output wire [WIDTH-1:0]             m_data,
    output wire [$clog2(DEPTH+1)-1:0]   count
);
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;   // pointer bits
    localparam CW = $clog2(DEPTH + 1);                 // count bits
    localparam [31:0] LAST32 = DEPTH - 1;
    localparam [31:0] FULL32 = DEPTH;
    localparam [AW-1:0] LAST = LAST32[AW-1:0];
    localparam [CW-1:0] FULL = FULL32[CW-1:0];
    localparam [CW-1:0] ONE = 1;

    reg [WIDTH-1:0] mem [0:DEPTH-1];
    reg [AW-1:0] wr_ptr;
    reg [AW-1:0] rd_ptr;
    reg [CW-1:0] n;

    wire empty = (n == {CW{1'b0}});
    wire full = (n == FULL);

    generate
        if (DEPTH == 1) begin : g_one
            assign s_ready = !full || m_ready;
        end else begin : g_many
            assign s_ready = !full;
        end
    endgenerate

    assign m_valid = !empty;
    assign m_data = mem[rd_ptr];
    assign count = n;

    wire push = s_valid && s_ready;
    wire pop = m_valid && m_ready;

    always @(posedge clk) begin
        if (push)
            mem[wr_ptr] <= s_data;
    end

    always @(posedge clk) begin
        if (rst) begin
            wr_ptr <= {AW{1'b0}};
            rd_ptr <= {AW{1'b0}};
            n <= {CW{1'b0}};
        end else begin
            if (push)
                wr_ptr <= (wr_ptr == LAST) ? {AW{1'b0}} : wr_ptr + 1'b1;
            if (pop)
                rd_ptr <= (rd_ptr == LAST) ? {AW{1'b0}} : rd_ptr + 1'b1;
            if (push && !pop)
                n <= n + ONE;
            else if (pop && !push)
                n <= n - ONE;
        end
    end
endmodule

`default_nettype wire

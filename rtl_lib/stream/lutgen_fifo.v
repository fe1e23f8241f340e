// lutgen_fifo: synchronous first-word-fall-through FIFO with AXI-Stream style handshakes.
//
// Parameters
//   WIDTH  bits of one beat (>= 1, default 8)
//   DEPTH  number of beats it can hold (any value >= 1, not only powers of two; default 16)
//   BLOCK  0 (default): storage in distributed RAM with an asynchronous read;
//          1: storage in block RAM with a registered read, for deep FIFOs (DEPTH >= 3 keeps
//          one beat per cycle)
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
//   BLOCK 0: a beat written in cycle t is on m_data with m_valid high from cycle t+1 (one
//   cycle; there is no combinational path from s_* to m_*). BLOCK 1: from cycle t+2 (the
//   head is read into an output register first). m_valid is a register output. For
//   DEPTH >= 2, s_ready = (count != DEPTH) is a register output too, and one beat in plus
//   one beat out per cycle is sustained whenever neither side stalls. For DEPTH == 1,
//   s_ready = (count == 0) || m_ready, so that a one-entry FIFO also moves one beat per
//   cycle: this is the only combinational path (m_ready to s_ready).
//
// Storage
//   BLOCK 0: DEPTH x WIDTH, asynchronous read, ram_style "distributed" (LUT RAM).
//   BLOCK 1: DEPTH x WIDTH, registered read, ram_style "block", plus the WIDTH-bit output
//   register; the beat in the output register still counts as stored, so `count` and
//   s_ready mean the same in both styles. Pointers wrap at DEPTH.
`default_nettype none

module lutgen_fifo #(
    parameter WIDTH = 8,
    parameter DEPTH = 16,
    parameter BLOCK = 0
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

    reg [AW-1:0] wr_ptr;
    reg [AW-1:0] rd_ptr;
    reg [CW-1:0] n;

    wire full = (n == FULL);

    generate
        if (DEPTH == 1) begin : g_one
            assign s_ready = !full || m_ready;
        end else begin : g_many
            assign s_ready = !full;
        end
    endgenerate

    assign count = n;

    wire push = s_valid && s_ready;
    wire pop = m_valid && m_ready;
    wire read;  // the head leaves the storage (into m_data, or straight out)

    generate
        if (BLOCK == 0) begin : g_distributed
            (* ram_style = "distributed" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            assign m_valid = (n != {CW{1'b0}});
            assign m_data = mem[rd_ptr];
            assign read = pop;
            always @(posedge clk) begin
                if (push)
                    mem[wr_ptr] <= s_data;
            end
        end else begin : g_block
            (* ram_style = "block" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            reg [WIDTH-1:0] head;
            reg head_valid;
            // a beat waits in the storage while n counts more beats than the output register holds
            wire waiting = (n != {{(CW-1){1'b0}}, head_valid});
            assign read = waiting && (!head_valid || pop);
            assign m_valid = head_valid;
            assign m_data = head;
            always @(posedge clk) begin
                if (push)
                    mem[wr_ptr] <= s_data;
                if (read)
                    head <= mem[rd_ptr];
            end
            always @(posedge clk) begin
                if (rst)
                    head_valid <= 1'b0;
                else if (read)
                    head_valid <= 1'b1;
                else if (pop)
                    head_valid <= 1'b0;
            end
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            wr_ptr <= {AW{1'b0}};
            rd_ptr <= {AW{1'b0}};
            n <= {CW{1'b0}};
        end else begin
            if (push)
                wr_ptr <= (wr_ptr == LAST) ? {AW{1'b0}} : wr_ptr + 1'b1;
            if (read)
                rd_ptr <= (rd_ptr == LAST) ? {AW{1'b0}} : rd_ptr + 1'b1;
            if (push && !pop)
                n <= n + ONE;
            else if (pop && !push)
                n <= n - ONE;
        end
    end
endmodule

`default_nettype wire

// lutgen_stream_pack: stream width adapter, beats of IN_LANES items into beats of OUT_LANES
// items, order preserved, AXI-Stream style handshakes.
//
// Parameters
//   ITEM_W     bits of one item (default 8)
//   IN_LANES   items per input beat (default 1)
//   OUT_LANES  items per output beat (default 4)
//   One of IN_LANES, OUT_LANES must divide the other.
//
// Ports
//   clk                            clock, everything is on its rising edge
//   rst                            synchronous active-high reset: drops a partly packed or
//                                  partly sent beat and empties the output
//   s_valid, s_ready               input handshake; a beat is taken when s_valid && s_ready
//   s_data[IN_LANES*ITEM_W-1:0]    input beat, item j in bits [j*ITEM_W +: ITEM_W]
//   m_valid, m_ready               output handshake; a beat is taken when m_valid && m_ready
//   m_data[OUT_LANES*ITEM_W-1:0]   output beat, item j in bits [j*ITEM_W +: ITEM_W];
//                                  stable while m_valid && !m_ready
//
// Behaviour
//   The stream of items is the same on both sides: item j of a beat comes before item j+1,
//   and all items of a beat before those of the next beat. Lane 0 (the low bits) is first.
//   Widening (OUT_LANES = N*IN_LANES): N input beats make one output beat.
//   Narrowing (IN_LANES = N*OUT_LANES): one input beat makes N output beats.
//   Equal widths: a register slice.
//
// Latency and throughput
//   An output beat is valid the cycle after the input beat that completes it (widening,
//   equal) or that holds it (narrowing) is taken: one register stage, m_valid is a register
//   output. It sustains one input beat per cycle when widening and one output beat per cycle
//   when narrowing (the narrow side is always at full rate). The only combinational path is
//   from m_ready to s_ready.
//
// Storage
//   One register of max(IN_LANES, OUT_LANES)*ITEM_W bits, shifted by one beat of the narrow
//   side at a time, and a beat counter.
`default_nettype none

module lutgen_stream_pack #(
    parameter ITEM_W = 8,
    parameter IN_LANES = 1,
    parameter OUT_LANES = 4
) (
    input  wire                         clk,
    input  wire                         rst,
    input  wire                         s_valid,
    output wire                         s_ready,
    input  wire [IN_LANES*ITEM_W-1:0]   s_data,
    output reg                          m_valid,
    input  wire                         m_ready,
    output wire [OUT_LANES*ITEM_W-1:0]  m_data
);
    localparam IN_W = IN_LANES * ITEM_W;
    localparam OUT_W = OUT_LANES * ITEM_W;
    localparam N = (OUT_LANES > IN_LANES) ? OUT_LANES / IN_LANES : IN_LANES / OUT_LANES;
    localparam NW = (N > 1) ? $clog2(N) : 1;
    localparam [31:0] LAST32 = N - 1;
    localparam [NW-1:0] LAST = LAST32[NW-1:0];
    localparam [31:0] PENULT32 = (N > 1) ? N - 2 : 0;
    localparam [NW-1:0] PENULT = PENULT32[NW-1:0];   // narrowing: the beat before the last

    wire take_in = s_valid && s_ready;
    wire take_out = m_valid && m_ready;

    generate
        if (OUT_LANES > IN_LANES) begin : g_widen
            // Each input beat shifts in at the top; after N beats the first is at the bottom.
            reg [OUT_W-1:0] acc;
            reg [NW-1:0] n;
            assign s_ready = !m_valid || m_ready;
            assign m_data = acc;
            always @(posedge clk) begin
                if (take_in)
                    acc <= {s_data, acc[OUT_W-1:IN_W]};
            end
            always @(posedge clk) begin
                if (rst) begin
                    n <= {NW{1'b0}};
                    m_valid <= 1'b0;
                end else begin
                    if (take_out)
                        m_valid <= 1'b0;
                    if (take_in) begin
                        if (n == LAST) begin
                            n <= {NW{1'b0}};
                            m_valid <= 1'b1;
                        end else begin
                            n <= n + 1'b1;
                        end
                    end
                end
            end
        end else if (IN_LANES > OUT_LANES) begin : g_narrow
            // The held input beat shifts down by one output beat each time one is taken.
            // `last` (n == LAST) is a register so that s_ready, and with it every bit's load-or-shift
            // choice, depends on a few registers only: one LUT a held bit.
            reg [IN_W-1:0] hold;
            reg [NW-1:0] n;
            reg last;
            assign s_ready = !m_valid || (m_ready && last);
            assign m_data = hold[OUT_W-1:0];
            always @(posedge clk) begin
                if (take_in)
                    hold <= s_data;
                else if (take_out)
                    hold <= {{OUT_W{1'b0}}, hold[IN_W-1:OUT_W]};
            end
            always @(posedge clk) begin
                if (rst) begin
                    n <= {NW{1'b0}};
                    last <= 1'b0;
                    m_valid <= 1'b0;
                end else if (take_in) begin
                    n <= {NW{1'b0}};
                    last <= 1'b0;
                    m_valid <= 1'b1;
                end else if (take_out) begin
                    if (last) begin
                        n <= {NW{1'b0}};
                        last <= 1'b0;
                        m_valid <= 1'b0;
                    end else begin
                        n <= n + 1'b1;
                        last <= (n == PENULT);
                    end
                end
            end
        end else begin : g_slice
            reg [OUT_W-1:0] hold;
            assign s_ready = !m_valid || m_ready;
            assign m_data = hold;
            always @(posedge clk) begin
                if (take_in)
                    hold <= s_data;
            end
            always @(posedge clk) begin
                if (rst)
                    m_valid <= 1'b0;
                else if (take_in)
                    m_valid <= 1'b1;
                else if (take_out)
                    m_valid <= 1'b0;
            end
        end
    endgenerate
endmodule

`default_nettype wire

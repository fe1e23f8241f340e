// lutgen_line_buffer: sliding-window generator for a KxK convolution or pooling window over a
// streamed image, with stride and zero padding, AXI-Stream style handshakes.
//
// Parameters
//   DATA_W  bits of one input beat = one whole pixel, all channels packed (default 8)
//   IMG_W   image width in pixels (default 8)
//   IMG_H   image height in pixels (default 8)
//   K       window size, K x K (>= 1, default 3)
//   STRIDE  step between windows, in both directions (>= 1, default 1)
//   PAD     zero padding on each of the four sides (>= 0, default 1)
//   BLOCK   0 (default): the row store in distributed RAM with an asynchronous read;
//           1: in block RAM with a registered read (needs IMG_W + 2*PAD >= 2), for wide images
//   Needs K <= IMG_W + 2*PAD and K <= IMG_H + 2*PAD.
//
// Ports
//   clk                      clock, everything is on its rising edge
//   rst                      synchronous active-high reset: back to the start of a frame,
//                            output emptied (stored pixels are not cleared)
//   s_valid, s_ready         input handshake; a pixel is taken when s_valid && s_ready
//   s_data[DATA_W-1:0]       input pixel; pixels come in raster order (row 0 first, left to
//                            right), IMG_W*IMG_H per frame, frames back to back with no gap
//   m_valid, m_ready         output handshake; a window is taken when m_valid && m_ready
//   m_data[K*K*DATA_W-1:0]   output window; window row r, column c (row 0 = top, column 0 =
//                            left) is m_data[(r*K + c)*DATA_W +: DATA_W]; zero where the
//                            window lies in the padding. Stable while m_valid && !m_ready.
//
// Behaviour
//   Per frame it emits H_OUT*W_OUT windows in raster order over the output positions, with
//   H_OUT = (IMG_H + 2*PAD - K)/STRIDE + 1 and W_OUT = (IMG_W + 2*PAD - K)/STRIDE + 1;
//   output (oy, ox) covers input rows oy*STRIDE-PAD .. oy*STRIDE-PAD+K-1 and columns
//   ox*STRIDE-PAD .. ox*STRIDE-PAD+K-1.
//   Internally it walks the padded image, (IMG_H+2*PAD) x (IMG_W+2*PAD) positions in raster
//   order, one position per step and at most one step per cycle. A step at an image
//   position takes one input pixel (s_ready is high only there); a step at a padding
//   position takes no input and shifts in a zero. Each step shifts the new column (the
//   pixel or zero, and the same column of the K-1 rows above it) into a KxK window
//   register; when that window is an output position, m_valid goes high with it. A step
//   waits while the window register holds a window not yet taken (m_valid && !m_ready), or
//   while it needs a pixel and s_valid is low. So no window is lost or repeated, the input
//   is stalled while the output is, and nothing is dropped at frame boundaries.
//   With PAD > K-1 some windows lie wholly in a frame's top padding: those are emitted
//   as soon as the previous frame is done, before the frame's first pixel arrives.
//
// Latency and throughput
//   The window completed by the pixel taken in cycle t is on m_data from cycle t+1 (one
//   register stage; m_valid is a register output). With no stalls a frame takes
//   (IMG_H+2*PAD)*(IMG_W+2*PAD) cycles: the padding positions cost one cycle each.
//   s_ready = (!m_valid || m_ready) && (step is at an image position): the only
//   combinational path is from m_ready to s_ready.
//
// Storage
//   K-1 rows of IMG_W+2*PAD pixels in one array of (K-1)*DATA_W bits x (IMG_W+2*PAD) words,
//   plus the K*K*DATA_W-bit window register. K = 1 has no row storage (a registered
//   pass-through with stride and padding). BLOCK 0: the step reads and writes the word of
//   its column (asynchronous read, ram_style "distributed"). BLOCK 1: each step writes its
//   column's word and reads the next column's word into a register (ram_style "block"),
//   which the next step uses: the two addresses always differ, so the read never sees the
//   write.
`default_nettype none

module lutgen_line_buffer #(
    parameter DATA_W = 8,
    parameter IMG_W = 8,
    parameter IMG_H = 8,
    parameter K = 3,
    parameter STRIDE = 1,
    parameter PAD = 1,
    parameter BLOCK = 0
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     s_valid,
    output wire                     s_ready,
    input  wire [DATA_W-1:0]        s_data,
    output reg                      m_valid,
    input  wire                     m_ready,
    output wire [K*K*DATA_W-1:0]    m_data
);
    localparam WP = IMG_W + 2 * PAD;                    // padded width
    localparam HP = IMG_H + 2 * PAD;                    // padded height
    localparam CW = (WP > 1) ? $clog2(WP) : 1;          // column counter bits (holds WP-1)
    localparam RW = (HP > 1) ? $clog2(HP) : 1;          // row counter bits (holds HP-1)
    localparam PHMAX = (K > STRIDE) ? K : STRIDE;
    localparam PW = (PHMAX > 1) ? $clog2(PHMAX) : 1;    // phase counter bits (holds K-1, STRIDE-1)

    localparam [31:0] C_LAST32 = WP - 1;
    localparam [31:0] C_LO32 = PAD;
    localparam [31:0] C_HI32 = PAD + IMG_W;
    localparam [31:0] R_LAST32 = HP - 1;
    localparam [31:0] R_LO32 = PAD;
    localparam [31:0] R_HI32 = PAD + IMG_H;
    localparam [31:0] PH_FIRST32 = K - 1;
    localparam [31:0] PH_NEXT32 = STRIDE - 1;
    localparam [CW-1:0] C_LAST = C_LAST32[CW-1:0];
    localparam [CW-1:0] C_LO = C_LO32[CW-1:0];   // (C_LO, C_HI, R_LO, R_HI only used when PAD > 0,
    localparam [CW-1:0] C_HI = C_HI32[CW-1:0];   //  where they are below WP, HP and fit)
    localparam [RW-1:0] R_LAST = R_LAST32[RW-1:0];
    localparam [RW-1:0] R_LO = R_LO32[RW-1:0];
    localparam [RW-1:0] R_HI = R_HI32[RW-1:0];
    localparam [PW-1:0] PH_FIRST = PH_FIRST32[PW-1:0];
    localparam [PW-1:0] PH_NEXT = PH_NEXT32[PW-1:0];
    localparam [PW-1:0] PH_ONE = 1;

    // Position of the next step in the padded image, and the stride phases: a row (column)
    // ends a window when its phase is 0. The phase starts at K-1, counts down to 0, then
    // restarts at STRIDE-1.
    reg [CW-1:0] pc;
    reg [RW-1:0] pr;
    reg [PW-1:0] cph;
    reg [PW-1:0] rph;

    // Is the step at an image position (not padding)? With PAD = 0 it always is.
    wire col_in;
    wire row_in;
    generate
        if (PAD > 0) begin : g_pad
            assign col_in = (pc >= C_LO) && (pc < C_HI);
            assign row_in = (pr >= R_LO) && (pr < R_HI);
        end else begin : g_nopad
            assign col_in = 1'b1;
            assign row_in = 1'b1;
        end
    endgenerate
    wire in_image = col_in && row_in;

    wire free = !m_valid || m_ready;
    wire step = free && (!in_image || s_valid);
    assign s_ready = free && in_image;

    wire [DATA_W-1:0] pixel = in_image ? s_data : {DATA_W{1'b0}};

    // The new window column: rows 0..K-2 from the row store (oldest on top), row K-1 the pixel.
    wire [K*DATA_W-1:0] col;
    generate
        if (K > 1 && BLOCK == 0) begin : g_rows
            (* ram_style = "distributed" *) reg [(K-1)*DATA_W-1:0] rows [0:WP-1];
            wire [(K-1)*DATA_W-1:0] above = rows[pc];
            assign col = {pixel, above};
            always @(posedge clk) begin
                if (step)
                    rows[pc] <= col[K*DATA_W-1:DATA_W];
            end
        end else if (K > 1) begin : g_block_rows
            (* ram_style = "block" *) reg [(K-1)*DATA_W-1:0] rows [0:WP-1];
            reg [(K-1)*DATA_W-1:0] above;  // rows[pc], read by the step before
            wire [CW-1:0] pc_next = (pc == C_LAST) ? {CW{1'b0}} : pc + 1'b1;
            assign col = {pixel, above};
            always @(posedge clk) begin
                if (step) begin
                    rows[pc] <= col[K*DATA_W-1:DATA_W];
                    above <= rows[pc_next];
                end
            end
        end else begin : g_norows
            assign col = pixel;
        end
    endgenerate

    reg [K*K*DATA_W-1:0] win;
    assign m_data = win;

    integer r, c;
    always @(posedge clk) begin
        if (step) begin
            for (r = 0; r < K; r = r + 1) begin
                for (c = 0; c < K - 1; c = c + 1)
                    win[(r*K + c)*DATA_W +: DATA_W] <= win[(r*K + c + 1)*DATA_W +: DATA_W];
                win[(r*K + K - 1)*DATA_W +: DATA_W] <= col[r*DATA_W +: DATA_W];
            end
        end
    end

    wire last_col = (pc == C_LAST);
    wire last_row = (pr == R_LAST);

    always @(posedge clk) begin
        if (rst) begin
            pc <= {CW{1'b0}};
            pr <= {RW{1'b0}};
            cph <= PH_FIRST;
            rph <= PH_FIRST;
            m_valid <= 1'b0;
        end else begin
            if (m_ready)
                m_valid <= 1'b0;
            if (step) begin
                m_valid <= (cph == {PW{1'b0}}) && (rph == {PW{1'b0}});
                if (last_col) begin
                    pc <= {CW{1'b0}};
                    cph <= PH_FIRST;
                    if (last_row) begin
                        pr <= {RW{1'b0}};
                        rph <= PH_FIRST;
                    end else begin
                        pr <= pr + 1'b1;
                        rph <= (rph == {PW{1'b0}}) ? PH_NEXT : rph - PH_ONE;
                    end
                end else begin
                    pc <= pc + 1'b1;
                    cph <= (cph == {PW{1'b0}}) ? PH_NEXT : cph - PH_ONE;
                end
            end
        end
    end
endmodule

`default_nettype wire

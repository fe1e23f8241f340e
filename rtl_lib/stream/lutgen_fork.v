// lutgen_fork: broadcast one AXI-Stream style input to N outputs.
//
// Parameters
//   WIDTH  bits of a beat (default 8)
//   N      number of outputs (default 2)
//
// Ports
//   clk, rst                synchronous active-high reset
//   s_valid, s_ready        input handshake; a beat is taken when every output has had it
//   s_data[WIDTH-1:0]       input beat
//   m_valid[N-1:0]          output i shows the beat: s_valid && it has not taken it yet
//   m_ready[N-1:0]          output i takes the beat when m_valid[i] && m_ready[i]
//   m_data[WIDTH-1:0]       the beat, shared by all outputs (= s_data)
//
// Behaviour
//   Every input beat reaches every output exactly once; outputs may take it in different
//   cycles. One flag per output remembers that it already has the current beat. m_valid
//   depends only on s_valid and the flags, never on m_ready. No storage, no latency.
`default_nettype none
module lutgen_fork #(
    parameter WIDTH = 8,
    parameter N = 2
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             s_valid,
    output wire             s_ready,
    input  wire [WIDTH-1:0] s_data,
    output wire [N-1:0]     m_valid,
    input  wire [N-1:0]     m_ready,
    output wire [WIDTH-1:0] m_data
);
    reg [N-1:0] done;
    assign m_valid = {N{s_valid}} & ~done;
    assign s_ready = &(done | m_ready);
    assign m_data = s_data;
    always @(posedge clk)
        if (rst || (s_valid && s_ready)) done <= {N{1'b0}};
        else done <= done | (m_valid & m_ready);
endmodule
`default_nettype wire

// lutgen_fork: broadcast one AXI-Stream style input to N outputs.
//
// Parameters
//   WIDTH  bits of one beat (>= 1, default 8)
//   N      number of outputs (>= 1, default 2)
//
// Ports
//   clk                 clock, everything is on its rising edge
//   rst                 synchronous active-high reset: clears the delivered flags
//   s_valid, s_ready    input handshake; a beat is taken when s_valid && s_ready, that is
//                       in the cycle in which the last output still missing it takes it
//   s_data[WIDTH-1:0]   input beat
//   m_valid[N-1:0]      output i shows the current beat: s_valid && !done[i]
//   m_ready[N-1:0]      output i takes the beat when m_valid[i] && m_ready[i]
//   m_data[WIDTH-1:0]   the beat, shared by all outputs (= s_data)
//
// Latency and behaviour
//   Every input beat is delivered exactly once to every output; the outputs may take it in
//   different cycles. One flag per output, done[i], remembers that output i already has the
//   current beat:
//     m_valid[i] = s_valid && !done[i]
//     s_ready    = AND over i of (done[i] || m_ready[i])
//   When the beat completes (s_valid && s_ready) all flags clear; otherwise done[i] is set
//   when m_valid[i] && m_ready[i]. There is no storage of data and no latency: m_data,
//   m_valid and s_ready are combinational, and one beat per cycle moves whenever every
//   output is ready. m_valid depends on nothing but s_valid and the flags, never on m_ready,
//   so on the output side it obeys the AXI-Stream rule as long as the input side does: once
//   m_valid[i] is high it stays high, with m_data unchanged, until output i takes the beat.
//   The only combinational path from m_* to s_* is m_ready to s_ready.
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
    reg [N-1:0] done;   // output i already has the current beat

    assign m_valid = {N{s_valid}} & ~done;
    assign s_ready = &(done | m_ready);
    assign m_data = s_data;

    always @(posedge clk) begin
        if (rst || (s_valid && s_ready))
            done <= {N{1'b0}};
        else
            done <= done | (m_valid & m_ready);
    end
endmodule

`default_nettype wire

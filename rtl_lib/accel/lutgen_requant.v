// lutgen_requant: requantize a signed value to the next layer's activation width.
//
// Parameters
//   IN_W        width of the signed input v (default 16)
//   SHIFT       right shift, 0 .. IN_W - 1 (default 0)
//   OUT_W       output width (default 8)
//   OUT_SIGNED  1: signed output; 0: unsigned output, so negative values clip to 0 (a ReLU)
//
// Ports
//   v[IN_W-1:0]   input, two's complement
//   q[OUT_W-1:0]  clip((v + 2**(SHIFT-1)) >>> SHIFT), or clip(v) when SHIFT is 0: the shift
//                 floors, so the rounding is half up; clip saturates to [0, 2**OUT_W - 1]
//                 or [-2**(OUT_W-1), 2**(OUT_W-1) - 1]. Combinational.
`default_nettype none
module lutgen_requant #(
    parameter IN_W = 16,
    parameter SHIFT = 0,
    parameter OUT_W = 8,
    parameter OUT_SIGNED = 0
) (
    input  wire signed [IN_W-1:0] v,
    output wire [OUT_W-1:0]       q
);
    // wide enough for v plus the rounding constant, and for the clip bounds
    localparam W = (IN_W > OUT_W ? IN_W : OUT_W + 1) + 1;
    localparam SH1 = SHIFT > 0 ? SHIFT - 1 : 0;
    localparam [W-1:0] HALF = SHIFT > 0 ? {{(W-1){1'b0}}, 1'b1} << SH1 : {W{1'b0}};
    localparam [W-1:0] ONE = {{(W-1){1'b0}}, 1'b1};
    localparam [W-1:0] HI = OUT_SIGNED ? (ONE << (OUT_W - 1)) - ONE : (ONE << OUT_W) - ONE;
    localparam [W-1:0] LO = OUT_SIGNED ? ~((ONE << (OUT_W - 1)) - ONE) : {W{1'b0}};

    wire signed [W-1:0] wide = {{(W - IN_W){v[IN_W-1]}}, v};
    wire signed [W-1:0] rounded = wide + $signed(HALF);
    wire signed [W-1:0] r = rounded >>> SHIFT;
    assign q = r > $signed(HI) ? HI[OUT_W-1:0] : r < $signed(LO) ? LO[OUT_W-1:0] : r[OUT_W-1:0];
endmodule
`default_nettype wire

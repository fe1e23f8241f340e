// LUT6_2: simulation model of the UNISIM primitive of the same name (same
// module name, parameter and ports), for Verilator and Icarus.
// O6 = INIT[{I5,I4,I3,I2,I1,I0}]; O5 = INIT[{1'b0,I4,I3,I2,I1,I0}] (the low 32 bits).
module LUT6_2 #(
    parameter [63:0] INIT = 64'h0000000000000000
) (
    output wire O6,
    output wire O5,
    input  wire I0,
    input  wire I1,
    input  wire I2,
    input  wire I3,
    input  wire I4,
    input  wire I5
);
    assign O6 = INIT[{I5, I4, I3, I2, I1, I0}];
    assign O5 = INIT[{1'b0, I4, I3, I2, I1, I0}];
endmodule

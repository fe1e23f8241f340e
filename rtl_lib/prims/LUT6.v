// LUT6: simulation model of the UNISIM primitive of the same name (same
// module name, parameter and ports), for Verilator and Icarus.
// O = INIT[{I5,I4,I3,I2,I1,I0}].
module LUT6 #(
    parameter [63:0] INIT = 64'h0000000000000000
) (
    output wire O,
    input  wire I0,
    input  wire I1,
    input  wire I2,
    input  wire I3,
    input  wire I4,
    input  wire I5
);
    assign O = INIT[{I5, I4, I3, I2, I1, I0}];
endmodule

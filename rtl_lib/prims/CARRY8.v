// CARRY8: simulation model of the UltraScale/UltraScale+ UNISIM primitive
// (same module name, CARRY_TYPE parameter and ports), for Verilator and Icarus.
// Carry into bit 0 is CI; O[i] = S[i] ^ c[i]; c[i+1] = S[i] ? c[i] : DI[i];
// CO[i] = c[i+1]. With CARRY_TYPE "DUAL_CY4" the chain splits in two 4-bit
// chains and CI_TOP is the carry into bit 4; with "SINGLE_CY8" (the default)
// bit 4 takes c[4] and CI_TOP is ignored.
// Each carry is its own scalar wire: a self-feeding vector would trip the
// UNOPTFLAT lint check of Verilator.
module CARRY8 #(
    parameter CARRY_TYPE = "SINGLE_CY8"
) (
    output wire [7:0] CO,
    output wire [7:0] O,
    input  wire       CI,
    input  wire       CI_TOP,
    input  wire [7:0] DI,
    input  wire [7:0] S
);
    localparam DUAL = (CARRY_TYPE == "DUAL_CY4");
    wire c0 = CI;
    wire c1 = S[0] ? c0 : DI[0];
    wire c2 = S[1] ? c1 : DI[1];
    wire c3 = S[2] ? c2 : DI[2];
    wire c4_low = S[3] ? c3 : DI[3];
    wire c4 = DUAL ? CI_TOP : c4_low;
    wire c5 = S[4] ? c4 : DI[4];
    wire c6 = S[5] ? c5 : DI[5];
    wire c7 = S[6] ? c6 : DI[6];
    wire c8 = S[7] ? c7 : DI[7];
    assign CO = {c8, c7, c6, c5, c4_low, c3, c2, c1};
    assign O = S ^ {c7, c6, c5, c4, c3, c2, c1, c0};
endmodule

// CARRY4: simulation model of the 7-series UNISIM primitive (same module
// name and ports), for Verilator and Icarus.
// Carry into bit 0 is CI | CYINIT; O[i] = S[i] ^ c[i];
// c[i+1] = S[i] ? c[i] : DI[i]; CO[i] = c[i+1].
// Each carry is its own scalar wire: a self-feeding vector would trip the
// UNOPTFLAT lint check of Verilator.
module CARRY4 (
    output wire [3:0] CO,
    output wire [3:0] O,
    input  wire       CI,
    input  wire       CYINIT,
    input  wire [3:0] DI,
    input  wire [3:0] S
);
    wire c0 = CI | CYINIT;
    wire c1 = S[0] ? c0 : DI[0];
    wire c2 = S[1] ? c1 : DI[1];
    wire c3 = S[2] ? c2 : DI[2];
    wire c4 = S[3] ? c3 : DI[3];
    assign CO = {c4, c3, c2, c1};
    assign O = S ^ {c3, c2, c1, c0};
endmodule

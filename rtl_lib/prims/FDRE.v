// FDRE: simulation model of the UNISIM D flip-flop with clock enable and
// synchronous reset (same module name, parameters and ports), for Verilator
// and Icarus. At the rising edge of C: Q <= 0 if R, else Q <= D if CE
// (R has priority over CE). Q starts at INIT. The IS_*_INVERTED
// parameters invert the matching pin, as in UNISIM.
module FDRE #(
    parameter [0:0] INIT = 1'b0,
    parameter [0:0] IS_C_INVERTED = 1'b0,
    parameter [0:0] IS_D_INVERTED = 1'b0,
    parameter [0:0] IS_R_INVERTED = 1'b0
) (
    output reg  Q,
    input  wire C,
    input  wire CE,
    input  wire R,
    input  wire D
);
    wire clk = C ^ IS_C_INVERTED;
    initial Q = INIT;
    always @(posedge clk) begin
        if (R ^ IS_R_INVERTED) Q <= 1'b0;
        else if (CE) Q <= D ^ IS_D_INVERTED;
    end
endmodule

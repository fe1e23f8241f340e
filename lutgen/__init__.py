"""lutgen: LUT-level arithmetic compiler for quantized CNN accelerators on AMD/Xilinx FPGAs."""

__version__ = "0.1.0"

"""Verilog shipped with lutgen (installed as lutgen.rtl_lib); see lutgen.rtl for paths."""

"""The accelerator's hardware, block by block: what each block costs and the Verilog that builds it.

Every block that `lutgen accel` emits has its count next to the code that
writes it, so the architecture report and the Verilog read one plan:

    res       Res: LUT, FF, carry, block RAM and UltraRAM counts that add up
    stream    FIFOs, forks and line buffers (rtl_lib blocks): counts, timing, instances
    memory    weight memories: LUT ROMs (lutgen cells), block RAM and UltraRAM rows
    compute   conv / fc units: engine, dot units, requantizers, output
    lanes     pool, global pool, add and requantize units
    plan      one layer's plan from its folding (and weights, when known)
    top       the top level: streams between units, the weight-load port
"""

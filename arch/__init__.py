"""The architecture layer (installed as lutgen.arch): whole-CNN dataflow accelerators.

    inputs     every input file read and checked (limits, types, keys); names cleaned
    network    layers, shapes, widths, MAC and parameter counts; files
    zoo        ResNet-18 and ResNet-152 (ImageNet shapes)
    precision  per-layer / per-channel widths from JSON or YAML
    device     device table and utilisation limits
    dataflow   folding, cycles per frame, line buffers, shortcut FIFOs
    memory     weights and buffers onto LUTs, BRAM36 or URAM
    resources  one layer at one folding, dot units counted by lutgen
    explore    folding per layer for the most frames/s that fits; Pareto front
    report     text table, JSON, plot
    cli        `lutgen arch report|explore`

It uses the compiler only through its public modules (lutgen.spec, lutgen.dot).
"""

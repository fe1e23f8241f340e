"""The architecture layer (installed as lutgen.arch): networks, dataflow, resources, exploration.

Empty until the architecture issue lands; it uses the compiler only through lutgen.api.
"""

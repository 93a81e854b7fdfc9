"""The numeric layer of derive: simulations of networks and algorithms, sweeps and fits.

It takes plain numbers, arrays and callables and never imports ``derive`` (DESIGN.md), so
that generated solver modules and simulations stay standalone. The simulation backend is
built by a later release; the engine does not depend on anything here yet.
"""

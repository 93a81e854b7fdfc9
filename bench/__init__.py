"""Benchmarks of the derive engine against the baselines a researcher would otherwise use.

Every bench measures the engine and its baselines in the same run, on the same machine, and
prints the ratios; no number is hard-coded and none is asserted (timings never go into the
test suite). Run from the repository root with the repository importable::

    PYTHONPATH=. python -m bench analyze            # full run, a few minutes on 2 cores
    PYTHONPATH=. python -m bench analyze --quick    # under a minute
    PYTHONPATH=. python -m bench analyze --json bench-analyze.json

Benches (one module each, one subcommand each in :mod:`bench.__main__`; what they share, from
timing and the budgeted worker process to the table layout and the options, is in
:mod:`bench.common`):

``analyze``
    :func:`derive.analyze` (probabilists' Hermite expansion to order 12 plus the
    information and generative exponents) on every single-index catalog target, against
    ``sympy.stats.E`` / ``sympy.integrate`` per coefficient (exact links) and plain
    ``mpmath.quad`` per coefficient (all links). See :mod:`bench.analyze`.
"""

"""Scaling laws: hierarchical multi-index targets and networks with weight decay.

One idea per module: :mod:`.sums` (orders of power-law sums, sympy), :mod:`.hierarchical`
(hierarchical targets), :mod:`.weight_decay` (diagonal / quadratic networks),
:mod:`.sources` (the registry derive/data/scaling.toml), :mod:`.figures` and :mod:`.latex`
(report pieces), :mod:`.targets` (TOML files of hierarchical targets).
"""

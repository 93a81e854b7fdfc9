"""The numeric layer of derive: simulations of networks and algorithms, sweeps and fits.

It takes plain numbers, arrays and callables and never imports ``derive`` (DESIGN.md), so
that generated solver modules and simulations stay standalone. Modules: ``backend``
(numpy / torch arrays and per-replica random streams), ``online`` (spherical single-index
SGD, batched replicas), ``batch_reuse``, ``alternating`` (layer-wise SGD),
``overlap_chain`` (the exact Markov chain of the spherical overlap: three random numbers
per step), ``giant_step``, ``spectral``, ``committee`` (two-layer online SGD, M / Q / a
trajectories), ``readout`` (ridge), ``fit`` (log-log fits, bootstrap, verdict), ``store``
(SQLite results keyed by content hash) and ``sweep`` (in process, process pool or Dask);
the scaling-law simulations ``hierarchical``, ``lasso_se``, ``weight_decay`` and
``matrix_sensing_se`` (nuclear-norm state evolution). ``derive.validate`` and
``derive.scaling`` drive them from
an analysis (``derive`` imports ``solvers``, never the other way round).
"""

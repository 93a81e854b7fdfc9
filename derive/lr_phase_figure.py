"""Figure of a learning-rate phase diagram: e(kappa) against kappa, eta = d^{-kappa}."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy

from .errors import DeriveError
from .lr_phase import KAPPA, LearningRatePhase


def plot_learning_rate_phase(phase: LearningRatePhase, path, kappa_max: float | None = None):
    """Write the plot of T = d^{e(kappa)} to ``path`` (PNG or PDF by suffix); returns the path."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise DeriveError("plots need matplotlib: pip install 'derive[plot]'") from None
    if phase.piecewise is None:
        raise DeriveError(f"nothing to plot: {phase.reason}")
    path = Path(path)
    last = max([float(t) for t in phase.transitions] + [1.0])
    kappa_max = kappa_max or last + 1.0
    kappas = np.linspace(0, kappa_max, 801)
    values = np.array([float(phase.piecewise.subs(KAPPA, sympy.Float(k))) for k in kappas])
    figure, axis = plt.subplots(figsize=(4.8, 3.2), constrained_layout=True)
    axis.plot(kappas, values, color="C0", lw=2, label=r"$e(\kappa)$")
    for start, end in phase.log_intervals:
        hi = kappa_max if end == sympy.oo else float(end)
        axis.axvspan(float(start), hi, color="C1", alpha=0.12, lw=0)
    if phase.log_intervals:
        axis.plot([], [], color="C1", alpha=0.3, lw=6, label=r"$\times \log d$")
    for t in phase.transitions:
        axis.axvline(float(t), color="0.4", ls=":", lw=1)
        axis.annotate(rf"$\kappa = {sympy.latex(t)}$", (float(t), values.min()),
                      textcoords="offset points", xytext=(3, 3), fontsize=8)
    if phase.valid_range is not None and phase.valid_range[0] > 0:
        axis.axvspan(0, float(phase.valid_range[0]), color="0.85", lw=0,
                     label="outside the expansion")
    axis.set_xlabel(r"$\kappa$  (learning rate $\eta = d^{-\kappa}$)")
    axis.set_ylabel(r"$e(\kappa)$,  samples $T = d^{e(\kappa)}$")
    axis.set_title(f"{phase.algorithm}: {phase.target}", fontsize=9)
    axis.set_xlim(0, kappa_max)
    axis.set_ylim(0, values.max() + 0.5)
    axis.legend(fontsize=8, loc="lower right")
    figure.savefig(path)
    plt.close(figure)
    return path

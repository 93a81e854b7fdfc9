"""Figures of the scaling laws as vector PDF bytes (matplotlib, the optional ``plot`` extra).

Each function returns the bytes of one PDF so that callers write them atomically (the CLI)
or hand them to the report machinery. Nothing here draws on a screen (Agg backend).

>>> from derive.scaling.weight_decay import phase_diagram
>>> phase_diagram_pdf(phase_diagram("diagonal", 1, 1))[:5]
b'%PDF-'
"""

from __future__ import annotations

import io

import numpy as np
import sympy

from ..errors import DeriveError


def _pyplot():
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - depends on the installation
        raise DeriveError("figures need matplotlib: pip install 'derive[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _pdf(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf", bbox_inches="tight",
                metadata={"CreationDate": None, "ModDate": None})
    _pyplot().close(fig)
    return buffer.getvalue()


def exponent_grid(diagram, a_values, b_values) -> tuple[np.ndarray, np.ndarray]:
    """Risk exponent e(a, b) and the index of the phase on a grid (NaN / -1 on boundaries)."""
    from .weight_decay import A, B

    exponents = np.full((len(b_values), len(a_values)), np.nan)
    labels = np.full((len(b_values), len(a_values)), -1)
    for index, phase in enumerate(diagram.phases):
        inside = sympy.lambdify((A, B), sympy.And(*phase.region), "numpy")
        value = sympy.lambdify((A, B), phase.exponent, "numpy")
        aa, bb = np.meshgrid(a_values, b_values)
        mask = np.broadcast_to(inside(aa, bb), aa.shape)
        exponents[mask] = np.broadcast_to(value(aa, bb), aa.shape)[mask]
        labels[mask] = index
    return exponents, labels


def phase_diagram_pdf(diagram, a_range=(0.0, 3.0), b_range=(-3.0, 2.5), points=241) -> bytes:
    """The phase diagram in (log_d n_eff, log_d lambda), coloured by the risk exponent."""
    plt = _pyplot()
    a_values = np.linspace(*a_range, points)
    b_values = np.linspace(*b_range, points)
    exponents, labels = exponent_grid(diagram, a_values, b_values)
    fig, ax = plt.subplots(figsize=(5.4, 4.2))
    image = ax.pcolormesh(a_values, b_values, exponents, shading="auto", cmap="viridis")
    fig.colorbar(image, ax=ax, label=r"risk exponent $e$: $R \asymp d^{e}$")
    ax.contour(a_values, b_values, labels, levels=np.arange(-0.5, len(diagram.phases)),
               colors="white", linewidths=0.8)
    for index, phase in enumerate(diagram.phases):
        ys, xs = np.nonzero(labels == index)
        if len(xs):
            ax.text(a_values[int(np.median(xs))], b_values[int(np.median(ys))], phase.name,
                    color="black", ha="center", va="center", fontsize=8,
                    bbox={"facecolor": "white", "alpha": 0.6, "linewidth": 0})
    n_eff = r"n_{\mathrm{eff}}"
    ax.set_xlabel(rf"$a = \log_d {n_eff}$")
    ax.set_ylabel(r"$b = \log_d \lambda$")
    ax.set_title(f"{diagram.model} network, gamma = {diagram.gamma}, noise = {diagram.noise}",
                 fontsize=9)
    return _pdf(fig)


def risk_curve_pdf(curves, xlabel: str = "n/d", slope=None, anchor=None,
                   title: str | None = None) -> bytes:
    """Log-log risk curves. ``curves`` is a list of (label, x, y[, yerr]); ``slope`` (a number)
    with ``anchor`` (x0, y0) draws the predicted power law through that point."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.8))
    for curve in curves:
        label, x, y = curve[:3]
        yerr = curve[3] if len(curve) > 3 else None
        if yerr is None:
            ax.plot(x, y, marker="o", markersize=3, label=label)
        else:
            ax.errorbar(x, y, yerr=yerr, marker="o", markersize=3, capsize=2, label=label)
    if slope is not None and anchor is not None:
        x0, y0 = anchor
        xs = np.array([min(min(c[1]) for c in curves), max(max(c[1]) for c in curves)])
        ax.plot(xs, y0 * (xs / x0) ** float(slope), "k--", linewidth=1,
                label=f"slope {slope}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("excess risk")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return _pdf(fig)


def spectrum_pdf(spectra, teacher=None, title: str | None = None) -> bytes:
    """Rank plot (log-log) of the magnitudes of learned weights or eigenvalues: the outliers
    that follow the teacher's power law, the bulk, and the zeros the penalty creates.
    ``spectra`` is a list of (label, values)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.8))
    for label, values in spectra:
        v = np.sort(np.abs(np.asarray(values, dtype=float)))[::-1]
        ranks = np.arange(1, v.size + 1)
        keep = v > 0
        ax.plot(ranks[keep], v[keep], ".", markersize=3, label=f"{label} ({keep.sum()} non-zero)")
    if teacher is not None:
        t = np.sort(np.abs(np.asarray(teacher, dtype=float)))[::-1]
        ax.plot(np.arange(1, t.size + 1), t, "k-", linewidth=1, label="teacher")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rank")
    ax.set_ylabel("magnitude")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return _pdf(fig)

r"""Figures of an analysis, drawn with matplotlib in one consistent style (vector PDF).

The same functions serve the Python API (``analysis.plot_hermite()``, ``analysis.plot_link()``
return a :class:`matplotlib.figure.Figure`) and the LaTeX report (:func:`save_pdf`). Hermite
polynomials are the probabilists' ones, He_k with E[He_j He_k] = k! delta_jk, so the share of
the variance of g carried by order k is k! c_k^2 / E[g^2] (Parseval).

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot state, no display) and
saved without a creation date, so the same analysis gives the same PDF.

>>> from derive import analyze
>>> figure = hermite_figure(analyze("He3(z)"))
>>> [round(x) for x in figure.axes[0].get_xlim()]
[-1, 13]
"""

from __future__ import annotations

import math
from pathlib import Path

import mpmath
import sympy

from .errors import DeriveError

#: one style for every figure: Computer-Modern-like text, thin lines, 8 pt labels
STYLE = {
    "font.family": "serif",
    "font.serif": ["cmr10", "DejaVu Serif"],
    "mathtext.fontset": "cm",
    "axes.formatter.use_mathtext": True,
    "axes.unicode_minus": False,
    "font.size": 8,
    "axes.labelsize": 8,
    "axes.titlesize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.1,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "svg.hashsalt": "derive",
}
#: colours shared with the staircase graph (derive.staircase.FAMILIES)
BLUE, RED, GREEN, GREY = "#1F4DA6", "#BF3326", "#268033", "#808080"
#: width of a figure in inches: one column of a 6.5 in text block, or half of it
FULL_WIDTH, HALF_WIDTH = 6.0, 3.1


def _matplotlib():
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        raise DeriveError("figures need matplotlib: pip install matplotlib") from None
    return matplotlib, Figure


def _figure(width: float, height: float):
    matplotlib, Figure = _matplotlib()
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.add_subplot()
    return figure, axes


def _styled(draw):
    """Run ``draw`` under :data:`STYLE`, so that tick labels and texts pick it up."""
    matplotlib, _ = _matplotlib()
    with matplotlib.rc_context(STYLE):
        return draw()


def save_pdf(figure, path) -> Path:
    """Save a figure as vector PDF without a creation date (same input, same bytes)."""
    matplotlib, _ = _matplotlib()
    path = Path(path)
    with matplotlib.rc_context(STYLE):
        figure.savefig(path, format="pdf", metadata={"CreationDate": None, "Creator": "derive",
                                                    "Producer": "derive"})
    return path


# --------------------------------------------------------------------------- Hermite spectrum


def hermite_shares(analysis) -> list[tuple[int, float | None, str]]:
    """(order k, share of the variance at order k or None for a certified zero, status).

    Single-index: k! c_k^2 / E[g^2]. Multi-index: sum over |alpha| = k of alpha! c_alpha^2,
    divided by the sum over every listed alpha (entries not listed are exactly 0).

    >>> from derive import analyze
    >>> [(k, round(s, 6) if s else s) for k, s, _ in hermite_shares(analyze("He3(z)"))][:4]
    [(0, None), (1, None), (2, None), (3, 1.0)]
    """
    if analysis.multi_index is None:
        expansion = analysis.hermite
        total = float(expansion.norm_squared)
        out = []
        for c in expansion.coefficients:
            energy = math.factorial(c.order) * float(c.value) ** 2
            share = energy / total if total > 0 else None
            out.append((c.order, share if c.status == "nonzero" else None, c.status))
        return out
    m = analysis.multi_index
    energies: dict[int, float] = {}
    for alpha, value in m.coefficients.items():
        weight = math.prod(math.factorial(a) for a in alpha)
        energies[sum(alpha)] = energies.get(sum(alpha), 0.0) + weight * float(value) ** 2
    total = sum(energies.values())
    top = max(energies, default=0)
    return [(k, energies[k] / total if k in energies and total > 0 else None,
             "nonzero" if k in energies else "zero") for k in range(top + 1)]


def hermite_figure(analysis):
    r"""Share of E[g^2] carried by each Hermite order, log scale; certified zeros marked
    at the bottom, the information exponent (or leap) shown as a dashed line."""
    shares = hermite_shares(analysis)
    present = [s for _, s, _ in shares if s]
    if not present:
        raise DeriveError("the target has no non-zero Hermite coefficient up to the order computed")

    def draw():
        figure, axes = _figure(HALF_WIDTH, 2.2)
        floor = 10 ** math.floor(math.log10(min(present)) - 1)
        ks = [k for k, s, _ in shares if s]
        axes.vlines(ks, floor, [s for _, s, _ in shares if s], color=BLUE, linewidth=1.2)
        axes.plot(ks, [s for _, s, _ in shares if s], "o", color=BLUE, markersize=3.5,
                  label="non-zero")
        zeros = [k for k, s, status in shares if not s and status == "zero"]
        if zeros:
            axes.plot(zeros, [floor] * len(zeros), "x", color=GREY, markersize=4,
                      label="certified zero")
        unknown = [k for k, s, status in shares if not s and status == "undetermined"]
        if unknown:
            axes.plot(unknown, [floor] * len(unknown), "o", mfc="none", color=RED,
                      markersize=4, label="undetermined")
        axes.set_yscale("log")
        axes.set_ylim(floor / 2, 8.0)
        axes.set_xlim(-0.7, shares[-1][0] + 0.7)
        axes.set_xlabel(r"Hermite order $k$")
        axes.set_ylabel(r"$\|P_k g\|^2 / \|g\|^2$")
        first = analysis.information_exponent.value if analysis.information_exponent else None
        if first is not None and first < len(shares) and shares[first][1]:
            name = "IE" if analysis.multi_index is None else "first step"
            axes.annotate(f"{name} $= {first}$", (first, shares[first][1]), xytext=(0, 9),
                          textcoords="offset points", ha="center", color=RED, fontsize=7)
        axes.xaxis.get_major_locator().set_params(integer=True)
        figure.legend(loc="outside upper center", ncol=3, handletextpad=0.3)
        return figure

    return _styled(draw)


# --------------------------------------------------------------------------- the link


def _evaluator(expression, variable):
    """A float function of the link; numpy when sympy can print it, mpmath otherwise."""
    function = sympy.lambdify(variable, expression, modules=["mpmath"])

    def value(x: float) -> float:
        try:
            return float(sympy.re(function(mpmath.mpf(x))))
        except (TypeError, ValueError, ZeroDivisionError):
            return float(expression.subs(variable, x).evalf())

    return value


def link_figure(analysis, half_width: float = 4.0, points: int = 321):
    r"""The link g(z) on [-4, 4], its Hermite partial sum up to order K, and the Gaussian
    density that weighs the error (single-index targets)."""
    if analysis.multi_index is not None or analysis.hermite is None:
        raise DeriveError("the link plot is for single-index targets (one variable z)")
    import numpy
    from numpy.polynomial import hermite_e

    expansion = analysis.hermite
    xs = numpy.linspace(-half_width, half_width, points)
    evaluate = _evaluator(expansion.expression, expansion.variable)
    ys = numpy.array([evaluate(x) for x in xs])
    coefficients = [float(c.value) for c in expansion.coefficients]
    partial = hermite_e.hermeval(xs, coefficients)  # probabilists' He_k

    def draw():
        figure, axes = _figure(HALF_WIDTH, 2.2)
        finite = ys[numpy.isfinite(ys)]
        low, high = float(finite.min()), float(finite.max())
        span = high - low if high > low else 1.0
        density = numpy.exp(-xs ** 2 / 2) / math.sqrt(2 * math.pi)
        base = low - 0.08 * span
        axes.fill_between(xs, base, base + density / density.max() * 0.35 * span,
                          color=GREY, alpha=0.18, linewidth=0, label=r"$\varphi(z)$ (scaled)")
        axes.plot(xs, ys, color=BLUE, label=r"$g(z)$")
        axes.plot(xs, partial, color=RED, linestyle="--", linewidth=0.9,
                  label=f"Hermite sum, $k \\leq {expansion.max_order}$")
        axes.set_ylim(base, high + 0.15 * span)
        axes.set_xlim(-half_width, half_width)
        axes.set_xlabel(r"$z$")
        axes.set_ylabel(r"$y$")
        figure.legend(loc="outside upper center", ncol=3, handlelength=1.6, columnspacing=1.0)
        return figure

    return _styled(draw)

"""Checks of the derived exponents against the numeric layer (solvers/), for the CLI and
reports: the link is compiled to numpy with sympy.lambdify and handed to the simulation,
which never imports derive.

>>> from derive.scaling.hierarchical import hierarchical_scaling
>>> v = validate_hierarchical(hierarchical_scaling("He2(z)", 1), d=40, directions=4,
...                           points=4, seed=0)
>>> len(v.run.alphas)
4
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

#: memory cap of one simulated design matrix, in entries (n * d)
MAX_ENTRIES = 25_000_000


def numpy_link(expression: sympy.Expr, variable: sympy.Symbol):
    """A vectorised numpy callable of a link (Heaviside(0) = 1/2, the engine's convention)."""
    heaviside = {"Heaviside": lambda u, h=0.5: np.heaviside(u, h)}
    return sympy.lambdify(variable, expression, modules=[heaviside, "numpy", "scipy"])


@dataclass(frozen=True)
class HierarchicalValidation:
    run: object                      # solvers.hierarchical.HierarchicalRun
    window: tuple[float, float]
    slope: float | None
    stderr: float | None
    predicted: sympy.Expr | None
    tolerance: float
    agrees: bool | None
    reason: str
    envelope_slope: float | None = None

    def to_dict(self) -> dict:
        return {"simulation": self.run.to_dict(), "fit_window": list(self.window),
                "fitted_slope": self.slope, "stderr": self.stderr,
                "predicted_slope": None if self.predicted is None else str(self.predicted),
                "finite_P_envelope_slope": self.envelope_slope,
                "tolerance": self.tolerance, "agrees": self.agrees, "reason": self.reason}

    def figure_pdf(self) -> bytes:
        from .figures import risk_curve_pdf

        run = self.run
        anchor = None
        if self.predicted is not None:
            inside = [i for i, a in enumerate(run.alphas) if self.window[0] <= a <= self.window[1]]
            i = inside[len(inside) // 2] if inside else len(run.alphas) // 2
            anchor = (run.alphas[i], run.risk[i])
        return risk_curve_pdf(
            [("spectral + ridge readout", run.alphas, run.risk)], xlabel="n/d",
            slope=None if self.predicted is None else float(self.predicted), anchor=anchor,
            title=f"d = {run.d}, P = {run.directions}, gamma = {run.gamma}")


def validate_hierarchical(scaling, d: int = 400, directions: int = 20, points: int = 10,
                          seed: int = 0) -> HierarchicalValidation:
    """Simulate the learning curve and fit its slope over the cascade window (the values of
    n/d where at least one and fewer than P directions are learned). Agreement means
    |fitted - predicted| <= max(3 standard errors, 0.1)."""
    from solvers.hierarchical import fit_slope, simulate_hierarchical

    from ..target import parse_target

    target = parse_target(scaling.sigma)
    link = numpy_link(target.expression, target.variables[0])
    threshold = scaling.threshold_exponent
    top = float(directions) ** float(threshold) if threshold is not None else 1000.0
    top = min(top, MAX_ENTRIES / d**2)
    alphas = np.geomspace(min(2.0, top / 4), top, points)
    run = simulate_hierarchical(link, float(scaling.gamma), d, directions, alphas,
                                noise=float(scaling.noise), seed=seed)
    window = [a for a, k in zip(run.alphas, run.learned) if 1 <= k < directions]
    tolerance = 0.1
    if scaling.error_exponent is None:
        return HierarchicalValidation(run, (0.0, 0.0), None, None, None, tolerance, None,
                                      "no exponent derived: nothing to compare")
    if len(window) < 3:
        return HierarchicalValidation(run, (0.0, 0.0), None, None, scaling.error_exponent,
                                      tolerance, None, "fewer than three points in the cascade "
                                      "window; increase --d, --directions or --points")
    lo, hi = min(window), max(window)
    slope, stderr = fit_slope(run.alphas, run.risk, lo, hi)
    agrees = abs(slope - float(scaling.error_exponent)) <= max(3 * stderr, tolerance)
    envelope = finite_envelope(scaling, directions, run.alphas)
    envelope_slope, _ = fit_slope(run.alphas, envelope, lo, hi)
    return HierarchicalValidation(run, (lo, hi), slope, stderr, scaling.error_exponent,
                                  tolerance, agrees, "fitted over the cascade window",
                                  envelope_slope)


def finite_envelope(scaling, directions: int, alphas) -> np.ndarray:
    """The derived law at finite P with unit prefactors: direction k costs lambda_k^2 until
    n/d reaches k^t (t the threshold exponent), then lambda_k^2 k^t / (n/d). Its slope over
    a window shows how far finite P bends the asymptotic power law there.

    >>> from derive.scaling.hierarchical import hierarchical_scaling
    >>> e = finite_envelope(hierarchical_scaling("He2(z)", 1), 10**5, [10.0, 1000.0])
    >>> round(float(np.log(e[1] / e[0]) / np.log(100)), 1)
    -0.5
    """
    k = np.arange(1, directions + 1, dtype=float)
    weights = k ** (-2 * float(scaling.gamma))
    thresholds = k ** float(scaling.threshold_exponent)
    return np.array([np.sum(weights * np.minimum(1.0, thresholds / a)) for a in alphas])


def lasso_risk_curve_pdf(diagram, d: int, lam: float, points: int = 50) -> bytes:
    """State-evolution risk of the diagonal network against n at fixed lambda (50 points)."""
    from solvers.lasso_se import lasso_risk_curve

    from .figures import risk_curve_pdf

    teacher = np.arange(1, d + 1, dtype=float) ** (-float(diagram.gamma))
    ns = np.unique(np.geomspace(max(d // 20, 5), 50 * d, points).astype(int))
    curve = lasso_risk_curve(teacher, ns, lam, float(diagram.noise))
    return risk_curve_pdf([("LASSO state evolution", ns, [p.risk for p in curve])],
                          xlabel="n", title=f"diagonal, d = {d}, lambda = {lam:g}, "
                          f"gamma = {diagram.gamma}, noise = {diagram.noise}")


def weight_spectrum_pdf(diagram, lams=(0.3, 3.0), seed: int = 0) -> bytes:
    """Weight spectra at two weight decays (vector PDF): the outliers that follow the
    teacher's power law, and the zeros the penalty creates (the larger lambda kills more).

    Quadratic: eigenvalues of the convex solution at d = 30, n = 40 d (solvers/weight_decay).
    Diagonal: |theta_hat| of scikit-learn's LASSO at d = 400, n = 800 (optional extra).
    """
    from .figures import spectrum_pdf

    gamma, noise = float(diagram.gamma), float(diagram.noise)
    spectra = []
    if diagram.model == "quadratic":
        from solvers.weight_decay import quadratic_network

        for lam in lams:
            run = quadratic_network(30, 1200, lam, gamma, noise, seed=seed)
            spectra.append((f"lambda = {lam:g}", run["eigenvalues"]))
        teacher = run["teacher"]
    else:
        from solvers.lasso_se import lasso_simulation

        teacher = np.arange(1, 401, dtype=float) ** (-gamma)
        try:
            for lam in lams:
                run = lasso_simulation(teacher, 800, lam, noise, seed=seed)
                spectra.append((f"lambda = {lam:g}", run["estimates"][0]))
        except ImportError:
            from ..errors import DeriveError

            raise DeriveError("the diagonal weight spectrum needs scikit-learn: "
                              "pip install 'derive[sklearn]'") from None
    return spectrum_pdf(spectra, teacher=teacher,
                        title=f"{diagram.model} network weights, gamma = {diagram.gamma}, "
                        f"noise = {diagram.noise}")

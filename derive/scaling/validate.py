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

#: default cost cap of the validation's largest point, in entries n * d (the simulation streams
#: the samples in chunks, so memory is O(chunk d + d^2) whatever n is; this bounds the time,
#: about 3 n d^2 flops per point). ``max_alpha`` overrides it.
MAX_ENTRIES = 25_000_000
#: number of directions standing for P -> infinity in the exact limit (beyond
#: solvers.hierarchical_limit.EXACT_TERMS they enter the label law as a Gaussian)
INFINITE_P = 100_000


def numpy_link(expression: sympy.Expr, variable: sympy.Symbol):
    """A vectorised numpy callable of a link (Heaviside(0) = 1/2, the engine's convention)."""
    heaviside = {"Heaviside": lambda u, h=0.5: np.heaviside(u, h)}
    return sympy.lambdify(variable, expression, modules=[heaviside, "numpy", "scipy"])


@dataclass(frozen=True)
class HierarchicalValidation:
    """The simulated learning curve, its fitted slope over the cascade window, and what the
    engine predicts on the same window at the simulated (d, P): the finite-P prediction
    (``exact_prediction`` for links a He_2 + b, the proportional limit at the simulated d;
    ``finite_prediction``, BBP constants, for other links), its slope, the P -> infinity
    slope of the same formula, and the ratio simulation / prediction at the window's ends (a
    drifting ratio means the prediction misses a size-dependent effect that changes the
    slope).

    ``agrees`` compares the fitted slope with the asymptotic exponent only where the window
    is asymptotic: the slopes of the finite-P and of the P -> infinity predictions on the
    window both within ASYMPTOTIC_SLACK of the exponent, the ratio drifting by less than
    RATIO_DRIFT across the window and staying within RATIO_LEVEL of 1. Otherwise it is None
    and ``reason`` says which condition failed, with the numbers."""

    run: object                      # solvers.hierarchical.HierarchicalRun
    window: tuple[float, float]
    slope: float | None
    stderr: float | None
    predicted: sympy.Expr | None
    tolerance: float
    agrees: bool | None
    reason: str
    envelope_slope: float | None = None
    finite_slope: float | None = None
    asymptotic_window_slope: float | None = None
    ratio_ends: tuple[float, float] | None = None
    prediction: tuple[float, ...] | None = None

    def to_dict(self) -> dict:
        return {"simulation": self.run.to_dict(), "fit_window": list(self.window),
                "fitted_slope": self.slope, "stderr": self.stderr,
                "predicted_slope": None if self.predicted is None else str(self.predicted),
                "finite_P_envelope_slope": self.envelope_slope,
                "finite_P_prediction": None if self.prediction is None
                else list(self.prediction),
                "finite_P_prediction_slope": self.finite_slope,
                "infinite_P_prediction_slope_on_window": self.asymptotic_window_slope,
                "simulation_over_prediction_at_window_ends": None if self.ratio_ends is None
                else list(self.ratio_ends),
                "tolerance": self.tolerance, "agrees": self.agrees, "reason": self.reason}

    def figure_pdf(self) -> bytes:
        from .figures import risk_curve_pdf

        run = self.run
        anchor = None
        if self.predicted is not None:
            inside = [i for i, a in enumerate(run.alphas) if self.window[0] <= a <= self.window[1]]
            i = inside[len(inside) // 2] if inside else len(run.alphas) // 2
            anchor = (run.alphas[i], run.risk[i])
        curves = [("spectral + ridge readout", run.alphas, run.risk)]
        if self.prediction is not None:
            curves.append(("finite-P prediction", run.alphas, list(self.prediction)))
        return risk_curve_pdf(
            curves, xlabel="n/d",
            slope=None if self.predicted is None else float(self.predicted), anchor=anchor,
            title=f"d = {run.d}, P = {run.directions}, gamma = {run.gamma}")


#: the finite-P prediction's slope must be this close to the exponent for the window to count
#: as asymptotic (1 << k* << P)
ASYMPTOTIC_SLACK = 0.05
#: and simulation / prediction may change by at most this factor across the window
RATIO_DRIFT = 1.1
#: and must lie within this factor of 1 everywhere on it. The exact limit counts the hidden
#: directions in the bulk (solvers.hierarchical_limit, "Many directions"); measured at
#: d = 300, n/d 50-400, 3 seeds: simulation / prediction 0.99-1.09 for P/d from 0.05 to 0.75.
#: The BBP curve (links other than a He_2 + b) has no finite-n/d edge and misses more.
RATIO_LEVEL = 1.3


def link_moments(link) -> tuple[float, float]:
    """(c_2, Var sigma) = (E[sigma(z) He_2(z)], Var sigma(z)), z ~ N(0, 1) (probabilists'
    He_2 = z^2 - 1), by adaptive quadrature against the Gaussian density (scipy quad, split
    at 0 where piecewise links have their kinks; error below 1e-9 for the catalogue links).

    >>> c2, var = link_moments(lambda z: z**2 - 1)
    >>> round(c2, 9), round(var, 9)
    (2.0, 2.0)
    """
    from scipy import integrate

    def expect(g):
        total = 0.0
        for a, b in ((-np.inf, 0.0), (0.0, np.inf)):
            value, _ = integrate.quad(lambda z: float(g(z)) * np.exp(-z * z / 2), a, b,
                                      limit=200, epsabs=1e-13, epsrel=1e-11)
            total += value
        return total / np.sqrt(2 * np.pi)

    def f(z):
        return float(np.asarray(link(np.array([z], dtype=float)), dtype=float)[0])

    mean = expect(f)
    return (float(expect(lambda z: f(z) * (z * z - 1))),
            float(expect(lambda z: f(z) ** 2) - mean**2))


def finite_prediction(link, gamma: float, directions: int, alphas, noise: float = 0.0):
    """The engine's finite-P learning curve of the spectral estimator + ridge readout, for
    links with a He_2 component (j* = 1), with the constants of the large-n/d limit.

    The matrix (1/n) sum_i T(y_i)(x_i x_i^T - I), T(y) = y - E y, is E[M] = sum_k theta_k
    v_k v_k^T, theta_k = lambda_k c_2 (c_2 = E[sigma He_2], probabilists' Hermite), plus a
    noise matrix whose off-diagonal entries have variance Var(y)/n: for large n/d a GOE
    matrix of radius 2 s, s^2 = Var(y) / (n/d). The rank-one (BBP) transition puts an outlier
    with squared overlap m_k^2 = 1 - s^2/theta_k^2 once theta_k > s, i.e. for
    n/d > alpha_k = Var(y) / (c_2 lambda_k)^2 (Baik, Ben Arous, Peche 2005; for the
    deformed Wigner matrix Capitaine, Donati-Martin, Feral 2009). The best quadratic form on
    the learned subspace misses 2 lambda_k^2 (1 - m_k^4) of direction k's He_2 part
    (E[(v^T(xx^T - I)v - u^T(xx^T - I)u)^2] minimised over the projection u of v), and an
    unlearned direction costs lambda_k^2 Var(sigma). So

        E(n/d) = sum_{k <= P} [lambda_k^2 Var(sigma) 1{n/d <= alpha_k}
                               + 2 lambda_k^2 (1 - (1 - alpha_k/(n/d))^2) 1{n/d > alpha_k}]

    (for sigma = He_2 both branches meet at alpha_k). Its slope tends to the derived exponent
    for 1 << k* << P (tests/test_scaling_hierarchical.py) and shows, at the simulated P, how
    much finite P bends the curve. Finite-n/d corrections to alpha_k (the null bulk of a
    heavy-tailed T(y) is wider than the semicircle at moderate n/d) are not in it: they show
    as a drifting simulation / prediction ratio (1.81 -> 1.43 at d = 400, P = 20, He_2). For
    links a He_2 + b, ``exact_prediction`` has them.

    >>> e = finite_prediction(lambda z: z**2 - 1, 1.0, 10**5, [1e3, 1e4])
    >>> round(float(np.log(e[1] / e[0]) / np.log(10)), 2)
    -0.5
    """
    c2, var_sigma = link_moments(link)
    k = np.arange(1, directions + 1, dtype=float)
    lam2 = k ** (-2 * float(gamma))
    var_y = var_sigma * float(np.sum(lam2)) + float(noise)
    if abs(c2) < 1e-12:
        raise ValueError("no He_2 component (c_2 = 0): the spectral estimator's j* > 1")
    thresholds = var_y / (c2 * c2 * lam2)
    out = []
    for a in np.asarray(alphas, dtype=float):
        learned = a > thresholds
        eps = np.where(learned, thresholds / a, 1.0)
        cost = np.where(learned, 2 * lam2 * (1 - (1 - eps) ** 2), lam2 * var_sigma)
        out.append(float(np.sum(cost)))
    return np.array(out)


def quadratic_weight(expression: sympy.Expr, variable: sympy.Symbol) -> float | None:
    """a when the link is a He_2(z) + b (a != 0, probabilists' He_2 = z^2 - 1), else None:
    the links for which solvers.hierarchical_limit gives the exact proportional-limit curve.

    >>> z = sympy.Symbol("z")
    >>> quadratic_weight(z**2 - 1, z), quadratic_weight(3 * z**2, z), quadratic_weight(z**2 + z, z)
    (1.0, 3.0, None)
    """
    try:
        poly = sympy.Poly(sympy.expand(expression), variable)
    except sympy.PolynomialError:
        return None
    if poly.degree() != 2 or poly.coeff_monomial(variable) != 0:
        return None
    return float(poly.coeff_monomial(variable**2))


def exact_prediction(a: float, gamma: float, directions: int, d: int, alphas,
                     noise: float = 0.0, infinite: bool = False):
    """The proportional-limit learning curve of the spectral estimator + ridge readout for the
    link a He_2 + b (solvers.hierarchical_limit: Lu-Li / Mondelli-Montanari outliers and
    overlaps with the exact label law, truncated at the (1 - 1/n) quantile, plus the readout's
    bias and variance), at the simulated d and P: the bulk is the d - r coordinates without
    an outlier (hidden directions included), so P may be a fraction of d. With ``infinite``,
    INFINITE_P directions and a bulk of d: the limit P -> infinity taken after d -> infinity
    (P/d -> 0), at the simulated n = alpha d (which sets the label truncation). The label
    is a(sum_k lambda_k He_2(z_k)) + noise; if a < 0 the matrix changes sign and the outliers
    are those of |a| (the simulation keeps eigenvalues by magnitude)."""
    from solvers.hierarchical_limit import hierarchical_risk_limit

    count = INFINITE_P if infinite else directions
    weights = abs(a) * np.arange(1, count + 1, dtype=float) ** (-float(gamma))
    risk, _ = hierarchical_risk_limit(weights, noise, alphas, d, bulk=d if infinite else None)
    return risk


def validate_hierarchical(scaling, d: int = 400, directions: int = 20, points: int = 10,
                          seed: int = 0, max_alpha: float | None = None,
                          min_alpha: float = 2.0) -> HierarchicalValidation:
    """Simulate the learning curve and fit its slope over the cascade window (the values of
    n/d where at least one and fewer than P directions are learned); compare it with the
    engine's finite-P prediction on the same window, and with the asymptotic exponent only
    where the window is asymptotic (see HierarchicalValidation). Agreement with the
    exponent means |fitted - predicted| <= max(3 standard errors, 0.1).

    The grid is ``points`` values of n/d from ``min_alpha`` to P^t (t the threshold
    exponent), capped at ``max_alpha`` (default MAX_ENTRIES / d^2). For links a He_2 + b the
    finite-P and P -> infinity predictions are the exact proportional limit
    (exact_prediction); for other links with j* = 1 the BBP curve finite_prediction."""
    from solvers.hierarchical import fit_slope, simulate_hierarchical

    from ..target import parse_target

    target = parse_target(scaling.sigma)
    link = numpy_link(target.expression, target.variables[0])
    threshold = scaling.threshold_exponent
    top = float(directions) ** float(threshold) if threshold is not None else 1000.0
    top = min(top, MAX_ENTRIES / d**2 if max_alpha is None else float(max_alpha))
    alphas = np.geomspace(min(float(min_alpha), top / 4), top, points)
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
    exponent = float(scaling.error_exponent)
    envelope = finite_envelope(scaling, directions, run.alphas)
    envelope_slope, _ = fit_slope(run.alphas, envelope, lo, hi)
    if scaling.threshold_exponent != 2 * scaling.gamma:      # j* > 1: no BBP prediction
        agrees = abs(slope - exponent) <= max(3 * stderr, tolerance)
        return HierarchicalValidation(run, (lo, hi), slope, stderr, scaling.error_exponent,
                                      tolerance, agrees, "fitted over the cascade window (no "
                                      "finite-P prediction for j* > 1)", envelope_slope)
    noise = float(scaling.noise)
    weight = quadratic_weight(target.expression, target.variables[0])
    if weight is not None:
        try:
            prediction = exact_prediction(weight, float(scaling.gamma), directions, d,
                                          run.alphas, noise)
            infinite = exact_prediction(weight, float(scaling.gamma), directions, d,
                                        run.alphas, noise, infinite=True)
            kind = "exact proportional-limit"
        except ValueError:          # label law too singular for the grid (P <= 2, no noise)
            weight = None
    if weight is None:
        kind = "BBP"
        prediction = finite_prediction(link, float(scaling.gamma), directions, run.alphas,
                                       noise)
        infinite = finite_prediction(link, float(scaling.gamma), 10**6, run.alphas, noise)
    finite_slope, _ = fit_slope(run.alphas, prediction, lo, hi)
    infinite_slope, _ = fit_slope(run.alphas, infinite, lo, hi)
    ratio = np.asarray(run.risk) / prediction
    inside = [i for i, a in enumerate(run.alphas) if lo <= a <= hi]
    ends = (float(ratio[inside[0]]), float(ratio[inside[-1]]))
    drift = max(ends) / min(ends)
    finite_gap = slope - finite_slope
    consistent = abs(finite_gap) <= max(3 * stderr, tolerance)
    facts = (f"simulation slope {slope:.3f} +- {stderr:.3f}; {kind} finite-P prediction "
             f"{finite_slope:.3f} on the same window ({'consistent' if consistent else 'not consistent'}"
             f" within max(3 s.e., {tolerance})); P -> infinity prediction {infinite_slope:.3f}; "
             f"simulation / prediction {ends[0]:.2f} -> {ends[1]:.2f}")
    problems = []
    if abs(finite_slope - exponent) > ASYMPTOTIC_SLACK:
        problems.append(f"finite P and d bend the curve (prediction slope {finite_slope:.3f} "
                        f"vs {exponent:.3f}: k* is not << P, or the learned directions are "
                        f"not << d and shrink the bulk)")
    if abs(infinite_slope - exponent) > ASYMPTOTIC_SLACK:
        problems.append(f"k* is not >> 1 (the P -> infinity prediction has slope "
                        f"{infinite_slope:.3f} on this window)")
    if drift > RATIO_DRIFT:
        problems.append(f"the simulation does not track the {kind} prediction (simulation / "
                        f"prediction drifts by a factor {drift:.2f} across the window)")
    level = np.max(np.abs(np.log(ratio[inside])))
    if level > np.log(RATIO_LEVEL):
        problems.append(f"the {kind} prediction does not describe the simulation (simulation "
                        f"/ prediction up to {np.exp(level):.2f}, allowed {RATIO_LEVEL}, at "
                        f"P/d = {directions / d:.2f})")
    if problems:
        agrees = None
        reason = ("the window is not asymptotic or the prediction does not apply: "
                  + "; ".join(problems) + ". " + facts)
    else:
        agrees = abs(slope - exponent) <= max(3 * stderr, tolerance)
        reason = "fitted over an asymptotic cascade window. " + facts
    return HierarchicalValidation(run, (lo, hi), slope, stderr, scaling.error_exponent,
                                  tolerance, agrees, reason, envelope_slope, finite_slope,
                                  infinite_slope, ends, tuple(float(v) for v in prediction))


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


def quadratic_risk_curve_pdf(diagram, d: int, lam: float, points: int = 50,
                             seed: int = 0) -> bytes:
    """State-evolution risk of the quadratic network (nuclear-norm matrix sensing,
    solvers/matrix_sensing_se.py) against n at fixed lambda, 50 points from n = D/4 to 16 D,
    D = d(d+1)/2, in the phase diagram's conventions (target sum_k k^-gamma He_2(v_k . x),
    label noise Delta: the solver runs with noise Delta/d and its risk is multiplied by d),
    with the large-d limit (solvers/matrix_sensing_limit.py) and the zero predictor's risk
    2 sum_k k^(-2 gamma) for reference."""
    from solvers.matrix_sensing_limit import matrix_sensing_limit
    from solvers.matrix_sensing_se import matrix_sensing_risk_curve

    from .figures import risk_curve_pdf

    teacher = np.arange(1, d + 1, dtype=float) ** (-float(diagram.gamma))
    dim = d * (d + 1) // 2
    noise = float(diagram.noise) / d
    ns = np.unique(np.geomspace(max(dim // 4, 2), 16 * dim, points).astype(int))
    curve = matrix_sensing_risk_curve(teacher, ns, lam, noise, seed=seed)
    limits = [matrix_sensing_limit(teacher, n, lam, noise) for n in ns]
    # the limit assumes outliers << d: drawn only where at most d/4 eigenvalues are outliers
    valid = [(n, d * p.risk) for n, p in zip(ns, limits) if d - p.hidden <= d // 4]
    null = [2 * float(np.sum(teacher**2))] * len(ns)
    curves = [("nuclear-norm state evolution", ns, [d * p.risk for p in curve])]
    if valid:
        curves.append(("large-d limit (semicircle + outliers <= d/4)", [v[0] for v in valid],
                       [v[1] for v in valid]))
    return risk_curve_pdf(curves + [("zero predictor", ns, null)],
                          xlabel="n", title=f"quadratic, d = {d}, lambda = {lam:g}, "
                          f"gamma = {diagram.gamma}, noise = {diagram.noise}")


#: thresholds of the spectra figure, in units of the noise level s = sqrt(Delta/(4 n_eff)),
#: one per mechanism of the derivation (derive/scaling/weight_decay.py, quadratic phases)
SPECTRUM_THRESHOLDS = (
    (0.25, "below the noise line (bulk kept)"),
    (2.5, "at the bulk edge (outliers above BBP kept)"),
    (8.0, "slow (outliers above t kept)"),
)


def quadratic_spectra(diagram, d: int = 30, n: int | None = None, seed: int = 0) -> list[dict]:
    """The trained quadratic network's weight spectrum (convex form, proximal gradient,
    solvers/weight_decay.py) at three weight decays chosen by the derivation's mechanisms
    (SPECTRUM_THRESHOLDS: threshold t = c s), with the number of surviving eigenvalues the
    large-d limit predicts (kept outliers, plus the kept bulk below the noise line) and the
    number measured (|eigenvalue| > 1e-8). n defaults to 4 D (n_eff = 2(d+1), above the
    interpolation peak: the phase below the noise line is the parametric one; with n < D it
    is the fast/interpolation one, bulk edge sliver kept)."""
    from solvers.matrix_sensing_limit import matrix_sensing_limit
    from solvers.weight_decay import quadratic_network

    gamma, noise = float(diagram.gamma), float(diagram.noise)
    if noise <= 0:
        from ..errors import DeriveError

        raise DeriveError("the quadratic spectra figure needs --noise > 0 (the thresholds are "
                          "set in units of the noise level)")
    n = 2 * d * (d + 1) if n is None else int(n)
    n_eff = n / d
    s0 = np.sqrt(noise / (4 * n_eff))
    teacher = np.arange(1, d + 1, dtype=float) ** (-gamma)
    out = []
    for factor, mechanism in SPECTRUM_THRESHOLDS:
        lam = 2 * factor * s0 * n_eff / np.sqrt(d)       # t = lambda sqrt(d) / (2 n_eff)
        limit = matrix_sensing_limit(teacher, n, lam, noise / d)
        run = quadratic_network(d, n, lam, gamma, noise / d, seed=seed)
        values = np.asarray(run["eigenvalues"])
        out.append({"mechanism": mechanism, "threshold_over_s": factor, "lam": float(lam),
                    "predicted_survivors": float(limit.outliers_kept + limit.bulk_kept),
                    "predicted_outliers": limit.outliers_kept,
                    "measured_survivors": int(np.sum(np.abs(values) > 1e-8)),
                    "eigenvalues": values, "teacher": teacher, "converged": run["converged"]})
    return out


def weight_spectrum_pdf(diagram, lams=(0.3, 3.0), seed: int = 0) -> bytes:
    """Weight spectra (vector PDF): the outliers that follow the teacher's power law, the
    bulk, and the zeros the penalty creates.

    Quadratic: eigenvalues of the convex solution at d = 30, n = 4 D (solvers/weight_decay),
    at the three thresholds of SPECTRUM_THRESHOLDS; each label gives the mechanism and the
    number of surviving eigenvalues predicted by the large-d limit (quadratic_spectra): below
    the noise line the whole bulk survives (full rank), at the bulk edge only the outliers
    above the BBP threshold, in the slow phase only those above t. ``lams`` is the
    diagonal's (|theta_hat| of scikit-learn's LASSO at d = 400, n = 800, optional extra).
    """
    from .figures import spectrum_pdf

    gamma, noise = float(diagram.gamma), float(diagram.noise)
    spectra = []
    if diagram.model == "quadratic":
        rows = quadratic_spectra(diagram, seed=seed)
        for row in rows:
            spectra.append(((f"t = {row['threshold_over_s']:g} s, {row['mechanism']}: "
                            f"predicted {row['predicted_survivors']:.0f}"),
                            row["eigenvalues"]))
        teacher = rows[0]["teacher"]
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

"""Alternating (layer-wise, two-timescale) SGD for a single-index target.

Tsiolis, Mousavi-Hosseini, Erdogdu (NeurIPS 2025, arXiv:2510.21020) train a student
f(x) = a sigma(w.x) with a spherical first-layer neuron w and a scalar second-layer weight a
layer by layer: on each fresh sample (x, y), with b = w.x,

1. the second layer takes a step of size ``eta`` (the inner learning rate),
   a' = a + eta * g_a(y, b);
2. the first layer takes a step of size ``gamma / d`` (the outer learning rate) with the
   UPDATED a', along P_w^perp x, and w is renormalised (the update of
   :func:`solvers.online.spherical_sgd` with psi below).

Two losses are implemented (``loss``):

* ``"correlation"`` (default): L = -y a sigma(b), so g_a = y sigma(b) and
  psi_eta(y, b) = y a' sigma'(b) = y a sigma'(b) + eta y^2 sigma(b) sigma'(b): exactly the
  update function whose drift coefficients derive.lr_phase ("alternating") expands;
* ``"square"``: L = (y - a sigma(b))^2 / 2, so g_a = (y - a sigma(b)) sigma(b) and
  psi_eta = (y - a' sigma(b)) a' sigma'(b), which adds terms without y (no drift along w*:
  E[He_i(a)] = 0 for i >= 1) and terms of higher order in eta.

Second-layer weight: the analysis of the drift mu_i(eta) is for a fixed update function,
i.e. for the second-layer weight at its initial value ``a0`` when each sample arrives (the
second-layer step lives on the fast time scale and is undone before the next sample). The
solver does that: ``a`` is reset to ``a0`` (default 1, as in derive.lr_phase) for every sample.

Drift and the best outer step ("best gamma"). With m = w.w*, the first-layer step changes m
on average by (gamma / d) sum_i mu_i(eta) m^{i-1}, with (probabilists' Hermite polynomials)

    mu_i(eta) = E[psi_eta(sigma*(u), v) He_i(u) He_{i-1}(v)] / (i - 1)!,  u, v iid N(0, 1),

(the 1/(i-1)! makes mu_i the coefficient of m^{i-1} in E[psi He_1(u')] for correlated
fields; only its order of magnitude enters the scaling below), and the retraction onto the
sphere costs about (gamma / d)^2 E[psi^2] d / 2 per step, times m. From m ~ d^{-1/2} the
drift of order i beats the noise while gamma <~ |mu_i| m^{i-2} / E[psi^2], i.e.

    gamma_i(eta, d) = |mu_i(eta)| d^{-max(i - 2, 0) / 2} / E[psi_eta^2],

which gives T ~ d^{max(i-1, 1)} E[psi^2] / mu_i^2 samples (a log d for i = 2): the paper's
T(eta) = min_i mu_i(eta)^{-2} d^{max(i-1, 1)} up to the factor E[psi^2]. The solver takes
gamma = c * max_i gamma_i (the fastest term sets the step; the others then only add drift),
and :func:`best_gamma_search` scans the constant c over a small grid, keeping the smallest
median number of samples (a constant-factor search, allowed by the "best gamma" statement
which fixes gamma only up to constants). mu_i and E[psi^2] are computed by 2-d Gauss-Hermite
quadrature (:func:`drift_coefficients`), exact for polynomial links and students.

Students: a polynomial student such as He3 makes E[psi_eta^2] grow like eta^2 E[y^4] E[(sigma
sigma')^2], so for y = He3 the eta^-2 regime closes at a small constant eta; a bounded
smooth student (tanh: sigma' even with a He_2 component, sigma sigma' odd with a He_1
component, the two coefficients the He3 prediction needs) keeps it open longer. The
default student is tanh.

Sign of the second layer: at eta = 0 every mu_i scales with a0 while the eta y^2 term does
not. For He3 with a tanh student mu_3 < 0 and mu_2(eta) > 0, so with a0 = +1 and m_0 > 0 the
drift mu_2 m + mu_3 m^2 + ... vanishes at m of order 6 eta, below the threshold 0.5 for
eta < 0.08: a fixed point that stalls the run (the population drift E[psi s g] at m = 0.3
is -0.04 for eta = 0.03 with a0 = +1 and +0.13 with a0 = -1). The earlier sweeps of this
module (a0 = +1: slopes -1.01, -1.14, -1.55 at d = 64, 128, 256) were slowed by it;
``derive validate --algorithm alternating`` takes a0 = sign of the first non-zero mu_i(0).

Finite d: with the best gamma ~ mu_2(eta) / E[psi^2], the escape from m ~ d^{-1/2} costs
d log(sqrt(d)) E[psi^2] / mu_2^2 ~ eta^-2, but the time spent at m of order one costs
d / gamma ~ eta^-1, and E[psi^2] grows like 1 + 90 eta^2 (He3, tanh); both flatten the local
slope at reachable d. :func:`mean_field_samples` (the drift ODE) gives, over windows from about
3 times the transition to E[psi^2] = 1.5 E[psi_0^2]: -1.24 (d = 1024), -1.36 (4096), -1.48
(16384), -1.55 (65536): the eta^-2 law is approached only logarithmically in d. Measured
(``derive validate "He3(z)" --algorithm alternating --d 4096 --eta 0.024:0.075:6 --seeds 32``,
exact overlap chain, a0 = -1): slope -1.26, bootstrap 95% interval [-1.79, -0.85], on
eta = 0.024 ... 0.060 (0.075 is past the E[psi^2] limit); the drift ODE gives -1.40 on the
same etas.

The log factor and the O(1) factor. The drift ODE is reproduced within a few percent (d >=
64) by the escape of the drift truncated to its leading orders, T_esc = (d / gamma)
int dm / (mu_2 m + mu_3 m^2 - gamma E[psi^2] m / 2) (:func:`escape_samples`), and
C(eta) = T_esc / (d E[psi_0^2] / mu_2^2) = L(eta) E[psi_eta^2] / (c E[psi_0^2]) with
L = int mu_2 dm / (a m + b m^2) ~ log(mu_2 sqrt(d) / mu_3) carries all of the bending: the
drift ODE divided by C (:func:`escape_correction`) has slope -2.01 on eta = 0.004 ... 0.1 at
d = 65536 where the ODE itself has -1.52 (tests/test_solvers_alternating.py).

>>> import numpy as np
>>> c = drift_coefficients(lambda u: u**3 - 3 * u, alternating_update(
...     lambda v: v**3 - 3 * v, lambda v: 3 * v**2 - 3, eta=0.0), orders=3)
>>> [round(float(v), 6) for v in c.mu]     # He3 target and student: mu_3 = 6 * 6 / 2!
[0.0, 0.0, 18.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .online import RecoveryRun, Update, spherical_sgd

LOSSES = ("correlation", "square")
#: constant factors c scanned by :func:`best_gamma_search`
GAMMA_FACTORS = (0.25, 0.5, 1.0)


def tanh_student() -> tuple[Callable, Callable]:
    """(sigma, sigma') for sigma = tanh."""
    return np.tanh, lambda v: 1.0 / np.cosh(v) ** 2


def alternating_update(student: Callable, student_derivative: Callable, eta: float,
                       a0: float = 1.0, loss: str = "correlation") -> Update:
    """psi_eta(y, b) of one layer-wise step (module docstring), as ``psi(y, field, spread)``.

    >>> import numpy as np
    >>> psi = alternating_update(np.tanh, lambda v: 1 / np.cosh(v) ** 2, eta=0.5)
    >>> float(psi(np.array([2.0]), np.array([0.0]), None)[0])   # y a0 sigma'(0) = 2
    2.0
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}")
    # eta may be one value per replica (a vector): a whole eta sweep as one overlap chain
    eta = float(eta) if np.ndim(eta) == 0 else np.asarray(eta, dtype=float)
    a0 = float(a0)

    def psi(y, field_, spread):
        s, ds = student(field_), student_derivative(field_)
        if loss == "correlation":
            a = a0 + eta * y * s                     # second-layer step on -y a sigma
            return y * a * ds
        a = a0 + eta * (y - a0 * s) * s             # second-layer step on the square loss
        return (y - a * s) * a * ds

    return psi


@dataclass(frozen=True)
class DriftCoefficients:
    """mu_1 ... mu_k of an update and its second moment E[psi^2] (module docstring)."""

    mu: tuple[float, ...]
    second_moment: float

    def gamma(self, d: int, factor: float = 1.0) -> float:
        """c * max_i |mu_i| d^{-max(i-2, 0)/2} / E[psi^2] (the best-gamma scaling)."""
        best = max(abs(m) * d ** (-max(i - 2, 0) / 2) for i, m in enumerate(self.mu, 1))
        if best == 0 or self.second_moment == 0:
            raise ValueError("all drift coefficients vanish: no step size learns")
        return float(factor) * best / self.second_moment


def drift_coefficients(link: Callable, update: Update, orders: int = 4,
                       nodes: int = 60) -> DriftCoefficients:
    """mu_i = E[psi(link(u), v) He_i(u) He_{i-1}(v)] / (i-1)! and E[psi(link(u), v)^2].

    u, v independent N(0, 1); Gauss-Hermite (probabilists') quadrature with ``nodes`` points
    per axis, exact for polynomial integrands of degree < 2 * nodes.
    """
    x, weights = np.polynomial.hermite_e.hermegauss(nodes)
    weights = weights / math.sqrt(2 * math.pi)
    u, v = np.meshgrid(x, x, indexing="ij")
    w2 = np.outer(weights, weights)
    values = np.asarray(update(link(u), v, np.ones_like(v)), dtype=float)
    mu = []
    for i in range(1, orders + 1):
        he_i = np.polynomial.hermite_e.hermeval(u, [0] * i + [1])
        he_j = np.polynomial.hermite_e.hermeval(v, [0] * (i - 1) + [1])
        mu.append(float(np.sum(w2 * values * he_i * he_j)) / math.factorial(i - 1))
    return DriftCoefficients(mu=tuple(mu), second_moment=float(np.sum(w2 * values**2)))


def alternating_sgd(link: Callable, d: int, replicas: int, seed: int, max_samples: int,
                    eta: float, gamma: float | None = None, gamma_factor: float = 1.0,
                    student: Callable | None = None,
                    student_derivative: Callable | None = None, a0: float = 1.0,
                    loss: str = "correlation", orders: int = 4, **options) -> RecoveryRun:
    """Alternating layer-wise SGD (module docstring) on y = link(w*.x) (+ noise).

    ``gamma`` (outer step, the first layer moves by gamma / d) defaults to the best-gamma
    scaling ``gamma_factor * DriftCoefficients.gamma(d)``. ``options`` go to
    :func:`solvers.online.spherical_sgd` (threshold, noise, start_overlap, backend, ...).
    """
    if student is None:
        student, student_derivative = tanh_student()
    elif student_derivative is None:
        raise ValueError("give student_derivative with student")
    update = alternating_update(student, student_derivative, eta, a0, loss)
    coefficients = drift_coefficients(link, update, orders)
    if gamma is None:
        gamma = coefficients.gamma(d, gamma_factor)
    run = spherical_sgd(link, update, d, replicas, seed, gamma, max_samples,
                        algorithm="alternating", **options)
    run.extra.update({"eta": float(eta), "gamma": float(gamma), "loss": loss, "a0": float(a0),
                      "gamma_factor": float(gamma_factor), "mu": list(coefficients.mu),
                      "second_moment": coefficients.second_moment})
    return run


def best_gamma_search(link: Callable, d: int, replicas: int, seed: int, max_samples: int,
                      eta: float, factors=GAMMA_FACTORS, **options) -> RecoveryRun:
    """Run :func:`alternating_sgd` for each constant ``factors`` and keep the run with the
    smallest median samples to recovery (censored replicas count as inf). Every factor uses
    the same ``seed``; the record lists the median of each factor in ``extra["search"]``.
    """
    best, medians = None, {}
    for factor in factors:
        run = alternating_sgd(link, d, replicas, seed, max_samples, eta,
                              gamma_factor=factor, **options)
        median = float(np.median(run.samples_to_recovery))
        medians[str(factor)] = median if math.isfinite(median) else None
        if best is None or median < float(np.median(best.samples_to_recovery)):
            best = run
    best.extra["search"] = medians
    return best


def mean_field_samples(link: Callable, update: Update, d: int, gamma: float, start: float,
                       threshold: float = 0.5, points: int = 400, nodes: int = 80) -> float:
    """Samples to reach ``threshold`` from m = ``start`` under the mean drift of the overlap,
    the noise neglected: T = (d / gamma) int dm / (D(m) - gamma E[psi^2 | m] m / 2), with
    D(m) = E[psi(y, b) s g] for b, g iid N(0, 1), s = sqrt(1 - m^2), y = link(m b + s g)
    (the mean of one step of :mod:`solvers.overlap_chain` to first order in gamma / d, the
    second term being the mean retraction). ``inf`` if the drift vanishes on the way (a
    fixed point below the threshold). A finite-d reference for the measured T: at finite d
    it keeps every order i of the drift and the time spent at m of order one.

    >>> import numpy as np
    >>> t = mean_field_samples(lambda z: z, lambda y, b, q: y, d=100, gamma=0.1, start=0.1)
    >>> round(t / (100 / 0.1), 3)   # int_0.1^0.5 dm / (1 - m^2 - 0.05 m) = 0.4572 (D = s^2)
    0.457
    """
    x, weights = np.polynomial.hermite_e.hermegauss(nodes)
    weights = weights / math.sqrt(2 * math.pi)
    b, g = np.meshgrid(x, x, indexing="ij")
    w2 = np.outer(weights, weights)
    ms = np.linspace(float(start), float(threshold), points)
    rates = np.empty(points)
    for k, m in enumerate(ms):
        s = math.sqrt(max(1.0 - m * m, 0.0))
        psi = np.asarray(update(link(m * b + s * g), b, np.ones_like(b)), dtype=float)
        rates[k] = np.sum(w2 * psi * s * g) - gamma * np.sum(w2 * psi**2) * m / 2
    if np.any(rates <= 0):
        return math.inf
    inverse = 1.0 / rates
    return float(d / gamma * np.sum((inverse[1:] + inverse[:-1]) / 2 * np.diff(ms)))


def escape_samples(mu, second_moment: float, d: int, gamma: float, start: float,
                   threshold: float = 0.5, orders=None, points: int = 4000) -> float:
    """Samples to go from m = ``start`` to ``threshold`` under the drift truncated to the
    orders ``orders`` of the expansion (all of ``mu`` by default), the noise entering only
    through the mean retraction:

        T = (d / gamma) int_start^threshold dm / R(m),
        R(m) = sum_{i in orders} mu_i m^{i-1} - gamma E[psi^2] m / 2,

    i.e. :func:`mean_field_samples` with the drift replaced by its small-m expansion
    (``mu[i - 1]`` is mu_i of :func:`drift_coefficients`, s = sqrt(1 - m^2) -> 1). ``inf``
    if R vanishes or changes sign on the way. For the He3 orders 2 and 3 it is the closed
    form (d / gamma) log(m_th (a + b m_0) / (m_0 (a + b m_th))) / a, a = mu_2 - gamma
    E[psi^2] / 2, b = mu_3 (the escape of dm/dt = a m + b m^2). The integral is a
    trapezoid rule in log m on ``points`` nodes (relative error ~ 1e-7 at the default).

    >>> a, b, d, g, m0 = 0.5 - 0.1, 1.0, 1024, 0.1, 1 / 32
    >>> t = escape_samples((0.0, 0.5, 1.0), 2.0, d, g, m0, orders=(2, 3))
    >>> closed = d / g * math.log(0.5 * (a + b * m0) / (m0 * (a + b * 0.5))) / a
    >>> round(t / closed, 6)
    1.0
    """
    orders = tuple(range(1, len(mu) + 1)) if orders is None else tuple(orders)
    start, threshold = float(start), float(threshold)
    if not 0 < start < threshold:
        raise ValueError("need 0 < start < threshold")
    m = np.geomspace(start, threshold, int(points))
    rate = sum(float(mu[i - 1]) * m ** (i - 1) for i in orders) \
        - float(gamma) * float(second_moment) * m / 2
    if np.any(rate <= 0):
        return math.inf
    integrand = m / rate                       # dm = m dlog m
    x = np.log(m)
    return float(d / gamma * np.sum((integrand[1:] + integrand[:-1]) / 2 * np.diff(x)))


def escape_correction(mu, second_moment: float, second_moment_0: float, d: int,
                      gamma: float, order: int, start: float, threshold: float = 0.5,
                      orders=None) -> float:
    """C = T_esc / T_order: the escape time of :func:`escape_samples` over the theory's term
    T_i = d^max(i-1,1) E[psi_0^2] / mu_i^2 of the leading order i = ``order`` (Tsiolis et al.
    2025, arXiv:2510.21020: T(eta) = min_i mu_i(eta)^-2 d^max(i-1,1) up to log factors), i.e.
    the log factor and the O(1) factor that the theory leaves out, from the drift
    coefficients alone. For i = 2 and gamma = c mu_2 / E[psi^2] (the best-gamma step),
    C = L E[psi^2] / (c E[psi_0^2]) with L = int_{m_0}^{m_th} mu_2 dm / R(m) ~ log(mu_2 sqrt(d)
    / mu_3): T / C then falls as mu_2^-2 wherever T follows the escape time. ``nan`` if the
    escape time is infinite (a zero of the drift on the way).

    >>> mu, d = (0.0, 0.5, 1.0), 1024
    >>> g = 0.5 / 2.0                                 # gamma = mu_2 / E[psi^2], c = 1
    >>> c = escape_correction(mu, 2.0, 2.0, d, g, order=2, start=1 / 32)
    >>> a = 0.5 - g * 2.0 / 2                         # a = mu_2 / 2: L = (mu_2 / a) log(...)
    >>> round(c / (0.5 / a * math.log(0.5 * (a + 1 / 32) / ((a + 0.5) / 32))), 6)
    1.0
    """
    t = escape_samples(mu, second_moment, d, gamma, start, threshold, orders)
    if not math.isfinite(t):
        return math.nan
    mu_i = float(mu[order - 1])
    return t * mu_i**2 / (d ** max(order - 1, 1) * float(second_moment_0))


@dataclass(frozen=True)
class EtaSweep:
    """Samples to weak recovery per inner rate eta at one d, and the log-log slope of the
    median against eta over ``etas[fit_from:]`` with a percentile-bootstrap 95% interval
    (resampling the replicas of every eta, as in :mod:`solvers.fit`)."""

    d: int
    etas: tuple[float, ...]
    samples: tuple[np.ndarray, ...]
    gammas: tuple[float, ...]
    fit_from: int
    slope: float
    ci: tuple[float, float]

    def medians(self) -> list[float]:
        return [float(np.median(s)) for s in self.samples]


def eta_slope(etas, samples, bootstrap: int = 2000, seed: int = 0
              ) -> tuple[float, tuple[float, float]]:
    """Least-squares slope of log median(samples) against log eta, with its bootstrap 95%
    interval; a censored (inf) median makes the slope inf (and the interval unbounded).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> etas = [0.1, 0.2, 0.4]
    >>> slope, ci = eta_slope(etas, [e**-2 * np.exp(0.1 * rng.standard_normal(16)) for e in etas])
    >>> round(slope, 1), ci[0] < -2 < ci[1]
    (-2.0, True)
    """
    x = np.log(np.asarray(etas, dtype=float))
    arrays = [np.asarray(s, dtype=float) for s in samples]

    def fit(medians):
        if not np.all(np.isfinite(medians)):
            return math.inf
        return float(np.polyfit(x, np.log(medians), 1)[0])

    rng = np.random.default_rng(seed)
    boots = np.stack([np.median(rng.choice(a, size=(bootstrap, a.size)), axis=1)
                      for a in arrays], axis=1)
    slopes = np.sort([fit(row) for row in boots])
    low = slopes[int(np.floor(0.025 * (bootstrap - 1)))]
    high = slopes[int(np.ceil(0.975 * (bootstrap - 1)))]
    return fit(np.array([np.median(a) for a in arrays])), (float(low), float(high))


def eta_sweep(link: Callable, d: int, etas, replicas: int, seed: int, max_samples: int,
              fit_from: int = 0, bootstrap: int = 2000, method: str = "full",
              **options) -> EtaSweep:
    """:func:`alternating_sgd` at each eta, then :func:`eta_slope` on ``etas[fit_from:]``.

    ``method="full"`` simulates the d-dimensional student (replica streams from
    ``SeedSequence(seed)`` spawned per eta); ``method="chain"`` runs the exact overlap chain
    of :mod:`solvers.overlap_chain` (same law of the overlaps, three random numbers per
    step), all etas as one vector of ``len(etas) * replicas`` lanes (streams spawned per
    lane), which reaches d in the thousands. The prediction to compare with (Tsiolis et al.
    2025): T flat in eta below eta ~ d^{-1/2}, T ~ eta^{-2} above it (slope -2), for eta small
    enough that E[psi_eta^2] is still of order one."""
    etas = tuple(float(e) for e in etas)
    if method == "chain":
        samples, gammas = chain_eta_samples(link, d, etas, replicas, seed, max_samples, **options)
    elif method == "full":
        streams = np.random.SeedSequence(seed).spawn(len(etas))
        runs = [alternating_sgd(link, d, replicas, int(s.generate_state(1)[0]), max_samples,
                                eta, **options) for eta, s in zip(etas, streams)]
        samples = tuple(r.samples_to_recovery for r in runs)
        gammas = tuple(r.lr for r in runs)
    else:
        raise ValueError("method must be 'full' or 'chain'")
    slope, ci = eta_slope(etas[fit_from:], samples[fit_from:], bootstrap, seed)
    return EtaSweep(d, etas, samples, gammas, fit_from, slope, ci)


def chain_eta_samples(link, d, etas, replicas, seed, max_samples, gamma_factor: float = 1.0,
                   student=None, student_derivative=None, a0: float = 1.0,
                   loss: str = "correlation", orders: int = 4, **options):
    """Samples to recovery per eta from one overlap chain over all (eta, replica) lanes,
    each eta with its best-gamma outer step (:meth:`DriftCoefficients.gamma`); the chain
    stops once every eta has the fraction ``stop_fraction`` of its replicas recovered."""
    from .overlap_chain import overlap_chain

    if student is None:
        student, student_derivative = tanh_student()
    elif student_derivative is None:
        raise ValueError("give student_derivative with student")
    gammas = tuple(drift_coefficients(link, alternating_update(
        student, student_derivative, eta, a0, loss), orders).gamma(d, gamma_factor)
        for eta in etas)
    lane_eta = np.repeat(np.asarray(etas), replicas)
    lane_gamma = np.repeat(np.asarray(gammas), replicas)
    update = alternating_update(student, student_derivative, lane_eta, a0, loss)
    run = overlap_chain(link, update, d, len(etas) * replicas, seed, lane_gamma, max_samples,
                        algorithm="alternating", groups=len(etas), **options)
    samples = tuple(run.samples_to_recovery[i * replicas:(i + 1) * replicas].copy()
                    for i in range(len(etas)))
    return samples, gammas

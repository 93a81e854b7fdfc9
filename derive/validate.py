"""Check a prediction of the claims registry by training real networks (``derive validate``).

This module turns an :class:`~derive.analysis.Analysis` and one algorithm into calls of the
numeric layer (:mod:`solvers`, which takes plain numbers and numpy callables), and the
results into an :class:`Evidence` value: the measured quantity per d with its spread, the
fitted exponent of d with a bootstrap 95% interval, the prediction it tests (exponent, log
factor, source) and a verdict. :func:`write_outputs` writes the plot (PNG and PDF) and the
JSON record of every parameter, seed and version.

Algorithms and what is measured (conventions in the solver modules' docstrings):

* ``online-sgd``: spherical online SGD (:mod:`solvers.online`, Ben Arous et al. 2021) with
  lr = lr0 d^{-(IE-2)/2} for IE >= 3; samples to weak recovery (|m| >= 0.5) against the
  registry's ``online-sgd`` claim n ~ d^{max(1, IE-1)} (log d for IE = 2);
* ``batch-reuse``: two steps per sample (:mod:`solvers.batch_reuse`), against
  ``batch-reuse-sgd`` n ~ d^{max(1, GE-1)} (up to logs);
* ``giant-step``: repeated full-batch steps with n = c d (:mod:`solvers.giant_step`); the
  overlap of each predicted direction after each step, against the linear-batch staircase
  of the analysis (Dandi et al. 2024);
* ``alternating``: layer-wise SGD (:mod:`solvers.alternating`, Tsiolis, Mousavi-Hosseini,
  Erdogdu 2025) over a grid of inner rates eta at ONE d; samples to weak recovery per eta,
  the log-log slope against eta on the part where e(kappa) of :mod:`derive.lr_phase`
  (eta = d^{-kappa}) falls, and the slope on the flat part, against -de/dkappa there, each
  of T / C(eta) with C the log and O(1) factors of the theory computed from the drift
  coefficients (the raw slope of T is reported beside it; :func:`_validate_alternating`). Simulated by default with the exact overlap chain of
  :mod:`solvers.overlap_chain` (three random numbers per step, so d in the thousands);
* ``spectral``: the spectral estimator with a preprocessing T(y) (:mod:`solvers.spectral`)
  over a grid of alpha = n/d, against alpha_c of the weak-recovery claim; T(y) is the
  user's or the optimal T*(y) = 1 - 1/E[z^2|y] of :mod:`derive.thresholds`.

The link reaches the solvers as a vectorised numpy callable built by :func:`numpy_link`
(sympy.lambdify with an explicit function table: probabilists' Hermite polynomials are
already expanded by the parser; Heaviside H(0) = 1/2 in a target, relu'(0) = 0 and
delta = 0 in derivatives, the simulations' convention).

>>> import numpy as np
>>> from derive.target import parse_target
>>> g = numpy_link(parse_target("relu(z) + step(z)"))
>>> g(np.array([[-1.0], [0.0], [2.0]])).tolist()
[0.0, 0.5, 3.0]
"""

from __future__ import annotations

import json
import math
import platform
import re
from dataclasses import dataclass, field

import numpy as np
import sympy

from . import __version__
from .errors import DeriveError

#: algorithm name -> key of the claim it tests in derive/data/claims.toml
CLAIM_OF = {
    "online-sgd": "online-sgd",
    "batch-reuse": "batch-reuse-sgd",
    "giant-step": "linear-staircase",
    "spectral": "weak-recovery-amp",
    "alternating": "alternating-sgd-constant-rate",
}
ALGORITHMS = tuple(CLAIM_OF)

#: overlap above which a direction counts as learned (giant steps, spectral)
LEARNED_LEVEL = 0.25

_MAX = sympy.Function("_maximum")
_MIN = sympy.Function("_minimum")
_HEAVISIDE = sympy.Function("_heaviside")
_DELTA = sympy.Function("_delta")


def _numeric_table(h0: float) -> dict:
    def maximum(*args):
        return np.maximum.reduce(np.broadcast_arrays(*args))

    def minimum(*args):
        return np.minimum.reduce(np.broadcast_arrays(*args))

    return {
        "_maximum": maximum,
        "_minimum": minimum,
        "_heaviside": lambda u, value=None: np.heaviside(
            u, h0 if value is None else float(value)),
        "_delta": lambda u, *rest: np.zeros_like(np.asarray(u, dtype=float)),
    }


def _numeric_form(expr: sympy.Expr, derivative: bool) -> sympy.Expr:
    expr = expr.replace(sympy.Max, lambda *a: _MAX(*a)).replace(sympy.Min, lambda *a: _MIN(*a))
    expr = expr.replace(sympy.DiracDelta, lambda *a: _DELTA(*a))
    if derivative:  # relu'(0) = 0: a Heaviside that comes from differentiating a kink
        return expr.replace(sympy.Heaviside, lambda u, *rest: _HEAVISIDE(u, 0))
    return expr.replace(sympy.Heaviside, lambda u, *rest: _HEAVISIDE(u, *rest))


def _lambdify(expr, variables, h0: float, derivative: bool):
    function = sympy.lambdify(variables, _numeric_form(expr, derivative),
                              modules=[_numeric_table(h0), "scipy", "numpy"])

    def call(*arrays):
        with np.errstate(all="ignore"):
            value = function(*arrays)
        return np.broadcast_to(np.asarray(value, dtype=float), np.shape(arrays[0])).copy()

    return call


def numpy_link(target):
    """g as a numpy callable on teacher fields of shape (n, r) (labels without noise)."""
    scalar = _lambdify(target.expression, target.variables, 0.5, derivative=False)
    r = target.index_dimension

    def link(fields):
        fields = np.asarray(fields, dtype=float)
        return scalar(*(fields[..., i] for i in range(r)))

    return link


def numpy_scalar_link(target):
    """g for single-index targets, as a numpy callable on an array of z."""
    return _lambdify(target.expression, target.variables[0], 0.5, derivative=False)


def numpy_derivative(target):
    """g' for single-index targets (relu'(0) = 0, sign' = 0 away from 0).

    >>> from derive.target import parse_target
    >>> numpy_derivative(parse_target("He3(z)"))(np.array([0.0, 1.0])).tolist()
    [-3.0, 0.0]
    """
    z = target.variables[0]
    return _lambdify(sympy.diff(target.expression, z), z, 0.0, derivative=True)


def parse_preprocessing(text: str):
    """A label preprocessing T(y) from text in ``y`` (same safe parser as targets).

    >>> parse_preprocessing("1 - 1/y")(np.array([2.0])).tolist()
    [0.5]
    """
    from .target import parse_expression

    if re.search(r"\bz\d*\b", text):
        raise DeriveError("--preprocessing is an expression in y, the label")
    expr = parse_expression(re.sub(r"\by\b", "z", text))
    z = sympy.Symbol("z", real=True)
    y = sympy.Symbol("y", real=True)
    if expr.free_symbols - {z}:
        raise DeriveError("--preprocessing may use only y")
    call = _lambdify(expr.subs(z, y), y, 0.5, derivative=False)
    call.expression = expr.subs(z, y)
    return call


@dataclass(frozen=True)
class Evidence:
    """What a validation run measured, what it tested, and the verdict."""

    algorithm: str
    target: str
    quantity: str
    points: tuple[dict, ...]
    fit: object | None
    prediction: dict
    verdict: str
    settings: dict
    seeds: dict
    backend: str
    versions: dict
    raw: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {
            "algorithm": self.algorithm,
            "target": self.target,
            "quantity": self.quantity,
            "points": list(self.points),
            "fit": None if self.fit is None else self.fit.to_dict(),
            "prediction": self.prediction,
            "verdict": self.verdict,
            "settings": self.settings,
            "seeds": self.seeds,
            "backend": self.backend,
            "versions": self.versions,
            "raw": self.raw,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


def _prediction(analysis, algorithm: str) -> tuple[dict, object]:
    key = CLAIM_OF[algorithm]
    for p in analysis.predictions:
        if p.key == key:
            data = {"key": p.key, "algorithm": p.algorithm,
                    "d_exponent": None if p.d_exponent is None else str(p.d_exponent),
                    "log_factor": p.log_factor, "source": p.source, "applies": p.applies,
                    "why": p.why}
            return data, p
    raise DeriveError(f"the claims registry has no entry '{key}'")  # pragma: no cover


def _seed_for(seed: int, *labels: int) -> int:
    """A reproducible per-point seed from the run's seed (recorded in the JSON)."""
    return int(np.random.SeedSequence([int(seed), *map(int, labels)]).generate_state(1)[0])


def _versions(backend: str) -> dict:
    import scipy

    out = {"derive": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
           "sympy": sympy.__version__, "python": platform.python_version()}
    if backend == "torch":
        import torch

        out["torch"] = torch.__version__
    return out


def _check_backend(backend: str):
    from solvers.backend import get_backend

    try:
        return get_backend(backend)
    except ValueError as exc:
        raise DeriveError(str(exc))


def validate(analysis, algorithm: str, ds=(32, 64, 128, 256), replicas: int = 8,
             seed: int = 0, backend: str = "numpy", **options) -> Evidence:
    """Run ``algorithm`` on the analysed target and test its registry prediction.

    Options (all optional): ``lr``, ``eta``, ``threshold``, ``budget`` (online/batch-reuse:
    at most budget x d^e (x log d) samples per replica, e the predicted exponent), ``steps``,
    ``batch`` (giant steps: text in d such as "4*d"), ``width``, ``alphas``,
    ``preprocessing`` (spectral: text in y), ``bootstrap``, ``store``/``workers``/
    ``scheduler``/``progress`` (sweeps, :mod:`solvers.sweep`).

    >>> from derive import analyze
    >>> e = validate(analyze("relu(z)"), "online-sgd", ds=(16, 32, 64), replicas=4,
    ...              lr=0.5)
    >>> e.prediction["d_exponent"], e.verdict in ("consistent", "inconclusive")
    ('1', True)
    """
    if algorithm not in CLAIM_OF:
        raise DeriveError(f"unknown algorithm '{algorithm}'; choose one of "
                          f"{', '.join(ALGORITHMS)}")
    if replicas < 1:
        raise DeriveError("--seeds must be at least 1")
    ds = tuple(int(d) for d in ds)
    if not ds or min(ds) < 4:
        raise DeriveError("every d must be at least 4")
    _check_backend(backend)
    prediction, claim = _prediction(analysis, algorithm)
    if algorithm in ("online-sgd", "batch-reuse"):
        return _validate_recovery(analysis, algorithm, ds, replicas, seed, backend, prediction,
                                  claim, options)
    if algorithm == "giant-step":
        return _validate_giant(analysis, ds, replicas, seed, backend, prediction, options)
    if algorithm == "alternating":
        return _validate_alternating(analysis, ds, replicas, seed, backend, prediction,
                                     options)
    return _validate_spectral(analysis, ds, replicas, seed, backend, prediction, options)


def _single_index(analysis, algorithm):
    if not analysis.target.is_single_index:
        raise DeriveError(f"--algorithm {algorithm} simulates single-index targets (write the "
                          f"target in z)")


def _validate_recovery(analysis, algorithm, ds, replicas, seed, backend, prediction, claim,
                       options) -> Evidence:
    from solvers.batch_reuse import DEFAULT_ETA, DEFAULT_LR
    from solvers.fit import SYSTEMATIC, fit_exponent, verdict
    from solvers.sweep import run_sweep

    _single_index(analysis, algorithm)
    if claim.d_exponent is None:
        raise DeriveError(f"the {claim.key} claim does not apply to this target: {claim.why}")
    exponent = float(claim.d_exponent)
    log_factor = bool(claim.log_factor)
    target = analysis.target
    threshold = float(options.get("threshold") or 0.5)
    budget = float(options.get("budget") or 50.0)
    noise = float(target.noise)
    settings = {"threshold": threshold, "budget": budget, "noise": noise,
                "start_overlap": 1.0, "stop_fraction": 0.95,
                "start": "m_0 = start_overlap / sqrt(d), the typical overlap of a random start"}
    if algorithm == "online-sgd":
        ie = analysis.information_exponent.value
        if ie is None:
            raise DeriveError("the information exponent is undetermined: cannot scale lr")
        base = float(options.get("lr") or 0.03)
        settings.update({"lr0": base, "information_exponent": ie,
                         "lr_rule": "lr = lr0 * d^(-(IE-2)/2) for IE >= 3 (BAGJ 2021 Thm 1.3)"})
    else:
        base = float(options.get("lr") or DEFAULT_LR)
        eta = float(options.get("eta") or DEFAULT_ETA)
        settings.update({"lr": base, "eta": eta, "student": "tanh",
                         "rule": "psi = y sigma'(lambda + eta y sigma'(lambda)) (Tsiolis et al.)"})

    def job(d):
        cap = budget * d ** exponent * (math.log(d) if log_factor else 1.0)
        return {"algorithm": algorithm, "target": target.text, "d": d, "replicas": replicas,
                "seed": _seed_for(seed, d), "max_samples": int(cap), "threshold": threshold,
                "noise": noise, "backend": backend,
                **{k: v for k, v in settings.items() if k not in ("noise", "budget",
                                                                   "threshold")}}

    results = run_sweep([job(d) for d in ds], compute_point, **_sweep_options(options))
    samples = [np.array([np.inf if v is None else v for v in r["samples"]], dtype=float)
               for r in results]
    fit = fit_exponent(ds, samples, log_factor=log_factor,
                       bootstrap=int(options.get("bootstrap") or 2000), seed=seed)
    return Evidence(
        algorithm=algorithm, target=target.text,
        quantity=f"samples to weak recovery (|m| >= {threshold:g})",
        points=tuple(p.to_dict() for p in fit.points), fit=fit, prediction=prediction,
        verdict=verdict(fit, exponent),
        settings={"d": list(ds), "replicas": replicas, **settings,
                  "verdict_rule": f"consistent if the predicted exponent is within the 95% "
                                  f"interval widened by {SYSTEMATIC} (finite-size allowance); "
                                  f"inconclusive if the interval is wider than 1"},
        seeds={"seed": seed, "per_d": {str(d): _seed_for(seed, d) for d in ds}},
        backend=backend, versions=_versions(backend),
        raw={"per_d": [{"d": d, **r} for d, r in zip(ds, results)]},
    )


def compute_point(params: dict) -> dict:
    """One point of a sweep from its plain parameters (picklable: process pools, Dask).

    The link is rebuilt from the target text, so a worker needs nothing but ``params``.
    """
    from .target import parse_target

    target = parse_target(params["target"], noise=params.get("noise") or None)
    algorithm = params["algorithm"]
    if algorithm in ("online-sgd", "batch-reuse"):
        from solvers.batch_reuse import batch_reuse_sgd
        from solvers.online import ben_arous_learning_rate, online_update, spherical_sgd

        link = numpy_scalar_link(target)
        common = {k: params[k] for k in ("d", "replicas", "seed", "max_samples", "threshold",
                                         "noise", "backend", "stop_fraction")}
        if algorithm == "online-sgd":
            lr = ben_arous_learning_rate(params["d"], params["information_exponent"],
                                         params["lr0"])
            run = spherical_sgd(link, online_update(numpy_derivative(target)), lr=lr,
                                start_overlap=params["start_overlap"] / math.sqrt(params["d"]),
                                **common)
        else:
            run = batch_reuse_sgd(link, lr=params["lr"], eta=params["eta"],
                                  start_overlap=params["start_overlap"] / math.sqrt(params["d"]),
                                  **common)
        return {"samples": [None if not math.isfinite(v) else int(v)
                            for v in run.samples_to_recovery],
                "lr": run.lr, "times": run.times.tolist(),
                "median_overlap": np.median(np.abs(run.overlaps), axis=0).tolist()}
    if algorithm == "giant-step":
        from solvers.giant_step import giant_steps

        run = giant_steps(numpy_link(target), params["r"], params["d"], params["replicas"],
                          params["seed"], params["steps"], params["batch"],
                          width=params["width"], lr=params["lr"], noise=params["noise"],
                          backend=params["backend"],
                          protocol=params.get("protocol", "sphere"))
        return {"projections": run.projections.tolist()}
    if algorithm == "spectral":
        from solvers.spectral import spectral_overlaps

        if params["preprocessing_expression"] == "optimal":  # numeric T*: rebuilt here
            from .analysis import analyze
            from .thresholds import optimal_preprocessing

            preprocessing = optimal_preprocessing(analyze(target))
        else:
            preprocessing = _preprocessing_from_text(params["preprocessing_expression"])
        run = spectral_overlaps(numpy_link(target), preprocessing, params["d"],
                                params["alphas"], params["replicas"], params["seed"],
                                r=target.index_dimension, noise=params["noise"],
                                backend=params["backend"])
        return {"overlaps": run.overlaps.tolist()}
    if algorithm == "alternating":
        return _alternating_point(params, target)
    raise ValueError(f"unknown algorithm {algorithm}")  # pragma: no cover


# ------------------------------------------------------------ alternating: sweep over eta

#: a point leaves the regime of the prediction ("beyond") where the local slope
#: d log E[psi_eta^2] / d log eta exceeds this: T = min_i mu_i^-2 d^max(i-1,1) treats
#: E[psi^2] as O(1), and the correction C(eta) divides it out, but once E[psi^2] varies
#: faster than eta^1 it carries more than half of the eta^-2 of the falling part (for He3
#: with tanh, E[psi_eta^2] = E[psi_0^2] (1 + k eta^2) exactly, so the limit is E = 2 E_0)
SECOND_MOMENT_SLOPE_LIMIT = 1.0
#: the leading mu_i(eta) / eta^p must be within this relative distance of its eta -> 0
#: limit (p its lowest eta-power, derive.lr_phase), so that mu_i^-2 falls as eta^-2p
MU_POWER_TOLERANCE = 0.05
#: the escape time of the truncated drift (solvers.alternating.escape_samples) must be within
#: this relative distance of the full drift ODE (solvers.alternating.mean_field_samples)
ESCAPE_TOLERANCE = 0.10
#: drift coefficients mu_1 ... mu_ORDERS examined for the leading term
ORDERS = 6
#: the chain stops once this fraction of every eta's replicas has recovered (the median and
#: its bootstrap interval need a bit more than half; the rest are censored, counted as inf)
ALTERNATING_STOP = 0.8
#: the student the simulation trains (and for which e(kappa) is derived)
ALTERNATING_STUDENT = "tanh(z)"
#: default eta grid: log-spaced from DEFAULT_ETA_LOW d^-1/2 to the second-moment limit
DEFAULT_ETA_LOW = 0.08
DEFAULT_ETA_COUNT = 9


@dataclass(frozen=True)
class EtaFit:
    """Slope of log(median samples / C(eta)) against log eta on one part of the eta grid,
    with its percentile-bootstrap 95% interval (:func:`solvers.alternating.eta_slope`), and
    the same for the raw samples (:func:`_validate_alternating` defines C).

    ``exponent``/``ci``/``verdict`` are those of the corrected samples T / C; ``raw_*`` those
    of T itself (reported, not part of the verdict)."""

    part: str  # "falling" | "flat"
    exponent: float
    ci: tuple[float, float]
    etas: tuple[float, ...]
    predicted: float
    verdict: str
    bootstrap: int
    seed: int
    #: slope of the drift-ODE samples (noise neglected) over the same etas: a finite-d
    #: reference, not part of the verdict (solvers.alternating.mean_field_samples)
    mean_field: float | None = None
    raw_exponent: float = math.nan
    raw_ci: tuple[float, float] = (math.nan, math.nan)
    #: slope of T_ODE / C over the same etas (-2 exactly where C captures the ODE)
    mean_field_corrected: float | None = None
    corrections: tuple[float, ...] = ()
    #: order i of the leading term, its eta-power p, and max |mu_i(eta)/eta^p / limit - 1|
    order: int | None = None
    power: int | None = None
    mu_deviation: float | None = None

    def to_dict(self) -> dict:
        def number(v):
            return None if v is None or not math.isfinite(v) else float(v)
        return {"variable": "eta", "part": self.part, "quantity": "T / C(eta)",
                "exponent": number(self.exponent),
                "ci": [number(v) for v in self.ci], "etas": list(self.etas),
                "predicted": self.predicted, "verdict": self.verdict,
                "raw": {"quantity": "T", "exponent": number(self.raw_exponent),
                        "ci": [number(v) for v in self.raw_ci]},
                "mean_field_slope": number(self.mean_field),
                "mean_field_corrected_slope": number(self.mean_field_corrected),
                "correction": [float(c) for c in self.corrections],
                "leading_order": self.order, "eta_power": self.power,
                "mu_power_deviation": number(self.mu_deviation),
                "bootstrap": self.bootstrap, "seed": self.seed, "confidence": 0.95}


@dataclass(frozen=True)
class AlternatingFit:
    """The falling part's fit (``exponent``, ``ci``: the issue's ``fit``, of the corrected
    samples T / C) and the flat one."""

    falling: EtaFit | None
    flat: EtaFit | None

    @property
    def exponent(self) -> float:
        return math.nan if self.falling is None else self.falling.exponent

    @property
    def ci(self) -> tuple[float, float]:
        return (math.nan, math.nan) if self.falling is None else self.falling.ci

    def to_dict(self) -> dict:
        out = {"variable": "eta", "exponent": None, "ci": None}
        if self.falling is not None:
            out.update(self.falling.to_dict())
        out["flat"] = None if self.flat is None else self.flat.to_dict()
        return out


def _positive_grid(text, flag: str, spacing) -> tuple[float, ...]:
    """LOW:HIGH:COUNT (``spacing`` = numpy.linspace or numpy.geomspace) or a comma list of
    positive numbers; anything else is a DeriveError naming ``flag``."""
    if isinstance(text, (list, tuple)):
        values = tuple(float(e) for e in text)
    else:
        parts = str(text).split(":")
        try:
            if len(parts) == 3:
                low, high, count = float(parts[0]), float(parts[1]), int(parts[2])
                if count < 2 or not 0 < low < high:
                    raise ValueError
                values = tuple(float(e) for e in spacing(low, high, count))
            else:
                values = tuple(float(e) for e in str(text).split(","))
        except ValueError:
            kind = " (log-spaced)" if spacing is np.geomspace else ""
            raise DeriveError(f"{flag} must be LOW:HIGH:COUNT{kind} or a comma list, "
                              f"got '{text}'") from None
    if not values or min(values) <= 0 or not all(math.isfinite(e) for e in values):
        raise DeriveError(f"{flag} values must be positive")
    return values


def _eta_grid(text, d: int, second_moment_slope=None) -> tuple[float, ...]:
    """LOW:HIGH:COUNT (log-spaced) or a comma list; by default DEFAULT_ETA_COUNT log-spaced
    rates from DEFAULT_ETA_LOW d^{-1/2} (below the transition of e(kappa), for the flat part)
    to 0.95 times the largest eta (at most 0.25) where ``second_moment_slope(eta)`` (the
    local slope of E[psi_eta^2]) stays within SECOND_MOMENT_SLOPE_LIMIT (for He3 with tanh
    at d = 1024: 0.0025 ... 0.100, four flat and five falling points)."""
    if text is not None:
        return tuple(sorted(set(_positive_grid(text, "--eta", np.geomspace))))
    low = DEFAULT_ETA_LOW / math.sqrt(d)
    top = 0.25
    if second_moment_slope is not None:
        for eta in np.geomspace(low, 0.25, 200):
            if second_moment_slope(float(eta)) > SECOND_MOMENT_SLOPE_LIMIT:
                top = 0.95 * float(eta)
                break
    top = max(top, 4 * low)
    return tuple(float(e) for e in np.geomspace(low, top, DEFAULT_ETA_COUNT))


def _leading_terms(mu, d: int) -> tuple[int | None, float]:
    """The order i minimising T_i = d^max(i-1,1) (log d for i = 2) / mu_i^2 (Tsiolis et al.
    2025: T(eta) = min_i mu_i(eta)^-2 d^max(i-1,1)) and the ratio of the runner-up T to it."""
    costs = []
    for i, m in enumerate(mu, 1):
        if abs(m) > 1e-12:
            costs.append((d ** max(i - 1, 1) * (math.log(d) if i == 2 else 1.0) / m**2, i))
    if not costs:
        return None, math.inf
    costs.sort()
    ratio = costs[1][0] / costs[0][0] if len(costs) > 1 else math.inf
    return costs[0][1], ratio


def _leading_along(coefficients_at, d: int, low: float, high: float):
    """(crossings, orders): the rates eta in [low, high] where the leading order of
    :func:`_leading_terms` changes (on a log grid of 400 points: a resolution of about 2% in
    eta), and the set of orders that lead somewhere on it."""
    grid = np.geomspace(low, high, 400)
    leading = [_leading_terms(coefficients_at(e).mu, d)[0] for e in grid]
    crossings = [float(np.sqrt(grid[k] * grid[k + 1])) for k in range(len(grid) - 1)
                 if leading[k] != leading[k + 1]]
    return crossings, tuple(sorted({i for i in leading if i is not None}))


def _part_verdict(fit_slope, ci, predicted) -> str:
    from solvers.fit import SYSTEMATIC

    low, high = ci
    if not (math.isfinite(low) and math.isfinite(high)) or high - low > 1.0:
        return "inconclusive"
    return ("consistent" if low - SYSTEMATIC <= predicted <= high + SYSTEMATIC
            else "inconsistent")


def _log_slope(xs, ys) -> float | None:
    if len(xs) < 2 or not all(y is not None and math.isfinite(y) and y > 0 for y in ys):
        return None
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def _validate_alternating(analysis, ds, replicas, seed, backend, prediction,
                          options) -> Evidence:
    """Alternating layer-wise SGD over a grid of eta at one d (module docstring).

    Prediction (Tsiolis et al. 2025, arXiv:2510.21020): T(eta) = min_i mu_i(eta)^-2
    d^max(i-1,1) up to log factors (a log d for i = 2), mu_i(eta) the drift coefficients of
    the update (by quadrature, :func:`solvers.alternating.drift_coefficients`, for the
    simulated tanh student). The leading order i at each eta (:func:`_leading_terms`) gives
    the predicted slope of log T against log eta, -2 p_i with p_i the lowest power of eta in
    mu_i (from :func:`derive.lr_phase.learning_rate_phase`, whose e(kappa), eta = d^-kappa,
    is the same statement in exponents: for He3, e = min(2, 1 + 2 kappa), so -2 above the
    transition ("falling") and 0 below ("flat"); the transition sits at eta ~ |mu_3|
    sqrt(log d / d) / mu_2'(0), the d^-1/2 of e(kappa) with the constants of the mu's).

    The log factor and the O(1) factor, derived (not fitted). With m = w.w* and the
    outer step gamma (the best-gamma rule, gamma = c max_i |mu_i| d^-max(i-2,0)/2 /
    E[psi_eta^2]), the overlap moves on average by (gamma / d) (sum_i mu_i m^(i-1) -
    gamma E[psi_eta^2] m / 2) per sample (drift minus mean retraction), so the escape from
    m_0 = d^-1/2 to the threshold m_th takes

        T_esc(eta) = (d / gamma) int_{m_0}^{m_th} dm / (sum_{i in I} mu_i m^(i-1)
                                                        - gamma E[psi_eta^2] m / 2)

    samples (:func:`solvers.alternating.escape_samples`), I the orders that lead somewhere
    on the eta axis (He3: I = {2, 3}, the two-term escape of dm/dt ∝ a m + b m^2 with
    a = mu_2 - gamma E[psi^2] / 2, b = mu_3). The theory's term for the leading order is
    T_i(eta) = d^max(i-1,1) E[psi_0^2] / mu_i(eta)^2 (no log); the correction is

        C(eta) = T_esc(eta) / T_i(eta).

    In the falling part (i = 2, gamma = c mu_2 / E[psi_eta^2]) this is exactly
    C = L(eta) E[psi_eta^2] / (c E[psi_0^2]) with L(eta) = int dm mu_2 / (a m + b m^2) =
    (mu_2 / a) log(m_th (a + b m_0) / (m_0 (a + b m_th))) ~ log(mu_2 sqrt(d) / mu_3): the
    log factor of the theory (log(m_th sqrt(d)) ~ log(d) / 2 once mu_2 >> mu_3 m_th,
    smaller near the transition, which is why the raw slope is bent) times the second moment the step size pays. In the flat
    part (i = 3, gamma = c mu_3 d^-1/2 / E[psi^2] once mu_2 < mu_3 d^-1/2), C tends to a
    constant times E[psi_eta^2] / E[psi_0^2] as mu_2 -> 0 (L alone would vanish like
    mu_2 sqrt(d) / mu_3; dividing by the i = 3 term instead keeps C bounded); near the
    transition it removes the speed-up by the mu_2 m term, O(mu_2 sqrt(d) / mu_3). The
    corrected samples T / C = T_i (T / T_esc) then have the predicted slope -2 p_i exactly
    where the measured T follows the escape time; the verdict of each part fits log(T / C)
    against log eta with the bootstrap of :func:`solvers.alternating.eta_slope` (C is
    deterministic, so the replicas are resampled as before). The raw slope of T and the
    slope of the drift ODE (:func:`solvers.alternating.mean_field_samples`, and of T_ODE / C)
    on the same etas are reported beside it.

    Which points are fitted. A point is "beyond" where d log E[psi_eta^2] / d log eta >
    SECOND_MOMENT_SLOPE_LIMIT; "unmodelled" where no leading term is known, where the
    leading mu_i(eta) / eta^p_i is more than MU_POWER_TOLERANCE from its eta -> 0 limit
    (so that T_i does not fall as eta^-2p_i), or where T_esc is infinite or more than
    ESCAPE_TOLERANCE from the drift ODE (orders outside I matter); else "flat" (p_i = 0) or
    "falling" (the steepest predicted slope; a less steep one is "other"). The TRANSITION_RATIO
    rule of earlier versions (runner-up term 10 times slower) is gone: the points where the
    runner-up term still contributes are modelled by T_esc. Each part is fitted when it has
    at least 3 points; the verdict is "inconsistent" if a tested part's 95% interval
    (widened by solvers.fit.SYSTEMATIC) misses its slope, "inconclusive" if the falling
    part is untested or an interval is wider than 1 or unbounded, else "consistent".
    """
    from solvers.alternating import (
        alternating_update,
        drift_coefficients,
        escape_correction,
        escape_samples,
        eta_slope,
        mean_field_samples,
    )
    from solvers.fit import median_points
    from solvers.sweep import run_sweep

    from .lr_phase import learning_rate_phase

    _single_index(analysis, "alternating")
    if len(ds) != 1:
        raise DeriveError("--algorithm alternating sweeps eta at one d: give a single --d")
    d = ds[0]
    if options.get("etas") is not None:
        _eta_grid(options.get("etas"), d)     # bad grids fail before any quadrature
    phase = learning_rate_phase(analysis, "alternating", student=ALTERNATING_STUDENT)
    if phase.exponent is None or phase.valid_range is None:
        raise DeriveError(f"e(kappa) is undetermined for this target: {phase.reason}")
    target = analysis.target
    simulation = options.get("simulation") or ("full" if backend == "torch" else "chain")
    if simulation not in ("chain", "full"):
        raise DeriveError("--simulation must be 'chain' or 'full'")
    if simulation == "chain" and backend != "numpy":
        raise DeriveError("the overlap chain runs on numpy; use --simulation full with "
                          "--backend torch")
    threshold = float(options.get("threshold") or 0.5)
    budget = float(options.get("budget") or 50.0)
    gamma_factor = float(options.get("gamma_factor") or 1.0)

    link = numpy_scalar_link(target)
    student, student_derivative = np.tanh, lambda v: 1.0 / np.cosh(v) ** 2
    a0 = _second_layer_sign(link, student, student_derivative)

    def coefficients_at(eta):
        return drift_coefficients(link, alternating_update(student, student_derivative, eta,
                                                           a0=a0), orders=ORDERS)

    def second_moment_slope(eta, h=1e-2):
        up, down = coefficients_at(eta * (1 + h)), coefficients_at(eta * (1 - h))
        return (math.log(up.second_moment / down.second_moment)
                / math.log((1 + h) / (1 - h)))

    etas = _eta_grid(options.get("etas"), d, second_moment_slope)
    kappas = [-math.log(e) / math.log(d) for e in etas]
    top = max(float(phase.at(k)) for k in kappas if k >= 0) if min(kappas) >= 0 else 2.0
    cap = int(budget * d ** top * (math.log(d) if phase.log_intervals else 1.0))

    moments = [coefficients_at(e) for e in (0.0, *etas)]
    base = moments[0].second_moment
    ratios = [m.second_moment / base for m in moments[1:]]
    moment_slopes = [second_moment_slope(e) for e in etas]
    powers = {t.order: t.power for t in phase.leading_terms()}
    leading = [_leading_terms(m.mu, d) for m in moments[1:]]
    slopes = [None if i is None or i not in powers else -2.0 * powers[i]
              for i, _ in leading]
    transitions, modelled = _leading_along(coefficients_at, d, min(etas) / 10,
                                           max(etas) * 10)
    # eta -> 0 limit of mu_i(eta) / eta^p (psi is a polynomial in eta: a tiny eta gives it)
    tiny = 1e-7
    limits = {i: coefficients_at(tiny if p > 0 else 0.0).mu[i - 1] / tiny**p
              for i, p in powers.items() if i <= ORDERS}

    params = {"algorithm": "alternating", "target": target.text, "d": d, "etas": list(etas),
              "replicas": replicas, "seed": _seed_for(seed, d), "max_samples": cap,
              "threshold": threshold, "noise": float(target.noise), "backend": backend,
              "start_overlap": 1.0, "stop_fraction": ALTERNATING_STOP, "simulation": simulation,
              "gamma_factor": gamma_factor, "a0": a0}
    result = run_sweep([params], compute_point, **_sweep_options(options))[0]
    start = 1.0 / math.sqrt(d)
    mean_field = [mean_field_samples(link, alternating_update(student, student_derivative, e,
                                                              a0=a0),
                                     d, g, start, threshold, points=200)
                  for e, g in zip(etas, result["gammas"])]
    escape = [escape_samples(m.mu, m.second_moment, d, g, start, threshold, orders=modelled)
              if start < threshold else math.inf
              for m, g in zip(moments[1:], result["gammas"])]
    corrections, mu_ratios = [], []
    for k, (i, _) in enumerate(leading):
        if i is None or i not in limits or limits[i] == 0:
            corrections.append(math.nan)
            mu_ratios.append(math.nan)
            continue
        mu_i = moments[k + 1].mu[i - 1]
        mu_ratios.append(mu_i / etas[k] ** powers[i] / limits[i])
        corrections.append(escape_correction(
            moments[k + 1].mu, moments[k + 1].second_moment, base, d,
            result["gammas"][k], i, start, threshold, modelled)
            if start < threshold else math.nan)
    samples = [np.array([np.inf if v is None else v for v in row], dtype=float)
               for row in result["samples"]]
    bootstrap = int(options.get("bootstrap") or 2000)
    stats = median_points([d] * len(etas), samples, bootstrap, seed)

    roles, reasons = [], []
    for k, slope in enumerate(slopes):
        agreement = (escape[k] / mean_field[k]
                     if math.isfinite(escape[k]) and math.isfinite(mean_field[k]) else math.nan)
        if slope is None:
            role, reason = "unmodelled", "no leading term of e(kappa) at this eta"
        elif moment_slopes[k] > SECOND_MOMENT_SLOPE_LIMIT:
            role, reason = "beyond", (f"d log E[psi^2] / d log eta = {moment_slopes[k]:.2f} > "
                                      f"{SECOND_MOMENT_SLOPE_LIMIT:g}")
        elif not abs(mu_ratios[k] - 1) <= MU_POWER_TOLERANCE:
            role, reason = "unmodelled", (f"mu_i(eta) / eta^p is {mu_ratios[k]:.3f} times its "
                                          f"eta -> 0 limit")
        elif not abs(agreement - 1) <= ESCAPE_TOLERANCE:
            role, reason = "unmodelled", (f"escape time of orders {list(modelled)} is "
                                          f"{agreement:.3f} times the drift ODE")
        else:
            role, reason = ("flat" if slope == 0 else "falling"), None
        roles.append(role)
        reasons.append(reason)
    steepest = min((s for s, r in zip(slopes, roles) if r == "falling"), default=None)
    if steepest is not None:
        roles = ["falling" if r == "falling" and s == steepest else
                 ("other" if r == "falling" else r) for s, r in zip(slopes, roles)]

    def part_fit(part, predicted):
        chosen = [i for i, r in enumerate(roles) if r == part]
        if len(chosen) < 3:
            return None
        x = [etas[i] for i in chosen]
        scale = [corrections[i] for i in chosen]
        slope, ci = eta_slope(x, [samples[i] / corrections[i] for i in chosen],
                              bootstrap, seed)
        raw, raw_ci = eta_slope(x, [samples[i] for i in chosen], bootstrap, seed)
        reference = [mean_field[i] for i in chosen]
        order = leading[chosen[0]][0]
        return EtaFit(part, slope, ci, tuple(x), predicted,
                      _part_verdict(slope, ci, predicted), bootstrap, seed,
                      _log_slope(x, reference), raw, raw_ci,
                      _log_slope(x, [t / c for t, c in zip(reference, scale)]), tuple(scale),
                      order, powers.get(order),
                      max(abs(mu_ratios[i] - 1) for i in chosen))

    falling = None if steepest is None else part_fit("falling", steepest)
    flat = part_fit("flat", 0.0)
    tested = [f for f in (falling, flat) if f is not None]
    if falling is None:
        verdict_text = "inconclusive"
    elif any(f.verdict == "inconsistent" for f in tested):
        verdict_text = "inconsistent"
    elif any(f.verdict == "inconclusive" for f in tested):
        verdict_text = "inconclusive"
    else:
        verdict_text = "consistent"

    def finite(v):
        return float(v) if v is not None and math.isfinite(v) else None

    points = []
    for i, eta in enumerate(etas):
        point = stats[i].to_dict()
        correction = finite(corrections[i])
        point.update({"eta": eta, "kappa": kappas[i], "predicted_slope": slopes[i],
                      "leading_order": leading[i][0], "runner_up_ratio": leading[i][1],
                      "mean_field": finite(mean_field[i]), "escape": finite(escape[i]),
                      "correction": correction,
                      "corrected_median": (None if correction is None or point["median"] is None
                                           else point["median"] / correction),
                      "mu_power_ratio": finite(mu_ratios[i]),
                      "mu": list(moments[i + 1].mu),
                      "part": roles[i], "excluded_because": reasons[i],
                      "gamma": result["gammas"][i],
                      "second_moment_ratio": ratios[i],
                      "second_moment_slope": moment_slopes[i]})
        points.append(point)
    return Evidence(
        algorithm="alternating", target=target.text,
        quantity=f"samples to weak recovery (|m| >= {threshold:g}) per inner rate eta",
        points=tuple(points), fit=AlternatingFit(falling, flat),
        prediction={**prediction, "e_kappa": str(phase.exponent),
                    "e_kappa_piecewise": str(phase.piecewise),
                    "transitions_eta": transitions,
                    "eta_exponent_falling": steepest, "eta_exponent_flat": 0.0,
                    "escape_orders": list(modelled),
                    "mu_limits": {str(i): float(v) for i, v in limits.items()},
                    "correction": "C(eta) = T_esc(eta) / (d^max(i-1,1) E[psi_0^2] / "
                                  "mu_i(eta)^2), T_esc the escape time of the drift "
                                  "truncated to the escape orders (with the mean "
                                  "retraction), i the leading order",
                    "student": ALTERNATING_STUDENT, "lr_phase_source": phase.source},
        verdict=verdict_text,
        settings={"d": [d], "etas": list(etas), "replicas": replicas, "threshold": threshold,
                  "budget": budget, "max_samples": cap, "simulation": simulation,
                  "student": ALTERNATING_STUDENT, "a0": a0, "loss": "correlation",
                  "a0_rule": "a0 = sign of the first non-zero drift coefficient mu_i at "
                             "eta = 0, so that the information-exponent drift pushes the "
                             "start m_0 > 0 the same way as the eta-drift (else a fixed "
                             "point below the threshold can stop the run)",
                  "gamma_rule": "gamma = gamma_factor * max_i |mu_i| d^-max(i-2,0)/2 / "
                                "E[psi^2] (solvers.alternating)",
                  "gamma_factor": gamma_factor,
                  "start": "m_0 = 1 / sqrt(d)",
                  "stop_fraction": f"{ALTERNATING_STOP} of the replicas of every eta",
                  "second_moment_slope_limit": SECOND_MOMENT_SLOPE_LIMIT,
                  "mu_power_tolerance": MU_POWER_TOLERANCE,
                  "escape_tolerance": ESCAPE_TOLERANCE, "orders": ORDERS,
                  "parts_rule": "falling/flat: the leading term of min_i mu_i^-2 d^max(i-1,1) "
                                "(log d for i = 2) has eta-power p > 0 / p = 0; excluded "
                                "where d log E[psi^2]/d log eta > the second-moment slope "
                                "limit (beyond), where mu_i/eta^p is off its eta -> 0 limit "
                                "by more than the mu tolerance, or where the escape time is "
                                "off the drift ODE by more than the escape tolerance "
                                "(unmodelled)",
                  "rule": "slope of log(median T / C(eta)) against log eta per part (C: the "
                          "log and O(1) factors, prediction.correction); consistent if the "
                          "95% bootstrap interval widened by 0.15 contains -2p (the "
                          "eta-power of mu_i^-2); the raw slope of T and the drift-ODE "
                          "slopes are reported, not part of the verdict"},
        seeds={"seed": seed, "per_d": {str(d): params["seed"]}},
        backend=backend, versions=_versions(backend),
        raw={"per_d": [{"d": d, **result}]},
    )


def _second_layer_sign(link, student, student_derivative) -> float:
    """+1 or -1: the sign of the first non-zero mu_i(eta = 0) with a0 = 1.

    mu_i scales with a0 at eta = 0, while the eta y^2 term does not; for He3 with a tanh
    student mu_3 < 0 and mu_2(eta) > 0, so with a0 = 1 the drift mu_2 m + mu_3 m^2 of a start
    m_0 > 0 vanishes at m = mu_2 / |mu_3| ~ 6 eta, below the threshold for eta < 0.08.

    >>> he3 = lambda u: u**3 - 3 * u
    >>> _second_layer_sign(he3, np.tanh, lambda v: 1 / np.cosh(v) ** 2)
    -1.0
    """
    from solvers.alternating import alternating_update, drift_coefficients

    mu = drift_coefficients(link, alternating_update(student, student_derivative, 0.0)).mu
    scale = max(abs(m) for m in mu)
    for m in mu:
        if scale > 0 and abs(m) > 1e-9 * scale:
            return 1.0 if m > 0 else -1.0
    return 1.0


def _alternating_point(params: dict, target) -> dict:
    """Samples to recovery per eta at one d (exact overlap chain or full simulation)."""
    from solvers.alternating import alternating_sgd, chain_eta_samples

    link = numpy_scalar_link(target)
    d = params["d"]
    common = {"threshold": params["threshold"], "noise": params["noise"],
              "start_overlap": params["start_overlap"] / math.sqrt(d),
              "stop_fraction": params["stop_fraction"],
              "gamma_factor": params["gamma_factor"], "a0": params["a0"]}
    if params["simulation"] == "chain":
        samples, gammas = chain_eta_samples(link, d, params["etas"], params["replicas"],
                                         params["seed"], params["max_samples"], **common)
    else:
        streams = np.random.SeedSequence(params["seed"]).spawn(len(params["etas"]))
        runs = [alternating_sgd(link, d, params["replicas"], int(s.generate_state(1)[0]),
                                params["max_samples"], eta, backend=params["backend"],
                                **common) for eta, s in zip(params["etas"], streams)]
        samples, gammas = [r.samples_to_recovery for r in runs], [r.lr for r in runs]
    return {"samples": [[None if not math.isfinite(v) else int(v) for v in row]
                        for row in samples], "gammas": [float(g) for g in gammas]}


def _preprocessing_from_text(text: str):
    """T(y) from the sympy text recorded in a sweep point (written by :func:`_preprocessing`
    from the safely parsed user text or from the engine, never raw user input)."""
    y = sympy.Symbol("y", real=True)
    expr = sympy.sympify(text, locals={"y": y})
    return _lambdify(expr, y, 0.5, derivative=False)


def _sweep_options(options) -> dict:
    return {k: options[k] for k in ("store", "workers", "scheduler", "progress")
            if options.get(k) is not None}


def _batch_size(text: str, d: int) -> int:
    from .target import parse_expression

    expr = parse_expression(re.sub(r"\bd\b", "z", str(text)))
    value = expr.subs(sympy.Symbol("z", real=True), d)
    if value.free_symbols or not value.is_real or value <= 0:
        raise DeriveError(f"--batch must be a positive expression in d, got '{text}'")
    return math.ceil(float(value))


def _validate_giant(analysis, ds, replicas, seed, backend, prediction, options) -> Evidence:
    from solvers.sweep import run_sweep

    target = analysis.target
    r = target.index_dimension
    steps = int(options.get("steps") or 2)
    batch_text = str(options.get("batch") or "4*d")
    protocol = options.get("protocol") or "sphere"
    if protocol not in ("sphere", "dandi2024"):
        raise DeriveError("--protocol must be 'sphere' or 'dandi2024'")
    dandi = protocol == "dandi2024"
    width = int(options.get("width") or (64 if dandi else 8))
    lr = float(options.get("lr") or (2.0 if dandi else 10.0))
    level = float(options.get("level") or LEARNED_LEVEL)
    predicted = _predicted_giant_subspaces(analysis, steps)

    def job(d):
        if d <= r:
            raise DeriveError(f"d = {d} must exceed the number of teacher directions {r}")
        return {"algorithm": "giant-step", "target": target.text, "d": d, "r": r,
                "replicas": replicas, "seed": _seed_for(seed, d), "steps": steps,
                "batch": _batch_size(batch_text, d), "width": width, "lr": lr,
                "noise": float(target.noise), "backend": backend,
                **({"protocol": protocol} if dandi else {})}

    results = run_sweep([job(d) for d in ds], compute_point, **_sweep_options(options))
    points, agree = [], True
    for d, result in zip(ds, results):
        proj = np.asarray(result["projections"])        # (steps+1, replicas, width, r)
        for s in range(1, steps + 1):
            for name, basis in _directions(r, predicted, s):
                values = np.sqrt(np.mean(np.sum((proj[s] @ basis.T) ** 2, axis=-1), axis=-1))
                learned = name in predicted["learned"][s - 1]
                median = float(np.median(values))
                agree &= (median > level) if learned else (median < level)
                points.append({"d": d, "step": s, "direction": name, "predicted_learned":
                               learned, "median": median, "low": float(np.min(values)),
                               "high": float(np.max(values)), "replicas": replicas})
    verdict_text = "consistent" if agree else "inconsistent"
    if predicted["undetermined"]:
        verdict_text = "inconclusive"
    return Evidence(
        algorithm="giant-step", target=target.text,
        quantity=f"RMS over neurons of the overlap with each direction (learned: > {level})",
        points=tuple(points), fit=None, prediction={**prediction,
                                                    "learned_after_step": predicted["learned"]},
        verdict=verdict_text, settings={"d": list(ds), "replicas": replicas, "steps": steps,
                                        "batch": batch_text, "width": width, "lr": lr,
                                        "level": level, "protocol": protocol},
        seeds={"seed": seed, "per_d": {str(d): _seed_for(seed, d) for d in ds}},
        backend=backend, versions=_versions(backend),
        raw={"per_d": [{"d": d, **res} for d, res in zip(ds, results)]},
    )


def _predicted_giant_subspaces(analysis, steps: int) -> dict:
    """Names and bases of the directions the linear-batch staircase learns by each step."""
    r = analysis.target.index_dimension
    if analysis.multi_index is None:
        learns = analysis.information_exponent.value == 1
        bases = [((1,),)] if learns else []
        undetermined = analysis.information_exponent.value is None
    else:
        f = analysis.multi_index.linear_giant_steps
        bases = [tuple(tuple(v) for v in step.basis) for step in f.steps]
        undetermined = f.undetermined is not None
    vectors, learned, names = [], [], []
    for s in range(steps):
        if s < len(bases):
            for v in bases[s]:
                vectors.append(np.array([float(c) for c in v]))
                names.append(_direction_name(vectors[-1]))
        learned.append(list(names))
    return {"learned": learned, "vectors": vectors, "names": names, "r": r,
            "undetermined": undetermined}


def _direction_name(v: np.ndarray) -> str:
    nonzero = np.flatnonzero(np.abs(v) > 1e-12)
    if len(nonzero) == 1:
        return f"e{nonzero[0] + 1}"
    return "(" + ", ".join(f"{c:.3g}" for c in v) + ")"


def _directions(r: int, predicted: dict, step: int):
    """Each predicted direction and the orthogonal rest (one basis vector each), as (1, r)."""
    out = []
    names = list(predicted["names"])
    vectors = [v / np.linalg.norm(v) for v in predicted["vectors"]]
    for name, v in zip(names, vectors):
        out.append((name, v[None, :]))
    # coordinate directions not in the predicted span, orthogonalised against it
    span = np.array(vectors) if vectors else np.zeros((0, r))
    for i in range(r):
        e = np.zeros(r)
        e[i] = 1.0
        rest = e - (span.T @ (span @ e) if len(span) else 0)
        if np.linalg.norm(rest) > 1e-9 and f"e{i + 1}" not in names:
            out.append((f"e{i + 1}", (rest / np.linalg.norm(rest))[None, :]))
    return out


def _validate_spectral(analysis, ds, replicas, seed, backend, prediction, options) -> Evidence:
    from solvers.sweep import run_sweep

    target = analysis.target
    alphas = _positive_grid(options.get("alphas") or "0.3:1.2:10", "--alpha", np.linspace)
    recovery = analysis.recovery()
    alpha_c = None if recovery is None else recovery.alpha_c
    expression, source = _preprocessing(analysis, options.get("preprocessing"))
    level = float(options.get("level") or LEARNED_LEVEL)

    def job(d):
        return {"algorithm": "spectral", "target": target.text, "d": d,
                "replicas": replicas, "seed": _seed_for(seed, d), "alphas": list(alphas),
                "preprocessing_expression": expression, "noise": float(target.noise), "backend": backend}

    results = run_sweep([job(d) for d in ds], compute_point, **_sweep_options(options))
    points, verdict_text = [], "inconclusive"
    below_ok = above_ok = True
    seen_below = seen_above = False
    for d, result in zip(ds, results):
        overlaps = np.asarray(result["overlaps"])
        for alpha, values in zip(alphas, overlaps):
            median = float(np.median(values))
            points.append({"d": d, "alpha": alpha, "median": median,
                           "low": float(values.min()), "high": float(values.max()),
                           "replicas": replicas})
            if alpha_c is None or not math.isfinite(alpha_c):
                continue
            if alpha <= alpha_c:
                seen_below = True
                below_ok &= median < level
            elif alpha >= 1.5 * alpha_c:
                seen_above = True
                above_ok &= median > level
    if alpha_c is not None and math.isfinite(alpha_c) and seen_below and seen_above:
        verdict_text = "consistent" if below_ok and above_ok else "inconsistent"
    return Evidence(
        algorithm="spectral", target=target.text,
        quantity=f"overlap |v.w*| of the top eigenvector (learned: > {level})",
        points=tuple(points), fit=None,
        prediction={**prediction, "alpha_c": alpha_c},
        verdict=verdict_text,
        settings={"d": list(ds), "replicas": replicas, "alphas": list(alphas),
                  "preprocessing": source, "level": level,
                  "rule": "median overlap < level for alpha <= alpha_c and > level for "
                          "alpha >= 1.5 alpha_c"},
        seeds={"seed": seed, "per_d": {str(d): _seed_for(seed, d) for d in ds}},
        backend=backend, versions=_versions(backend),
        raw={"per_d": [{"d": d, **res} for d, res in zip(ds, results)]},
    )


def _preprocessing(analysis, text) -> tuple[str, str]:
    """T(y) as sympy text in y (or "optimal" where T* has no closed form), and where it comes
    from: the user's (parsed safely), else the optimal T*(y) = 1 - 1/E[z^2|y] of
    :func:`derive.thresholds.optimal_preprocessing` (Mondelli-Montanari 2018)."""
    if text:
        expression = parse_preprocessing(text).expression
        return str(expression), f"T(y) = {expression} (user)"
    if not analysis.target.is_single_index:
        raise DeriveError("the optimal preprocessing is implemented for single-index targets; "
                          "give --preprocessing 'EXPR in y'")
    from .thresholds import optimal_preprocessing

    optimal = optimal_preprocessing(analysis)
    if optimal.expression is not None:
        return (str(optimal.expression), (f"T*(y) = {optimal.expression} (optimal: "
                                          f"1 - 1/E[z^2|y], Mondelli-Montanari 2018; "
                                          f"{optimal.method})"))
    return "optimal", f"T*(y) = 1 - 1/E[z^2|y] ({optimal.method}; Mondelli-Montanari 2018)"


# ----------------------------------------------------------------------------- outputs


def plot(evidence: Evidence):
    """A matplotlib figure of the evidence (log-log fit, overlaps per step, or per alpha)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    points = evidence.points
    if evidence.algorithm == "alternating":
        _plot_alternating(ax, evidence)
    elif evidence.fit is not None:
        ds = np.array([p["d"] for p in points], dtype=float)
        med = np.array([np.nan if p["median"] is None else p["median"] for p in points])
        low = np.array([np.nan if p["low"] is None else p["low"] for p in points])
        high = np.array([np.nan if p["high"] is None else p["high"] for p in points])
        ax.errorbar(ds, med, yerr=[med - low, high - med], fmt="o", capsize=3,
                    label="median, 95% bootstrap")
        fit = evidence.fit
        if math.isfinite(fit.exponent):
            ax.plot(ds, np.exp(fit.intercept) * ds ** fit.exponent, "-",
                    label=f"fit d^{fit.exponent:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]")
        predicted = evidence.prediction.get("d_exponent")
        if predicted is not None and np.isfinite(med).any():
            e = float(sympy.sympify(predicted))
            i = int(np.nanargmax(np.isfinite(med)))
            ref = med[i] * (ds / ds[i]) ** e
            ax.plot(ds, ref, "--", color="gray", label=f"predicted d^{predicted}"
                    + (" log d" if evidence.prediction.get("log_factor") else ""))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("d")
        ax.set_ylabel("samples to weak recovery")
    elif evidence.algorithm == "spectral":
        for d in sorted({p["d"] for p in points}):
            rows = [p for p in points if p["d"] == d]
            ax.errorbar([p["alpha"] for p in rows], [p["median"] for p in rows],
                        yerr=[[p["median"] - p["low"] for p in rows],
                              [p["high"] - p["median"] for p in rows]],
                        fmt="o-", capsize=3, label=f"d = {d}")
        alpha_c = evidence.prediction.get("alpha_c")
        if alpha_c is not None and math.isfinite(alpha_c):
            ax.axvline(alpha_c, color="gray", ls="--", label=f"alpha_c = {alpha_c:.4g}")
        ax.set_xlabel("alpha = n / d")
        ax.set_ylabel("overlap")
    else:
        labels = sorted({(p["d"], p["direction"]) for p in points})
        for d, name in labels:
            rows = [p for p in points if p["d"] == d and p["direction"] == name]
            ax.plot([p["step"] for p in rows], [p["median"] for p in rows], "o-",
                    label=f"{name}, d = {d}")
        ax.axhline(evidence.settings.get("level", LEARNED_LEVEL), color="gray", ls="--")
        ax.set_xlabel("giant step")
        ax.set_ylabel("overlap")
    ax.set_title(f"{evidence.target}: {evidence.algorithm} ({evidence.verdict})", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _plot_alternating(ax, evidence: Evidence) -> None:
    points = evidence.points
    etas = np.array([p["eta"] for p in points])

    def column(name):
        return np.array([np.nan if p[name] is None else p[name] for p in points], dtype=float)

    med, low, high = column("median"), column("low"), column("high")
    for part, marker in (("falling", "o"), ("flat", "s"), ("unmodelled", "^"),
                         ("beyond", "x"), ("other", "d")):
        mask = np.array([p["part"] == part for p in points])
        if mask.any():
            ax.errorbar(etas[mask], med[mask], yerr=[med[mask] - low[mask],
                                                     high[mask] - med[mask]],
                        fmt=marker, capsize=3, label=f"{part} (median, 95% bootstrap)")
    for fit in (evidence.fit.falling, evidence.fit.flat):
        if fit is None or not math.isfinite(fit.exponent):
            continue
        chosen = np.array([p["eta"] in fit.etas for p in points])
        x = etas[chosen]
        centre_x, centre_y = np.exp(np.mean(np.log(x))), np.exp(np.mean(np.log(med[chosen])))
        if math.isfinite(fit.raw_exponent):
            ax.plot(x, centre_y * (x / centre_x) ** fit.raw_exponent, "-", lw=0.8,
                    label=f"{fit.part}, raw T: eta^{fit.raw_exponent:.2f}")
        # T / C, scaled to the same geometric mean as T on these etas (C is dimensionless)
        corrected = med[chosen] / np.array(fit.corrections)
        shift = centre_y / np.exp(np.mean(np.log(corrected)))
        ax.plot(x, corrected * shift, "o", mfc="none", color="black", ms=7,
                label=f"{fit.part}: T/C (scaled)")
        ax.plot(x, centre_y * (x / centre_x) ** fit.exponent, "-",
                label=f"{fit.part}, T/C: eta^{fit.exponent:.2f} "
                      f"[{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]")
        ax.plot(x, centre_y * (x / centre_x) ** fit.predicted, "--", color="gray",
                label=f"predicted eta^{fit.predicted:g}")
    for t in evidence.prediction.get("transitions_eta", []):
        ax.axvline(t, color="gray", ls=":", label=f"transition of the leading term, eta = {t:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"inner learning rate eta (d = {evidence.settings['d'][0]})")
    ax.set_ylabel("samples to weak recovery")


def write_outputs(evidence: Evidence, folder) -> list[str]:
    """Write NAME.png, NAME.pdf and NAME.json into ``folder`` (created), atomically."""
    import io
    from pathlib import Path

    from .files import write_atomically

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DeriveError(f"cannot create output folder {folder}: {exc.strerror}")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{evidence.algorithm}_{evidence.target}")[:80]
    fig = plot(evidence)
    written = []
    try:
        for ext in ("png", "pdf"):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=ext, dpi=150)
            path = folder / f"{stem}.{ext}"
            write_atomically(path, buffer.getvalue())
            written.append(str(path))
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    path = folder / f"{stem}.json"
    write_atomically(path, (evidence.to_json() + "\n").encode("utf-8"))
    written.append(str(path))
    return written


def summary_table(evidence: Evidence) -> str:
    """The printed summary: measured quantity per point, fit, prediction, verdict."""
    lines = [f"target      {evidence.target}", f"algorithm   {evidence.algorithm}",
             f"measured    {evidence.quantity}", ""]
    if evidence.algorithm == "alternating":
        return "\n".join(lines + _alternating_lines(evidence))
    if evidence.fit is not None:
        lines.append(f"{'d':>6}  {'median':>12}  {'95% interval':>26}  reached")
        for p in evidence.points:
            def show(v):
                return "inf" if v is None else f"{v:.4g}"
            lines.append(f"{p['d']:>6}  {show(p['median']):>12}  "
                         f"{'[' + show(p['low']) + ', ' + show(p['high']) + ']':>26}  "
                         f"{p['reached']}/{p['replicas']}")
        fit = evidence.fit
        lines.append("")
        text = f"fit         n ~ d^{fit.exponent:.3f}"
        if fit.log_factor and fit.exponent_over_log is not None:
            text += f" (n / log d ~ d^{fit.exponent_over_log:.3f})"
        lines.append(text + f", 95% bootstrap interval [{fit.ci[0]:.3f}, {fit.ci[1]:.3f}]"
                     + (" (widened for the log factor)" if fit.log_factor else ""))
    elif evidence.algorithm == "spectral":
        lines.append(f"{'d':>6}  {'alpha':>7}  {'median':>8}  {'range':>18}")
        for p in evidence.points:
            lines.append(f"{p['d']:>6}  {p['alpha']:>7.3f}  {p['median']:>8.3f}  "
                         f"[{p['low']:.3f}, {p['high']:.3f}]")
    else:
        lines.append(f"{'d':>6}  {'step':>4}  {'direction':>10}  {'predicted':>9}  "
                     f"{'median':>8}  {'range':>18}")
        for p in evidence.points:
            lines.append(f"{p['d']:>6}  {p['step']:>4}  {p['direction']:>10}  "
                         f"{'learned' if p['predicted_learned'] else 'not':>9}  "
                         f"{p['median']:>8.3f}  [{p['low']:.3f}, {p['high']:.3f}]")
    pred = evidence.prediction
    exponent = pred.get("d_exponent")
    text = "does not apply" if exponent is None else f"n ~ d^{exponent}" + (
        " (up to logs)" if pred.get("log_factor") else "")
    if evidence.algorithm == "spectral":
        text = f"weak recovery above alpha_c = {pred.get('alpha_c')}"
    if evidence.algorithm == "giant-step":
        text = "learned after each step: " + "; ".join(
            f"{i + 1}: {', '.join(names) or 'none'}"
            for i, names in enumerate(pred.get("learned_after_step", [])))
    lines.append(f"prediction  {text} [{pred['key']}] {pred['source']}")
    lines.append(f"verdict     {evidence.verdict}")
    return "\n".join(lines)


def _alternating_lines(evidence: Evidence) -> list[str]:
    def show(v):
        return "inf" if v is None else f"{v:.4g}"

    lines = [(f"{'d':>6}  {'eta':>9}  {'kappa':>6}  {'median':>10}  {'95% interval':>24}  "
              f"{'reached':>7}  {'E[psi^2]':>8}  {'C(eta)':>7}  {'T/C':>9}  part")]
    for p in evidence.points:
        c = p.get("correction")
        lines.append(f"{p['d']:>6}  {p['eta']:>9.4g}  {p['kappa']:>6.3f}  {show(p['median']):>10}"
                     f"  {'[' + show(p['low']) + ', ' + show(p['high']) + ']':>24}  "
                     f"{str(p['reached']) + '/' + str(p['replicas']):>7}  "
                     f"{p['second_moment_ratio']:>8.2f}  {'-' if c is None else f'{c:.3g}':>7}"
                     f"  {show(p.get('corrected_median')):>9}  {p['part']}"
                     + (f" ({p['excluded_because']})" if p.get("excluded_because") else ""))
    lines.append("")
    for fit, name in ((evidence.fit.falling, "falling"), (evidence.fit.flat, "flat")):
        if fit is None:
            lines.append(f"fit {name:<8}fewer than 3 points in this part: not tested")
            continue
        lines.append(f"fit {name:<8}T/C ~ eta^{fit.exponent:.3f}, 95% bootstrap interval "
                     f"[{fit.ci[0]:.3f}, {fit.ci[1]:.3f}] on eta = "
                     f"{', '.join(f'{e:.3g}' for e in fit.etas)}; predicted eta^{fit.predicted:g}:"
                     f" {fit.verdict} (the verdict uses T/C)")
        lines.append(f"{'':12}raw T ~ eta^{fit.raw_exponent:.3f}, 95% bootstrap interval "
                     f"[{fit.raw_ci[0]:.3f}, {fit.raw_ci[1]:.3f}] (not part of the verdict)")
        if fit.mean_field is not None:
            corrected = ("" if fit.mean_field_corrected is None
                         else f", T_ODE/C ~ eta^{fit.mean_field_corrected:.3f}")
            lines.append(f"{'':12}drift ODE (noise neglected, same etas): T_ODE ~ "
                         f"eta^{fit.mean_field:.3f}{corrected} (not part of the verdict)")
        if fit.order is not None:
            lines.append(f"{'':12}leading term mu_{fit.order} ~ eta^{fit.power}: "
                         f"mu_{fit.order}/eta^{fit.power} within {fit.mu_deviation:.1e} of its "
                         f"eta -> 0 limit on these etas")
    pred = evidence.prediction
    if pred.get("correction"):
        lines.append(f"correction  {pred['correction']}; escape orders "
                     f"{pred.get('escape_orders')}")
    pred = evidence.prediction
    lines.append(f"prediction  T = d^e(kappa), eta = d^-kappa, e = {pred['e_kappa']} (student "
                 f"{pred['student']}; derive lr-phase) [{pred['key']}] {pred['source']}")
    lines.append(f"verdict     {evidence.verdict}")
    return lines

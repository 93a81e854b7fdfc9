"""Log-log fits of a measured quantity against d, bootstrap intervals and the verdict.

The quantity (samples to weak recovery) is measured on R replicas at each d. Its median per
d is fitted as log q = b + e log d by least squares; the 95% interval of e is the percentile
bootstrap (Efron & Tibshirani 1993, Ch. 13) over replicas: each bootstrap sample resamples
the replicas of every d with replacement, recomputes the medians and refits. Replicas that
never reached the target count as +inf: a median that is inf makes the point (and the
bootstrap samples where it happens) censored, and an interval that is not finite is
inconclusive, never silently dropped.

With a predicted log factor the statements say "n ~ d^e up to logarithmic factors": n lies
between C d^e and C d^e log d, whose local log-log slopes at finite d differ by about
1 / log d. The interval compared with e is then widened to cover both readings: from the
lower end of the interval fitted to q / log d to the upper end of the one fitted to q
(``exponent`` is the plain fit, ``exponent_over_log`` the fit of q / log d).

Verdict (:func:`verdict`): "inconclusive" when the interval is wider than ``max_width``
(default 1: a narrower one tells neighbouring integer exponents apart), not finite, or rests
on fewer than 3 sizes; otherwise "consistent" when the interval, widened by ``systematic``
on each side, contains the predicted exponent and "inconsistent" when it does not. The
bootstrap interval is statistical only; at the sizes a simulation reaches (d <= 10^3) the
local log-log slope also carries finite-size corrections. Example: with the start overlap
m_0 = d^{-1/2} and the threshold 0.5, an IE = 1 link needs a time ~ (0.5 - d^{-1/2}) / c,
which moves the slope fitted on d = 64 ... 512 by log(1.22) / log(8) ~ 0.09. The default
``systematic = 0.15`` allows for corrections of that size and is reported with the verdict.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> ds = [32, 64, 128, 256]
>>> data = [d**2 * np.exp(0.1 * rng.standard_normal(16)) for d in ds]
>>> fit = fit_exponent(ds, data, seed=0)
>>> abs(fit.exponent - 2) < 0.05, fit.ci[0] < 2 < fit.ci[1]
(True, True)
>>> verdict(fit, 2.0)
'consistent'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Point:
    """Median and 95% bootstrap interval of the quantity at one d (``inf`` where censored)."""

    d: int
    median: float
    low: float
    high: float
    replicas: int
    reached: int

    def to_dict(self) -> dict:
        def number(v):
            return float(v) if math.isfinite(v) else None
        return {"d": int(self.d), "median": number(self.median), "low": number(self.low),
                "high": number(self.high), "replicas": self.replicas, "reached": self.reached}


@dataclass(frozen=True)
class ExponentFit:
    """q ~ C d^exponent (times log d when ``log_factor``), with a bootstrap interval."""

    exponent: float
    intercept: float
    ci: tuple[float, float]
    log_factor: bool
    points: tuple[Point, ...]
    bootstrap: int
    seed: int
    exponent_over_log: float | None = None

    def to_dict(self) -> dict:
        def number(v):
            return float(v) if math.isfinite(v) else None
        return {"exponent": number(self.exponent), "ci": [number(v) for v in self.ci],
                "intercept": number(self.intercept), "log_factor": self.log_factor,
                "exponent_over_log": None if self.exponent_over_log is None
                else number(self.exponent_over_log),
                "bootstrap": self.bootstrap, "seed": self.seed,
                "confidence": CONFIDENCE}


def _line(ds: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        return math.inf, math.nan
    slope, intercept = np.polyfit(np.log(ds), np.log(values), 1)
    return float(slope), float(intercept)


def median_points(ds, samples, bootstrap: int = 2000, seed: int = 0) -> tuple[Point, ...]:
    """Median per d with its percentile-bootstrap interval."""
    rng = np.random.default_rng(seed)
    out = []
    alpha = (1 - CONFIDENCE) / 2
    for d, values in zip(ds, samples):
        values = np.asarray(values, dtype=float)
        boots = np.sort(np.median(rng.choice(values, size=(bootstrap, values.size)), axis=1))
        # order statistics (np.quantile interpolates, which is undefined between inf values)
        low = boots[int(np.floor(alpha * (bootstrap - 1)))]
        high = boots[int(np.ceil((1 - alpha) * (bootstrap - 1)))]
        out.append(Point(int(d), float(np.median(values)), float(low), float(high),
                         int(values.size), int(np.isfinite(values).sum())))
    return tuple(out)


def fit_exponent(ds, samples, log_factor: bool = False, bootstrap: int = 2000,
                 seed: int = 0) -> ExponentFit:
    """Fit the median of ``samples[i]`` (replicas at ``ds[i]``) against d (module docstring)."""
    plain = _fit(ds, samples, False, bootstrap, seed)
    if not log_factor:
        return plain
    over_log = _fit(ds, samples, True, bootstrap, seed)
    return ExponentFit(plain.exponent, plain.intercept, (over_log.ci[0], plain.ci[1]), True,
                       plain.points, plain.bootstrap, plain.seed, over_log.exponent)


def _fit(ds, samples, log_factor: bool, bootstrap: int, seed: int) -> ExponentFit:
    ds = np.asarray(ds, dtype=float)
    if ds.size != len(samples):
        raise ValueError("one array of replicas per d")
    arrays = [np.asarray(s, dtype=float) for s in samples]
    scale = np.log(ds) if log_factor else np.ones_like(ds)
    medians = np.array([np.median(a) for a in arrays])
    exponent, intercept = _line(ds, medians / scale) if ds.size >= 2 else (math.inf, math.nan)
    rng = np.random.default_rng(seed)
    resampled = [np.median(rng.choice(a, size=(bootstrap, a.size)), axis=1) for a in arrays]
    matrix = np.stack(resampled, axis=1) / scale  # (bootstrap, len(ds))
    finite = np.all(np.isfinite(matrix), axis=1)
    logd = np.log(ds)
    centred = logd - logd.mean()
    # a resample whose median is censored (inf) at some d has an unbounded slope: +inf if
    # that d lies above the mean log d, -inf below; both at once: undetermined (nan, put at
    # both ends). The interval is read from order statistics, so such resamples count in
    # its tails instead of being dropped.
    up = np.any(~np.isfinite(matrix) & (centred > 0), axis=1)
    down = np.any(~np.isfinite(matrix) & (centred <= 0), axis=1)
    slopes = np.where(up, math.inf, -math.inf)
    if ds.size >= 2 and finite.any():
        logs = np.log(matrix[finite])
        slopes[finite] = (logs - logs.mean(axis=1, keepdims=True)) @ centred / (centred @ centred)
    both = up & down
    alpha = (1 - CONFIDENCE) / 2
    ordered = np.sort(slopes[~both])
    extra = int(both.sum())  # undetermined resamples widen both ends
    if ds.size < 2 or ordered.size == 0:
        low, high = -math.inf, math.inf
    else:
        k_low = int(np.floor(alpha * (bootstrap - 1))) - extra
        k_high = int(np.ceil((1 - alpha) * (bootstrap - 1)))
        low = ordered[k_low] if 0 <= k_low < ordered.size else -math.inf
        high = ordered[k_high] if k_high < ordered.size else math.inf
    points = median_points(ds.astype(int), arrays, bootstrap, seed)
    return ExponentFit(float(exponent), float(intercept), (float(low), float(high)),
                       bool(log_factor), points, int(bootstrap), int(seed))


#: Allowance for finite-size corrections to the fitted slope (module docstring).
SYSTEMATIC = 0.15


def verdict(fit: ExponentFit | None, predicted: float | None, max_width: float = 1.0,
            systematic: float = SYSTEMATIC) -> str:
    """'consistent', 'inconsistent' or 'inconclusive' (module docstring).

    >>> verdict(ExponentFit(1.2, 0.0, (1.1, 1.3), False, (), 10, 0), 2.0)
    'inconsistent'
    >>> verdict(ExponentFit(1.2, 0.0, (-1.0, 3.0), False, (), 10, 0), 2.0)
    'inconclusive'
    """
    if fit is None or predicted is None or 0 < len(fit.points) < 3:
        return "inconclusive"
    low, high = fit.ci
    if not (math.isfinite(low) and math.isfinite(high)) or high - low > max_width:
        return "inconclusive"
    return ("consistent" if low - systematic <= predicted <= high + systematic
            else "inconsistent")

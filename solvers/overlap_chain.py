"""The overlap of spherical single-index SGD as an exact Markov chain with O(1) draws per step.

The update of :func:`solvers.online.spherical_sgd` (Ben Arous, Gheissari, Jagannath 2021,
arXiv:2003.10409; the psi-form of Tsiolis, Mousavi-Hosseini, Erdogdu 2025, arXiv:2510.21020,
used for online SGD, batch reuse and alternating layer-wise SGD) is, with a fresh
x ~ N(0, I_d) per step, b = w.x, c = (lr / d) psi(y, b, spread),

    w' = (w + c P_w^perp x) / |w + c P_w^perp x|,    |w + c P_w^perp x|^2 = 1 + c^2 |P_w^perp x|^2

(|w| = 1, P_w^perp x orthogonal to w). Write the teacher direction as w* = m w + s u with
m = w.w*, s = sqrt(1 - m^2) and u a unit vector orthogonal to w (if m = +-1 any u), and
split x = b w + g u + x_rest with g = u.x and x_rest orthogonal to w and u. Because x is
standard Gaussian and (w, u) orthonormal,

    b, g ~ N(0, 1) and R = |x_rest|^2 ~ chi^2_{d-2}, all three independent.

Everything the step uses is a function of (b, g, R): the teacher field w*.x = m b + s g,
so y = g*(m b + s g) (+ sqrt(noise) xi); |P_w^perp x|^2 = g^2 + R, so spread =
(g^2 + R) / d; and w*.P_w^perp x = w*.x - m b = s g. Hence

    m' = w'.w* = (m + c s g) / sqrt(1 + c^2 (g^2 + R)),     c = (lr / d) psi(y, b, (g^2 + R) / d).

The law of (b, g, R) given the past depends on the past only through m (the next x is
independent of it and rotation invariant), so (m_t) is a Markov chain, and its law is EXACTLY
the law of the overlap sequence of the d-dimensional simulation started at the same m_0 (in
distribution, not sample by sample: the two draw different numbers). Each step costs three
random numbers (plus one for label noise) instead of d, so d = 10^3 ... 10^4 is as cheap as
d = 10. Sampling: b, g by ``standard_normal``, R by ``chisquare(d - 2)`` (numpy's exact
gamma sampler), per replica from its own stream ``SeedSequence(seed).spawn(replicas)``.

Starts: ``start_overlap`` fixes m_0; otherwise m_0 = |z| / sqrt(z^2 + chi^2_{d-1}), the
first coordinate of a uniform point of the sphere reflected into m_0 > 0, the default start
of :func:`solvers.online.spherical_sgd`.

Lanes: the replicas run as one vector, and ``lr`` may be a vector with one value per replica
(the update psi may likewise close over per-replica parameter vectors, e.g.
``alternating_update(..., eta=vector)``), so a whole sweep over a parameter is one chain.
The time loop is still a Python loop over steps (one pass of about twenty vector operations
per step); what is saved is the O(d) work and memory of every step.

>>> import numpy as np
>>> from solvers.online import online_update
>>> run = overlap_chain(lambda z: z, online_update(lambda u: np.ones_like(u)), d=2000,
...                     replicas=4, seed=1, lr=1.0, max_samples=40000)
>>> bool(np.all(np.isfinite(run.samples_to_recovery)))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .online import RecoveryRun

#: steps drawn at once per replica (three arrays of this many numbers per replica)
BLOCK_STEPS = 4096


def start_overlaps(d: int, generators: list, start_overlap: float | None) -> np.ndarray:
    """m_0 per replica: ``start_overlap`` if given, else |z| / sqrt(z^2 + chi^2_{d-1})."""
    if start_overlap is not None:
        return np.full(len(generators), float(start_overlap))
    out = np.empty(len(generators))
    for i, rng in enumerate(generators):
        z = rng.standard_normal()
        out[i] = abs(z) / math.sqrt(z * z + rng.chisquare(d - 1))
    return out


def overlap_chain(
    link: Callable[[np.ndarray], np.ndarray],
    update: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    d: int,
    replicas: int,
    seed: int,
    lr,
    max_samples: int,
    threshold: float = 0.5,
    noise: float = 0.0,
    algorithm: str = "online-sgd",
    start_overlap: float | None = None,
    block: int | None = None,
    stop_fraction: float = 1.0,
    groups: int = 1,
) -> RecoveryRun:
    """The overlap chain (module docstring) with the arguments and result of
    :func:`solvers.online.spherical_sgd` (numpy only); ``lr`` is a number or one value per
    replica, and the run records ``extra["method"] = "overlap-chain"``. With ``groups`` > 1
    the replicas form that many equal consecutive groups (e.g. one per eta) and the run
    stops once EVERY group has the fraction ``stop_fraction`` recovered."""
    if d < 3 or replicas < 1 or max_samples < 1:
        raise ValueError("need d >= 3, replicas >= 1 and max_samples >= 1")
    if groups < 1 or replicas % groups:
        raise ValueError("groups must divide the number of replicas")
    generators = [np.random.Generator(np.random.PCG64(child))
                  for child in np.random.SeedSequence(seed).spawn(replicas)]
    rates = np.broadcast_to(np.asarray(lr, dtype=float), (replicas,))
    step = rates / d
    m = start_overlaps(d, generators, start_overlap)
    noise_scale = math.sqrt(float(noise))
    block = int(block or BLOCK_STEPS)
    first = np.full(replicas, np.inf)
    times, overlaps = [0.0], [m.copy()]
    done = 0
    inv_d = 1.0 / d
    while done < max_samples:
        size = min(block, max_samples - done)
        b = np.empty((size, replicas))
        g = np.empty((size, replicas))
        q = np.empty((size, replicas))
        xi = np.empty((size, replicas)) if noise_scale else None
        for r, rng in enumerate(generators):     # replica r from its own stream
            b[:, r] = rng.standard_normal(size)
            g[:, r] = rng.standard_normal(size)
            q[:, r] = rng.chisquare(d - 2, size)
            if xi is not None:
                xi[:, r] = rng.standard_normal(size)
        q += g * g                                # |P_w^perp x|^2 = g^2 + R
        trace = np.empty((size, replicas))
        for t in range(size):
            s = np.sqrt(np.maximum(1.0 - m * m, 0.0))
            sg = s * g[t]
            y = link(m * b[t] + sg)
            if xi is not None:
                y = y + noise_scale * xi[t]
            c = step * update(y, b[t], q[t] * inv_d)
            m = (m + c * sg) / np.sqrt(1.0 + c * c * q[t])
            trace[t] = m
        crossed = np.abs(trace) >= threshold
        hit = crossed.any(axis=0) & ~np.isfinite(first)
        if hit.any():
            first[hit] = done + crossed[:, hit].argmax(axis=0) + 1
        done += size
        times.append(done / d)
        overlaps.append(m.copy())
        if np.isfinite(first).reshape(groups, -1).mean(axis=1).min() >= stop_fraction:
            break
    lr_record = float(rates[0]) if np.all(rates == rates[0]) else rates.tolist()
    return RecoveryRun(
        d=d, replicas=replicas, seed=seed, lr=lr_record, threshold=float(threshold),
        algorithm=algorithm, max_samples=int(max_samples), noise=float(noise),
        samples_to_recovery=first, times=np.asarray(times),
        overlaps=np.stack(overlaps, axis=1), backend="numpy",
        extra={"method": "overlap-chain"},
    )

"""Spherical single-index SGD with a general update: samples to weak recovery.

Setting (Ben Arous, Gheissari, Jagannath, JMLR 2021, arXiv:2003.10409, Sect. 1.1 and
Thm. 1.3): inputs x ~ N(0, I_d), teacher direction w* (here e_1: the input law is rotation
invariant, so this loses nothing), label y = g(w*.x) + sqrt(noise) xi. The student keeps w
on the unit sphere; one fresh sample per step,

    w <- normalize(w + (lr / d) psi(y, w.x) P_w^perp x),     P_w^perp = I - w w^T,

the form of Tsiolis, Mousavi-Hosseini, Erdogdu (NeurIPS 2025, arXiv:2510.21020, Sect. 2),
which covers the algorithms of this package through psi:

* online SGD on the correlation loss -y sigma(w.x), sigma = g: psi = y g'(lambda)
  (:func:`online_update`); with the square loss on the sphere the extra term sigma sigma' x
  has mean along w and is removed by P_w^perp, so the population drift is the same;
* batch reuse (:mod:`solvers.batch_reuse`) and alternating layer-wise SGD
  (:mod:`solvers.alternating`).

psi is called as ``psi(y, field, spread)`` with field = w.x and spread = |P_w^perp x|^2 / d
(about 1; the exact value lets a look-ahead step on the same sample be computed exactly).
The overlap is m = w.w*; weak recovery is the first time |m| >= ``threshold`` (default 0.5;
the direction up to its sign, which is what weak recovery asks).
Time is t = samples / d.

Learning rate of online SGD (BAGJ Thm. 1.3): with information exponent k, lr of order 1 for
k <= 2 and lr ~ d^{-(k-2)/2} for k >= 3, which gives n ~ d (k = 1), d log d (k = 2),
d^{k-1} (k >= 3); :func:`ben_arous_learning_rate` returns lr0 * d^{-(k-2)/2}. Start: w
uniform on the sphere, reflected into the half-sphere m > 0 (BAGJ start in the upper
half-sphere; for odd links an m < 0 start is first driven back to the equator, a different,
longer, event). The random start's overlap |m_0| ~ |N(0, 1)| / sqrt(d) makes the time to
recovery heavy-tailed (it scales as 1/m_0 for k = 3); ``start_overlap = 1/sqrt(d)`` starts
every replica at the typical value instead, which BAGJ's bounds are stated for (initial
correlation of order d^{-1/2}) and which leaves only the SGD noise in the spread.

Many replicas run as one batched computation: the state is an (R, d) array, the inputs of
``block`` steps of every replica are drawn at once (replica r from its own stream), and
each step is one pass of batched dot products and row updates. The norm after a step is
computed in closed form (|a w + c x|^2 = a^2 + 2 a c w.x + c^2 |x|^2 with |w| = 1) and the
rows are re-normalised exactly at the end of each block.

>>> import numpy as np
>>> run = spherical_sgd(lambda z: z, online_update(lambda u: np.ones_like(u)), d=16,
...                     replicas=4, seed=1, lr=1.0, max_samples=4000)
>>> bool(np.all(np.isfinite(run.samples_to_recovery)))
True
>>> float(run.overlaps[:, -1].min()) > 0.5
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .backend import Backend, get_backend

#: Default memory of one input block, in float64 numbers (4 MB).
BLOCK_NUMBERS = 1 << 19

Update = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def online_update(student_derivative: Callable[[np.ndarray], np.ndarray]) -> Update:
    """psi(y, lambda) = y sigma'(lambda): online SGD on the correlation loss (BAGJ 2021).

    >>> import numpy as np
    >>> online_update(lambda u: 3 * u**2 - 3)(np.array([2.0]), np.array([1.0]), None)
    array([0.])
    """

    def psi(y, field_, spread):
        return y * student_derivative(field_)

    return psi


@dataclass(frozen=True)
class RecoveryRun:
    """Replicas of one spherical SGD run: samples to weak recovery and overlap trajectories.

    ``samples_to_recovery[r]`` is the number of samples replica r used until its overlap
    first reached ``threshold`` (``inf`` if it did not within ``max_samples``);
    ``overlaps[r, j]`` is the overlap at time ``times[j]`` = samples / d.
    """

    d: int
    replicas: int
    seed: int
    lr: float
    threshold: float
    algorithm: str
    max_samples: int
    noise: float
    samples_to_recovery: np.ndarray
    times: np.ndarray
    overlaps: np.ndarray
    backend: str
    extra: dict = field(default_factory=dict)

    @property
    def recovered(self) -> int:
        return int(np.isfinite(self.samples_to_recovery).sum())

    def to_dict(self) -> dict:
        return {
            "d": self.d, "replicas": self.replicas, "seed": self.seed, "lr": self.lr,
            "threshold": self.threshold, "algorithm": self.algorithm,
            "max_samples": self.max_samples, "noise": self.noise, "backend": self.backend,
            "samples_to_recovery": [None if not math.isfinite(v) else int(v)
                                    for v in self.samples_to_recovery],
        }


def ben_arous_learning_rate(d: int, information_exponent: int, base: float = 0.1) -> float:
    """lr = base * d^{-(k-2)/2} for k >= 3, ``base`` for k <= 2 (BAGJ 2021, Thm. 1.3).

    >>> round(ben_arous_learning_rate(100, 3, base=0.1), 12)
    0.01
    """
    k = int(information_exponent)
    return float(base) * (float(d) ** (-(k - 2) / 2) if k >= 3 else 1.0)


def spherical_sgd(
    link: Callable[[np.ndarray], np.ndarray],
    update: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    d: int,
    replicas: int,
    seed: int,
    lr: float,
    max_samples: int,
    threshold: float = 0.5,
    noise: float = 0.0,
    algorithm: str = "online-sgd",
    start_overlap: float | None = None,
    backend: str | Backend = "numpy",
    block: int | None = None,
    stop_fraction: float = 1.0,
) -> RecoveryRun:
    """Run ``replicas`` independent spherical online-SGD students (module docstring).

    ``link`` is g (vectorised numpy), ``update`` is psi(y, field, spread) (vectorised
    numpy; e.g. :func:`online_update`); ``algorithm`` is only recorded. ``start_overlap``
    fixes m at the start (the rest of w uniform on the orthogonal sphere); the default is a
    uniform start reflected into m > 0. Stops at ``max_samples`` or once a fraction
    ``stop_fraction`` of the replicas has reached ``threshold`` (the others are censored:
    ``inf``, i.e. more samples than were run; a median needs only more than half).
    """
    if d < 2 or replicas < 1 or max_samples < 1:
        raise ValueError("need d >= 2, replicas >= 1 and max_samples >= 1")
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    xp = be.xp
    streams = be.streams(seed, replicas)
    start = be.normal(streams, (d,))
    if start_overlap is None:
        start = start / be.norm_rows(start)[:, None]
        sign = xp.where(start[:, 0] < 0, -1.0, 1.0)
        w = start * sign[:, None]
    else:
        start[:, 0] = 0.0
        start = start / be.norm_rows(start)[:, None]
        w = start * math.sqrt(1.0 - float(start_overlap) ** 2)
        w[:, 0] = float(start_overlap)
    step = float(lr) / d
    block = block or max(1, min(1024, BLOCK_NUMBERS // (replicas * d)))
    noise_scale = math.sqrt(float(noise))

    first = np.full(replicas, np.inf)
    times, overlaps = [0.0], [be.to_numpy(w[:, 0]).copy()]
    done = 0
    while done < max_samples:
        size = min(block, max_samples - done)
        inputs = be.normal(streams, (size, d))                  # (R, B, d)
        labels = be.apply(link, inputs[:, :, 0])                 # teacher field nu = x_1
        if noise_scale:
            labels = labels + noise_scale * be.normal(streams, (size,))
        squares = xp.einsum("rbd,rbd->rb", inputs, inputs)       # |x|^2, (R, B), one pass
        trace = xp.empty((replicas, size), dtype=inputs.dtype) if be.name == "torch" \
            else np.empty((replicas, size))
        for t in range(size):
            x = inputs[:, t]
            y = labels[:, t]
            field_ = xp.einsum("rd,rd->r", w, x)
            spread = (squares[:, t] - field_ * field_) / d
            c = step * be.apply(update, y, field_, spread)
            a = 1.0 - c * field_
            norm = xp.sqrt(a * a + 2.0 * a * c * field_ + c * c * squares[:, t])
            w *= (a / norm)[:, None]
            w += (c / norm)[:, None] * x
            trace[:, t] = w[:, 0]
        w = w / be.norm_rows(w)[:, None]                        # exact re-normalisation
        trace_np = be.to_numpy(trace)
        crossed = np.abs(trace_np) >= threshold
        hit = crossed.any(axis=1) & ~np.isfinite(first)
        if hit.any():
            first[hit] = done + crossed[hit].argmax(axis=1) + 1
        done += size
        times.append(done / d)
        overlaps.append(be.to_numpy(w[:, 0]).copy())
        if np.isfinite(first).mean() >= stop_fraction:
            break
    return RecoveryRun(
        d=d, replicas=replicas, seed=seed, lr=float(lr), threshold=float(threshold),
        algorithm=algorithm, max_samples=int(max_samples), noise=float(noise),
        samples_to_recovery=first, times=np.asarray(times),
        overlaps=np.stack(overlaps, axis=1), backend=be.name,
    )

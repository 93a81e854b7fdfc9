"""Giant gradient steps on the first layer: which teacher directions one or several steps learn.

Dandi, Krzakala, Loureiro, Pesce, Stephan (JMLR 2024, arXiv:2305.18270, Sect. 3): a
two-layer network takes full-batch gradient steps on its first layer with a large learning
rate, each step on a fresh batch of n = c d^l samples. Here the p first-layer weights are
kept on the unit sphere and the second layer is held fixed (a_j = +-1; its sign does not
change which directions a neuron learns), so one step is

    w_j <- normalize(w_j + lr g_j),   g_j = (1/n) sum_i y_i sigma'(w_j.x_i) x_i

(the correlational part of the square-loss gradient: the network output is 0 at a_j-symmetric
initialisation). A large ``lr`` (default 10 x |w_j|) lets the step dominate the random start.
With n = O(d), E[g_j] = E[y sigma'(lambda) x] reveals the span of the first Hermite tensor
C_1 = E[y z] at the first step, and at later steps the directions coupled linearly to those
already in w_j (the staircase: z1 + z1 z2 learns e1, then e2); the noise in g_j has norm
~ sqrt(d / n).

Protocol ``"dandi2024"`` (the authors' multi-step experiments, Dandi et al. 2024; their public
notebook fixes n = d = 2^12, p = 2^10, lr = 2p): the full square-loss gradient of the
network f(x) = p^{-1/2} sum_j a_j sigma(w_j.x) with a fixed second layer a_j = +-1/sqrt(p)
(half of each sign), rows of W drawn N(0, I/d), NO renormalisation, and lr = ``lr`` x p:

    W <- W + lr p G,   G_j = (1/n) sum_i p^{-1/2} (y_i - f(x_i)) a_j sigma'(w_j.x_i) x_i.

The residual y - f matters after the first step: the +a and -a neurons move to +e1 and -e1
and f fits the linear part, so the next gradient sees what is left. The overlaps are those
of w_j / |w_j|.

A third staircase step (z1 + z1 z2 + z1 z2 z3) needs the student's He3 coefficient: for a
neuron w = alpha e1 + beta e2, E[z1 z2 z3 sigma'(w.x) z3] = alpha beta E[sigma^(3)(w.x)]
(Stein's lemma twice), which is 0 for relu (relu' = 1/2 + sign/2 has no He2 component), so
with the relu student e3 gets no expected gradient at step 3 at any d; with a biased
student the e3 component is of order alpha beta c_3 with beta ~ 0.2-0.3 after two steps at
d <= 512, below the d^{-1/2} noise floor (measured: e3 overlap 0.035-0.04 = 1/sqrt(512)).

Measured after every step: the teacher-space components w_j[:r] of every neuron
(``projections[s, k, j, :]``) and, for each teacher direction e_r, the RMS over neurons of
|cos(w_j, e_r)| (``overlaps``; about 1/sqrt(d) for a random direction), per replica.

>>> import numpy as np
>>> run = giant_steps(lambda nu: nu[:, 0] + nu[:, 0] * nu[:, 1], r=2, d=64, replicas=2,
...                   seed=0, steps=2, batch=256)
>>> run.overlaps.shape
(3, 2, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .backend import Backend, get_backend

PROTOCOLS = ("sphere", "dandi2024")


def relu_derivative(u):
    """relu'(u) = 1 for u > 0, else 0 (relu'(0) = 0, the simulations' convention)."""
    return (u > 0).astype(float)


@dataclass(frozen=True)
class GiantStepRun:
    """``overlaps[s, k, r]``: after step s (0 = start), replica k, teacher direction e_r."""

    d: int
    r: int
    replicas: int
    seed: int
    steps: int
    batch: int
    width: int
    lr: float
    overlaps: np.ndarray
    projections: np.ndarray
    backend: str
    test_error: np.ndarray | None = None

    def to_dict(self) -> dict:
        return {"d": self.d, "r": self.r, "replicas": self.replicas, "seed": self.seed,
                "steps": self.steps, "batch": self.batch, "width": self.width, "lr": self.lr,
                "backend": self.backend, "overlaps": self.overlaps.tolist(),
                "projections": self.projections.tolist(),
                "test_error": None if self.test_error is None else self.test_error.tolist()}


def giant_steps(link: Callable[[np.ndarray], np.ndarray], r: int, d: int, replicas: int,
                seed: int, steps: int, batch: int, width: int = 8, lr: float | None = None,
                noise: float = 0.0,
                student_derivative: Callable[[np.ndarray], np.ndarray] = relu_derivative,
                backend: str | Backend = "numpy", readout_samples: int = 0,
                student: Callable[[np.ndarray], np.ndarray] | None = None,
                penalty: float = 1e-3, protocol: str = "sphere") -> GiantStepRun:
    """Run ``steps`` giant steps with fresh batches of ``batch`` samples (module docstring).

    ``link`` maps teacher fields nu of shape (n, r) (nu = first r coordinates of x, the
    teacher directions being e_1..e_r) to labels of shape (n,). With ``readout_samples`` > 0
    the second layer is refitted after every step by ridge regression on sigma(W x)
    (``student`` = sigma, default relu) of that many fresh samples and tested on as many
    others (:mod:`solvers.readout`): ``test_error[s, k]``. ``protocol``: "sphere" (unit
    neurons, correlational step) or "dandi2024" (module docstring; ``lr`` is then the
    factor c of lr = c p; default 10 for "sphere" and 2, the notebook's value, for
    "dandi2024").
    """
    if not (1 <= r < d and replicas >= 1 and steps >= 1 and batch >= 1 and width >= 1):
        raise ValueError("need 1 <= r < d, replicas, steps, batch and width >= 1")
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}")
    if lr is None:
        lr = 2.0 if protocol == "dandi2024" else 10.0
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    streams = be.streams(seed, replicas)
    weights = be.normal(streams, (width, d))
    if protocol == "dandi2024":
        weights = weights / d ** 0.5
        second = np.where(np.arange(width) < (width + 1) // 2, 1.0, -1.0) / width ** 0.5
        second = be.asarray(second)
        student = student or (lambda u: np.maximum(u, 0.0))
    else:
        weights = weights / be.norm_rows(weights)[..., None]
    projections = np.empty((steps + 1, replicas, width, r))

    def record(s):
        unit = weights / be.norm_rows(weights)[..., None]
        projections[s] = be.to_numpy(unit[:, :, :r])

    record(0)
    errors = np.empty((steps + 1, replicas)) if readout_samples else None
    student = student or (lambda u: np.maximum(u, 0.0))

    def readout(s):
        from .readout import ridge_test_error

        for k in range(replicas):
            x = be.to_numpy(be.normal(streams[k:k + 1], (2 * readout_samples, d))[0])
            y = np.asarray(link(x[:, :r]), dtype=float)
            if noise:
                y = y + noise ** 0.5 * be.to_numpy(
                    be.normal(streams[k:k + 1], (2 * readout_samples,))[0])
            features = student(x @ be.to_numpy(weights[k]).T)
            half = readout_samples
            errors[s, k] = ridge_test_error(features[:half], y[:half], features[half:],
                                            y[half:], penalty)

    if readout_samples:
        readout(0)
    for s in range(1, steps + 1):
        for k in range(replicas):
            x = be.normal(streams[k:k + 1], (batch, d))[0]              # (n, d)
            y = be.apply(link, x[:, :r])
            if noise:
                y = y + noise ** 0.5 * be.normal(streams[k:k + 1], (batch,))[0]
            fields = x @ weights[k].T                                  # (n, p)
            if protocol == "dandi2024":
                output = be.apply(student, fields) @ second / width ** 0.5
                residual = (y - output)[:, None] * second[None, :] / width ** 0.5
                coefficients = residual * be.apply(student_derivative, fields)
                weights[k] = weights[k] + lr * width * (x.T @ coefficients).T / batch
                continue
            coefficients = y[:, None] * be.apply(student_derivative, fields)
            gradient = (x.T @ coefficients).T / batch                  # (p, d)
            updated = weights[k] + lr * gradient
            weights[k] = updated / be.norm_rows(updated)[:, None]
        record(s)
        if readout_samples:
            readout(s)
    overlaps = np.sqrt(np.mean(projections ** 2, axis=2))
    return GiantStepRun(d, r, replicas, seed, steps, batch, width, float(lr), overlaps,
                        projections, be.name, errors)

"""Online SGD of a two-layer committee student on a multi-index teacher: M, Q, a trajectories.

Conventions (shared with the generated ODE solvers; Saad & Solla, PRL 1995; Goldt, Advani,
Saxe, Krzakala, Zdeborova, NeurIPS 2019, arXiv:1906.08632):

* inputs x ~ N(0, I_d); teacher directions W* in R^{r x d} with orthonormal rows (here
  e_1 .. e_r: the input law is rotation invariant), teacher fields nu = W* x, label
  y = g(nu) + sqrt(noise) xi with xi ~ N(0, 1);
* student f(x) = sum_k a_k sigma(lambda_k), lambda_k = w_k . x, ||w_k|| = O(1) (x has norm
  ~ sqrt(d); the fields are not rescaled by 1/sqrt(d));
* loss (y - f)^2 / 2, one fresh sample per step,
  w_k <- w_k + (lr / d) (y - f) a_k sigma'(lambda_k) x and
  a_k <- a_k + (lr_a / d) (y - f) sigma(lambda_k) (lr_a = 0: second layer fixed);
* time t = steps / d; order parameters M = W W*^T (K x r), Q = W W^T (K x K) and a (K,);
* start: w_k with ||w_k||^2 = Q0 (default 1) in a uniformly random direction, so that the
  entries of M are ~ N(0, Q0 / d); a_k = 1 / K unless given;
* activations by name (:data:`ACTIVATIONS`): "relu" (relu'(0) = 0), "erf" (erf(x/sqrt 2)),
  "tanh", "He2" = x^2 - 1, "He3" = x^3 - 3x (probabilists' Hermite), "linear".

In the limit d -> infinity, M, Q and a follow the ODEs of the conventions (e.g.
dM_kr/dt = lr E[(y - f) a_k sigma'(lambda_k) nu_r]); :func:`committee_sgd` returns their
averages over replicas at the requested times, for comparison with a generated ODE
solver. The generalisation error eps_g = E[(g(nu) - f)^2] / 2 (noise-free target) is
estimated on a fixed test set when ``test_samples`` > 0.

>>> import numpy as np
>>> run = committee_sgd(lambda nu: nu[..., 0], 1, K=1, d=64, times=[0.0, 1.0],
...                     activation="linear", lr=0.5, replicas=2, seed=0)
>>> run.M.shape, run.Q.shape, run.a.shape
((2, 1, 1), (2, 1, 1), (2, 1))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from .backend import Backend, get_backend

_SQRT2 = math.sqrt(2.0)
_SQRT2_OVER_PI = math.sqrt(2.0 / math.pi)

#: name -> (sigma, sigma')
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "relu": (lambda u: np.maximum(u, 0.0), lambda u: (u > 0).astype(float)),
    "erf": (lambda u: erf(u / _SQRT2), lambda u: _SQRT2_OVER_PI * np.exp(-u * u / 2)),
    "tanh": (np.tanh, lambda u: 1.0 / np.cosh(u) ** 2),
    "He2": (lambda u: u * u - 1.0, lambda u: 2.0 * u),
    "He3": (lambda u: u**3 - 3.0 * u, lambda u: 3.0 * u * u - 3.0),
    "linear": (lambda u: u, np.ones_like),
}


@dataclass(frozen=True)
class CommitteeRun:
    """Replica averages at ``times``: M (T, K, r), Q (T, K, K), a (T, K); eps_g (T,) or None.

    ``M_replicas`` etc. keep every replica (leading axis R) for error bars.
    """

    times: np.ndarray
    M: np.ndarray
    Q: np.ndarray
    a: np.ndarray
    eps_g: np.ndarray | None
    M_replicas: np.ndarray
    Q_replicas: np.ndarray
    a_replicas: np.ndarray
    d: int
    K: int
    r: int
    lr: float
    lr_a: float
    noise: float
    activation: str
    replicas: int
    seed: int
    backend: str

    def to_dict(self) -> dict:
        return {"times": self.times.tolist(), "M": self.M.tolist(), "Q": self.Q.tolist(),
                "a": self.a.tolist(),
                "eps_g": None if self.eps_g is None else self.eps_g.tolist(),
                "d": self.d, "K": self.K, "r": self.r, "lr": self.lr, "lr_a": self.lr_a,
                "noise": self.noise, "activation": self.activation,
                "replicas": self.replicas, "seed": self.seed, "backend": self.backend}


def committee_sgd(link: Callable[[np.ndarray], np.ndarray], r: int, K: int, d: int, times,
                  activation: str = "erf", lr: float = 1.0, lr_a: float = 0.0,
                  noise: float = 0.0, replicas: int = 8, seed: int = 0, Q0: float = 1.0,
                  a0=None, test_samples: int = 0, backend: str | Backend = "numpy",
                  block: int | None = None) -> CommitteeRun:
    """Online SGD of the committee (module docstring), recorded at ``times`` (t = steps/d).

    ``link`` maps teacher fields of shape (..., r) to labels of shape (...).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")
    if not (1 <= r < d and K >= 1 and replicas >= 1 and Q0 > 0):
        raise ValueError("need 1 <= r < d, K >= 1, replicas >= 1 and Q0 > 0")
    times = np.asarray(sorted(float(t) for t in times))
    if times.size == 0 or times[0] < 0:
        raise ValueError("times must be non-negative")
    sigma, sigma_prime = ACTIVATIONS[activation]
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    xp = be.xp
    streams = be.streams(seed, replicas)
    w = be.normal(streams, (K, d))                                # (R, K, d)
    w = w * (math.sqrt(Q0) / be.norm_rows(w))[..., None]
    a = be.asarray(np.broadcast_to(np.full(K, 1.0 / K) if a0 is None
                                   else np.asarray(a0, dtype=float), (replicas, K)).copy())
    test = None
    if test_samples:
        test = np.random.default_rng(np.random.SeedSequence(seed).spawn(replicas + 1)[-1])\
            .standard_normal((test_samples, d))
    step, step_a = float(lr) / d, float(lr_a) / d
    targets = [round(t * d) for t in times]
    total = targets[-1]
    block = block or max(1, min(1024, (1 << 19) // (replicas * d)))
    record_M, record_Q, record_a, record_eps = [], [], [], []

    def record():
        wn, an = be.to_numpy(w), be.to_numpy(a)
        record_M.append(wn[:, :, :r].copy())
        record_Q.append(np.einsum("Rkd,Rld->Rkl", wn, wn))
        record_a.append(an.copy())
        if test is not None:
            fields = np.einsum("nd,Rkd->Rnk", test, wn)
            f = np.einsum("Rnk,Rk->Rn", sigma(fields), an)
            record_eps.append(np.mean((link(test[:, :r]) - f) ** 2, axis=1) / 2)

    done, next_record = 0, 0
    while next_record < len(targets) and targets[next_record] == 0:
        record()
        next_record += 1
    noise_scale = math.sqrt(float(noise))
    while done < total:
        size = min(block, total - done, targets[next_record] - done)
        inputs = be.normal(streams, (size, d))                    # (R, B, d)
        labels = be.apply(link, inputs[:, :, :r])                 # (R, B)
        if noise_scale:
            labels = labels + noise_scale * be.normal(streams, (size,))
        for t in range(size):
            x = inputs[:, t]                                       # (R, d)
            fields = xp.einsum("rkd,rd->rk", w, x)
            act = be.apply(sigma, fields)
            error = labels[:, t] - (a * act).sum(-1)              # (R,)
            coefficient = step * error[:, None] * a * be.apply(sigma_prime, fields)
            w += coefficient[:, :, None] * x[:, None, :]
            if step_a:
                a += step_a * error[:, None] * act
        done += size
        while next_record < len(targets) and targets[next_record] == done:
            record()
            next_record += 1
    M_r, Q_r, a_r = np.stack(record_M), np.stack(record_Q), np.stack(record_a)
    eps = np.stack(record_eps).mean(axis=1) if record_eps else None
    return CommitteeRun(
        times=times, M=M_r.mean(axis=1), Q=Q_r.mean(axis=1), a=a_r.mean(axis=1), eps_g=eps,
        M_replicas=np.moveaxis(M_r, 1, 0), Q_replicas=np.moveaxis(Q_r, 1, 0),
        a_replicas=np.moveaxis(a_r, 1, 0), d=d, K=K, r=r, lr=float(lr), lr_a=float(lr_a),
        noise=float(noise), activation=activation, replicas=replicas, seed=seed,
        backend=be.name)

"""Conditional Hermite moments under additive Gaussian label noise.

y = sigma(z) + sqrt(Delta) xi. Then p(y | z) = N(y - sigma(z); Delta) and

    lambda_k^2 = int A_k(y)^2 / p(y) dy,   A_k(y) = E_z[h_k(z) N(y - sigma(z); Delta)],
    p(y) = E_z[N(y - sigma(z); Delta)],   h_k = He_k / sqrt(k!) (probabilists').

Which lambda_k^2 vanish is decided exactly elsewhere (Gaussian convolution is injective, so
the zeros are those of the noiseless link, :mod:`derive.exponents`); this module gives the
values, in double precision: Gauss-Legendre in z on every smooth piece of the link
(truncated to |z| <= 12, Gaussian mass beyond below 1e-32) and Gauss-Hermite in the noise
(see :func:`_lambdas`). The error estimate is the change under doubling both resolutions.

>>> import sympy
>>> from derive.piecewise import decompose
>>> z = sympy.Symbol("z", real=True)
>>> values, errors = noisy_lambdas(decompose(z, z), 1.0, 2)
>>> [round(v, 10) for v in values]   # y = z + xi: lambda_k^2 = (1 + Delta)^-k (Mehler)
[0.5, 0.25]
"""

from __future__ import annotations

import math

import numpy as np
import sympy

from .piecewise import PiecewiseForm, _sort_key

Z_CUT = 12.0


def _z_nodes(form: PiecewiseForm, per_piece: int):
    z = form.variable
    nodes, weights, values = [], [], []
    x, w = np.polynomial.legendre.leggauss(per_piece)
    for piece in form.pieces:
        a = max(_sort_key(piece.lower), -Z_CUT)
        b = min(_sort_key(piece.upper), Z_CUT)
        if not a < b:
            continue
        f = sympy.lambdify(z, piece.expr, modules=["numpy", "scipy"])
        # split long pieces so each panel is short on the Gaussian scale
        panels = max(1, int(math.ceil((b - a) / 1.5)))
        edges = np.linspace(a, b, panels + 1)
        for lo, hi in zip(edges[:-1], edges[1:]):
            t = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
            nodes.append(t)
            weights.append(0.5 * (hi - lo) * w * np.exp(-t * t / 2) / math.sqrt(2 * math.pi))
            with np.errstate(all="ignore"):
                values.append(np.broadcast_to(np.asarray(f(t), dtype=float), t.shape))
    return np.concatenate(nodes), np.concatenate(weights), np.concatenate(values)


def _hermite_normalised(z: np.ndarray, max_order: int) -> np.ndarray:
    rows = [np.ones_like(z), z]
    for k in range(1, max_order):
        rows.append(z * rows[k] - k * rows[k - 1])
    rows = rows[: max_order + 1]
    return np.array([rows[k] / math.sqrt(math.factorial(k)) for k in range(max_order + 1)])


def _lambdas(form, noise: float, max_order: int, per_piece: int, hermite_nodes: int):
    """lambda_k^2 = E[h_k(z) E[h_k | y]] with y = sigma(z') + sqrt(Delta) u on a product grid.

    E[E[h_k|y]^2] = E[h_k(z) E[h_k|y]] (tower property), and drawing y from its generative
    form puts the y-nodes exactly where the label density lives: Gauss-Legendre in z' on
    the link's pieces times Gauss-Hermite in u.
    """
    z, wz, sz = _z_nodes(form, per_piece)
    h = _hermite_normalised(z, max_order)  # (K+1, nz)
    scale = math.sqrt(noise)
    u, wu = np.polynomial.hermite_e.hermegauss(hermite_nodes)
    wu = wu / math.sqrt(2 * math.pi)
    y = (sz[:, None] + scale * u[None, :]).ravel()
    weight = (wz[:, None] * wu[None, :]).ravel()
    outer = np.repeat(h, hermite_nodes, axis=1)  # h_k(z') for every (z', u)
    totals = np.zeros(max_order + 1)
    chunk = max(1, 4_000_000 // max(z.size, 1))
    for start in range(0, y.size, chunk):
        ys = y[start:start + chunk]
        kernel = np.exp(-((ys[:, None] - sz[None, :]) ** 2) / (2 * noise)) * wz[None, :]
        density = kernel.sum(axis=1)
        conditional = (kernel @ h.T) / np.where(density > 0, density, np.inf)[:, None]
        totals += ((weight[start:start + chunk] * outer[:, start:start + chunk]).T
                   * conditional).sum(axis=0)
    return totals


def noisy_lambdas(form: PiecewiseForm, noise: float, max_order: int):
    """lambda_k^2 for k = 1..max_order with error estimates (two resolutions)."""
    if noise <= 0:
        raise ValueError("noisy_lambdas needs a positive noise variance")
    coarse = _lambdas(form, noise, max_order, 30, 30)
    fine = _lambdas(form, noise, max_order, 60, 60)
    errors = np.abs(fine - coarse) + 1e-13
    return [float(v) for v in fine[1:]], [float(e) for e in errors[1:]]

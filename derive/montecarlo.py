"""Monte Carlo Hermite coefficients: the last resort for multi-index targets (r <= 4).

A target that is neither polynomial, separable (after a rotation) nor a sum of ridge
functions (``max(z1, z2**2)``, ``tanh(z1)*tanh(z1 + z2)``) gets its probabilists' Hermite
coefficients c_alpha = E[g(z) He_alpha(z)] / alpha! as sample means over
z ~ N(0, I_r) (numpy PCG64 streams from ``SeedSequence(seed)``), each with its standard
error. Such an estimate can prove a coefficient non-zero (mean more than five standard
errors from 0: a false claim has probability below 6e-7), never zero. So the analysis
reports the first information step when some order-1 coefficient is resolved (C_1 != 0:
order 1, the direction of C_1) and says "undetermined" for everything that would need a
zero.

>>> import sympy
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> table = monte_carlo_coefficients(sympy.Max(z1, z2**2), (z1, z2), 2, samples=20000)
>>> mean, se = table[(1, 0)]
>>> abs(mean) > 5 * se
True
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import sympy

from .errors import DeriveError

#: samples (in chunks of CHUNK) and the significance of a non-zero claim
SAMPLES = 400_000
CHUNK = 50_000
SIGMAS = 5.0
MAX_VARIABLES = 4


def _hermite_columns(z: np.ndarray, max_order: int) -> np.ndarray:
    """He_0 .. He_K (probabilists') of every entry: shape (n, r, K + 1)."""
    out = np.empty(z.shape + (max_order + 1,))
    out[..., 0] = 1.0
    if max_order >= 1:
        out[..., 1] = z
    for k in range(2, max_order + 1):
        out[..., k] = z * out[..., k - 1] - (k - 1) * out[..., k - 2]
    return out


def monte_carlo_coefficients(expr, variables, max_order: int = 4, samples: int = SAMPLES,
                             seed: int = 0) -> dict:
    """{alpha: (mean, standard error)} of c_alpha for |alpha| <= max_order."""
    r = len(variables)
    if r > MAX_VARIABLES:
        raise DeriveError(f"the Monte Carlo fallback handles r <= {MAX_VARIABLES} (got {r})")
    link = sympy.lambdify(variables, expr, modules=["numpy", "scipy"])
    alphas = [a for k in range(max_order + 1)
              for a in product(range(k + 1), repeat=r) if sum(a) == k]
    sums = np.zeros(len(alphas))
    squares = np.zeros(len(alphas))
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    done = 0
    while done < samples:
        n = min(CHUNK, samples - done)
        z = rng.standard_normal((n, r))
        y = np.broadcast_to(np.asarray(link(*z.T), dtype=float), (n,))
        if not np.all(np.isfinite(y)):
            raise DeriveError("the target is not finite at some sampled point")
        he = _hermite_columns(z, max_order)
        for i, alpha in enumerate(alphas):
            term = y.copy()
            for axis, a in enumerate(alpha):
                if a:
                    term *= he[:, axis, a]
            sums[i] += term.sum()
            squares[i] += (term * term).sum()
        done += n
    out = {}
    for i, alpha in enumerate(alphas):
        scale = math.prod(math.factorial(a) for a in alpha)
        mean = sums[i] / samples
        variance = max(squares[i] / samples - mean * mean, 0.0)
        out[alpha] = (float(mean / scale), math.sqrt(variance / samples) / scale)
    return out

"""Noiseless weak-recovery thresholds of quadratic-form targets y = z^T A z (+ c), r <= 3.

In the eigenbasis w = V^T z of A, y = sum_i lambda_i w_i^2 with w ~ N(0, I_r), and every
sign flip w_i -> -w_i leaves y unchanged, so (exactly, by symmetry)

    E[w | y] = 0,   G(y) = E[w w^T - I | y] = diag(g_1(y), ..., g_r(y)).

Then F(M) = E_y[G M G] is diagonal on the matrices E_ab with eigenvalues E_y[g_a g_b], so
nu_1 = max_a E_y[g_a^2] (Cauchy-Schwarz) and alpha_c = 1/nu_1 (Troiani, Dandi, Defilippis,
Zdeborova, Loureiro, Krzakala, AISTATS 2025, arXiv:2405.15480; THEORY.md §5). The
conditional second moments are ratios of densities of generalized chi-square variables:
since x f_{chi2_1}(x) = f_{chi2_3}(x),

    p(y) E[w_a^2 | y] = density at y of  lambda_a X_a' + sum_{i != a} lambda_i X_i,

X_i ~ chi2_1 and X_a' ~ chi2_3, all independent. These densities are nested one-dimensional
convolutions of gamma densities, each integrated by double-exponential (tanh-sinh /
exp-sinh) rules split at the only singular points (x = 0 and the point where the inner
density's argument vanishes) — no binning, no sampling. The outer y-integral of
(D_a - p)(D_b - p)/p is done the same way on y < 0 and y > 0. The error estimate is the
change when every step size h halves (for these rules the error of the finer level is far
below it).

The grand staircase is exact here: once the eigen-coordinates w_S are learned, the augmented
label (y, w_S) carries the same information as (y - sum_S lambda_i w_i^2, w_S), and w_S is
independent of the rest, so the next step is the same problem for the residual form.

>>> import sympy
>>> z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)
>>> r = quadratic_recovery(z1**2 + z2**2 + z3**2, (z1, z2, z3))
>>> round(r.steps[0].alpha_c, 8), r.steps[0].dimension_added   # chi-square: alpha_c = r/2
(1.5, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gamma as _gamma

import numpy as np
import sympy

from .certificates import NUMERIC, SYMMETRY, Certificate
from .doubleexp import exp_sinh, tanh_sinh
from .errors import DeriveError

#: the step-size levels h = 2^-level compared for the error estimate
LEVELS = (3, 4)
SOURCE = "Troiani2025"


def quadratic_matrix(expr, variables):
    """(A, c) with expr = z^T A z + c, or None when expr is not such a form."""
    try:
        poly = sympy.Poly(sympy.expand(expr), *variables)
    except sympy.PolynomialError:
        return None
    if any(c.free_symbols for c in poly.coeffs()):
        return None
    r = len(variables)
    A = np.zeros((r, r))
    constant = 0.0
    for monomial, coefficient in poly.terms():
        degree = sum(monomial)
        value = float(coefficient)
        if degree == 0:
            constant = value
        elif degree != 2:
            return None
        else:
            idx = [i for i, m in enumerate(monomial) for _ in range(m)]
            a, b = idx
            if a == b:
                A[a, a] += value
            else:
                A[a, b] += value / 2
                A[b, a] += value / 2
    return A, constant


def _chi2(x: np.ndarray, k: int) -> np.ndarray:
    """chi-square density with k in {1, 3} degrees of freedom at x > 0."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        out = x ** (k / 2 - 1) * np.exp(-x / 2) / (2 ** (k / 2) * _gamma(k / 2))
    return np.where(x > 0, out, 0.0)


def _density(y: np.ndarray, terms: tuple, level: int) -> np.ndarray:
    """Density at each y of sum_i lambda_i X_i, X_i ~ chi2_{k_i} independent;
    terms = ((lambda_1, k_1), ...)."""
    (lam, k), rest = terms[-1], terms[:-1]
    if not rest:
        return _chi2(y / lam, k) / abs(lam)
    y = np.asarray(y, dtype=float)
    out = np.zeros_like(y)
    split = y / lam  # inner argument y - lam x vanishes at x = y / lam
    inside = split > 0
    scale = 2.0  # decay length of the chi-square factor in x
    if np.any(inside):
        ys, cs = y[inside], split[inside]
        # [0, x*]: singular at both ends; the inner argument is lam (x* - x)
        x, to_end, w = tanh_sinh(cs, level)
        inner = _density((lam * to_end).ravel(), rest, level).reshape(x.shape)
        total = np.sum(w * _chi2(x, k) * inner, axis=1)
        # [x*, inf): the inner argument is -lam (x - x*)
        e, w = exp_sinh(np.full(cs.shape, scale), level)
        inner = _density((-lam * e).ravel(), rest, level).reshape(e.shape)
        total += np.sum(w * _chi2(cs[:, None] + e, k) * inner, axis=1)
        out[inside] = total
    if np.any(~inside):
        ys = y[~inside]
        e, w = exp_sinh(np.full(ys.shape, scale), level)
        inner = _density((ys[:, None] - lam * e).ravel(), rest, level).reshape(e.shape)
        out[~inside] = np.sum(w * _chi2(e, k) * inner, axis=1)
    return out


def _moments(lambdas, level: int):
    """(E_y[g_a g_b])_ab and the total mass, by exp-sinh rules on y > 0 and y < 0."""
    r = len(lambdas)
    scale = 2.0 * max(abs(x) for x in lambdas)
    e, w = exp_sinh(np.array([scale]), level)
    e, w = e[0], w[0]
    ys = np.concatenate([e, -e])
    ws = np.concatenate([w, w])
    plain = tuple((lam, 1) for lam in lambdas)
    p = _density(ys, plain, level)
    tilted = []
    for a in range(r):
        terms = tuple((lam, 3 if i == a else 1) for i, lam in enumerate(lambdas))
        tilted.append(_density(ys, terms, level))
    keep = p > 1e-300
    g = np.array([np.where(keep, t - p, 0.0) for t in tilted])  # p(y) g_a(y)
    weight = np.where(keep, ws / np.where(keep, p, 1.0), 0.0)
    moments = np.einsum("ay,by,y->ab", g, g, weight)
    mass = float(np.sum(ws * p))
    return moments, mass


@dataclass(frozen=True)
class QuadraticStep:
    klass: str
    alpha_c: float | None
    error_bound: float
    dimension_added: int
    directions: tuple
    certificate: Certificate
    why: str


@dataclass(frozen=True)
class QuadraticRecovery:
    """The grand staircase of a quadratic form: one step per group of eigen-directions."""

    eigenvalues: tuple  # of A / scale, the non-zero ones
    eigenvectors: tuple  # unit vectors in the target's variables, one per eigenvalue
    steps: tuple
    variables: tuple
    scale: float = 1.0  # the largest |eigenvalue| of A
    offset: float = 0.0  # the constant c


def _step(lambdas, vectors, names) -> QuadraticStep:
    if len(lambdas) == 1:
        # y' = lambda w^2: E[w^2 | y'] = w^2, E[(w^2 - 1)^2] = 2 (noiseless phase retrieval)
        return QuadraticStep("easy", 0.5, 0.0, 1, (vectors[0],), Certificate(
            SYMMETRY, "one eigen-direction left: y' = lambda w^2 determines w^2, nu_1 = 2"),
            "E[(w^2 - 1)^2] = 2")
    results = [_moments(lambdas, level) for level in LEVELS]
    (coarse, _), (fine, mass) = results
    error = float(max(np.max(np.abs(fine - coarse)), abs(mass - 1.0), 1e-14))
    diagonal = np.diag(fine)
    top = float(np.max(diagonal))
    if top <= 100 * error:
        raise DeriveError("quadratic form: nu_1 not resolved from 0")  # cannot happen for A != 0
    group = [a for a in range(len(lambdas)) if diagonal[a] >= top - 10 * error]
    alpha = 1 / top
    bound = alpha * error / top * 1.01
    text = ", ".join(f"E[g_{a + 1}^2] = {diagonal[a]:.10g}" for a in range(len(lambdas)))
    return QuadraticStep(
        "easy", alpha, bound, len(group), tuple(vectors[a] for a in group),
        Certificate(NUMERIC, f"nu_1 = {top:.12g} +- {error:.1e}; E[w | y] = 0 and G(y) "
                             "diagonal in the eigenbasis by the sign flips w_i -> -w_i",
                    bound=bound),
        f"eigenvalues {', '.join(f'{x:.6g}' for x in lambdas)}: {text}")


def quadratic_recovery(expr, variables) -> QuadraticRecovery | None:
    """Every weak-recovery step of y = z^T A z + c (noiseless), or None if expr is no such
    form. The first step is the threshold alpha_c of the target."""
    form = quadratic_matrix(expr, variables)
    if form is None:
        return None
    A, offset = form
    if not 1 <= len(variables) <= 3:
        raise DeriveError("quadratic-form thresholds are implemented for r <= 3")
    values, V = np.linalg.eigh(A)
    scale = max(np.max(np.abs(values)), 1e-300)
    nonzero = [i for i in range(len(values)) if abs(values[i]) > 1e-12 * scale]
    if not nonzero:
        return None
    values = [float(values[i]) / scale for i in nonzero]   # alpha_c is scale invariant
    vectors = [tuple(0.0 if abs(x) < 1e-14 else float(x) for x in V[:, i]) for i in nonzero]
    names = tuple(variables)
    steps = []
    remaining = list(range(len(values)))
    while remaining:
        step = _step([values[i] for i in remaining], [vectors[i] for i in remaining], names)
        steps.append(step)
        learned = set(step.directions)
        remaining = [i for i in remaining if vectors[i] not in learned]
    return QuadraticRecovery(tuple(values), tuple(vectors), tuple(steps), names,
                             float(scale), float(offset))


def quadratic_preprocessing(recovery: QuadraticRecovery, level: int = LEVELS[-1]):
    """y -> T*(y) = I - E[z z^T | y]^{-1} (r x r, in the target's variables): in the
    eigenbasis diag(1 - p(y) / D_a(y)) with D_a = p E[w_a^2 | y] as above; 0 on the null
    space of A and where p(y) = 0."""
    lambdas = recovery.eigenvalues
    V = np.array(recovery.eigenvectors).T  # r x k
    plain = tuple((lam, 1) for lam in lambdas)
    tilted = [tuple((lam, 3 if i == a else 1) for i, lam in enumerate(lambdas))
              for a in range(len(lambdas))]

    def preprocessing(y):
        ys = (np.atleast_1d(np.asarray(y, dtype=float)) - recovery.offset) / recovery.scale
        p = _density(ys, plain, level)
        diag = np.zeros((ys.size, len(lambdas)))
        for a, terms in enumerate(tilted):
            d = _density(ys, terms, level)
            with np.errstate(divide="ignore", invalid="ignore"):
                diag[:, a] = np.where((p > 0) & (d > 0), 1 - p / d, 0.0)
        out = np.einsum("ia,na,ja->nij", V, diag, V)
        return out[0] if np.ndim(y) == 0 else out

    return preprocessing


__all__ = ["QuadraticRecovery", "QuadraticStep", "quadratic_matrix", "quadratic_preprocessing",
           "quadratic_recovery"]

"""Noiseless two-index thresholds for targets affine in one variable: y = A(s) + B(s) t.

A and B are any functions of the other variable s (tanh(z1) z2, exp(z1) z2, sin(z1) + z2,
...), with B vanishing only at isolated points. For fixed s the level set {y = const} is the
single point t = (y - A(s)) / B(s) (no root finding at all), so the level-set formula gives,
for h in (1, s, t, s^2 - 1, t^2 - 1, s t),

    p(y) E[h | y] = int phi(s) phi(t(s, y)) h(s, t(s, y)) / |B(s)| ds.

The s-integrand is smooth except next to the zeros of B (where it is flat in s for y != A
there); the s-rule is composite Gauss-Legendre graded geometrically towards those zeros and
towards 0, and the y-rule is graded towards the label values A(s*) at the zeros s* of B (the
only critical values of y) and towards 0. Then, as in derive.thresholds (Troiani et al.
AISTATS 2025, arXiv:2405.15480; THEORY.md §5): trivial directions span E[E[z|y] E[z|y]^T];
otherwise alpha_c = 1/nu_1, nu_1 the top eigenvalue of F(M) = E[G M G]. The error estimate
is the change when every panel's order doubles.

Grand staircase: when the first step learns the direction of s, the augmented label (y, s)
determines t = (y - A(s))/B(s), so the second step is trivial (exactly).

>>> import sympy
>>> s, t = sympy.symbols("z1 z2", real=True)
>>> r = affine_recovery(s * t, (s, t))    # z1 z2 once more: 0.59375 (Defilippis et al. 2025)
>>> r.klass, round(r.alpha_c, 5)
('easy', 0.59375)
"""

from __future__ import annotations

import numpy as np
import sympy

from .certificates import EXACT, NUMERIC, Certificate
from .grand_staircase import RecoveryStep
from .levelsets_numeric import refine_sign_changes
from .thresholds import MultiWeakRecovery, _graded_nodes, level_set_totals, top_eigenspace

#: |s| <= S_MAX: the Gaussian mass outside is below 1e-22
S_MAX = 10.0
ORDERS = (8, 16)


def affine_split(expr, variables):
    """(s, t, A, B) with expr = A(s) + B(s) t, B not identically 0, or None."""
    for t in variables[::-1]:
        s = variables[0] if t == variables[1] else variables[1]
        B = sympy.simplify(sympy.diff(expr, t))
        if B == 0 or B.has(t) or sympy.simplify(sympy.diff(B, t)) != 0:
            continue
        A = sympy.simplify(expr - B * t)
        if A.has(t):
            continue
        return s, t, A, B
    return None


def _zeros(function, grid):
    """Isolated zeros of a vectorised function on a grid (sign changes refined by bisection),
    or None when it vanishes on a whole cell (a plateau: the label has an atom)."""
    values = np.broadcast_to(np.asarray(function(grid), dtype=float), grid.shape)
    exact = values == 0
    if np.any(exact[:-1] & exact[1:]):
        return None
    zeros = list(grid[exact])
    changes = np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]
    zeros += list(refine_sign_changes(function, grid[changes], grid[changes + 1],
                                      values[changes]))
    return sorted(zeros)


def _sums(A, B, ys, s_centres, order):
    """p(y) E[h | y] for h in (1, s, t, s^2 - 1, t^2 - 1, s t) at each y."""
    x, wx = _graded_nodes(sorted(set(s_centres) | {0.0}), S_MAX, order)
    a = np.broadcast_to(np.asarray(A(x), dtype=float), x.shape)
    b = np.broadcast_to(np.asarray(B(x), dtype=float), x.shape)
    good = b != 0
    x, wx, a, b = x[good], wx[good], a[good], b[good]
    base = wx * np.exp(-x * x / 2) / (2 * np.pi) / np.abs(b)
    out = np.zeros((ys.size, 6))
    for start in range(0, ys.size, 64):
        y = ys[start:start + 64, None]
        t = (y - a) / b
        w = base * np.exp(-t * t / 2)
        out[start:start + 64] = np.stack([
            w.sum(1), (w * x).sum(1), (w * t).sum(1), (w * (x * x - 1)).sum(1),
            (w * (t * t - 1)).sum(1), (w * x * t).sum(1)], axis=1)
    return out


def _totals(A, B, s_zeros, y_centres, limit, order):
    ys, wy = _graded_nodes(sorted(y_centres), limit, order)
    return level_set_totals(_sums(A, B, ys, s_zeros, order), wy)


def affine_recovery(expr, variables) -> MultiWeakRecovery | None:
    """First step (and, when it learns s, the second) for y = A(s) + B(s) t, or None when
    the target is not of that form or B vanishes on an interval (the label has an atom)."""
    if len(variables) != 2:
        return None
    split = affine_split(sympy.sympify(expr), tuple(variables))
    if split is None:
        return None
    s, t, A_expr, B_expr = split
    A = sympy.lambdify(s, A_expr, modules=["numpy", "scipy"])
    B = sympy.lambdify(s, B_expr, modules=["numpy", "scipy"])
    grid = np.linspace(-S_MAX, S_MAX, 4001)
    zeros = _zeros(B, grid)
    if zeros is None:
        return None
    with np.errstate(all="ignore"):
        a_zeros = np.broadcast_to(np.asarray(A(np.array(zeros or [0.0])), dtype=float),
                                  (len(zeros or [0.0]),))
        values = (np.broadcast_to(np.asarray(A(grid), dtype=float), grid.shape)[:, None]
                  + np.broadcast_to(np.asarray(B(grid), dtype=float), grid.shape)[:, None]
                  * np.linspace(-S_MAX, S_MAX, 201)[None, :])
    if not np.all(np.isfinite(values)):
        return None
    y_centres = {0.0} | ({float(v) for v in a_zeros} if zeros else set())
    weights = np.exp(-grid**2 / 2)[:, None] * np.exp(-np.linspace(-S_MAX, S_MAX, 201)**2 / 2)[None, :]
    reach = np.abs(values)[weights > 1e-24]
    limit = float(max(np.max(reach), 1.0)) * 1.01
    coarse = _totals(A, B, zeros, y_centres, limit, ORDERS[0])
    trivial, F, mass = _totals(A, B, zeros, y_centres, limit, ORDERS[1])
    error = max(float(np.max(np.abs(F - coarse[1]))), abs(mass - 1), 1e-12)
    trivial_error = max(float(np.max(np.abs(trivial - coarse[0]))), abs(mass - 1), 1e-12)
    order = (variables.index(s), variables.index(t))

    def in_variables(vector):
        out = [0.0, 0.0]
        out[order[0]], out[order[1]] = float(vector[0]), float(vector[1])
        return tuple(0.0 if abs(x) < 1e-12 else x for x in out)

    names = tuple(variables)
    values_t, vectors_t = np.linalg.eigh((trivial + trivial.T) / 2)
    rank = int(np.sum(values_t > 100 * trivial_error))
    learned_s = False
    if rank:
        learned = [vectors_t[:, i] for i in range(2) if values_t[i] > 100 * trivial_error]
        learned_s = rank == 1 and abs(abs(learned[0][0]) - 1) < 1e-6
        why = (f"E[z|y] spans {rank} direction(s): E[E[z|y] E[z|y]^T] eigenvalues "
               f"{', '.join(f'{v:.6g}' for v in values_t)} +- {trivial_error:.1e}")
        learned_t = rank == 1 and abs(abs(learned[0][1]) - 1) < 1e-6
        following = ((_second_step(s, t, in_variables((0.0, 1.0))),) if learned_s else
                     _after_t(A_expr, B_expr, s, t, in_variables((1.0, 0.0))) if learned_t
                     else ())
        return MultiWeakRecovery("trivial", 0.0, 0.0, rank, 0, why,
                                 tuple(in_variables(v) for v in learned), names,
                                 following=following, certificate=Certificate(
                                     NUMERIC, why, bound=trivial_error))
    top, multiplicity, u = top_eigenspace(F, error)
    if top <= 10 * error:
        klass = "hard" if error < 1e-8 else "undetermined"
        return MultiWeakRecovery(klass, None, error, 0, 0,
                                 f"nu_1 = {top:.3g} +- {error:.1e}", (), names)
    dimension = u.shape[1]
    directions = tuple(in_variables(u[:, i]) for i in range(dimension))
    learned_s = dimension == 1 and abs(abs(u[0, 0]) - 1) < 1e-6
    learned_t = dimension == 1 and abs(abs(u[1, 0]) - 1) < 1e-6
    alpha = 1 / top
    bound = alpha * error / top * 1.01
    why = f"nu_1 = {top:.10g} +- {error:.1e} (multiplicity {multiplicity})"
    def preprocessing(y):
        """T*(y) = I - E[z z^T | y]^{-1} in the order of ``variables`` (r x r per y)."""
        ys = np.atleast_1d(np.asarray(y, dtype=float))
        sums = _sums(A, B, ys, zeros, ORDERS[1])
        density = np.where(sums[:, 0] > 0, sums[:, 0], np.nan)
        second = np.stack([np.stack([sums[:, 3], sums[:, 5]], -1),
                           np.stack([sums[:, 5], sums[:, 4]], -1)], -2) / density[:, None, None]
        moment = second + np.eye(2)  # E[(s, t)(s, t)^T | y]
        T = np.eye(2) - np.linalg.inv(moment)
        T = T[:, order][:, :, order] if order == (1, 0) else T
        T = np.nan_to_num(T)
        return T[0] if np.ndim(y) == 0 else T

    return MultiWeakRecovery("easy", alpha, bound, 0, dimension, why, directions, names,
                             following=((_second_step(s, t, in_variables((0.0, 1.0))),)
                                        if learned_s else
                                        _after_t(A_expr, B_expr, s, t, in_variables((1.0, 0.0)))
                                        if learned_t else ()),
                             certificate=Certificate(NUMERIC, why, bound=bound),
                             preprocessing_matrix=preprocessing,
                             preprocessing="T*(y) = I - E[z z^T | y]^(-1) (callable "
                                           "preprocessing_matrix)")


def _second_step(s, t, direction) -> RecoveryStep:
    return RecoveryStep("trivial", 0.0, 0.0, 1, (direction,), Certificate(
        EXACT, f"(y, {s}) determines {t} = (y - A({s}))/B({s})"),
        f"the augmented label (y, {s}) determines {t}")


def _after_t(A_expr, B_expr, s, t, direction) -> tuple:
    """The step after t is learned: (y, t) carries the same information about s as
    (B(s), t) when A = 0 (t != 0 almost surely) and as (A(s), t) when B is constant, so the
    step is the single-index problem of that link (derive.thresholds.weak_recovery). Other
    forms mix A and B with t: not implemented (empty: the staircase stays incomplete)."""
    from .analysis import analyze

    if A_expr == 0:
        link = B_expr
    elif not B_expr.free_symbols:
        link = A_expr
    else:
        return ()
    from .errors import DeriveError
    from .target import Target, index_variables

    (z,) = index_variables(1)
    expression = link.xreplace({s: z})
    try:
        single = analyze(Target(expression, (z,), text=str(expression))).recovery()
    except DeriveError:
        return ()
    if single is None:
        return ()
    dimension = 1 if single.klass in ("trivial", "easy") else 0
    return (RecoveryStep(single.klass, single.alpha_c, single.error_bound, dimension,
                         (direction,) if dimension else (), single.certificate,
                         f"the augmented label (y, {t}) is equivalent to ({link}, {t}): "
                         f"{single.reason}"),)


__all__ = ["affine_recovery", "affine_split"]

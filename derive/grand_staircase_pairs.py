"""Later weak-recovery step of a noiseless r = 3 target when one direction is learned and
two remain.

The grand staircase (Troiani et al. AISTATS 2025, arXiv:2405.15480; THEORY.md §5) repeats
the threshold analysis with the augmented label (y, s), s = <u, z> the learned coordinate.
With t = V^T z in R^2 (V an orthonormal basis of u-perp) and f_s(t) = g(u s + V t), the
conditional law of t given (y, s) is the level-set law of the two-index link f_s, so

    E[(E[t | y, s])^{(x)2}] = E_s[T_s],   F_S(M) = E_{y,s}[G_S M G_S] = E_s[F_s(M)],

where T_s and F_s are the first-step totals of f_s (:func:`derive.thresholds_radial.
radial_totals`: the radial level sets of the two-index link at fixed s), and
G_S = E[t t^T - I | y, s]. The step is trivial when E_s[T_s] != 0 (learned at any alpha
once u is known), else easy with alpha_c = 1/nu_1(E_s F_s), else hard.

The average over s is probabilists' Gauss-Hermite quadrature with a coarse and a fine
number of nodes; the bound (a-posteriori) is the change between the two plus the weighted
radial bounds of every node. Gauss-Hermite converges slowly when F_s has kinks in s (a
piece structure of f_s that changes with s): the bound then says so with its size.

A label with an outer clip (y = phi(h), constant on h <= a and h >= b,
derive.thresholds_clipped.clip_form) keeps it at every s: the restricted link is h_s with
its nodes beyond a and b merged into the atoms, as in the first step.

Example (about a minute, tested in tests/test_grand_staircase_pairs.py): for
tanh(z1) + z2 z3 with z1 learned, (y, z1) fixes z2 z3, so every F_s is the F of z1 z2 and
alpha_c = 0.59375 (Defilippis et al. 2025).

>>> u, V = _frame((0, 1, 0))
>>> u.tolist(), V.T.tolist()
([0.0, 1.0, 0.0], [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
"""

from __future__ import annotations

import numpy as np

from .certificates import NUMERIC, UNDETERMINED, Certificate
from .grand_staircase import RecoveryStep
from .thresholds_radial import RadialTotals, _gradient, _lambdified, _wrap, classify

#: Gauss-Hermite nodes in s (coarse, fine)
NODES = (6, 10)


def _frame(u) -> tuple[np.ndarray, np.ndarray]:
    """The unit vector u and an orthonormal basis (columns) of its complement; exact axes
    stay axes."""
    u = np.array([float(x) for x in u])
    u = u / np.linalg.norm(u)
    axis = int(np.argmax(np.abs(u)))
    if abs(abs(u[axis]) - 1) < 1e-12:
        u = np.eye(3)[axis] * np.sign(u[axis])
        return u, np.eye(3)[:, [i for i in range(3) if i != axis]]
    q, _ = np.linalg.qr(np.column_stack([u, np.eye(3)]))
    return u, q[:, 1:3]


def _restricted(expr, variables, u, V, s: float):
    """f_s(t) = g(u s + V t), its gradient in t and its kink switches, as numpy callables."""
    from .thresholds_homogeneous import _switches

    g = _lambdified(expr, variables)
    gradient = _gradient(expr, variables)
    kinks = [_wrap(f) for f in _switches(expr, variables)]

    def lift(t):
        return s * u + t @ V.T

    def f(t):
        return g(lift(t))

    def grad(t):
        return gradient(lift(t)) @ V

    def lifted(kink):
        return lambda t: kink(lift(t))

    return f, None if gradient is None else grad, tuple(lifted(k) for k in kinks)


def _averaged(expr, variables, u, V, order: int):
    """E_s of the restricted links' totals. An outer clip, y = phi(h) constant on h <= a and
    h >= b (derive.thresholds_clipped.clip_form), is kept at every s: the restricted link
    is h_s with the nodes beyond a and b merged into the atoms (the radial label rule split
    there), as for the first step."""
    from functools import partial

    from .thresholds_clipped import _with_atoms, clip_form
    from .thresholds_radial import radial_totals

    form = clip_form(expr)
    merge, cuts = None, ()
    if form is not None and form[0].free_symbols:
        expr, a, b = form
        merge = partial(_with_atoms, a=a, b=b)
        cuts = tuple(float(c) for c in (a, b) if c.is_finite)
    x, w = np.polynomial.hermite_e.hermegauss(order)
    w = w / np.sqrt(2 * np.pi)
    trivial = np.zeros((2, 2))
    F = np.zeros((3, 3))
    trivial_error = error = 0.0
    for s, weight in zip(x, w):
        f, grad, switches = _restricted(expr, variables, u, V, float(s))
        found = radial_totals(f, 2, grad, switches, label=f"g at s = {s:.4g}",
                              extra_singular=cuts, merge=merge)
        if isinstance(found, str):
            return found
        trivial += weight * found.trivial
        F += weight * found.F
        trivial_error += weight * found.trivial_error
        error += weight * found.error
    return trivial, F, trivial_error, error


def later_step_two_left(expr, variables, learned, nodes=NODES) -> RecoveryStep:
    """The step after the first for a noiseless r = 3 target whose first step learned the
    single direction ``learned[0]`` (module docstring). Directions are returned in the
    target's variables."""
    variables = tuple(variables)
    u, V = _frame(learned[0])
    coarse = _averaged(expr, variables, u, V, nodes[0])
    fine = _averaged(expr, variables, u, V, nodes[1])
    for found in (coarse, fine):
        if isinstance(found, str):
            return RecoveryStep("undetermined", None, 0.0, 0, (),
                                Certificate(UNDETERMINED, found), found)
    trivial, F, trivial_error, error = fine
    trivial_error += float(np.max(np.abs(trivial - coarse[0])))
    error += float(np.max(np.abs(F - coarse[1])))
    method = (f"E_s of the radial totals of g(u s + V t), Gauss-Hermite {nodes[0]} vs "
              f"{nodes[1]} nodes in s")
    totals = RadialTotals(trivial, F, trivial_error, error, method)
    # E[t | y, s] is not proved zero here: classify tests it numerically
    step = classify(totals, 2, ("t1", "t2"))
    directions = tuple(tuple(0.0 if abs(x) < 1e-9 else float(x) for x in V @ np.array(d))
                       for d in step.directions)
    dimension = step.trivial_dimension or step.easy_dimension
    certificate = step.certificate or Certificate(NUMERIC, step.reason, bound=step.error_bound)
    return RecoveryStep(step.klass, 0.0 if step.klass == "trivial" else step.alpha_c,
                        step.error_bound, dimension, directions, certificate,
                        f"augmented label (y, <u, z>), u = "
                        f"({', '.join(f'{x:.6g}' for x in u)}): {step.reason}")


__all__ = ["later_step_two_left"]

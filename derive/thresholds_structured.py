"""Noiseless multi-index thresholds (r <= 3) for targets whose conditional laws reduce to
one-dimensional integrals, with every grand-staircase step and the optimal preprocessing.

Three structures are recognised (Troiani et al. AISTATS 2025, arXiv:2405.15480; THEORY.md §5):

- quadratic forms y = z^T A z + c (derive.thresholds_quadratic): the staircase goes through
  the eigen-directions of A, grouped by equal nu_1;
- monomial products y = c z_1 z_2 (z_3) (derive.thresholds_product): one step learns all;
- y = a z_i + h(z_rest) with h even under z_rest -> -z_rest and h one of the two structures
  above or one-variable: E[z_rest | y] = 0 by that symmetry and E[z_i | y] != 0 (since
  E[y z_i] = a), so the first step is trivial and learns exactly e_i; the augmented label
  (y, z_i) is equivalent to h(z_rest), so the next steps are those of h.

The optimal spectral preprocessing is returned as a callable y -> T*(y), an r x r matrix:
T*(y) = I - E[z z^T | y]^{-1} = G(y) (I + G(y))^{-1}, the matrix form of Mondelli & Montanari's
T*(y) = 1 - 1/E[z^2 | y] (arXiv:1708.05932) as used for multi-index spectral methods
(Defilippis et al. NeurIPS 2025, arXiv:2502.02545; Kovacevic, Zhang, Mondelli COLT 2025,
arXiv:2502.01583). It is given for the first step (the spectral method that starts from no
knowledge); for trivial steps none is needed.

>>> import sympy
>>> z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)
>>> r = structured_recovery(z1 * z2 * z3, (z1, z2, z3))
>>> r.klass, round(r.alpha_c, 6), r.easy_dimension
('easy', 2.56518, 3)
"""

from __future__ import annotations

import sympy

from .certificates import NUMERIC, SYMMETRY, Certificate
from .grand_staircase import RecoveryStep
from .thresholds import MultiWeakRecovery
from .thresholds_product import monomial_order, product_preprocessing, product_threshold
from .thresholds_quadratic import quadratic_preprocessing, quadratic_recovery

PREPROCESSING = "T*(y) = I - E[z z^T | y]^(-1) (callable preprocessing_matrix)"


def _embed(vector, positions, r):
    out = [0.0] * r
    for p, x in zip(positions, vector):
        out[p] = float(x)
    return tuple(out)


def _steps(expr, variables):
    """(steps, preprocessing) for a structured expr in ``variables``, or None."""
    r = len(variables)
    quadratic = quadratic_recovery(expr, variables)
    if quadratic is not None:
        steps = []
        for s in quadratic.steps:
            steps.append(RecoveryStep(s.klass, s.alpha_c, s.error_bound, s.dimension_added,
                                      s.directions, s.certificate, s.why))
        return tuple(steps), quadratic_preprocessing(quadratic)
    order = monomial_order(expr, variables)
    if order in (2, 3):
        result = product_threshold(order)
        basis = tuple(_embed((1.0,), (i,), r) for i in range(r))
        step = RecoveryStep("easy", result.alpha_c, result.error_bound, r, basis, Certificate(
            NUMERIC, f"nu_1 = {result.nu_1:.12g}; E[z|y] = 0 and the form of G(y) by the "
                     "monomial's sign and permutation symmetries", bound=result.error_bound),
            result.why)
        return (step,), product_preprocessing(order)
    return _linear_plus_even(expr, variables)


def _linear_plus_even(expr, variables):
    r = len(variables)
    expr = sympy.expand(expr)
    for i, v in enumerate(variables):
        a = expr.coeff(v, 1)
        h = sympy.expand(expr - a * v)
        if a == 0 or not a.is_number or h.has(v):
            continue
        rest = tuple(u for u in variables if u != v)
        if sympy.expand(h - h.xreplace({u: -u for u in rest})) != 0:
            continue
        used = tuple(u for u in rest if h.has(u))
        if not used:
            continue
        positions = [variables.index(u) for u in used]
        trivial = RecoveryStep("trivial", 0.0, 0.0, 1, (_embed((1.0,), (i,), r),), Certificate(
            SYMMETRY, f"E[{v} | y] != 0 (E[y {v}] = {a}); E[z_rest | y] = 0 since the rest "
                      "is even under z_rest -> -z_rest"),
            f"y = {a}*{v} + h(rest): {v} is learned at any alpha > 0")
        if len(used) == 1:
            inner = quadratic_recovery(h, used)
            if inner is None:
                return None
            inner_steps = [(s.klass, s.alpha_c, s.error_bound, s.dimension_added,
                            s.directions, s.certificate, s.why) for s in inner.steps]
        else:
            found = _steps(h, used)
            if found is None:
                return None
            inner_steps = [(s.klass, s.alpha_c, s.error_bound, s.dimension_added,
                            s.directions, s.certificate, s.why) for s in found[0]]
        later = []
        for klass, alpha, bound, dim, directions, certificate, why in inner_steps:
            later.append(RecoveryStep(
                klass, alpha, bound, dim, tuple(_embed(d, positions, r) for d in directions),
                certificate, f"augmented label (y, {v}) is equivalent to {h}: {why}"))
        return (trivial, *later), None
    return None


def structured_recovery(expr, variables) -> MultiWeakRecovery | None:
    """The first step (with the later ones in ``following``) of a structured noiseless
    target, or None when the target has none of the structures above."""
    found = _steps(expr, tuple(variables))
    if found is None:
        return None
    steps, preprocessing = found
    first = steps[0]
    if first.klass == "trivial":
        return MultiWeakRecovery("trivial", 0.0, 0.0, first.dimension_added, 0, first.why,
                                 first.directions, tuple(variables), following=steps[1:],
                                 preprocessing="none needed for the trivial step",
                                 certificate=first.certificate)
    return MultiWeakRecovery(
        first.klass, first.alpha_c, first.error_bound, 0, first.dimension_added,
        first.why, first.directions, tuple(variables),
        following=steps[1:], preprocessing_matrix=preprocessing,
        preprocessing=PREPROCESSING, certificate=first.certificate)


__all__ = ["structured_recovery"]

"""The grand staircase of weak recovery: thresholds of the steps after the first.

Troiani, Dandi, Defilippis, Zdeborova, Loureiro, Krzakala (AISTATS 2025, arXiv:2405.15480;
THEORY.md §5): once optimal first-order methods have learned a subspace S, the analysis is
repeated with the augmented label (y, z_S). For the remaining directions z_perp:

- trivial: E[z_perp | y, z_S] != 0, learned at any alpha > 0 once S is known;
- easy: alpha_c = 1/nu_1 of F_S(M) = E[G_S M G_S], G_S = E[z_perp z_perp^T - I | y, z_S];
- hard: both vanish.

Implemented for polynomial targets in two variables (the first step from
derive.thresholds.weak_recovery_two_index): when the first step learns one direction u, the
remaining direction v is one-dimensional and, with s = <z, u>, t = <z, v>,

    E[(E[t | y, s])^2] = E_s[A1(s)],   nu_1 = E_s[A2(s)],   A2(s) = E_{y|s}[(E[t^2 | y, s] - 1)^2],

where A1, A2 are the conditional moments of the one-variable polynomial link t -> g(su + tv)
(derive.levelsets_numeric), and E_s is probabilists' Gauss-Hermite quadrature whose error
is estimated by doubling the number of nodes. A1 = 0 is proved by symmetry when g is even in
t for every s (exact directions only); otherwise it is a numeric zero with its bound.

>>> from derive import analyze
>>> staircase = grand_staircase(analyze("z1 + z2**2"))
>>> [(s.klass, round(s.alpha_c, 6), s.dimension_added) for s in staircase.steps]
[('trivial', 0.0, 1), ('easy', 0.5, 1)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from .certificates import NUMERIC, SYMMETRY, Certificate
from .levelsets_numeric import conditional_square_moments


@dataclass(frozen=True)
class RecoveryStep:
    """One step: the directions added and the sample ratio alpha at which they are learned."""

    klass: str  # "trivial" | "easy" | "hard" | "undetermined"
    alpha_c: float | None
    error_bound: float
    dimension_added: int
    directions: tuple  # unit vectors in the target's variables
    certificate: Certificate
    why: str

    def to_dict(self) -> dict:
        return {"class": self.klass, "alpha_c": self.alpha_c, "error_bound": self.error_bound,
                "dimension_added": self.dimension_added,
                "basis": [[float(x) for x in v] for v in self.directions],
                "certificate": self.certificate.label, "why": self.why}


@dataclass(frozen=True)
class GrandStaircase:
    target: str
    variables: tuple
    steps: tuple[RecoveryStep, ...]
    complete: bool
    reason: str

    @property
    def alpha_needed(self) -> float | None:
        """The largest threshold along the staircase: alpha above it learns every direction."""
        if not self.complete:
            return None
        return max(s.alpha_c for s in self.steps)

    def to_dict(self) -> dict:
        return {"steps": [s.to_dict() for s in self.steps], "complete": self.complete,
                "alpha_needed": self.alpha_needed, "why": self.reason,
                "source": "Troiani2025"}


def _first_step(recovery) -> RecoveryStep:
    certificate = getattr(recovery, "certificate", None) or Certificate(
        NUMERIC, recovery.reason, bound=recovery.error_bound)
    dimension = recovery.trivial_dimension or recovery.easy_dimension
    alpha = 0.0 if recovery.klass == "trivial" else recovery.alpha_c
    directions = tuple(tuple(0.0 if abs(x) < 1e-9 else float(x) for x in v)
                       for v in recovery.directions)
    return RecoveryStep(recovery.klass, alpha, recovery.error_bound, dimension,
                        directions, certificate, recovery.reason)


def _snap(vector) -> tuple:
    """A unit vector that is a coordinate axis up to rounding, made exact."""
    v = np.asarray(vector, dtype=float)
    k = int(np.argmax(np.abs(v)))
    if abs(abs(v[k]) - 1) < 1e-9:
        exact = [sympy.Integer(0)] * len(v)
        exact[k] = sympy.Integer(1)
        return tuple(exact)
    return tuple(sympy.Float(x, 17) for x in v)


def _restricted_link(expr, variables, u, v):
    """g(s u + t v) as a polynomial in t with coefficients polynomial in s."""
    s, t = sympy.symbols("s t", real=True)
    substituted = sympy.expand(expr.xreplace(
        {x: s * ui + t * vi for x, ui, vi in zip(variables, u, v)}))
    poly = sympy.Poly(substituted, t)
    coefficient_functions = [sympy.lambdify(s, c, "numpy") for c in poly.all_coeffs()]
    even = sympy.expand(substituted - substituted.subs(t, -t)) == 0
    return coefficient_functions, even


def _outer_average(coefficient_functions, nodes: int):
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / np.sqrt(2 * np.pi)
    a1 = a2 = inner_error = 0.0
    for node, weight in zip(x, w):
        coefficients = np.array([float(f(node)) for f in coefficient_functions])
        m1, m2, error = conditional_square_moments(coefficients)
        a1 += weight * m1
        a2 += weight * m2
        inner_error += weight * error
    return a1, a2, inner_error


def _second_step(expr, variables, learned) -> RecoveryStep:
    u = _snap(learned[0])
    v = (-u[1], u[0])
    functions, even = _restricted_link(expr, variables, u, v)
    coarse = _outer_average(functions, 24)
    fine = _outer_average(functions, 48)
    error = float(max(abs(fine[0] - coarse[0]), abs(fine[1] - coarse[1])) + fine[2])
    a1, a2 = float(fine[0]), float(fine[1])
    direction = (tuple(float(x) for x in v),)
    if even:
        a1_zero, a1_certificate = True, Certificate(
            SYMMETRY, "g(su + tv) is even in t: E[t | y, s] = 0")
    else:
        a1_zero = a1 <= 10 * error + 1e-9
        a1_certificate = Certificate(NUMERIC, f"E[E[t|y,s]^2] = {a1:.3g} +- {error:.1e}",
                                     bound=error)
    if not a1_zero:
        return RecoveryStep("trivial", 0.0, 0.0, 1, direction, a1_certificate,
                            f"E[t | y, s] != 0: E[E[t|y,s]^2] = {a1:.6g}")
    if a2 <= 10 * error + 1e-9:
        return RecoveryStep("hard", None, error, 0, (), Certificate(
            NUMERIC, f"nu_1 = {a2:.3g} +- {error:.1e}", bound=error),
            "E[t | y, s] = 0 and E[t^2 | y, s] = 1: the augmented label does not see t")
    alpha = 1 / a2
    bound = alpha * error / a2 * 1.01
    zero = ("E[t | y, s] = 0 by symmetry (even in t)" if a1_certificate.kind == SYMMETRY
            else a1_certificate.reason)
    certificate = Certificate(NUMERIC, f"nu_1 = {a2:.10g} +- {error:.1e}; {zero}", bound=bound)
    return RecoveryStep("easy", alpha, bound, 1, direction, certificate,
                        f"nu_1 = E_s E_(y|s)[(E[t^2|y,s] - 1)^2] = {a2:.10g}")


def grand_staircase(analysis) -> GrandStaircase | None:
    """The weak-recovery staircase of a single-index or two-variable polynomial target."""
    target = analysis.target
    recovery = analysis.recovery()
    if recovery is None:
        return None
    if target.is_single_index:
        alpha = recovery.alpha_c
        step = RecoveryStep(recovery.klass, alpha, recovery.error_bound,
                            1 if recovery.klass in ("trivial", "easy") else 0,
                            ((1.0,),) if recovery.klass in ("trivial", "easy") else (),
                            recovery.certificate, recovery.reason)
        return GrandStaircase(target.text, target.variables, (step,),
                              recovery.klass in ("trivial", "easy"), "single direction")
    return staircase_from_recovery(target, recovery)


def staircase_from_recovery(target, recovery) -> GrandStaircase:
    """The staircase of a target from its first step: the later steps come with the first
    (structured and affine targets), from derive.grand_staircase_noisy (noisy, r <= 3), from
    the level-curve formula below (noiseless two-variable polynomials) or from
    derive.grand_staircase_general (any other noiseless target with one direction left)."""
    first = _first_step(recovery)
    variables = recovery.variables
    if first.klass not in ("trivial", "easy"):
        return GrandStaircase(target.text, variables, (first,), False,
                              f"the first step is {first.klass}: nothing is learned at "
                              f"alpha = O(1)")
    if recovery.following:
        from .grand_staircase_general import fill_later_thresholds

        steps = fill_later_thresholds(target, (first, *recovery.following),
                                      "the first-step engine")
        complete = all(s.klass in ("trivial", "easy") for s in steps)
        return GrandStaircase(target.text, variables, steps, complete,
                              "each later step is the same problem for the part of the target "
                              "the augmented label (y, z_S) leaves unknown")
    if first.dimension_added == len(variables):
        return GrandStaircase(target.text, variables, (first,), True,
                              "the first step learns every direction")
    from .tensors import as_polynomial

    if float(target.noise) > 0 and len(variables) <= 3:
        from .grand_staircase_noisy import noisy_later_steps

        later = noisy_later_steps(target.expression, tuple(variables), float(target.noise),
                                  first.directions)
        steps = (first, *later)
        learned = sum(s.dimension_added for s in steps if s.klass in ("trivial", "easy"))
        complete = learned == len(variables)
        return GrandStaircase(target.text, variables, steps, complete,
                              "each later step: the noisy problem in the remaining directions "
                              "for every value of the learned ones, averaged"
                              + ("" if complete else "; a later step learns nothing"))
    polynomial = as_polynomial(sympy.expand(target.expression), tuple(variables)) is not None
    remaining = len(variables) - first.dimension_added
    if float(target.noise) > 0 or len(variables) > 3:
        return GrandStaircase(target.text, variables, (first,), False,
                              "the steps after the first are implemented for r <= 3")
    if remaining > 1:
        from .grand_staircase_general import later_step
        from .grand_staircase_pairs import later_step_two_left

        second = later_step_two_left(target.expression, variables, first.directions)
        steps = [first, second]
        if second.klass in ("trivial", "easy") and second.dimension_added == 1:
            steps.append(later_step(target.expression, variables,
                                    [*first.directions, *second.directions]))
        learned = sum(s.dimension_added for s in steps if s.klass in ("trivial", "easy"))
        return GrandStaircase(target.text, variables, tuple(steps), learned == len(variables),
                              "after the first step two directions remain: the two-index "
                              "level sets of the link at each value of the learned coordinate, "
                              "averaged (derive.grand_staircase_pairs)")
    if len(variables) != 2 or not polynomial:
        from .grand_staircase_general import later_step

        second = later_step(target.expression, variables, first.directions)
        return GrandStaircase(target.text, variables, (first, second),
                              second.klass in ("trivial", "easy"),
                              "after the first step one direction remains: the label and the "
                              "learned coordinates decide it through the level sets of the "
                              "restricted link (derive.grand_staircase_general)")
    second = _second_step(target.expression, variables, first.directions)
    return GrandStaircase(target.text, variables, (first, second),
                          second.klass in ("trivial", "easy"),
                          "after the first direction, the augmented label (y, z_S) "
                          "decides the second")


__all__ = ["GrandStaircase", "RecoveryStep", "grand_staircase", "staircase_from_recovery"]

"""Filtrations of a multi-index target: which directions are learned, in which order, how.

All filtrations start from S_0 = {0} and add, at step i, the directions revealed at the
lowest order k given what is already learned (THEORY.md §4):

- information leap (rotation-invariant isoLeap; Damian, Lee, Bruna 2025, Def. 5; Abbe et
  al. 2023; Bietti, Bruna, Pillaud-Vivien 2023): zeta_k,S(z_S) = E[y h_k(z_perp) | z_S];
  l(S) = first k with E|zeta|^2 > 0; S_{i+1} = S_i + range of E[zeta (x) zeta]
  (the unfolded 2k-tensor); the information leap is max_i l(S_i);
- generative leap (same paper): the same with zeta_k,S = E[h_k(z_perp) | y, z_S]. Non-zero
  parts are certified by test functions T(y, z_S) = y^j z_S^gamma (exact for polynomials:
  E[T He_alpha(z_perp)] is a Hermite coefficient of g^j); zeros by sign symmetries of
  z_perp that fix y and z_S; anything else is reported as undetermined;
- giant steps (Dandi, Krzakala, Loureiro, Pesce, Stephan 2024, arXiv:2305.18270): one GD
  step with batch n = Theta(d^l) learns the span of range(C_k), k <= l; repeated steps with
  n = Theta(d) learn, step by step, the directions with a non-zero first-order conditional
  Hermite coefficient given those already learned (the k = 1 part of the filtration);
- coordinate leap (Abbe, Boix-Adsera, Misiakiewicz 2023, arXiv:2302.11055), for a target
  written in a basis: over orderings of its Hermite support, the largest degree a term puts
  on coordinates not yet seen, minimised (the greedy closure is optimal: learning is
  monotone).

>>> import sympy
>>> from derive.target import parse_target
>>> t = parse_target("z1 + z1*z2 + z1*z2*z3")
>>> f = information_filtration(t.expression, t.variables)
>>> f.leap, [s.order for s in f.steps]
(1, [1, 1, 1])
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import sympy

from .certificates import EXACT, INEQUALITY, Certificate
from .errors import DeriveError
from .tensors import ConditionedPolynomial, as_polynomial, hermite_coefficients, multi_indices

DEFAULT_MAX_ORDER = 8
#: test functions y^j of the generative filtration: j <= 4 while g^j has at most
#: MAX_TEST_MONOMIALS possible monomials (the expansion of g^j is the cost); the span they
#: find is a lower bound on the step's span
GENERATIVE_POWERS = (1, 2, 3, 4)
MAX_TEST_MONOMIALS = 60_000


def _test_degree_budget(r: int) -> int:
    """Largest total degree D with binom(D + r, r) <= MAX_TEST_MONOMIALS (15 for r = 6)."""
    degree = 1
    while sympy.binomial(degree + 1 + r, r) <= MAX_TEST_MONOMIALS:
        degree += 1
    return degree


@dataclass(frozen=True)
class FiltrationStep:
    """Directions added at one step: an orthonormal basis (exact) and the reason."""

    order: int
    basis: tuple[tuple[sympy.Expr, ...], ...]
    certificate: Certificate

    @property
    def dimension_added(self) -> int:
        return len(self.basis)

    def to_dict(self) -> dict:
        return {
            "order": self.order,
            "dimension_added": self.dimension_added,
            "basis": [[str(x) for x in v] for v in self.basis],
            "certificate": self.certificate.label,
            "why": self.certificate.reason,
        }


@dataclass(frozen=True)
class Filtration:
    """An ordered list of steps; ``leap`` is the largest order (None if undetermined)."""

    name: str
    steps: tuple[FiltrationStep, ...]
    learned_dimension: int
    effective_dimension: int
    undetermined: str | None = None
    #: why the filtration stopped short of the effective dimension, when it did so provably
    stopped: str | None = None

    @property
    def complete(self) -> bool:
        return self.learned_dimension == self.effective_dimension

    @property
    def leap(self) -> int | None:
        if self.undetermined is not None or not self.complete:
            return None
        return max((s.order for s in self.steps), default=None)

    def to_dict(self) -> dict:
        return {
            "value": self.leap,
            "steps": [s.to_dict() for s in self.steps],
            "learned_dimension": self.learned_dimension,
            "effective_dimension": self.effective_dimension,
            "undetermined": self.undetermined,
            "stopped": self.stopped,
        }


def _polynomial(expr, variables):
    poly = as_polynomial(sympy.expand(expr), variables)
    if poly is None:
        raise DeriveError(
            f"leap filtrations are implemented for polynomial targets; '{expr}' is not one"
        )
    return poly


def index_subspace(expr, variables) -> list[sympy.Matrix]:
    """A basis of the span of grad g(z) over all z: the directions g depends on."""
    poly = _polynomial(expr, variables)
    vectors: dict = {}
    for i, z in enumerate(variables):
        for monomial, coeff in poly.diff(z).terms():
            vectors.setdefault(monomial, [0] * len(variables))[i] = coeff
    if not vectors:
        return []
    return sympy.Matrix.hstack(*[sympy.Matrix(v) for v in vectors.values()]).columnspace()


def _orthonormal(new: list[sympy.Matrix], learned: list[sympy.Matrix]) -> list[sympy.Matrix]:
    """Orthonormal basis of span(new) orthogonal to span(learned), simplified exactly."""
    basis = sympy.GramSchmidt(learned + new, True) if learned or new else []
    added = basis[len(learned):]
    return [sympy.Matrix([sympy.radsimp(sympy.nsimplify(x)) for x in v]) for v in added]


def _basis_matrix(vectors: list[sympy.Matrix]):
    return sympy.Matrix.hstack(*vectors) if vectors else None


def _symmetric_zero(cp: ConditionedPolynomial, k: int, symmetries) -> bool:
    """Every He_alpha(b), |alpha| = k, is odd under some sign flip that fixes y and z_S."""
    if not symmetries:
        return False
    for alpha in multi_indices(cp.m, k):
        if not any(sum(alpha[i] for i in flip) % 2 for flip in symmetries):
            return False
    return True


def _filtration(expr, variables, kind: str, max_order: int) -> Filtration:
    poly = _polynomial(expr, variables)
    effective = len(index_subspace(expr, variables))
    learned: list[sympy.Matrix] = []
    orthogonal: list[sympy.Matrix] = []
    steps: list[FiltrationStep] = []
    undetermined = None
    stopped = None
    while len(learned) < effective:
        cp = ConditionedPolynomial(poly.as_expr(), variables, _basis_matrix(orthogonal))
        symmetries = cp.sign_symmetries() if kind == "generative" else []
        found = None
        orders = range(1, 2) if kind == "linear" else range(1, max_order + 1)
        degree = poly.total_degree()
        budget = _test_degree_budget(len(variables))
        allowed = tuple(j for j in GENERATIVE_POWERS if j == 1 or j * degree <= budget)
        for k in orders:
            powers = allowed if kind == "generative" else (1,)
            if kind == "generative" and _symmetric_zero(cp, k, symmetries):
                continue
            vectors = []
            used = []
            for power in powers:
                tensor = cp.tensor(k, power)
                if tensor:
                    vectors.extend(cp.columns(tensor, k))
                    used.append(power)
            if vectors:
                found = (k, cp.directions(vectors), used)
                break
            if kind == "generative":  # neither seen by a test function nor ruled out
                undetermined = (
                    f"order {k} after {len(learned)} learned direction(s): no test function "
                    f"y^j z_S^gamma (j <= {max(allowed)}) sees it and no sign "
                    f"symmetry rules it out"
                )
                break
        if found is None:
            if undetermined is None:
                stopped = (
                    "E[y z_perp | z_S] = 0 exactly: no first-order coupling to the remaining "
                    "directions" if kind == "linear" else
                    f"no remaining direction is revealed up to order {max_order}"
                )
            break
        k, directions, used = found
        # keep only directions outside the learned span (the tensors live in S-perp, so a
        # non-zero tensor always adds at least one)
        basis = _orthonormal(directions, orthogonal_normalised(orthogonal))
        orthogonal.extend(_rational_orthogonal(directions, orthogonal))
        learned.extend(basis)
        steps.append(FiltrationStep(k, tuple(tuple(v) for v in basis), _step_certificate(kind, k, used)))
    names = {
        "information": "information leap",
        "generative": "generative leap",
        "linear": "giant steps with batch n = Theta(d)",
    }
    return Filtration(names[kind], tuple(steps), len(learned), effective, undetermined, stopped)


def orthogonal_normalised(vectors: list[sympy.Matrix]) -> list[sympy.Matrix]:
    return sympy.GramSchmidt(vectors, True) if vectors else []


def _rational_orthogonal(new: list[sympy.Matrix], learned: list[sympy.Matrix]) -> list[sympy.Matrix]:
    """Orthogonal (unnormalised, rational) completion of span(learned) by span(new)."""
    out = []
    current = list(learned)
    for v in new:
        w = v
        for u in current:
            w = w - (u.dot(w) / u.dot(u)) * u
        w = sympy.Matrix([sympy.nsimplify(x) for x in w])
        if any(x != 0 for x in w):
            current.append(w)
            out.append(w)
    return out


def _step_certificate(kind: str, k: int, powers: list[int]) -> Certificate:
    if kind == "generative":
        tests = ", ".join(f"y^{j}" if j > 1 else "y" for j in powers)
        return Certificate(INEQUALITY, (
            f"E[T(y, z_S) He_alpha(z_perp)] != 0 exactly for test functions T built from "
            f"{tests} times monomials in z_S; lower orders vanish by sign symmetry; the "
            f"directions listed are those these test functions see (a lower bound on the "
            f"step's span: a later step of the same order may add the rest)"
        ))
    what = {
        "information": f"E[y He_{k}(z_perp) | z_S] is a non-zero polynomial in z_S",
        "linear": "first-order conditional Hermite coefficient E[y z_perp | z_S] != 0",
    }[kind]
    return Certificate(EXACT, what + "; lower orders vanish exactly")


def information_filtration(expr, variables, max_order: int = DEFAULT_MAX_ORDER) -> Filtration:
    """The rotation-invariant information-leap filtration of a polynomial target."""
    return _filtration(expr, variables, "information", max_order)


def generative_filtration(expr, variables, max_order: int = DEFAULT_MAX_ORDER) -> Filtration:
    """The generative-leap filtration (conditioning on y and the learned directions)."""
    return _filtration(expr, variables, "generative", max_order)


def linear_batch_giant_steps(expr, variables) -> Filtration:
    """Repeated giant steps with batch n = Theta(d): the order-1 staircase."""
    return _filtration(expr, variables, "linear", 1)


@dataclass(frozen=True)
class OneStepResult:
    batch_exponent: int
    dimension_learned: int
    basis: tuple[tuple[sympy.Expr, ...], ...]

    def to_dict(self) -> dict:
        return {
            "batch_exponent": self.batch_exponent,
            "dimension_learned": self.dimension_learned,
            "basis": [[str(x) for x in v] for v in self.basis],
        }


def one_giant_step(expr, variables, max_exponent: int = DEFAULT_MAX_ORDER) -> tuple[OneStepResult, ...]:
    """Subspace learned by one GD step with batch n = Theta(d^l): span of range(C_k), k <= l."""
    poly = _polynomial(expr, variables)
    effective = len(index_subspace(expr, variables))
    cp = ConditionedPolynomial(poly.as_expr(), variables, None)
    vectors: list[sympy.Matrix] = []
    out = []
    for ell in range(1, max_exponent + 1):
        tensor = cp.tensor(ell)
        if tensor:
            vectors.extend(cp.columns(tensor, ell))
        span = sympy.Matrix.hstack(*vectors).columnspace() if vectors else []
        basis = _orthonormal(span, []) if span else []
        out.append(OneStepResult(ell, len(basis), tuple(tuple(v) for v in basis)))
        if len(basis) == effective:
            break
    return tuple(out)


@dataclass(frozen=True)
class CoordinateLeap:
    value: int | None
    order: tuple[tuple[int, ...], ...]  # Hermite support terms in the order taken
    #: (lower, upper) when the value rests on numeric coefficients (upper None: no bound)
    bounds: tuple[int, int | None] | None = None

    def to_dict(self) -> dict:
        out = {"value": self.value, "order": [list(a) for a in self.order]}
        if self.bounds is not None:
            out["bounds"] = list(self.bounds)
        return out


def coordinate_leap(expr, variables) -> CoordinateLeap:
    """Leap of Abbe, Boix-Adsera, Misiakiewicz (2023) for the target in its given basis."""
    return coordinate_leap_from_support(hermite_coefficients(expr, variables, 10**6))


def coordinate_leap_from_support(coefficients) -> CoordinateLeap:
    """Greedy (optimal) leap over the multi-indices with non-zero Hermite coefficient."""
    support = [alpha for alpha in coefficients if any(alpha)]
    seen: set[int] = set()
    remaining = list(support)
    taken = []
    leap = 0
    while remaining:
        def new_degree(alpha):
            return sum(a for i, a in enumerate(alpha) if a and i not in seen)

        best = min(remaining, key=lambda a: (new_degree(a), sum(a)))
        leap = max(leap, new_degree(best))
        seen.update(i for i, a in enumerate(best) if a)
        taken.append(best)
        remaining.remove(best)
    return CoordinateLeap(leap if support else None, tuple(taken))


def coordinate_leap_numeric(nonzero, certified_zero, max_order: int, r: int,
                            even_coordinates=()) -> CoordinateLeap:
    """The coordinate leap from a truncated, partly decided Hermite support.

    ``nonzero``: multi-indices with |alpha| <= max_order resolved non-zero;
    ``certified_zero(alpha)``: True when c_alpha = 0 is proved (a symmetry);
    ``even_coordinates``: i with g even in z_i alone (every alpha with alpha_i odd is 0, at
    every order). The true support S contains ``nonzero`` and lies in the undecided or
    non-zero alphas up to ``max_order`` plus unknown ones above it, so:

    - lower bound: every ordering starts with some alpha of S, of new degree |alpha|, so
      Leap >= min{|alpha| : alpha not certified 0} (an alpha above max_order has |alpha| >
      max_order); coordinate i enters with new degree >= alpha_i >= 2 when g is even in z_i;
    - upper bound: the greedy leap of ``nonzero`` when it touches every coordinate (the
      remaining, unknown elements then come last with new degree 0).

    The value is given only when the bounds meet.

    >>> coordinate_leap_numeric([(1, 0), (0, 2), (1, 2)], lambda a: a[1] % 2 == 1, 4, 2,
    ...                         even_coordinates=(1,)).value
    2
    """
    lower = max_order + 1
    for alpha in product(range(max_order + 1), repeat=r):
        if 0 < sum(alpha) < lower and not certified_zero(alpha):
            lower = sum(alpha)
    if even_coordinates:
        lower = max(lower, 2)
    greedy = coordinate_leap_from_support({alpha: 1 for alpha in nonzero})
    touched = {i for alpha in nonzero for i, a in enumerate(alpha) if a}
    upper = greedy.value if len(touched) == r else None
    if upper is not None and upper == lower:
        return CoordinateLeap(upper, greedy.order, (lower, upper))
    return CoordinateLeap(None, (), (lower, upper))


def giant_steps_from_information(information: Filtration,
                                 undetermined: str | None = None) -> Filtration:
    """Repeated steps with batch n = Theta(d): the order-1 prefix of the information
    filtration (Dandi et al. 2024, arXiv:2305.18270). ``undetermined`` replaces the
    information filtration's reason when the prefix ends where that filtration stopped."""
    name = "giant steps with batch n = Theta(d)"
    prefix = []
    for step in information.steps:
        if step.order != 1:
            break
        prefix.append(step)
    learned = sum(s.dimension_added for s in prefix)
    r = information.effective_dimension
    if learned == r:
        return Filtration(name, tuple(prefix), learned, r)
    if len(prefix) < len(information.steps):
        return Filtration(name, tuple(prefix), learned, r, None,
                          f"the next direction needs order "
                          f"{information.steps[len(prefix)].order}: no first-order coupling "
                          f"to the remaining directions")
    return Filtration(name, tuple(prefix), learned, r,
                      undetermined or information.undetermined)

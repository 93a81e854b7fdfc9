"""Leap filtrations from error-bounded Hermite coefficients (nested quadrature).

Input: the probabilists' Hermite coefficients c_alpha = E[g He_alpha] / alpha! of g and of
g^2 for |alpha| <= K, each with an a-posteriori error bound (:mod:`derive.cubature`), and
the exact sign-flip symmetries of g. The filtrations are those of THEORY.md §4 (Damian,
Lee, Bruna 2025, arXiv:2506.05500, Def. 5; Dandi et al. 2024, arXiv:2305.18270):

- from a learned subspace S, the next order is the smallest k with
  E[T(y) He_k(z_perp) | z_S] != 0 as a function of z_S (T(y) = y for the information leap;
  for the generative leap any T, here tested with y and y^2). In an orthonormal basis
  (S, perp) that function is non-zero iff one of its Hermite coefficients
  E[T(y) He_gamma(z_S) He_beta(z_perp)] (|beta| = k, any gamma) is; numerically that needs
  |c| > NONZERO_FACTOR x bound for some |gamma| <= K - k (the bound is rotated with the
  coefficients: |Q| applied to the entry-wise bounds);
- a zero at order k must hold for every gamma, so only an exact argument gives it: a flip
  z_i -> -z_i of a set F of perpendicular coordinates with g -> eps g kills every beta with
  (-1)^{|beta_F|} != eps (for the generative leap eps = +1 only, so that y is unchanged).
  Such flips exist only in coordinate bases. More generally (:mod:`derive.signed_permutations`)
  a signed permutation R with g(R z) = eps g(z) that fixes the learned subspace S pointwise
  (checked exactly on an exact basis of S) gives T_k = eps R^{(x)k} T_k for the conditional
  tensor T_k(z_S) = E[T(y) He_k(z_perp) | z_S] (eps = +1 only for the generative leap); when
  the group of such R has no non-zero invariant in Sym^k(S-perp) (dimension computed exactly
  by the projection formula), order k is 0. This works for every order k and every exact
  S, e.g. max(z1, z2, z3) after its first step along (1, 1, 1)/sqrt(3): S3 acts on the
  complement as its 2-dimensional standard representation, which fixes no vector. After a
  numeric (inexact) direction no symmetry can be checked, and the filtration can only go on
  with order-1 steps (order 1 needs no zero);
- the directions added are the range of the unfolded conditional tensor; its numeric rank
  counts singular values above NONZERO_FACTOR x the Frobenius norm of the error matrix
  (Weyl's inequality); a step is taken only when that lower bound meets the upper bound
  (the perpendicular coordinates not killed by a flip; at order 1 also the dimension of the
  vectors of S-perp fixed by the twisted action eps_R R; the whole of S-perp), so the span
  is decided, and is exact when the bound met is an exact subspace (coordinate vectors; the
  fixed space, e.g. span(C_1) = span((1, 1, 1)) for max(z1, z2, z3); the exact complement
  of an exact S). Higher-order invariant tensors bound only the zero test, not the span.

Anything else stops the filtration as undetermined.

>>> import sympy
>>> from derive.cubature import hermite_table
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> g = sympy.Max(z1, z2**2)
>>> info = filtrations(hermite_table(g, (z1, z2), 4), flip_symmetries(g, (z1, z2)))[0]
>>> [(s.order, s.basis) for s in info.steps], info.leap
([(1, ((1, 0),)), (2, ((0, 1),))], 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations, product

import numpy as np
import sympy

from .certificates import QUADRATURE, Certificate
from .cubature import NONZERO_FACTOR, HermiteTable
from .leap import Filtration, FiltrationStep, OneStepResult
from .signed_permutations import (
    _same,
    describe,
    fixed_vectors,
    invariant_dimension,
    stabiliser,
    symmetry_group,
)


@dataclass(frozen=True)
class Flip:
    """g(z with the coordinates in ``flipped`` negated) = sign * g(z), proved exactly."""

    flipped: frozenset
    sign: int

    def kills(self, alpha, label_preserving: bool = False) -> bool:
        if label_preserving and self.sign != 1:
            return False
        parity = (-1) ** sum(alpha[i] for i in self.flipped)
        return parity != self.sign


def flip_symmetries(expr, variables) -> tuple[Flip, ...]:
    """Every coordinate sign flip under which g is even or odd (checked symbolically).

    >>> z1, z2 = sympy.symbols("z1 z2", real=True)
    >>> [(sorted(f.flipped), f.sign) for f in flip_symmetries(z1 / (1 + z1**2 + z2**2), (z1, z2))]
    [([0], -1), ([1], 1), ([0, 1], -1)]
    """
    out = []
    r = len(variables)
    for size in range(1, r + 1):
        for flipped in combinations(range(r), size):
            image = expr.xreplace({variables[i]: -variables[i] for i in flipped})
            for sign in (1, -1):
                if _same(image, sign * expr, variables):
                    out.append(Flip(frozenset(flipped), sign))
                    break
    return tuple(out)


def flips_from(symmetries) -> tuple[Flip, ...]:
    """The coordinate sign flips among proved signed-permutation symmetries (their diagonal
    elements; :func:`derive.signed_permutations.signed_permutation_symmetries` searches a
    superset of what :func:`flip_symmetries` does), in the order flip_symmetries gives."""
    out = [Flip(frozenset(i for i, s in enumerate(e.signs) if s == -1), e.sign)
           for e in symmetries if e.image == tuple(range(len(e.image)))]
    return tuple(sorted(out, key=lambda f: (len(f.flipped), sorted(f.flipped))))


def _killed(alpha, flips, coordinates, label_preserving) -> bool:
    """c_alpha = 0 by a flip of coordinates within ``coordinates`` only."""
    return any(f.flipped <= coordinates and f.kills(alpha, label_preserving) for f in flips)


class _Tensors:
    """E[T He_alpha] (not divided by alpha!) as dense symmetric tensors, rotatable."""

    def __init__(self, values: dict, errors: dict, r: int, max_order: int, flips, square: bool):
        self.r, self.max_order = r, max_order
        self.tensors, self.bounds = [], []
        label_flips = tuple(Flip(f.flipped, 1) for f in flips) if square else flips
        for n in range(max_order + 1):
            value = np.zeros((r,) * n)
            bound = np.zeros((r,) * n)
            for index in product(range(r), repeat=n):
                alpha = tuple(index.count(i) for i in range(r))
                if any(f.kills(alpha) for f in label_flips):
                    continue  # exactly zero
                scale = math.prod(math.factorial(a) for a in alpha)
                value[index] = values[alpha] * scale
                bound[index] = errors[alpha] * scale
            self.tensors.append(value)
            self.bounds.append(bound)

    def rotated(self, q: np.ndarray):
        """(tensors, bounds) in the basis of the columns of q."""
        out, out_bounds = [], []
        for value, bound in zip(self.tensors, self.bounds):
            for axis in range(value.ndim):
                value = np.moveaxis(np.tensordot(value, q, axes=([axis], [0])), -1, axis)
                bound = np.moveaxis(np.tensordot(bound, np.abs(q), axes=([axis], [0])), -1,
                                    axis)
            out.append(value)
            out_bounds.append(bound)
        return out, out_bounds


def _order_columns(tensors, bounds, learned: int, r: int, k: int, max_order: int):
    """Rows: perpendicular coordinates (learned ones come first in the basis); columns:
    (gamma on the learned ones, the other k - 1 perpendicular indices)."""
    perp = list(range(learned, r))
    rows, errs = [], []
    for i in perp:
        row, err = [], []
        for m in range(max_order - k + 1):
            for gamma in product(range(learned), repeat=m):
                if list(gamma) != sorted(gamma):
                    continue
                for tail in product(perp, repeat=k - 1):
                    if list(tail) != sorted(tail):
                        continue
                    index = tuple(gamma) + (i,) + tuple(tail)
                    row.append(tensors[m + k][index])
                    err.append(bounds[m + k][index])
        rows.append(row)
        errs.append(err)
    return np.array(rows), np.array(errs)


def _orthonormal_exact(vectors) -> list[tuple]:
    """Exact orthonormal basis of the span of exact vectors (sympy sqrt, radsimp)."""
    if not vectors:
        return []
    return [tuple(sympy.radsimp(x) for x in v)
            for v in sympy.GramSchmidt([sympy.Matrix(list(v)) for v in vectors], True)]


def _complement_exact(exact: list[tuple], r: int) -> list[tuple]:
    """Exact orthonormal basis of the orthogonal complement of exact vectors."""
    if not exact:
        return [tuple(sympy.Integer(int(i == j)) for j in range(r)) for i in range(r)]
    return _orthonormal_exact(sympy.Matrix([list(v) for v in exact]).nullspace())


def _filtration(name: str, table: HermiteTable, flips, generative: bool, symmetries=()):
    r = len(table.variables)
    K = table.max_order
    variables = table.variables
    group = symmetry_group(tuple(symmetries))
    powers = [_Tensors(table.values, table.errors, r, K, flips, False)]
    if generative:
        powers.append(_Tensors(table.square_values, table.square_errors, r, K, flips, True))
    basis: list[np.ndarray] = []  # learned orthonormal directions (numeric)
    exact: list[tuple] = []  # the same, exact, while every step so far had an exact span
    coordinates: list[int] = []  # learned coordinates while the basis is coordinate
    steps = []
    tests = "y and y^2" if generative else "y"
    while len(basis) < r:
        exact_regime = len(exact) == len(basis)
        coordinate_regime = exact_regime and len(coordinates) == len(basis)
        if coordinate_regime:
            perp = [i for i in range(r) if i not in coordinates]
            order = coordinates + perp
            q = np.eye(r)[:, order]
        else:
            u, _, _ = np.linalg.svd(np.stack(basis, axis=1), full_matrices=True)
            q = np.concatenate([np.stack(basis, axis=1), u[:, len(basis):]], axis=1)
            perp = None
        learned = len(basis)
        # symmetries fixing the (exact) learned subspace pointwise; y unchanged for T(y)
        fixing = stabiliser(group, exact, generative) if exact_regime and group else ()
        zeros = []  # (order, what proved it 0)
        found = None
        for k in range(1, K + 1):
            blocks, error_blocks = [], []
            for tensors in powers:
                rotated, rotated_bounds = tensors.rotated(q)
                block, error = _order_columns(rotated, rotated_bounds, learned, r, k, K)
                blocks.append(block)
                error_blocks.append(error)
            matrix, errors = np.hstack(blocks), np.hstack(error_blocks)
            seen = np.abs(matrix) > NONZERO_FACTOR * errors
            if seen.any():
                found = (k, matrix, errors)
                break
            if coordinate_regime:
                perp_set = frozenset(perp)
                betas = [b for b in product(range(k + 1), repeat=r) if sum(b) == k
                         and all(b[i] == 0 for i in coordinates)]
                if all(_killed(b, flips, perp_set, generative) for b in betas):
                    zeros.append((k, "sign-flip symmetries of the perpendicular coordinates"))
                    continue
            if len(fixing) > 1 and invariant_dimension(fixing, k, learned) == 0:
                zeros.append((k, (f"{describe(fixing, variables)} (the symmetries fixing the "
                                 f"learned subspace pointwise leave no non-zero invariant "
                                 f"symmetric {k}-tensor on its complement)")))
                continue
            if not exact_regime:
                return Filtration(name, tuple(steps), len(basis), r,
                                  f"nothing is resolved at order {k} after a numeric direction, "
                                  f"and a zero there needs an exact symmetry in that basis")
            return Filtration(name, tuple(steps), len(basis), r,
                              f"E[{'h' if generative else 'y h'}_{k}(z_perp) | "
                              f"{'y, ' if generative else ''}z_S] is neither resolved from "
                              f"0 (tests {tests}, Hermite orders <= {K}) nor 0 by a "
                              f"symmetry")
        if found is None:
            return Filtration(name, tuple(steps), len(basis), r,
                              f"nothing is resolved up to Hermite order {K}")
        k, matrix, errors = found
        singular_u, singular, _ = np.linalg.svd(matrix)
        noise = float(np.linalg.norm(errors))
        lower = int(np.sum(singular > NONZERO_FACTOR * noise))
        # upper bounds on the span of the step: (dimension, exact basis or None, why)
        candidates = []
        if coordinate_regime:
            # rows (perpendicular coordinates) that a flip kills at this order for every gamma
            perp_set = frozenset(perp)
            live = [i for i in perp if not all(
                _killed(b, flips, perp_set, generative)
                for b in product(range(k + 1), repeat=r)
                if sum(b) == k and b[i] >= 1 and all(b[j] == 0 for j in coordinates))]
            candidates.append((len(live), [tuple(sympy.Integer(int(j == i)) for j in range(r))
                                           for i in live], None))
        if exact_regime and k == 1 and len(fixing) > 1:
            fixed = _orthonormal_exact(fixed_vectors(fixing, exact))
            candidates.append((len(fixed), fixed,
                               (f"the span is exact: the order-1 tensor lies in the subspace "
                               f"that the symmetries fixing the learned subspace pointwise "
                               f"({describe(fixing, variables)}) fix, and its numeric rank "
                               f"fills that subspace")))
        if exact_regime and not coordinate_regime:
            candidates.append((r - learned, _complement_exact(exact, r), None))
        if not exact_regime:
            candidates.append((r - learned, None, None))
        if learned == 0 and not generative:
            # nothing to condition on: the matrix is the whole unfolded C_k, not a truncation
            candidates.append((matrix.shape[1], None, None))
        upper = min(c[0] for c in candidates)
        bound = float(errors.max())
        if lower < upper or lower == 0:
            return Filtration(name, tuple(steps), len(basis), r,
                              f"the order-{k} step is resolved in {lower} of up to {upper} "
                              f"directions; the rest is neither resolved nor 0 by a symmetry")
        reason = (f"E[{'T(y)' if generative else 'y'} He_{k}(z_perp) He_gamma(z_S)] resolved "
                  f"from 0 (|c| > {NONZERO_FACTOR:g} x its quadrature error; tests {tests})"
                  + _zero_reason(k, zeros))
        chosen = next((c for c in candidates if c[1] is not None and c[0] == lower), None)
        if chosen is not None:
            step_basis = tuple(chosen[1])
            if chosen[2]:
                reason += "; " + chosen[2]
            for vector in step_basis:
                exact.append(vector)
                basis.append(np.array([float(x) for x in vector]))
                ones = [j for j, x in enumerate(vector) if x != 0]
                if coordinate_regime and len(ones) == 1 and vector[ones[0]] == 1:
                    coordinates.append(ones[0])
        else:
            rows = perp if coordinate_regime else list(range(learned, r))
            q_perp = q[:, learned:] if not coordinate_regime else np.eye(r)[:, rows]
            new = [q_perp @ singular_u[:, j] for j in range(lower)]
            new = [_positive(v) for v in new]
            step_basis = tuple(tuple(sympy.Float(x, 12) for x in v) for v in new)
            basis += new
        steps.append(FiltrationStep(k, step_basis, Certificate(QUADRATURE, reason, bound)))
    return Filtration(name, tuple(steps), len(basis), r)


def _zero_reason(k: int, zeros) -> str:
    if k == 1:
        return ""
    if all("sign-flip" in why for _, why in zeros):
        return f"; orders below {k} vanish by sign-flip symmetries of the perpendicular " \
               f"coordinates"
    return "; " + "; ".join(f"order {j} vanishes by {why}" for j, why in zeros)


def _positive(v: np.ndarray) -> np.ndarray:
    """The sign convention of a numeric direction: first non-negligible entry positive;
    entries below 1e-12 (rounding of an orthonormal basis) are shown as 0."""
    v = np.where(np.abs(v) < 1e-12, 0.0, v)
    return v if v[int(np.argmax(np.abs(v) > 0))] > 0 else -v


def filtrations(table: HermiteTable, flips, symmetries=()) -> tuple[Filtration, Filtration]:
    """(information, generative) filtrations, as far as they are decided; ``symmetries``
    (signed permutations, :func:`derive.signed_permutations.signed_permutation_symmetries`)
    add zero certificates and exact spans beyond the sign flips."""
    return (_filtration("information leap", table, flips, False, symmetries),
            _filtration("generative leap", table, flips, True, symmetries))


def one_giant_step(table: HermiteTable, flips, symmetries=()) -> tuple[OneStepResult, ...]:
    """Span of range(C_k), k <= l, for one step with batch n = Theta(d^l) (Dandi et al.
    2024), while the numeric rank is decided (lower bound = coordinates not killed). For
    l = 1 the signed-permutation symmetries bound range(C_1) by the vectors v with
    eps_R R v = v (exact); when the numeric rank fills that space, the span is exact."""
    r, K = len(table.variables), table.max_order
    tensors = _Tensors(table.values, table.errors, r, K, flips, False)
    group = symmetry_group(tuple(symmetries))
    fixed = _orthonormal_exact(fixed_vectors(group, ())) if group else None
    out = []
    blocks, error_blocks = [], []
    for ell in range(1, K + 1):
        block, error = _order_columns(tensors.tensors, tensors.bounds, 0, r, ell, ell)
        blocks.append(block)
        error_blocks.append(error)
        matrix, errors = np.hstack(blocks), np.hstack(error_blocks)
        u, singular, _ = np.linalg.svd(matrix)
        lower = int(np.sum(singular > NONZERO_FACTOR * float(np.linalg.norm(errors))))
        everything = frozenset(range(r))
        live = [i for i in range(r) if not all(
            _killed(a, flips, everything, False)
            for k in range(1, ell + 1)
            for a in product(range(k + 1), repeat=r) if sum(a) == k and a[i] >= 1)]
        if ell == 1 and fixed is not None and 0 < lower == len(fixed) < len(live):
            out.append(OneStepResult(ell, lower, tuple(fixed)))
            if lower == r:
                break
            continue
        if lower < min(len(live), matrix.shape[1]):
            break  # the rank is not decided
        if lower == len(live):
            # the rows outside ``live`` are exactly 0: the span is that of the live coordinates
            step_basis = tuple(tuple(sympy.Integer(int(j == i)) for j in range(r)) for i in live)
        else:
            step_basis = tuple(tuple(sympy.Float(x, 12) for x in _positive(u[:, j]))
                               for j in range(lower))
        out.append(OneStepResult(ell, lower, step_basis))
        if lower == r:
            break
    return tuple(out)


def _span_projector(basis) -> np.ndarray:
    if not basis:
        return np.zeros((0, 0))
    m = np.array([[float(x) for x in v] for v in basis]).T
    q, _ = np.linalg.qr(m)
    return q @ q.T


def _exact(vector) -> bool:
    return all(isinstance(x, sympy.Expr) and not x.has(sympy.Float) for x in vector)


def extend(exact: Filtration, numeric: Filtration) -> Filtration | None:
    """An exact filtration that stopped as undetermined, continued by a complete numeric one.

    Returns None unless the numeric filtration is complete and its first steps repeat the
    exact steps (same orders, same spans to 1e-8): then the exact steps are kept and the
    numeric ones appended. A last step that adds the orthogonal complement of exact
    directions gets the exact complement as its basis (the complement is determined).
    """
    if numeric.leap is None or exact.undetermined is None or exact.stopped is not None:
        return None
    r = numeric.effective_dimension
    if exact.effective_dimension != r or len(numeric.steps) <= len(exact.steps):
        return None
    for e, q in zip(exact.steps, numeric.steps):
        if e.order != q.order or not np.allclose(_span_projector(e.basis),
                                                 _span_projector(q.basis), atol=1e-8):
            return None
    steps = list(exact.steps) + list(numeric.steps[len(exact.steps):])
    previous = [v for s in steps[:-1] for v in s.basis]
    last = steps[-1]
    if all(_exact(v) for v in previous) and not all(_exact(v) for v in last.basis):
        if previous:
            null = sympy.Matrix([list(v) for v in previous]).nullspace()
        else:
            null = [sympy.eye(r).col(i) for i in range(r)]
        complement = sympy.GramSchmidt(null, True) if null else []
        if len(complement) == last.dimension_added:
            basis = tuple(tuple(sympy.radsimp(x) for x in v) for v in complement)
            steps[-1] = FiltrationStep(last.order, basis, last.certificate)
    return Filtration(exact.name, tuple(steps), r, r)

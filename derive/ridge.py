"""Multi-index targets that are sums of ridge functions: g(z) = P(z) + sum_j f_j(<w_j, z>).

Two-layer teachers (``relu(z1) + relu(z1 + z2)``, ``tanh(z1 - z2) + z1*z2``) mix coordinates
inside non-polynomial functions, so they are neither polynomial nor separable. Their Hermite
tensors are still exact: with u = w/|w| and s = <u, z> ~ N(0, 1), Stein's identity gives

    E[f(|w| s) He_alpha(z)] = E[d^k/ds^k f(|w| s)] u^alpha = k! c_k u^alpha,   k = |alpha|,

with c_k the probabilists' Hermite coefficient of the one-variable link s -> f(|w| s)
(derive.hermite: closed forms, or quadrature with an error bound and zero certificates);
the polynomial part P comes from derive.tensors (exact). So

    c_alpha(g) = c_alpha(P) + sum_j k! c_k(f_j) u_j^alpha / alpha!.

From the tensors C_k = E[nabla^k g] the engine derives what depends on them alone (Dandi et
al. JMLR 2024; Damian, Lee, Bruna 2025, THEORY.md §4): the effective subspace (span of the
u_j and of P's index subspace), the first step of the information filtration (the first
order k with C_k != 0, every lower order certified 0; the range of the unfolded C_k), the
first step of the generative filtration (order 1 whenever C_1 != 0; its span is then a lower
bound), the first linear-batch giant step (range of C_1) and the subspace one giant step
with batch d^l learns (the ranges of C_1 ... C_l). Later steps condition on the learned
directions, which needs conditional tensors of non-polynomial functions of mixed
coordinates: they are reported as undetermined, never guessed, unless the first step
already learns the whole effective subspace.

>>> from derive.target import parse_target
>>> t = parse_target("relu(z1) + relu(z1 + z2)")
>>> form = ridge_form(t.expression, t.variables)
>>> len(form.ridges)
2
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

import numpy as np
import sympy

from .certificates import EXACT, NUMERIC, Certificate
from .errors import DeriveError
from .hermite import hermite_expansion
from .separable import linear_forms
from .tensors import as_polynomial, hermite_coefficients

#: Hermite order of the ridge tensors
MAX_ORDER = 6
_T = sympy.Symbol("t", real=True)


@dataclass(frozen=True)
class Ridge:
    """f(<w, z>) = link(s) with s = <u, z>, u = w / |w|."""

    direction: tuple  # u, exact unit vector
    link: sympy.Expr  # in _T (the standard Gaussian s)


@dataclass(frozen=True)
class RidgeForm:
    polynomial: sympy.Expr
    ridges: tuple[Ridge, ...]
    variables: tuple


def ridge_form(expr, variables) -> RidgeForm | None:
    """Split ``expr`` into a polynomial plus ridge functions, or None if it is not one."""
    polynomial = sympy.Integer(0)
    ridges: list[Ridge] = []
    for term in sympy.Add.make_args(expr):
        if as_polynomial(term, variables) is not None:
            polynomial += term
            continue
        forms = linear_forms(term, variables)
        if not forms:
            return None
        w = forms[0]
        if any(sympy.Matrix.hstack(w, v).rank() != 1 for v in forms[1:]):
            return None
        pivot = next(i for i, x in enumerate(w) if x != 0)
        others = sum(w[i] * v for i, v in enumerate(variables) if i != pivot)
        link = sympy.simplify(term.xreplace({variables[pivot]: (_T - others) / w[pivot]}))
        if link.free_symbols & set(variables):
            return None  # e.g. z1*tanh(z1 + z2): a polynomial times a ridge
        norm = sympy.sqrt(sum(x**2 for x in w))
        direction = tuple(sympy.radsimp(x / norm) for x in w)
        ridges.append(Ridge(direction, sympy.simplify(link.xreplace({_T: norm * _T}))))
    if not ridges:
        return None
    return RidgeForm(sympy.expand(polynomial), tuple(ridges), tuple(variables))


@dataclass(frozen=True)
class _Coefficient:
    exact: sympy.Expr | None
    value: float
    bound: float
    status: str  # "zero" | "nonzero" | "undetermined"


def ridge_coefficients(form: RidgeForm, max_order: int = MAX_ORDER) -> dict:
    """c_alpha for |alpha| <= max_order: exact when every contribution is, else with a bound."""
    r = len(form.variables)
    polynomial = (hermite_coefficients(form.polynomial, form.variables, max_order)
                  if form.polynomial != 0 else {})
    expansions = []
    for ridge in form.ridges:
        try:
            expansions.append(hermite_expansion(ridge.link, max_order=max_order))
        except DeriveError as exc:
            raise DeriveError(f"the ridge function {ridge.link} of s: {exc}") from None
    out = {}
    for k in range(max_order + 1):
        for alpha in (a for a in product(range(k + 1), repeat=r) if sum(a) == k):
            exact = sympy.sympify(polynomial.get(alpha, 0))
            value, bound, all_exact, undetermined = float(exact), 0.0, True, False
            for ridge, expansion in zip(form.ridges, expansions):
                coefficient = expansion.coefficient(k)
                if coefficient.is_zero:
                    continue
                weight = sympy.Integer(math.factorial(k)) * sympy.Mul(
                    *[u**a for u, a in zip(ridge.direction, alpha)]) / sympy.Mul(
                    *[math.factorial(a) for a in alpha])
                if weight == 0:
                    continue
                if coefficient.exact is not None and all_exact:
                    exact = exact + weight * coefficient.exact
                else:
                    all_exact = False
                value += float(weight) * float(coefficient.value)
                bound += abs(float(weight)) * float(coefficient.error_bound)
                undetermined = undetermined or coefficient.status == "undetermined"
            if all_exact:
                exact = sympy.nsimplify(sympy.simplify(exact)) if exact.is_number else exact
                status = "zero" if exact == 0 else "nonzero"
                out[alpha] = _Coefficient(exact, float(exact), 0.0, status)
            else:
                status = ("nonzero" if abs(value) > 10 * bound and abs(value) > 1e-12
                          else "undetermined")
                out[alpha] = _Coefficient(None, value, bound, status)
    return out


def _unfolded(coefficients: dict, k: int, r: int):
    """The r x r^(k-1) unfolding of C_k / k! in the coefficient scaling (rank is all we use)."""
    columns = list(product(range(r), repeat=k - 1))
    rows = []
    for i in range(r):
        row = []
        for rest in columns:
            alpha = [0] * r
            alpha[i] += 1
            for j in rest:
                alpha[j] += 1
            c = coefficients[tuple(alpha)]
            row.append(c)
        rows.append(row)
    return rows


def _range(coefficients: dict, orders, r: int):
    """Orthonormal basis of the joint range of the unfolded C_k, k in ``orders``.

    Exact (sympy) when every entry is exact, else numeric: singular values above ten times
    the entries' bounds count.
    """
    blocks = [_unfolded(coefficients, k, r) for k in orders]
    entries = [c for block in blocks for row in block for c in row]
    if all(c.exact is not None for c in entries):
        matrix = sympy.Matrix.hstack(*[sympy.Matrix([[c.exact for c in row] for row in block])
                                       for block in blocks])
        columns = matrix.columnspace()
        basis = sympy.GramSchmidt(columns, True) if columns else []
        return tuple(tuple(sympy.radsimp(x) for x in v) for v in basis), True
    matrix = np.hstack([np.array([[c.value for c in row] for row in block]) for block in blocks])
    bound = max(c.bound for c in entries)
    u, singular, _ = np.linalg.svd(matrix)
    rank = int(np.sum(singular > 10 * bound * math.sqrt(matrix.size) + 1e-12))
    return tuple(tuple(sympy.Float(x, 15) for x in u[:, i]) for i in range(rank)), False


def effective_basis(form: RidgeForm):
    """The span the target depends on: the ridge directions and P's index subspace."""
    from .leap import index_subspace

    vectors = [sympy.Matrix(ridge.direction) for ridge in form.ridges]
    if form.polynomial != 0:
        vectors += [sympy.Matrix(v) for v in index_subspace(form.polynomial, form.variables)]
    matrix = sympy.Matrix.hstack(*vectors)
    columns = matrix.columnspace()
    return tuple(tuple(sympy.radsimp(x) for x in v) for v in sympy.GramSchmidt(columns, True))


def first_information_step(coefficients: dict, r: int, max_order: int):
    """(order, basis, exact, certificate) of the first information step, or (None, reason)."""
    for k in range(1, max_order + 1):
        order_k = [c for a, c in coefficients.items() if sum(a) == k]
        if any(c.status == "nonzero" for c in order_k):
            basis, exact = _range(coefficients, [k], r)
            certificate = Certificate(EXACT if exact else NUMERIC,
                                      f"C_{k} != 0 and every lower Hermite tensor is 0")
            return k, basis, certificate
        if any(c.status == "undetermined" for c in order_k):
            return None, f"a coefficient of order {k} is not resolved from 0", None
    return None, f"C_1 ... C_{max_order} all vanish", None


__all__ = ["MAX_ORDER", "Ridge", "RidgeForm", "effective_basis", "first_information_step",
           "ridge_coefficients", "ridge_form"]

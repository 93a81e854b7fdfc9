"""Weak-recovery thresholds of multi-index targets with finitely many label values, exactly.

For a separable target (derive.separable) whose factors are piecewise constant, the label
takes finitely many values v and 1{y = v} is separable again, so the Hermite coefficients of
the indicator give, in closed form where the univariate ones are (THEORY.md §5; Troiani et
al. AISTATS 2025, arXiv:2405.15480):

    P(v) = E[1{y=v}],   P(v) E[z | v] = E[z 1{y=v}],   P(v) G(v) = E[(z z^T - I) 1{y=v}],

with E[z_a 1] = c_{e_a}, E[z_a z_b 1] = c_{e_a + e_b} (a != b) and E[(z_a^2 - 1) 1] = 2 c_{2 e_a}.
Then the trivial directions span sum_v P(v) E[z|v] E[z|v]^T and alpha_c = 1/nu_1 of
F(M) = sum_v P(v) G(v) M G(v) on symmetric matrices. No quadrature on level sets is needed.

>>> from derive.target import parse_target
>>> t = parse_target("sign(z1*z2)")
>>> r = weak_recovery_discrete(t.expression, t.variables)
>>> r.klass, round(r.alpha_c, 10)     # G(+-1) = +-(2/pi) [[0, 1], [1, 0]]: alpha_c = pi^2/4
('easy', 2.4674011003)
"""

from __future__ import annotations

import numpy as np
import sympy

from .thresholds import MultiWeakRecovery

MAX_VALUES = 16


def weak_recovery_discrete(expr, variables) -> MultiWeakRecovery | None:
    """The first weak-recovery step of a discrete separable target, or None if not one."""
    from .separable import (
        _discrete_values,
        _indicator,
        hermite_coefficients_separable,
        separate,
    )

    form = separate(expr, variables)
    if form is None:
        return None
    values = _discrete_values(form)
    if values is None or not 2 <= len(values) <= MAX_VALUES:
        return None
    r = len(variables)
    axes = [tuple(int(i == j) for j in range(r)) for i in range(r)]

    def pair(a, b):
        return tuple(x + y for x, y in zip(axes[a], axes[b]))

    exact = True
    blocks = []
    for value in values:
        table = hermite_coefficients_separable(_indicator(form, value, values), 2)

        def get(alpha, table=table):
            nonlocal exact
            item = table.get(alpha)
            if item is None:
                return sympy.Integer(0), 0.0
            if item.exact is None:
                exact = False
                return sympy.Float(item.value, 30), float(item.bound)
            return sympy.nsimplify(item.exact) if item.exact.is_Rational else item.exact, 0.0

        mass, _ = get((0,) * r)
        if mass == 0:
            continue
        first = sympy.Matrix([get(axes[a])[0] for a in range(r)])
        second = sympy.zeros(r, r)
        for a in range(r):
            for b in range(r):
                if a == b:
                    second[a, a] = 2 * get(pair(a, a))[0]
                else:
                    second[a, b] = get(pair(a, b))[0]
        blocks.append((mass, first, second))
    trivial = sum((m1 * m1.T / p for p, m1, _ in blocks), sympy.zeros(r, r))
    basis = []
    for a in range(r):
        for b in range(a, r):
            m = sympy.zeros(r, r)
            if a == b:
                m[a, a] = 1
            else:
                m[a, b] = m[b, a] = 1 / sympy.sqrt(2)
            basis.append(m)
    F = sympy.zeros(len(basis), len(basis))
    for p, _, S in blocks:
        for i, Mi in enumerate(basis):
            product = S * Mi * S / p
            for j, Mj in enumerate(basis):
                F[j, i] += sum(Mj.multiply_elementwise(product))  # <Mj, G Mi G> P
    names = tuple(variables)
    trivial_numeric = np.array(trivial.evalf(30).tolist(), dtype=float)
    eigen_t, vectors_t = np.linalg.eigh(trivial_numeric)
    tolerance = 1e-20 if exact else 1e-12
    rank = int(np.sum(eigen_t > tolerance))
    label = "exact" if exact else "numeric"
    if rank:
        learned = tuple(tuple(float(x) for x in vectors_t[:, i])
                        for i in range(r) if eigen_t[i] > tolerance)
        return MultiWeakRecovery("trivial", 0.0, 0.0, rank, 0,
                                 f"E[z|y] spans {rank} direction(s) (discrete label, {label})",
                                 learned, names)
    F_float = np.array(F.evalf(30).tolist(), dtype=float)
    eigen, modes = np.linalg.eigh((F_float + F_float.T) / 2)
    top = float(eigen[-1])
    if top <= tolerance:
        return MultiWeakRecovery("hard", None, 0.0, 0, 0,
                                 f"G(v) = 0 for every label value: nu_1 = 0 ({label})", (), names)
    exact_top = None
    if exact and len(basis) <= 3:
        candidates = [sympy.nsimplify(sympy.simplify(k)) for k in F.eigenvals()]
        exact_top = max(candidates, key=lambda k: float(sympy.N(k, 30)))
    tops = [i for i in range(len(eigen)) if abs(eigen[i] - top) <= 1e-9 * top]
    stacked = np.hstack([sum(modes[k, i] * np.array(basis[k].evalf(17).tolist(), dtype=float)
                             for k in range(len(basis))) for i in tops])
    u, singular, _ = np.linalg.svd(stacked)
    dimension = int(np.sum(singular > 1e-6 * singular[0]))
    alpha = 1 / top
    why = (f"nu_1 = {exact_top} (exact, discrete label)" if exact_top is not None
           else f"nu_1 = {top:.12g} (discrete label, {label})")
    return MultiWeakRecovery("easy", alpha, 0.0 if exact else alpha * 1e-12, 0, dimension, why,
                             tuple(tuple(float(x) for x in u[:, i]) for i in range(dimension)),
                             names, None if exact_top is None else sympy.simplify(1 / exact_top))


__all__ = ["weak_recovery_discrete"]

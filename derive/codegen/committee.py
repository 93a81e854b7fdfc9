"""The expectation arrays of a committee learning a multi-index target.

Conventions (shared with the simulation backend; Saad & Solla 1995; Goldt, Advani, Saxe,
Krzakala, Zdeborova, NeurIPS 2019, arXiv:1906.08632): inputs x ~ N(0, I_d), teacher fields
nu = W* x (orthonormal rows), label y = g(nu) + sqrt(noise) xi, student
f = sum_k a_k sigma(lambda_k), lambda_k = w_k . x; (lambda, nu) ~ N(0, [[Q, M], [M^T, I]]).

The arrays (sigma' the derivative of the student activation, g the noise-free target):

==== ============ =============================================
name shape        expectation
==== ============ =============================================
Tg   (K, R)       E[g sigma'(l_k) nu_r]
Ts   (K, K, R)    E[sigma'(l_k) sigma(l_j) nu_r]
Ug   (K, K)       E[g sigma'(l_k) l_j]
Us   (K, K, K)    E[sigma'(l_k) sigma(l_m) l_j]      (index k, m, j)
Vg   (K,)         E[g sigma(l_k)]
Vs   (K, K)       E[sigma(l_k) sigma(l_j)]
Xgg  (K, K)       E[g^2 sigma'(l_k) sigma'(l_j)]
Xg   (K, K, K)    E[g sigma'(l_k) sigma'(l_j) sigma(l_m)]
Xs   (K,K,K,K)    E[sigma'(l_k) sigma'(l_j) sigma(l_m) sigma(l_n)]
Xn   (K, K)       E[sigma'(l_k) sigma'(l_j)]
Egg  ()           E[g^2]
==== ============ =============================================

From them: E[(y - f) a_k sigma'_k nu_r] = a_k (Tg - sum_j a_j Ts[k, j]), and so on
(see the generated ``moments``). Arrays the expectation engine cannot close are marked
``closed_form=False`` with the reason.
"""

from __future__ import annotations

from itertools import product

import sympy

from .expectations import GaussianEngine, NoClosedForm

#: name -> (meaning, rank in K, has teacher index, symmetric index groups)
ARRAYS = {
    "Tg": ("E[g sigma'(l_k) nu_r]", 1, True, ()),
    "Ts": ("E[sigma'(l_k) sigma(l_j) nu_r]", 2, True, ()),
    "Ug": ("E[g sigma'(l_k) l_j]", 2, False, ()),
    "Us": ("E[sigma'(l_k) sigma(l_m) l_j] (index k, m, j)", 3, False, ()),
    "Vg": ("E[g sigma(l_k)]", 1, False, ()),
    "Vs": ("E[sigma(l_k) sigma(l_j)]", 2, False, ((0, 1),)),
    "Xgg": ("E[g^2 sigma'(l_k) sigma'(l_j)]", 2, False, ((0, 1),)),
    "Xg": ("E[g sigma'(l_k) sigma'(l_j) sigma(l_m)]", 3, False, ((0, 1),)),
    "Xs": ("E[sigma'(l_k) sigma'(l_j) sigma(l_m) sigma(l_n)]", 4, False, ((0, 1), (2, 3))),
    "Xn": ("E[sigma'(l_k) sigma'(l_j)]", 2, False, ((0, 1),)),
    "Egg": ("E[g^2]", 0, False, ()),
}


def array_shape(name: str, width: int, teachers: int) -> tuple[int, ...]:
    _, rank, teacher, _ = ARRAYS[name]
    return (width,) * rank + ((teachers,) if teacher else ())


def _integrand(name, index, engine, g):
    l_ = lambda k: engine.field("l", k)
    n_ = lambda r: engine.field("n", r)
    one = sympy.Integer(1)
    if name == "Tg":
        k, r = index
        return g * n_(r), [(k, 1)]
    if name == "Ts":
        k, j, r = index
        return n_(r), [(k, 1), (j, 0)]
    if name == "Ug":
        k, j = index
        return g * l_(j), [(k, 1)]
    if name == "Us":
        k, m, j = index
        return l_(j), [(k, 1), (m, 0)]
    if name == "Vg":
        return g, [(index[0], 0)]
    if name == "Vs":
        return one, [(index[0], 0), (index[1], 0)]
    if name == "Xgg":
        return g * g, [(index[0], 1), (index[1], 1)]
    if name == "Xg":
        k, j, m = index
        return g, [(k, 1), (j, 1), (m, 0)]
    if name == "Xs":
        k, j, m, n = index
        return one, [(k, 1), (j, 1), (m, 0), (n, 0)]
    if name == "Xn":
        return one, [(index[0], 1), (index[1], 1)]
    if name == "Egg":
        return g * g, []
    raise KeyError(name)


def canonical_index(name: str, index: tuple) -> tuple:
    """``index`` sorted within each group of symmetric indices of array ``name``."""
    return _canonical(index, ARRAYS[name][3])


def _canonical(index: tuple, groups) -> tuple:
    index = list(index)
    for group in groups:
        values = sorted(index[i] for i in group)
        for i, v in zip(group, values):
            index[i] = v
    return tuple(index)


def committee_arrays(expression, variables, student: str, width: int):
    """Closed-form entries of every array, or the reason an array has none.

    Returns ``(entries, status, kernels)``: ``entries`` maps ``(array, index)`` to a sympy expression
    in the symbols Q_i_j and M_k_r, for canonical indices only (sorted within each group of
    symmetric indices, see :func:`canonical_index`); ``status`` maps each array name to None
    (closed form) or the reason it has none; ``kernels`` maps the kernel functions the
    entries call to (parameters, closed form).

    >>> import sympy
    >>> z = sympy.Symbol("z", real=True)
    >>> entries, status, kernels = committee_arrays(z, (z,), "linear", 1)
    >>> entries[("Tg", (0, 0))], status["Xs"]
    (1, None)
    """
    teachers = len(variables)
    engine = GaussianEngine(width, teachers, student)
    g = expression.xreplace({v: engine.field("n", r) for r, v in enumerate(variables)})
    entries: dict = {}
    status: dict = {}
    for name, (_, _, _, groups) in ARRAYS.items():
        shape = array_shape(name, width, teachers)
        found: dict = {}
        try:
            for index in product(*(range(s) for s in shape)):
                canonical = _canonical(index, groups)
                if canonical not in found:
                    polynomial, slots = _integrand(name, canonical, engine, g)
                    found[canonical] = engine.expectation(polynomial, slots)
            status[name] = None
            entries.update({(name, index): value for index, value in found.items()})
        except NoClosedForm as exc:
            status[name] = str(exc)
    return entries, status, dict(sorted(engine.kernels.items()))

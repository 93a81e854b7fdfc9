"""First weak-recovery step of products of one-variable factors, y = phi(f_1(z_1) ... f_k(z_k)).

For a label that is a product of functions of disjoint variables (relu(z1^2 - 1) z2 z3,
relu(z1^2 - 1) relu(z2^2 - 1), z1 z2^2 z3), optionally clipped at 0 (min(z1 z3, 0) z2^2 =
min(z1 z2^2 z3, 0)) and up to an affine map, every conditional moment the threshold needs is a
convolution of one-dimensional laws. With l = log|y| = sum_i log|f_i(z_i)| (independent
terms) and sign y = prod_i sign f_i(z_i), for a tilt t(z) = prod_i t_i(z_i)

    p(y) E[t(z) | y] |y| = sum over the sign patterns (s_i) with prod s_i = sign y of
                           (D_{1,s_1}^{t_1} * ... * D_{k,s_k}^{t_k})(log|y|),

where D_{i,s}^{t} is the law of log|f_i| on {sign f_i = s} tilted by t (derived in
:mod:`derive.factor_laws`, smooth in l). The tilts the threshold needs are 1, z_a and
z_a z_b - delta_ab (Troiani, Dandi, Defilippis, Zdeborova, Loureiro, Krzakala, AISTATS 2025,
arXiv:2405.15480; THEORY.md §5): each is a product of 1, z, z^2 over the factors. A factor
that vanishes on an interval (relu(z1^2 - 1) on |z1| <= 1) gives the label an atom at 0, with
the exact moments

    E[t 1{y = 0}] = prod_i E[t_i] - prod_i (E[t_i] - E[t_i 1{f_i = 0}]),

and an outer clip at 0 (y = max(h, 0) or min(h, 0), h the product) merges the negative (or
positive) part of h into that atom. F(M) = E_y[G M G] and E_y[E[z|y] E[z|y]^T] are then sums
over the trapezoid nodes in log|y| of each sign and the atom
(:func:`derive.thresholds_radial.classify`). The discrete convolutions of smooth, decaying
densities on a uniform grid converge geometrically in 1/h (as in
:mod:`derive.thresholds_product`, the monomial case); the error estimate is the change of F
when h halves (0.04 -> 0.02) plus the identity defects (int p = 1, int p E[z|y] = 0,
int p G = 0) times the size of F. A factor whose law the grid does not resolve (its own
identity defect above :data:`FACTOR_DEFECT`, e.g. tanh(z), which saturates) or that
:mod:`derive.factor_laws` declines (a critical value away from 0) sends the target back to
the level-set engines (None).

Checked (tests/test_thresholds_factored.py) against z1 z2 (0.59375, Defilippis et al. 2025)
and z1 z2 z3 (the monomial engine, 2.5651804), relu(z1^2 - 1) relu(z2^2 - 1) (the region
engine and a convolution reference, 2.714762465), and relu(z1^2 - 1) z2 z3 (0.72705118970)
and min(z1 z3, 0) z2^2 (1.26311354648) by nested quadrature over the Bessel law of a product
of two Gaussians. The later steps (:func:`factored_later_step`) follow from the same sums.

>>> import sympy
>>> z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)
>>> r = factored_recovery(z1 * z2 * z3, (z1, z2, z3))
>>> r.klass, round(r.alpha_c, 6), r.easy_dimension   # the product engine: 2.5651804
('easy', 2.56518, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from .factor_laws import FactorDeclined, factor_law, factor_pieces
from .levelsets_radial import RadialSums, identity_defect, pairs_of
from .monotone import affine_layer
from .thresholds import MultiWeakRecovery
from .thresholds_radial import RadialTotals, recovery_from_totals, totals

#: trapezoid steps in l = log|y| (coarse, fine)
STEPS = (0.04, 0.02)
#: a factor whose own identities (mass 1, E z = 0, E z^2 = 1) the fine grid misses by more
#: than this is not resolved by the log-modulus grid
FACTOR_DEFECT = 1e-9
_MOMENTS = np.array([1.0, 0.0, 1.0])   # E[1], E[z], E[z^2]


@dataclass(frozen=True)
class FactoredForm:
    """y = phi(clip(prod_i factors[i])) up to an injective phi: ``factors`` are
    (variable, f(variable)); ``clip`` is None, "max" (atom {h <= 0}) or "min" (atom
    {h >= 0})."""

    factors: tuple
    clip: str | None


def _strip_affine(expr):
    while (layer := affine_layer(expr)) is not None:
        expr = layer[1]
    return expr


def _factors(product, variables):
    """(variable, factor) per variable when ``product`` is a product of one-variable
    functions of distinct variables, covering ``variables``; else None."""
    product = _strip_affine(sympy.sympify(product))
    grouped = {}
    for arg in sympy.Mul.make_args(product):
        symbols = arg.free_symbols
        if not symbols:
            if arg == 0:
                return None
            continue
        if len(symbols) != 1:
            return None
        (v,) = symbols
        grouped[v] = grouped.get(v, sympy.Integer(1)) * arg
    if len(grouped) < 2 or set(grouped) != set(variables):
        return None
    return tuple((v, grouped[v]) for v in variables)


def factored_form(expr, variables) -> FactoredForm | None:
    """The product structure of expr (module docstring), or None."""
    from .thresholds_clipped import clip_form

    variables = tuple(variables)
    found = _factors(expr, variables)
    if found is not None:
        return FactoredForm(found, None)
    form = clip_form(expr)
    if form is None:
        return None
    h, a, b = form
    if (a, b) == (0, sympy.oo):
        clip = "max"
    elif (a, b) == (-sympy.oo, 0):
        clip = "min"
    else:
        return None
    found = _factors(h, variables)
    return None if found is None else FactoredForm(found, clip)


def _signed(laws, tilts):
    """(D_+, D_-) of the product tilted by prod_i t_i (tilts: 0 = 1, 1 = z, 2 = z^2), by
    discrete convolution (times h) of the factors' signed laws."""
    h = laws[0].h
    positive, negative = laws[0].positive[tilts[0]], laws[0].negative[tilts[0]]
    for law, t in zip(laws[1:], tilts[1:]):
        fp, fn = law.positive[t], law.negative[t]
        size = positive.size + fp.size - 1

        def conv(a, b, size=size):
            if not a.any() or not b.any():
                return np.zeros(size)
            return np.convolve(a, b) * h

        positive, negative = (conv(positive, fp) + conv(negative, fn),
                              conv(positive, fn) + conv(negative, fp))
    return positive, negative


def _columns(r):
    """Per column of RadialSums (1, z_a, z_a z_b - delta_ab): the tilt of each variable
    and whether the column subtracts the plain density (the diagonal)."""
    out = [((0,) * r, False)]
    for a in range(r):
        out.append((tuple(1 if i == a else 0 for i in range(r)), False))
    for a, b in pairs_of(r):
        if a == b:
            out.append((tuple(2 if i == a else 0 for i in range(r)), True))
        else:
            out.append((tuple(1 if i in (a, b) else 0 for i in range(r)), False))
    return out


def _sums(laws, clip, r) -> RadialSums:
    """p(y) E[(1, z, z z^T - I) | y] on the label nodes (trapezoid nodes in log|y| of each
    sign, weight h) and the atom at 0 (weight 1), as RadialSums."""
    h = laws[0].h
    columns = _columns(r)
    cache = {}
    positive, negative, atom = [], [], []
    for tilts, diagonal in columns:
        if tilts not in cache:
            cache[tilts] = _signed(laws, tilts)
        pos, neg = cache[tilts]
        moments = [_MOMENTS[t] for t in tilts]
        outside = [m - law.atom[t] for m, law, t in zip(moments, laws, tilts)]
        zero = float(np.prod(moments) - np.prod(outside))
        if diagonal:
            pos, neg = pos - cache[(0,) * r][0], neg - cache[(0,) * r][1]
            zero -= float(1 - np.prod([1 - law.atom[0] for law in laws]))
        positive.append(pos)
        negative.append(neg)
        atom.append(zero)
    positive, negative, atom = np.array(positive).T, np.array(negative).T, np.array(atom)
    if clip == "max":
        atom, negative = atom + h * negative.sum(axis=0), negative[:0]
    elif clip == "min":
        atom, positive = atom + h * positive.sum(axis=0), positive[:0]
    nodes = np.vstack([positive, negative])
    ys = np.concatenate([np.arange(len(positive)) + 1.0, -np.arange(len(negative)) - 1.0])
    wy = np.full(len(nodes), h)
    if atom[0] > 0:
        nodes = np.vstack([nodes, atom[None, :]])
        ys = np.concatenate([ys, [0.0]])
        wy = np.concatenate([wy, [1.0]])
    return RadialSums(ys, wy, nodes, r, pairs_of(r), False, ())


def _form_sums(form: FactoredForm):
    """(coarse, fine) RadialSums of the factored label, or the reason (a string)."""
    r = len(form.factors)
    try:
        pieces = [factor_pieces(f, v) for v, f in form.factors]
    except FactorDeclined as exc:
        return f"factor {exc}"
    found = []
    for h in STEPS:
        laws = [factor_law(p, h) for p in pieces]
        for law, p in zip(laws, pieces):
            defect = float(np.max(np.abs(law.total() - _MOMENTS)))
            if h == STEPS[-1] and defect > FACTOR_DEFECT:
                return (f"factor {p.text}: its log-modulus law is not resolved by the grid "
                        f"(identity defect {defect:.1e})")
        found.append(_sums(laws, form.clip, r))
    return tuple(found)


def factored_totals(form: FactoredForm, label: str = "y") -> RadialTotals | str:
    """The totals of the factored label with their bounds, or why they cannot be computed."""
    found = _form_sums(form)
    if isinstance(found, str):
        return found
    coarse, fine = found
    defect = identity_defect(fine)
    trivial_c, F_c = totals(coarse)
    trivial, F = totals(fine)
    scale = max(1.0, float(np.max(np.abs(F))))
    error = float(np.max(np.abs(F - F_c))) + defect * scale + 1e-14
    trivial_error = float(np.max(np.abs(trivial - trivial_c))) + defect + 1e-14
    clip = {None: "", "max": "; clipped at 0 from below", "min": "; clipped at 0 from above"}
    method = (f"product of one-variable factors {', '.join(str(f) for _, f in form.factors)}"
              f"{clip[form.clip]}: log-modulus convolutions (h = {STEPS[-1]}, "
              f"{fine.ys.size} label nodes); identity defect {defect:.1e}")
    return RadialTotals(trivial, F, trivial_error, error, method)


def _sign_masses(form: FactoredForm) -> tuple[float, float]:
    """P(prod_i f_i > 0), P(prod_i f_i < 0) of the factors of ``form``."""
    positive, negative = 1.0, 0.0
    for v, f in form.factors:
        law = factor_law(factor_pieces(f, v), STEPS[-1])
        p, n = law.h * law.positive[0].sum(), law.h * law.negative[0].sum()
        positive, negative = positive * p + negative * n, positive * n + negative * p
    return float(positive), float(negative)


def _axis(vector) -> int | None:
    """The coordinate a unit vector points along (up to sign), or None."""
    big = [i for i, x in enumerate(vector) if abs(x) > 1e-9]
    return big[0] if len(big) == 1 else None


def factored_later_step(expr, variables, learned):
    """The next grand-staircase step of a factored label once the coordinate directions
    ``learned`` (unit vectors along some of the factors' variables) are known, or None when
    expr is not factored or a learned direction is not a coordinate axis.

    With S the learned variables and c = prod_{i in S} f_i(z_i), the augmented label
    (y, z_S) is, where c > 0, an injective relabelling of y_rest = clip(prod_{i not in S}
    f_i(z_i)); where c < 0 of the same product with the clip flipped (max(c u, 0) =
    |c| max(-u, 0)); where c = 0 it carries no information (G_S = 0). So (Troiani et al.
    AISTATS 2025, THEORY.md §5, the augmented-label step)

        F_S = P(c > 0) F_rest + P(c < 0) F_rest(flipped clip),

    and the same for E[E[z_rest | y, z_S] E[..]^T]: one-dimensional convolutions again.
    Returns a :class:`derive.grand_staircase.RecoveryStep` in the target's variables."""
    from dataclasses import replace

    from .grand_staircase import RecoveryStep
    from .thresholds_radial import classify

    variables = tuple(variables)
    form = factored_form(expr, variables)
    if form is None or not learned:
        return None
    axes = {_axis(v) for v in learned}
    if None in axes or len(axes) != len(learned) or len(axes) >= len(variables):
        return None
    known = FactoredForm(tuple(form.factors[i] for i in sorted(axes)), None)
    rest_index = [i for i in range(len(variables)) if i not in axes]
    rest = FactoredForm(tuple(form.factors[i] for i in rest_index), form.clip)
    flipped = replace(rest, clip={None: None, "max": "min", "min": "max"}[form.clip])
    try:
        positive, negative = _sign_masses(known)
    except FactorDeclined:
        return None
    parts = [(positive, factored_totals(rest)), (negative, factored_totals(flipped))]
    if any(isinstance(t, str) for _, t in parts):
        return None
    trivial = sum(w * t.trivial for w, t in parts)
    F = sum(w * t.F for w, t in parts)
    trivial_error = sum(w * t.trivial_error for w, t in parts)
    error = sum(w * t.error for w, t in parts)
    names = tuple(str(variables[i]) for i in rest_index)
    method = (f"augmented label (y, {', '.join(str(variables[i]) for i in sorted(axes))}): "
              f"P(c > 0) = {positive:.10g}, P(c < 0) = {negative:.10g} times the rest's "
              f"totals ({parts[0][1].method})")
    step = classify(RadialTotals(trivial, F, trivial_error, error, method), len(rest_index),
                    names)

    def embed(direction):
        out = [0.0] * len(variables)
        for i, x in zip(rest_index, direction):
            out[i] = float(x)
        return tuple(out)

    dimension = step.trivial_dimension or step.easy_dimension
    alpha = 0.0 if step.klass == "trivial" else step.alpha_c
    return RecoveryStep(step.klass, alpha, step.error_bound, dimension,
                        tuple(embed(d) for d in step.directions), step.certificate, step.reason)


def factored_recovery(expr, variables,
                      conditional_mean_zero: bool = False) -> MultiWeakRecovery | None:
    """The first weak-recovery step of a factored label (module docstring), or None when
    expr is not a product of one-variable factors (clipped at 0) or a factor is declined."""
    variables = tuple(variables)
    form = factored_form(expr, variables)
    if form is None:
        return None
    found = factored_totals(form, str(expr))
    if isinstance(found, str):
        return None
    return recovery_from_totals(found, len(variables), variables, conditional_mean_zero)


__all__ = ["FactoredForm", "factored_form", "factored_later_step", "factored_recovery",
           "factored_totals"]

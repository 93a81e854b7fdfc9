"""First weak-recovery step of clipped targets y = phi(h(z)): labels with atoms.

A label that is constant on a set of positive probability (relu(z1^2 + z2^2 - 1),
max(z1 z2, 1), min(max(z1 z2, -1), 1), ...) has atoms, which the radial level-set engine
(:mod:`derive.thresholds_radial`) does not integrate. When the atoms come from an outer clip,

    y = phi(h(z)),  phi a composition of Max(c, .), Min(c, .) and affine maps u -> s u + t
                    (s != 0, c, t constants),

phi is monotone and constant exactly on h <= a and on h >= b, strictly monotone in between,
for numbers a < b found by composing the layers (:func:`clip_form`; a = -oo or b = +oo when
there is no such piece). Then, with G(y) = E[z z^T - I | y] (THEORY.md §5; Troiani, Dandi,
Defilippis, Zdeborova, Loureiro, Krzakala, AISTATS 2025, arXiv:2405.15480):

* for a < h < b the level sets of y are those of h (phi is injective there), so G and the
  contributions to E_y[E[z|y]E[z|y]^T] and F(M) = E_y[G M G] are those of h's level sets
  (both are invariant under a monotone relabelling);
* each atom A = {h <= a} or {h >= b} is one label value with probability P_A, conditional
  mean E[z 1_A] / P_A and G_A = E[(z z^T - I) 1_A] / P_A, contributing
  E[z 1_A] E[z 1_A]^T / P_A and P_A G_A M G_A.

The radial engine's sums p_h(y) E[h | y] for h = 1, z, z z^T - I on a label rule split at
a and b (:func:`derive.levelsets_radial.radial_sums` with ``extra_singular``) give both:
the nodes inside (a, b) are the continuous part, the weighted sums over the nodes below a
(above b) are the atoms' moments. Same a-posteriori error bound as the radial engine
(:func:`derive.thresholds_radial.radial_totals`: coarse against fine rule in every
dimension, identity defects; r = 3 by planar slices); it is an estimate, not an enclosure.

Checked (tests/test_thresholds_clipped.py) against closed forms: relu(|z|^2 - 1) through the
law of chi^2_2, and max(z1 z2, 1), relu(z1 z2 - 1), clip(z1 z2, -1, 1) through the Bessel
law of the product (p(t) = K_0(|t|)/pi, E[z1^2 | z1 z2 = t] = |t| K_1(|t|)/K_0(|t|)).

>>> import sympy
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> clip_form(sympy.Max(0, z1**2 + z2**2 - 1))      # relu(|z|^2 - 1): h = |z|^2, a = 1
(z1**2 + z2**2, 1, oo)
>>> clip_form(2 * sympy.Min(1, sympy.Max(-1, z1 * z2)) + 3)
(z1*z2, -1, 1)
>>> clip_form(z1 * z2) is None
True
>>> clip_form(sympy.Max(0, z1**2 - 1) * z2**2)       # the atom {z1^2 <= 1 or z2 = 0}
(z2**2*(z1**2 - 1), 0, oo)
"""

from __future__ import annotations

import numpy as np
import sympy

from .levelsets_radial import RadialSums
from .monotone import affine_layer
from .thresholds import MultiWeakRecovery
from .thresholds_radial import (
    _DISCONTINUOUS,
    RadialTotals,
    numeric_target,
    plane_symmetry,
    radial_totals,
    recovery_from_totals,
)


def _layer(expr):
    """One monotone outer layer of expr: ("max" | "min", c, inner), ("affine", (s, t), inner),
    or None."""
    if isinstance(expr, (sympy.Max, sympy.Min)):
        constant = [a for a in expr.args if not a.free_symbols]
        inner = [a for a in expr.args if a.free_symbols]
        if len(inner) == 1 and len(constant) == 1 and constant[0].is_real:
            kind = "max" if isinstance(expr, sympy.Max) else "min"
            return kind, constant[0], inner[0]
        return None
    if (affine := affine_layer(expr)) is not None:
        return "affine", *affine
    if isinstance(expr, sympy.Mul):
        return _signed_clip_factor(expr)
    return None


def _clip_factors(product):
    """The factors max(u, 0) or min(u, 0) of a product: (clip, u, rest) for each, rest the
    product of the other factors."""
    factors = product.args
    for i, clip in enumerate(factors):
        if isinstance(clip, (sympy.Max, sympy.Min)) and len(clip.args) == 2 and 0 in clip.args:
            u = clip.args[0] if clip.args[1] == 0 else clip.args[1]
            yield clip, u, sympy.Mul(*(f for j, f in enumerate(factors) if j != i))


def _signed_clip_factor(product):
    """A clip at 0 taken out of a product: max(u, 0) v = max(u v, 0) and min(u, 0) v =
    min(u v, 0) where v >= 0 everywhere, with max and min exchanged where v <= 0 (pointwise
    identities; the sign of v is sympy's proof from the variables being real, never a
    guess). relu(z1^2 - 1) z2^2 is then relu(h) with h = (z1^2 - 1) z2^2, whose atom {h <= 0}
    is not an outer clip of the written expression. None if no factor qualifies."""
    for clip, u, rest in _clip_factors(product):
        if rest.is_nonnegative:
            flipped = False
        elif rest.is_nonpositive:
            flipped = True
        else:
            continue
        kind = "max" if isinstance(clip, sympy.Max) != flipped else "min"
        return kind, sympy.Integer(0), u * rest
    return None


def clip_form(expr):
    """(h, a, b) with expr = phi(h), phi constant exactly on h <= a and on h >= b and strictly
    monotone between (module docstring), or None when expr has no outer clip (a = -oo and
    b = +oo) or the clips leave it constant."""
    layers = []
    inner = sympy.sympify(expr)
    while (layer := _layer(inner)) is not None:
        layers.append(layer)
        inner = layer[2]
    # inside out: on [a, b] the composition so far is s u + t (u = h)
    a, b = -sympy.oo, sympy.oo
    s, t = sympy.Integer(1), sympy.Integer(0)
    for kind, value, _ in reversed(layers):
        if kind == "affine":
            scale, shift = value
            s, t = scale * s, scale * t + shift
            continue
        cut = (value - t) / s          # where s u + t crosses the clip value
        flat_below = (kind == "max") == bool(s > 0)
        if flat_below:
            a = sympy.Max(a, cut)
        else:
            b = sympy.Min(b, cut)
        if not bool(a < b):
            return None
    if a == -sympy.oo and b == sympy.oo:
        return None
    return inner, a, b


def region_form(expr):
    """(h, region) when expr = phi(c_1 ... c_k v), every c_i = max(u_i, 0) or min(u_i, 0),
    phi affine and v of either sign (one clip with v of proven sign is :func:`clip_form`'s):
    on R = {region > 0}, region = min_i s_i u_i (s_i = 1 for max, -1 for min), every c_i is
    u_i, so the label is phi(h), h = u_1 ... u_k v, and off R some c_i is 0 and the label is
    the constant phi(0), an atom of mass P(not R). None for any other form.

    >>> z1, z2 = sympy.symbols("z1 z2", real=True)
    >>> region_form(3 * sympy.Max(0, z1**2 - 1) * (z2**2 - 1))
    ((z1**2 - 1)*(z2**2 - 1), z1**2 - 1)
    >>> region_form(sympy.Max(0, z1**2 - 1) * sympy.Max(0, z2**2 - 1))   # relu * relu
    ((z1**2 - 1)*(z2**2 - 1), Min(z1**2 - 1, z2**2 - 1))
    """
    inner = sympy.sympify(expr)
    while (layer := _layer(inner)) is not None and layer[0] == "affine":
        inner = layer[2]
    if not isinstance(inner, sympy.Mul):
        return None
    clips = list(_clip_factors(inner))
    if not clips or (len(clips) == 1 and not clips[0][2].free_symbols):
        return None
    clip_set = {clip for clip, _, _ in clips}
    rest = sympy.Mul(*(f for f in inner.args if f not in clip_set))
    us = [u if isinstance(clip, sympy.Max) else -u for clip, u, _ in clips]
    h = sympy.Mul(*(u for _, u, _ in clips)) * rest
    return h, (us[0] if len(us) == 1 else sympy.Min(*us))


def clipped_totals(h, variables, a, b, rules=None, label: str = "h") -> RadialTotals | str:
    """Totals (trivial matrix, F) of y = phi(h) with atoms {h <= a}, {h >= b} (module
    docstring), with their a-posteriori bounds, or the reason they cannot be computed."""
    from dataclasses import replace

    variables = tuple(variables)
    g, gradient, kinks, axis = numeric_target(h, variables)
    cuts = tuple(float(c) for c in (a, b) if c.is_finite)
    found = radial_totals(g, len(variables), gradient, kinks, rules, label, axis=axis,
                          extra_singular=cuts, merge=lambda sums: _with_atoms(sums, a, b),
                          symmetry=plane_symmetry((h,), variables))
    if isinstance(found, str):
        return f"{label} (inside the clip): {found}"
    return replace(found, method=f"{found.method}; split at the clip value(s) "
                                 f"{', '.join(str(c) for c in cuts)}, atoms integrated")


def _with_atoms(sums: RadialSums, a, b) -> RadialSums:
    """The label rule of h with the nodes below a and above b merged into one node each
    (weight 1, carrying the atom's total p E[h 1_A])."""
    ys = np.asarray(sums.ys)
    low = float(a) if a.is_finite else -np.inf
    high = float(b) if b.is_finite else np.inf
    inside = (ys > low) & (ys < high)
    rows, nodes = [sums.sums[inside]], [ys[inside]]
    weights = [np.asarray(sums.wy)[inside]]
    for mask, value in ((ys <= low, low), (ys >= high, high)):
        if mask.any():
            atom = np.asarray(sums.wy)[mask] @ sums.sums[mask]
            if atom[0] > 0:
                rows.append(atom[None, :])
                nodes.append(np.array([value]))
                weights.append(np.ones(1))
    return RadialSums(np.concatenate(nodes), np.concatenate(weights), np.concatenate(rows),
                      sums.r, sums.pairs, False, sums.singular_values)


def region_totals(h, region, variables, rules=None, label: str = "h") -> RadialTotals | str:
    """Totals of the label h 1_R (an atom at 0 of mass P(not R)): the radial/slice engine's
    sums of h's level sets restricted to R for the continuous part, and the same sums over
    the complement for the atom (its moments E[(1, z, z z^T - I) 1_{not R}]); the identity
    defects are those of the unrestricted sums. The boundary of R is a switch of the angular
    rules, so the indicator's jump is a breakpoint of every angular piece."""
    from dataclasses import replace

    from .thresholds_radial import _wrap

    variables = tuple(variables)
    g, gradient, kinks, axis = numeric_target(h, variables)
    # the region's function is also the switch of its boundary (first: the signature reads
    # the first six switches)
    inside = _wrap(sympy.lambdify(variables, region, modules=["numpy", "scipy"]))
    found = radial_totals(g, len(variables), gradient, (inside, *kinks), rules, label,
                          axis=axis, extra_singular=(0.0,), merge=_restricted_with_atom,
                          region=inside, symmetry=plane_symmetry((h, region), variables))
    if isinstance(found, str):
        return f"{label} (on the region {region} > 0): {found}"
    return replace(found, method=f"{found.method}; restricted to {region} > 0, the "
                                 f"complement integrated as the atom at 0")


def _restricted_with_atom(sums: RadialSums) -> RadialSums:
    """The label rule of h 1_R: every node with its sums restricted to R, and one node at 0
    (weight 1) carrying the complement's totals."""
    atom = np.asarray(sums.wy) @ (sums.sums - sums.restricted)
    return RadialSums(np.concatenate([sums.ys, [0.0]]), np.concatenate([sums.wy, [1.0]]),
                      np.vstack([sums.restricted, atom[None, :]]), sums.r, sums.pairs, False,
                      sums.singular_values)


def clipped_recovery(expr, variables, rules=None,
                     conditional_mean_zero: bool = False) -> MultiWeakRecovery | None:
    """The first weak-recovery step of a noiseless clipped target phi(h(z)) in 2 or 3
    variables (module docstring), or of a product of clips at 0 times v of either sign
    (:func:`region_form`), or None when expr is of neither form or h is discontinuous."""
    variables = tuple(variables)
    if len(variables) not in (2, 3):
        return None
    form = clip_form(expr)
    region = region_form(expr)
    # relu(u) relu(v): clip_form takes one clip out (the other factor is >= 0) and leaves
    # an atom inside h; the region form takes out both
    if form is None or form[0].has(sympy.Max, sympy.Min) and region is not None:
        if region is None:
            return None
        h, inside = region
        if h.has(*_DISCONTINUOUS) or inside.has(*_DISCONTINUOUS):
            return None
        found = region_totals(h, inside, variables, rules, label=str(h))
        return recovery_from_totals(found, len(variables), variables, conditional_mean_zero)
    h, a, b = form
    if h.has(*_DISCONTINUOUS) or not h.free_symbols:
        return None
    found = clipped_totals(h, variables, a, b, rules, label=str(h))
    return recovery_from_totals(found, len(variables), variables, conditional_mean_zero)


__all__ = ["clip_form", "clipped_recovery", "clipped_totals", "region_form", "region_totals"]

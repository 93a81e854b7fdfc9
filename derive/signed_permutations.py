"""Signed-permutation symmetries of a target and the invariant tensors they allow.

A signed permutation R of r <= 4 coordinates, (R z)_i = s_i z_{p(i)}, is a symmetry of g
with sign eps when g(R z) = eps g(z) identically (proved exactly, as for sign flips:
structurally, by expansion or by simplify, after a numeric probe). The symmetries of g form
a group (2^r r! = 384 elements at most for r = 4) on which eps is a character.

Use in the leap filtrations (THEORY.md §4; Damian, Lee, Bruna 2025, arXiv:2506.05500,
Def. 5). Let S be a learned subspace with an exact basis and H the symmetries that fix S
pointwise (R b = b for every basis vector b). R is orthogonal, so it maps S-perp to itself,
z_S = (R z)_S and z ~ R z; with He_k(R v) = R^{(x)k} He_k(v) (probabilists' Hermite tensors
are rotation covariant) the conditional tensor T_k(z_S) = E[T(y) He_k(z_perp) | z_S]
satisfies

    T_k = eps_R R_P^{(x)k} T_k   for every R in H     (T(y) = y; eps_R = 1 for any T(y)),

so T_k(z_S) lies in the joint fixed space of the eps-twisted action on Sym^k(S-perp). Its
dimension is, by the projection formula for a finite group (Serre, Linear Representations
of Finite Groups, §2.3, Thm 4 applied to the character eps (x) Sym^k),

    dim = (1/|H|) sum_R eps_R [t^k] 1 / det(I - t R_P),

and det(I - t R) = prod over the cycles of R of (1 - s t^L) (cycle length L, s the product
of its signs); R fixes S pointwise, so 1/det(I - t R_P) = (1 - t)^m / det(I - t R),
m = dim S. Everything is integer arithmetic: the dimension is exact. When it is 0, order k
is certified zero; for k = 1 the fixed space itself (exact rational vectors) bounds the span
of the order-1 step.

>>> import sympy
>>> z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)
>>> group = symmetry_group(signed_permutation_symmetries(sympy.Max(z1, z2, z3), (z1, z2, z3)))
>>> len(group), describe(group, (z1, z2, z3))
(6, 'invariance under the permutations of (z1, z2, z3)')
>>> s = ((1, 1, 1),)  # the learned direction (1, 1, 1)/sqrt(3)
>>> [invariant_dimension(stabiliser(group, s), k, 1) for k in (1, 2, 3)]
[0, 1, 1]
>>> fixed_vectors(stabiliser(group, ()), ())
[Matrix([
[1],
[1],
[1]])]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import permutations, product

import numpy as np
import sympy

#: points where a - b is evaluated before any attempt to prove a - b = 0 symbolically
_PROBES = ((0.3, -1.7, 0.9, 2.3), (-1.1, 0.45, -0.6, 1.3), (2.2, 1.05, -1.9, -0.35))


def _same(a, b, variables) -> bool:
    """a == b proved exactly (structurally, by expansion or by simplify); a difference seen
    at a probe point answers False at once."""
    if a == b:
        return True
    difference = a - b
    for probe in _PROBES:
        value = complex(difference.evalf(subs=dict(zip(variables, probe))))
        if abs(value) > 1e-9:
            return False
    if sympy.expand(difference) == 0:
        return True
    try:
        return sympy.simplify(difference) == 0
    except (TypeError, NotImplementedError):
        return False


@dataclass(frozen=True)
class SignedPermutation:
    """(R z)_i = signs[i] * z[image[i]]; g(R z) = sign * g(z) (proved exactly)."""

    image: tuple
    signs: tuple
    sign: int

    @property
    def matrix(self) -> np.ndarray:
        r = len(self.image)
        m = np.zeros((r, r), dtype=int)
        for i, (j, s) in enumerate(zip(self.image, self.signs)):
            m[i, j] = s
        return m

    @property
    def is_identity(self) -> bool:
        return self.image == tuple(range(len(self.image))) and all(s == 1 for s in self.signs)

    def compose(self, other: SignedPermutation) -> SignedPermutation:
        """self o other: z -> self(other(z))."""
        m = self.matrix @ other.matrix
        return _from_matrix(m, self.sign * other.sign)

    def fixes(self, vector) -> bool:
        """R b = b exactly (b with exact entries; a difference that does not expand to 0 counts
        as not fixed, which can only lose a certificate, never make one)."""
        return all(sympy.expand(self.signs[i] * vector[self.image[i]] - vector[i]) == 0
                   for i in range(len(self.image)))

    def cycles(self) -> list[tuple[int, int]]:
        """(length, product of signs) of each cycle of the underlying permutation."""
        seen, out = set(), []
        for start in range(len(self.image)):
            if start in seen:
                continue
            length, sign, i = 0, 1, start
            while i not in seen:
                seen.add(i)
                sign *= self.signs[i]
                i = self.image[i]
                length += 1
            out.append((length, sign))
        return out


def _from_matrix(m: np.ndarray, sign: int) -> SignedPermutation:
    image = tuple(int(np.flatnonzero(row)[0]) for row in m)
    signs = tuple(int(m[i, j]) for i, j in enumerate(image))
    return SignedPermutation(image, signs, sign)


def signed_permutation_symmetries(expr, variables) -> tuple[SignedPermutation, ...]:
    """Every non-identity signed permutation R with g(R z) = +-g(z), each proved exactly.

    Candidates are screened numerically at three probe points (a mismatch rejects at once)
    and then proved as in the sign-flip search.

    >>> z1, z2 = sympy.symbols("z1 z2", real=True)
    >>> found = signed_permutation_symmetries(z1 * z2, (z1, z2))
    >>> len(found)  # every one of the 8 signed permutations of 2 coordinates but the identity
    7
    >>> [(s.image, s.signs, s.sign) for s in found if s.image == (1, 0)]
    [((1, 0), (1, 1), 1), ((1, 0), (1, -1), -1), ((1, 0), (-1, 1), -1), ((1, 0), (-1, -1), 1)]
    """
    r = len(variables)
    probes = [p[:r] for p in _PROBES]
    try:
        f = sympy.lambdify(variables, expr, "numpy")
        base = [complex(f(*p)) for p in probes]
    except Exception:  # noqa: BLE001 - the probe is only a shortcut
        f, base = None, None
    out = []
    for image in permutations(range(r)):
        for signs in product((1, -1), repeat=r):
            candidate = SignedPermutation(image, signs, 1)
            if candidate.is_identity:
                continue
            moved = [[signs[i] * p[image[i]] for i in range(r)] for p in probes]
            for sign in (1, -1):
                if f is not None:
                    try:
                        values = [complex(f(*q)) for q in moved]
                    except Exception:  # noqa: BLE001
                        values = None
                    if values is not None and any(
                            abs(v - sign * b) > 1e-9 * (1 + abs(b))
                            for v, b in zip(values, base)):
                        continue
                image_expr = expr.xreplace(
                    {variables[i]: signs[i] * variables[image[i]] for i in range(r)})
                if _same(image_expr, sign * expr, variables):
                    out.append(SignedPermutation(image, signs, sign))
                    break
    return tuple(out)


def symmetry_group(symmetries) -> tuple[SignedPermutation, ...]:
    """The group generated by proved symmetries (products of proved symmetries are proved),
    identity first. A product reached with both signs would mean g = 0; that element is
    dropped."""
    if not symmetries:
        return ()
    r = len(symmetries[0].image)
    identity = SignedPermutation(tuple(range(r)), (1,) * r, 1)
    elements = {(identity.image, identity.signs): identity}
    frontier = [identity]
    conflicts = set()
    while frontier:
        new = []
        for a in frontier:
            for b in symmetries:
                c = a.compose(b)
                key = (c.image, c.signs)
                if key in elements:
                    if elements[key].sign != c.sign:
                        conflicts.add(key)
                    continue
                elements[key] = c
                new.append(c)
        frontier = new
    return tuple(e for k, e in elements.items() if k not in conflicts)


def stabiliser(group, basis, label_preserving: bool = False) -> tuple[SignedPermutation, ...]:
    """The elements fixing every vector of ``basis`` (exact vectors) pointwise; with
    ``label_preserving`` only those with eps = +1 (y unchanged)."""
    return tuple(g for g in group if all(g.fixes(b) for b in basis)
                 and (g.sign == 1 or not label_preserving))


def _series_coefficient(element: SignedPermutation, k: int, learned: int) -> int:
    """[t^k] (1 - t)^learned / det(I - t R), integers only."""
    series = [1] + [0] * k
    for length, sign in element.cycles():  # times 1 / (1 - sign t^length)
        for n in range(length, k + 1):
            series[n] += sign * series[n - length]
    for _ in range(learned):  # times (1 - t)
        series = [series[0]] + [series[n] - series[n - 1] for n in range(1, k + 1)]
    return series[k]


def invariant_dimension(group, k: int, learned: int) -> int:
    """dim of {T in Sym^k(S-perp): T = eps_R R^{(x)k} T for all R in group}, exactly, for a
    group fixing the learned subspace S (dimension ``learned``) pointwise. An empty group
    stands for the identity alone."""
    if not group:
        raise ValueError("invariant_dimension needs the group (at least the identity)")
    total = sum(Fraction(g.sign * _series_coefficient(g, k, learned)) for g in group)
    value = total / len(group)
    if value.denominator != 1 or value < 0:  # not a group with a character: no certificate
        raise ValueError(f"not a group: the projection formula gives {value}")
    return int(value)


def fixed_vectors(group, basis) -> list[sympy.Matrix]:
    """An exact basis of {v in S-perp: eps_R R v = v for all R in group}."""
    r = len(group[0].image)
    rows = [sympy.Matrix([list(b)]) for b in basis]
    for g in group:
        rows.append(sympy.Matrix(g.sign * g.matrix) - sympy.eye(r))
    return sympy.Matrix.vstack(*rows).nullspace()


def describe(group, variables) -> str:
    """The symmetry in words, for certificates."""
    elements = [g for g in group if not g.is_identity]
    if not elements:
        return "no symmetry"
    names = [str(v) for v in variables]
    moved = sorted({i for g in elements for i in range(len(g.image)) if g.image[i] != i
                    or g.signs[i] != 1})
    unsigned = all(g.sign == 1 and all(s == 1 for s in g.signs) for g in elements)
    if unsigned and len(group) == math.factorial(len(moved)) and \
            all({g.image[i] for i in moved} <= set(moved) for g in elements):
        return f"invariance under the permutations of ({', '.join(names[i] for i in moved)})"
    shown = []
    for g in elements[:3]:
        image = ", ".join(("-" if s < 0 else "") + names[j] for j, s in zip(g.image, g.signs))
        shown.append(f"g({image}) = {'' if g.sign == 1 else '-'}g({', '.join(names)})")
    more = f", ... ({len(group)} elements)" if len(elements) > 3 else ""
    return "the signed-permutation symmetries " + "; ".join(shown) + more

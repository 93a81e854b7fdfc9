"""Signed-permutation symmetries as zero certificates and exact spans (derive.signed_permutations,
derive.numeric_leap).

Sources of the reference values:

- Molien's formula / the projection formula for a finite group (Serre, Linear
  Representations of Finite Groups, §2.3 Thm 4): dim of the invariants of G in Sym^k(V) is
  (1/|G|) sum_g [t^k] 1/det(I - t g); checked here against a brute-force numeric average of
  eps_g g^{(x)k} over the symmetrised tensor power;
- Chevalley's theorem for reflection groups (Humphreys, Reflection Groups and Coxeter Groups,
  §3.5-3.9): the invariants of S3 on the plane x1 + x2 + x3 = 0 are a polynomial ring with
  generators of degrees 2 and 3, so dim Sym^k(V)^G = #{(a, b): 2a + 3b = k}; the
  hyperoctahedral group B2 (all signed permutations of 2 coordinates) has generators of
  degrees 2 and 4;
- Stein's identity (Stein 1981, Lemma 1): E[g z_i] = E[d g / d z_i].

Hand derivations (THEORY.md §4 for the filtrations; Damian, Lee, Bruna 2025,
arXiv:2506.05500, Def. 5):

- max(z1, z2) = (u + |v|)/sqrt(2), u = (z1 + z2)/sqrt(2), v = (z1 - z2)/sqrt(2). By Stein
  C_1 = (P(z1 > z2), P(z2 > z1)) = (1/2, 1/2): the first step is along (1, 1)/sqrt(2); the swap
  (z1, z2) -> (z2, z1) leaves g unchanged and (1, 1) fixed, so C_1 lies in its fixed line
  exactly. Given u, the swap acts on v as -1 (y unchanged): every odd order in v is 0, in
  particular order 1 for every T(y). Order 2: E[g He_2(v) | u] = E[|v| (v^2 - 1)]/sqrt(2) =
  (2 sqrt(2/pi) - sqrt(2/pi))/sqrt(2) = 1/sqrt(pi) != 0, and He_2(v) = (He_2(z1) +
  He_2(z2))/2 - z1 z2 gives E[g He_2(v)] = c_(2,0) + c_(0,2) - c_(1,1). So l = l* = 2, steps
  (1, (1, 1)/sqrt(2)), (2, (-1, 1)/sqrt(2)).
- max(z1, z2, z3): C_1 = (1/3, 1/3, 1/3) (Stein: each coordinate is the largest with
  probability 1/3), so the first step is (1, 1, 1)/sqrt(3), exact because S3 fixes only that
  line. Given z_S, S3 (all label preserving) acts on the plane perpendicular to (1, 1, 1) as
  its standard representation: no fixed vector, order 1 is 0; the invariant quadratic form
  is I_perp (one-dimensional invariant space), so order 2 is resolved with rank 2: l = l* = 2,
  steps (1, dim 1), (2, dim 2), the second the exact complement.
- tanh(z1) - tanh(z2): the swap changes the sign (eps = -1), the swap with both signs
  changed (z1, z2) -> (-z2, -z1) does not. Only the latter is label preserving.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy

import derive
from derive.cubature import hermite_table
from derive.numeric_leap import filtrations, flip_symmetries, flips_from
from derive.signed_permutations import (
    SignedPermutation,
    describe,
    fixed_vectors,
    invariant_dimension,
    signed_permutation_symmetries,
    stabiliser,
    symmetry_group,
)

z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)


def _all_signed_permutations(r):
    return tuple(SignedPermutation(image, signs, 1)
                 for image in itertools.permutations(range(r))
                 for signs in itertools.product((1, -1), repeat=r))


def _brute_force_dimension(group, k):
    """trace of (1/|G|) sum eps_g g^{(x)k} composed with the symmetriser on (R^r)^{(x)k}."""
    r = len(group[0].image)
    n = r**k
    average = np.zeros((n, n))
    for g in group:
        m = g.matrix.astype(float)
        power = np.ones((1, 1))
        for _ in range(k):
            power = np.kron(power, m)
        average += g.sign * power
    average /= len(group)
    symmetriser = np.zeros((n, n))
    for sigma in itertools.permutations(range(k)):
        for index in itertools.product(range(r), repeat=k):
            source = np.ravel_multi_index(index, (r,) * k)
            target = np.ravel_multi_index(tuple(index[s] for s in sigma), (r,) * k)
            symmetriser[target, source] += 1 / math.factorial(k)
    return round(float(np.trace(average @ symmetriser)))


def test_projection_formula_against_brute_force():
    b3 = _all_signed_permutations(3)
    twisted = tuple(SignedPermutation(g.image, g.signs, round(np.linalg.det(g.matrix)))
                    for g in b3)  # eps = det, a character of B3
    s3 = tuple(g for g in b3 if all(s == 1 for s in g.signs))
    for group in (b3, twisted, s3):
        for k in (1, 2, 3):
            assert invariant_dimension(group, k, 0) == _brute_force_dimension(group, k)


def test_chevalley_degrees():
    s3 = symmetry_group(signed_permutation_symmetries(sympy.Max(z1, z2, z3), (z1, z2, z3)))
    assert len(s3) == 6
    line = stabiliser(s3, ((1, 1, 1),))
    assert len(line) == 6  # every permutation fixes (1, 1, 1)
    # S3 on the plane: invariants of degrees 2 and 3 -> #{2a + 3b = k}
    assert [invariant_dimension(line, k, 1) for k in range(1, 7)] == [0, 1, 1, 1, 1, 2]
    b2 = symmetry_group(signed_permutation_symmetries(z1**2 * z2**2 + z1**4 + z2**4 + 1,
                                                      (z1, z2)))
    assert len(b2) == 8 and all(g.sign == 1 for g in b2)
    # B2 on R^2: invariants of degrees 2 and 4 -> #{2a + 4b = k}
    assert [invariant_dimension(b2, k, 0) for k in range(1, 7)] == [0, 1, 0, 2, 0, 2]


def test_label_preserving_stabiliser_and_fixed_vectors():
    g = sympy.tanh(z1) - sympy.tanh(z2)
    group = symmetry_group(signed_permutation_symmetries(g, (z1, z2)))
    assert {(e.image, e.signs, e.sign) for e in group} == {
        ((0, 1), (1, 1), 1), ((1, 0), (1, 1), -1), ((0, 1), (-1, -1), -1),
        ((1, 0), (-1, -1), 1)}
    preserving = stabiliser(group, (), label_preserving=True)
    assert {(e.image, e.signs) for e in preserving} == {((0, 1), (1, 1)), ((1, 0), (-1, -1))}
    # C_1 = (E tanh'(z), -E tanh'(z)) (Stein) lies in the twisted fixed line (1, -1)
    assert [list(v) for v in fixed_vectors(group, ())] == [[-1, 1]]
    assert "g(-z2, -z1) = g(z1, z2)" in describe(group, (z1, z2))


def _projector(basis):
    m = sympy.Matrix([list(v) for v in basis]).T
    return sympy.simplify(m * m.T)


def test_maximum_of_three():
    m = derive.analyze("max(z1, z2, z3)").multi_index
    assert m.method.startswith("nested quadrature")
    third = sympy.ones(3, 3) / 3
    for f in (m.information, m.generative):
        assert f.leap == 2 and [(s.order, s.dimension_added) for s in f.steps] == [(1, 1), (2, 2)]
        assert f.steps[0].basis == ((sympy.sqrt(3) / 3,) * 3,)
        assert _projector(f.steps[1].basis) == sympy.eye(3) - third
        assert "order 1 vanishes by invariance under the permutations of (z1, z2, z3)" \
            in f.steps[1].certificate.reason
    assert m.one_step[0].dimension_learned == 1
    assert m.one_step[0].basis == ((sympy.sqrt(3) / 3,) * 3,)


def test_maximum_of_two():
    g = sympy.Max(z1, z2)
    t = hermite_table(g, (z1, z2), 4)
    assert abs(t.values[(1, 0)] - 0.5) <= t.errors[(1, 0)] + 1e-12  # Stein
    second = t.values[(2, 0)] + t.values[(0, 2)] - t.values[(1, 1)]  # E[g He_2(v)]
    assert abs(second - 1 / math.sqrt(math.pi)) < 1e-8
    symmetries = signed_permutation_symmetries(g, (z1, z2))
    root = sympy.sqrt(2) / 2
    for f in filtrations(t, flip_symmetries(g, (z1, z2)), symmetries):
        assert f.leap == 2
        assert [(s.order, s.basis) for s in f.steps] == [(1, ((root, root),)),
                                                         (2, ((-root, root),))]
    # without the permutation the filtration stops after its first (numeric) step
    info, gen = filtrations(t, flip_symmetries(g, (z1, z2)))
    assert info.leap is None and gen.leap is None


@pytest.mark.parametrize("expr", [sympy.Max(z1, z2**2), sympy.tanh(z1) * sympy.tanh(z1 + z2),
                                  sympy.sign(z1) * sympy.Max(z2 - z1, 0),
                                  z1 / (1 + z1**2 + z2**2)])
def test_existing_examples_unchanged(expr):
    # the signed permutations add nothing where sign flips already decide (or no symmetry
    # exists): the filtrations equal those computed with the flips alone
    variables = (z1, z2)
    t = hermite_table(expr, variables, 4)
    flips = flip_symmetries(expr, variables)
    symmetries = signed_permutation_symmetries(expr, variables)
    for with_perm, alone in zip(filtrations(t, flips, symmetries), filtrations(t, flips)):
        assert [(s.order, s.basis) for s in with_perm.steps] == \
            [(s.order, s.basis) for s in alone.steps]
        assert with_perm.leap == alone.leap


def test_flips_are_the_diagonal_symmetries():
    # a coordinate sign flip is a signed permutation with the identity permutation, so the
    # flips read off the signed-permutation search equal the direct flip search
    z = sympy.symbols("z1 z2 z3", real=True)
    for g in (sympy.Max(z[0], z[1]**2), z[0] / (1 + z[0]**2 + z[1]**2),
              sympy.tanh(z[0]) * sympy.tanh(z[0] + z[1]), z[0] * z[1] * z[2]):
        variables = tuple(v for v in z if v in g.free_symbols)
        assert flips_from(signed_permutation_symmetries(g, variables)) == \
            flip_symmetries(g, variables)

"""Multi-index targets: Hermite tensors and filtrations (THEORY.md §4, public values)."""

from __future__ import annotations

import json

import pytest
import sympy

from derive import analyze, parse_target
from derive.leap import (
    coordinate_leap,
    generative_filtration,
    index_subspace,
    information_filtration,
    linear_batch_giant_steps,
    one_giant_step,
)
from derive.tensors import hermite_coefficients, wick_moment


def filtrations(text):
    t = parse_target(text)
    return t, information_filtration(t.expression, t.variables), generative_filtration(
        t.expression, t.variables)


def basis_of(step):
    return [list(v) for v in step.basis]


def test_staircase_three_order_one_steps():
    """z1 + z1 z2 + z1 z2 z3: information leap 1 in three order-1 steps (Abbe et al. 2022/2023)."""
    t, info, gen = filtrations("z1 + z1*z2 + z1*z2*z3")
    assert info.leap == 1
    assert [s.order for s in info.steps] == [1, 1, 1]
    assert [basis_of(s) for s in info.steps] == [[[1, 0, 0]], [[0, 1, 0]], [[0, 0, 1]]]
    assert coordinate_leap(t.expression, t.variables).value == 1


@pytest.mark.parametrize(
    "text, information, generative",
    [
        ("z1*z2*z3", 3, 2),  # THEORY.md §4 (Damian, Lee, Bruna 2025)
        ("z1*z2", 2, 2),
        ("z1 + z2*z3", 2, 2),
        ("z1**2*z2", 2, 2),
    ],
)
def test_public_leaps(text, information, generative):
    _, info, gen = filtrations(text)
    assert info.leap == information
    assert gen.leap == generative
    assert gen.leap <= info.leap  # generative leap <= information leap (DLB 2025)


def test_giant_steps_public_values():
    """Dandi et al. JMLR 2024: z1 + z1 z2 learns e1 then e2 with linear batches;
    z1 + z2 z3: one step with n = O(d) learns e1 only, n = O(d^2) learns all three."""
    t = parse_target("z1 + z1*z2")
    steps = linear_batch_giant_steps(t.expression, t.variables).steps
    assert [basis_of(s) for s in steps] == [[[1, 0]], [[0, 1]]]
    t = parse_target("z1 + z2*z3")
    one = one_giant_step(t.expression, t.variables)
    assert [(s.batch_exponent, s.dimension_learned) for s in one] == [(1, 1), (2, 3)]
    assert [list(v) for v in one[0].basis] == [[1, 0, 0]]
    multi = linear_batch_giant_steps(t.expression, t.variables)
    assert multi.learned_dimension == 1 and not multi.complete


def test_direction_first_at_order_l_needs_batch_d_to_the_l():
    """z1 z2 z3 has C_1 = C_2 = 0 and C_3 != 0: nothing below n = d^3 (Dandi et al. 2024)."""
    t = parse_target("z1*z2*z3")
    one = one_giant_step(t.expression, t.variables)
    assert [(s.batch_exponent, s.dimension_learned) for s in one] == [(1, 0), (2, 0), (3, 3)]


def test_effective_dimension():
    t = parse_target("z1 + z2")
    assert len(index_subspace(t.expression, t.variables)) == 1
    a = analyze("z1 + z2")
    assert a.multi_index.effective_dimension == 1
    half = sympy.sqrt(2) / 2
    assert [list(v) for v in a.multi_index.effective_basis] == [[half, half]]
    # a variable the target does not use
    assert analyze("z1*z3").multi_index.effective_dimension == 2


# rational rotations (Pythagorean triples) keep everything exact
Q2 = sympy.Matrix([[3, -4], [4, 3]]) / 5
Q3 = sympy.Matrix([[2, -2, 1], [1, 2, 2], [2, 1, -2]]) / 3


@pytest.mark.parametrize("text", ["z1*z2", "z1 + z1*z2", "z1**2*z2", "z1 + z2**2"])
def test_rotation_invariance_two_directions(text):
    _rotation_check(text, Q2)


@pytest.mark.parametrize("text", ["z1 + z1*z2 + z1*z2*z3", "z1*z2*z3", "z1 + z2*z3"])
def test_rotation_invariance_three_directions(text):
    _rotation_check(text, Q3)


def _same_span(Q, a_vectors, b_vectors):
    span_a = sympy.Matrix.hstack(*[Q * sympy.Matrix(v) for v in a_vectors])
    span_b = sympy.Matrix.hstack(*[sympy.Matrix(v) for v in b_vectors])
    return span_a.rank() == span_b.rank() == sympy.Matrix.hstack(span_a, span_b).rank()


def _rotation_check(text, Q):
    """g(Q^T z): the same orders, every learned subspace rotated by Q.

    The information filtration and the giant steps are computed from Hermite tensors, which
    rotate exactly. The generative filtration proves its zeros with sign symmetries of the
    coordinates it works in (and with -I, which every basis has); a rotated target whose
    symmetries are not sign flips in any such basis may be reported undetermined, never
    given a different value.
    """
    assert Q * Q.T == sympy.eye(Q.shape[0])
    t = parse_target(text)
    z = sympy.Matrix(t.variables)
    rotated = sympy.expand(t.expression.xreplace(dict(zip(t.variables, Q.T * z))))
    for build in (information_filtration, linear_batch_giant_steps):
        original = build(t.expression, t.variables)
        turned = build(rotated, t.variables)
        assert [s.order for s in turned.steps] == [s.order for s in original.steps]
        for a, b in zip(original.steps, turned.steps):
            assert _same_span(Q, a.basis, b.basis)
    for a, b in zip(one_giant_step(t.expression, t.variables), one_giant_step(rotated, t.variables)):
        assert a.dimension_learned == b.dimension_learned
        if a.basis:
            assert _same_span(Q, a.basis, b.basis)
    original = generative_filtration(t.expression, t.variables)
    turned = generative_filtration(rotated, t.variables)
    if turned.undetermined is None:
        assert [s.order for s in turned.steps] == [s.order for s in original.steps]
        assert turned.leap == original.leap
    else:
        assert turned.leap is None
    return original, turned


def test_rotation_keeps_generative_leap_when_symmetry_is_basis_free():
    """z1 z2 and z1 + z2 z3 are even in z_perp (the -I symmetry is basis-free)."""
    for text, Q in (("z1*z2", Q2), ("z1 + z2*z3", Q3), ("z1**2*z2", Q2)):
        original, turned = _rotation_check(text, Q)
        assert turned.leap == original.leap is not None


def test_hermite_coefficients_match_stein():
    """c_alpha = E[d^alpha g] / alpha!: for z1^2 z2^2, c_(2,2) = 1, c_(2,0) = c_(0,2) = 1, c_0 = 1."""
    z1, z2 = sympy.symbols("z1 z2", real=True)
    c = hermite_coefficients(z1**2 * z2**2, (z1, z2), 4)
    assert c == {(0, 0): 1, (2, 0): 1, (0, 2): 1, (2, 2): 1}
    # He_2(z1) He_3(z2) is a single Hermite term
    c = hermite_coefficients(sympy.expand((z1**2 - 1) * (z2**3 - 3 * z2)), (z1, z2), 5)
    assert c == {(2, 3): 1}


def test_wick_moments():
    """Isserlis: E[b1^2 b2^2] = s11 s22 + 2 s12^2; E[b^4] = 3 s^2."""
    s = sympy.Matrix([[2, sympy.Rational(1, 3)], [sympy.Rational(1, 3), 5]])
    assert wick_moment((2, 2), s) == 2 * 5 + 2 * sympy.Rational(1, 9)
    assert wick_moment((4, 0), s) == 12
    assert wick_moment((3, 0), s) == 0


def test_single_index_leaps_equal_exponents():
    for text, ie, ge in [("He3(z)", 3, 1), ("abs(z)", 2, 2), ("relu(z)", 1, 1)]:
        data = analyze(text).to_dict()
        assert data["information_leap"]["value"] == ie
        assert data["generative_leap"]["value"] == ge
        assert data["information_leap"]["steps"][0]["dimension_added"] == 1
    # the polynomial multi-index machinery on r = 1 agrees with the exponents
    for text, ie, ge in [("He3(z1)", 3, 1), ("He4(z1)", 4, 2), ("z1**2", 2, 2)]:
        _, info, gen = filtrations(text)
        assert (info.leap, gen.leap) == (ie, ge)


def test_analyze_json_fields_for_multi_index(cli):
    result = cli("analyze", "z1*z2*z3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["target"]["index_dimension"] == 3
    assert data["information_leap"]["value"] == 3
    assert data["generative_leap"]["value"] == 2
    step = data["information_leap"]["steps"][0]
    assert step["order"] == 3 and step["dimension_added"] == 3
    assert sorted(step["basis"]) == [["0", "0", "1"], ["0", "1", "0"], ["1", "0", "0"]]
    one = data["giant_step"]["one_step"]
    assert [s["dimension_learned"] for s in one] == [0, 0, 3]
    assert data["giant_step"]["multi_step_linear_batch"] == []
    assert data["information_exponent"]["value"] == 3
    assert data["hermite"]["coefficients"][0]["multi_index"] == [1, 1, 1]


def test_analyze_table_for_staircase(cli):
    result = cli("analyze", "staircase3")
    assert result.returncode == 0, result.stderr
    assert "information leap: 1" in result.stdout
    assert "step 3: order 1" in result.stdout


def test_unused_coordinates_are_embedded():
    """z1 z16 lives in r = 16 but uses two coordinates: the analysis runs on those two and
    reports directions in R^16 (regression: it used to enumerate 16-dimensional tensors)."""
    m = analyze("z16*z1").multi_index
    assert m.information.leap == 2 and m.effective_dimension == 2
    basis = sorted(tuple(v) for v in m.information.steps[0].basis)
    assert basis == sorted([tuple(int(i == 0) for i in range(16)), tuple(int(i == 15) for i in range(16))])
    assert set(m.coefficients) == {tuple(int(i in (0, 15)) for i in range(16))}


@pytest.mark.parametrize("text", ["z1*z2*z3", "z1*z2*z3 + z3", "z1*z2"])
def test_rotated_products_keep_their_certified_generative_leap(text):
    """In a rotated basis z1 z2 z3 loses its coordinate sign flips; the analysis recovers them
    from the target's orthogonal linear factors (rational here) and certifies the same
    generative filtration, rotated (Damian, Lee, Bruna 2025: z1 z2 z3 has generative leap 2)."""
    Q = Q3 if "z3" in text else Q2
    t = parse_target(text)
    z = sympy.Matrix(t.variables)
    rotated = sympy.expand(t.expression.xreplace(dict(zip(t.variables, Q.T * z))))
    original = analyze(text).multi_index.generative
    turned = analyze(str(rotated)).multi_index.generative
    assert turned.undetermined is None
    assert turned.leap == original.leap is not None
    assert [s.order for s in turned.steps] == [s.order for s in original.steps]
    for a, b in zip(original.steps, turned.steps):
        assert _same_span(Q, a.basis, b.basis)


def test_generative_leap_needs_the_cube_of_the_label():
    # y = He3(z1) He2(z2) + z3 z4 z5 + z6 (degree 5, r = 6). No test function y, y^2 sees z1:
    # E[z1 y] = E[z1 He3] E[He2] = 0 and E[z1 y^2] = 0 (odd in z1 or in z3), but by Isserlis
    # E[z1 y^3] = E[z1 He3(z1)^3] E[He2(z2)^3] = 324 * 8 = 2592 != 0
    # (E[z He3^3] = 945 - 9*105 + 27*15 - 27*3 = 324, E[(z^2 - 1)^3] = 8), so z1 and z6 come
    # at order 1. z2 (even, and its flip keeps y) and z3, z4, z5 (pair flips keep y) have every
    # order-1 moment zero, and come at order 2: generative leap 2 (Damian, Lee, Bruna 2025,
    # arXiv:2506.05500, Def. 5). The test functions must reach y^3 for this (degree 15).
    m = analyze("He3(z1)*He2(z2) + z3*z4*z5 + z6").multi_index
    assert m.generative.leap == 2
    first, second = m.generative.steps
    assert first.order == 1 and {tuple(v) for v in first.basis} == {
        (1, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 1)}
    assert second.order == 2 and second.dimension_added == 4

"""Non-polynomial multi-index targets that factor over coordinates (THEORY.md §4)."""

from __future__ import annotations

import math

import pytest
import sympy

from derive import DeriveError, analyze, parse_target
from derive.separable import (
    generative_filtration_separable,
    hermite_coefficients_separable,
    information_filtration_separable,
    rotate_to_separable,
    separate,
)


def form(text):
    t = parse_target(text)
    return separate(t.expression, t.variables)


@pytest.mark.parametrize(
    "text, information, generative",
    [
        # Gaussian parity sign(z1...zr): generative leap = information leap = r (DLB 2025)
        ("sign(z1*z2)", 2, 2),
        ("sign(z1*z2*z3)", 3, 3),
        ("sign(z1*z2*z3*z4)", 4, 4),
        ("sign(z1*z2) + sign(z3)", 2, 2),
    ],
)
def test_parities(text, information, generative):
    f = form(text)
    assert information_filtration_separable(f).leap == information
    assert generative_filtration_separable(f).leap == generative


def test_hermite_coefficients_factorise():
    """c_(1,1)(sign(z1 z2)) = c_1(sign)^2 = 2/pi (THEORY.md §1: c_1 = sqrt(2/pi))."""
    c = hermite_coefficients_separable(form("sign(z1*z2)"), 4)
    assert sympy.simplify(c[(1, 1)].exact - 2 / sympy.pi) == 0
    # c_(3,1) = c_3 c_1 = -(2/pi)/6
    assert sympy.simplify(c[(3, 1)].exact + sympy.Rational(1, 6) * 2 / sympy.pi) == 0
    assert (2, 0) not in c and (1, 0) not in c


def test_mixed_factor_numeric_coefficients():
    """relu(z1) z2 + tanh(z3): C_1 = (0, E[relu], c_1(tanh)) (Stein)."""
    a = analyze("relu(z1)*z2 + tanh(z3)")
    rows = {tuple(r["multi_index"]): r for r in a.to_dict()["hermite"]["coefficients"]}
    assert rows[(0, 1, 0)]["value"] == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-15)
    assert rows[(0, 0, 1)]["value"] == pytest.approx(0.6057055096021589, abs=1e-12)
    assert rows[(0, 0, 1)]["certificate"].startswith("numeric")
    step = a.multi_index.information.steps[0]
    v = [float(x) for x in step.basis[0]]
    norm = math.hypot(1 / math.sqrt(2 * math.pi), 0.6057055096021589)
    assert v == pytest.approx([0, 1 / math.sqrt(2 * math.pi) / norm, 0.6057055096021589 / norm],
                              abs=1e-12)
    # the rotated direction stops the exact filtration; with r <= 3 the nested quadrature
    # (derive.cubature) continues it: given z_S = <v, z>, E[y z1 | z_S] = E[relu(z1) z1]
    # E[z2 | z_S] = v_2 z_S / 2 != 0, so the rest comes at order 1 (certified by resolved
    # numbers, order 1 needing no zero)
    information = a.multi_index.information
    assert information.steps[0].certificate.kind == "numeric"
    assert [(s.order, s.dimension_added) for s in information.steps] == [(1, 1), (1, 2)]
    assert information.steps[1].certificate.kind == "quadrature"
    assert information.leap == 1


def test_cli_analyze_sign_product(cli):
    result = cli("analyze", "sign(z1*z2)", "--json")
    assert result.returncode == 0, result.stderr
    import json

    data = json.loads(result.stdout)
    assert data["information_leap"]["value"] == 2
    assert data["generative_leap"]["value"] == 2
    assert [s["dimension_learned"] for s in data["giant_step"]["one_step"]] == [0, 2]


def test_non_separable_is_refused_clearly():
    with pytest.raises(DeriveError, match="mixes coordinates"):
        analyze("max(z1, z2**2, z3, z4, z5)")


def test_separation():
    f = form("sign(z1*z2)*z3 + tanh(z1)")
    assert f is not None and len(f.terms) == 2
    assert form("max(z1, z2)") is None


def test_rotation_to_separable_form():
    """sign(z1+z2) sign(z1-z2) is the parity sign(w1 w2) in w = Q^T z (Q a rotation by pi/4):
    leaps 2 and 2 with the diagonal directions (THEORY.md §4, Gaussian parity)."""
    a = analyze("sign(z1+z2)*sign(z1-z2)")
    m = a.multi_index
    assert m.information.leap == 2 and m.generative.leap == 2
    half = sympy.sqrt(2) / 2
    assert sorted(map(tuple, m.information.steps[0].basis)) == sorted([(half, half), (half, -half)])
    assert m.coordinate.value is None  # the coordinate leap belongs to the given basis


def test_single_index_in_disguise():
    """relu(z1 + z2) = relu(sqrt(2) w1): effective dimension 1, leaps = IE = GE of relu = 1."""
    m = analyze("relu(z1+z2)").multi_index
    half = sympy.sqrt(2) / 2
    assert m.effective_dimension == 1
    assert [tuple(v) for v in m.effective_basis] == [(half, half)]
    assert m.information.leap == 1 and m.generative.leap == 1
    # tanh: no discrete label, yet one direction: the single-index engine decides GE
    assert analyze("tanh(z1 - z2)").multi_index.generative.leap == 1


def test_non_orthogonal_forms_are_not_separable():
    # relu(z1) + relu(z1 + z2) is no product form in any orthogonal basis (derive.ridge
    # analyses it as a sum of ridge functions); with more than four coordinates a product of
    # such units is refused (r <= 4 gets the Monte Carlo last resort)
    t = parse_target("relu(z1) + relu(z1 + z2)")
    assert form("relu(z1) + relu(z1 + z2)") is None
    assert rotate_to_separable(t.expression, t.variables) is None
    with pytest.raises(DeriveError, match="mixes coordinates"):
        analyze("relu(z1)*relu(z1 + z2)*z3*z4*z5")


def test_rotated_gaussian_parity_keeps_its_leaps():
    """sign(<q1,z><q2,z><q3,z>) for an exactly rational rotation: sign of a product is the
    product of signs, the three linear forms give the rotation back, and the leaps are those
    of sign(z1 z2 z3) (generative leap 3, THEORY.md §4)."""
    Q = sympy.Matrix([[2, -2, 1], [1, 2, 2], [2, 1, -2]]) / 3
    z = sympy.Matrix(sympy.symbols("z1 z2 z3", real=True))
    u = Q.T * z
    m = analyze(f"sign(({u[0]})*({u[1]})*({u[2]}))").multi_index
    assert m.information.leap == 3 and m.generative.leap == 3
    span = sympy.Matrix.hstack(*[sympy.Matrix(v) for v in m.generative.steps[0].basis])
    assert span.rank() == 3

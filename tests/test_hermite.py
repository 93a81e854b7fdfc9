"""Hermite expansions: published closed forms, identities (Parseval, kernels), paths agree."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derive import DeriveError, hermite_expansion, parse_target
from derive.errors import NotSquareIntegrableError, OrderTooLargeError
from derive.target import Z

pi = sympy.pi


def expansion(text, order=12, **kw):
    return hermite_expansion(parse_target(text), order, **kw)


# THEORY.md §1 (public values; sign and ReLU e.g. in Ben Arous et al. 2021, Damian et al. 2024)
@pytest.mark.parametrize(
    "text, order, expected",
    [
        ("sign(z)", 1, sympy.sqrt(2 / pi)),
        ("sign(z)", 3, -sympy.sqrt(2 / pi) / 6),
        ("relu(z)", 0, 1 / sympy.sqrt(2 * pi)),
        ("relu(z)", 1, sympy.Rational(1, 2)),
        ("relu(z)", 2, 1 / (2 * sympy.sqrt(2 * pi))),
        ("relu(z)", 3, 0),
        ("abs(z)", 0, sympy.sqrt(2 / pi)),
        ("abs(z)", 2, 1 / sympy.sqrt(2 * pi)),
        # Stein: E[erf(z) z] = E[erf'(z)] = (2/sqrt(pi)) E[exp(-z^2)] = 2/sqrt(3 pi)
        ("erf(z)", 1, 2 / sympy.sqrt(3 * pi)),
        # He_k is its own expansion
        ("He3(z)", 3, 1),
        ("He2(z) + 2*He5(z)", 5, 2),
    ],
)
def test_published_closed_forms(text, order, expected):
    c = expansion(text).coefficient(order)
    assert c.exact is not None
    assert sympy.simplify(c.exact - expected) == 0


@pytest.mark.parametrize("k", range(1, 13))
def test_hermite_polynomial_is_a_unit_vector(k):
    e = expansion(f"He{k}(z)", 12)
    assert [int(c.exact) for c in e.coefficients] == [int(j == k) for j in range(13)]
    # Parseval: E[He_k^2] = k!
    assert e.norm_squared_exact == math.factorial(k)


@pytest.mark.parametrize(
    "text, norm",
    [("relu(z)", sympy.Rational(1, 2)), ("sign(z)", 1), ("abs(z)", 1), ("z**3", 15),
     ("z**2*exp(-z**2)", 3 * sympy.sqrt(5) / 125)],
)
def test_parseval(text, norm):
    """E[sigma^2] = sum_k k! c_k^2 (Parseval); the tail beyond K is non-negative and shrinks."""
    e20 = expansion(text, 20)
    assert sympy.simplify(e20.norm_squared_exact - norm) == 0
    e40 = expansion(text, 40)
    r20, r40 = e20.parseval_residual, e40.parseval_residual
    assert r20 >= -1e-25 and r40 >= -1e-25
    assert r40 <= r20 + 1e-25
    if text == "z**3":
        assert e20.parseval_residual_exact == 0


def test_parseval_numeric_path():
    e = expansion("tanh(z)", 40)
    assert e.norm_squared_exact is None
    assert 0 <= e.parseval_residual < 1e-6
    assert e.norm_squared_error < 1e-25


@pytest.mark.parametrize("m", [-0.7, 0.3, 0.8])
def test_sign_kernel_is_arcsine_law(m):
    """E[sign(z) sign(z')] = (2/pi) arcsin(m) = sum_k k! c_k^2 m^k (Sheppard / THEORY.md §1)."""
    e = expansion("sign(z)", 60)
    series = sum(math.factorial(c.order) * float(c.value) ** 2 * m**c.order for c in e.coefficients)
    assert series == pytest.approx(2 / math.pi * math.asin(m), abs=1e-6)


@pytest.mark.parametrize("m", [-0.5, 0.2, 0.6])
def test_relu_kernel_is_arc_cosine(m):
    """E[relu(z) relu(z')] = (sqrt(1-m^2) + m (pi - arccos m)) / (2 pi) (Cho & Saul 2009)."""
    e = expansion("relu(z)", 40)
    series = sum(math.factorial(c.order) * float(c.value) ** 2 * m**c.order for c in e.coefficients)
    exact = (math.sqrt(1 - m * m) + m * (math.pi - math.acos(m))) / (2 * math.pi)
    assert series == pytest.approx(exact, abs=1e-9)


@pytest.mark.parametrize(
    "text",
    ["relu(z)", "abs(z)", "sign(z)", "He3(z)", "z**2*exp(-z**2)", "erf(z)",
     "step(z**2 - log(2)) * step(2*log(2) - z**2)", "max(z, z**2 - 1)", "relu(z - 1/3)**2"],
)
def test_exact_and_numeric_paths_agree(text):
    exact = expansion(text, 10)
    numeric = expansion(text, 10, prefer_exact=False)
    for a, b in zip(exact.coefficients, numeric.coefficients):
        assert abs(a.value - b.value) <= 1e-25 + b.error_bound + a.error_bound
    assert abs(exact.norm_squared - numeric.norm_squared) < 1e-25


def test_closed_form_equals_monte_carlo():
    """tanh: quadrature coefficients agree with a Monte Carlo estimate within 5 sigma."""
    e = expansion("tanh(z)", 5)
    rng = np.random.default_rng(1)
    z = rng.standard_normal(2_000_000)
    y = np.tanh(z)
    for k in range(6):
        he = np.polynomial.hermite_e.hermeval(z, [0] * k + [1])
        samples = y * he / math.factorial(k)
        sigma = samples.std() / math.sqrt(z.size)
        assert abs(samples.mean() - float(e.coefficient(k).value)) < 5 * sigma + 1e-12


def test_numeric_coefficients_reach_thirty_digits():
    """tanh: c_1 = E[tanh'(z)] (Stein) computed independently by mpmath.quad at 40 digits."""
    e = expansion("tanh(z)", 3)
    with mpmath.workdps(40):
        ref = mpmath.quad(lambda x: (1 - mpmath.tanh(x) ** 2) * mpmath.npdf(x), [-mpmath.inf, 0, mpmath.inf])
        assert abs(e.coefficient(1).value - ref) < mpmath.mpf(10) ** -30


def test_zero_certificates():
    e = expansion("abs(z)")
    assert e.coefficient(1).is_zero and e.coefficient(1).certificate.kind == "exact-symbolic"
    t = expansion("tanh(z)")
    assert t.coefficient(2).is_zero and t.coefficient(2).certificate.kind == "symmetry"
    s = expansion("sigmoid(z)")  # sigmoid - 1/2 is odd, but sigmoid is not: numeric zeros
    assert s.coefficient(2).is_zero and s.coefficient(2).certificate.kind == "numeric"
    assert s.coefficient(2).certificate.bound <= 1e-29


def test_large_orders_and_limits():
    e = expansion("relu(z)", 40)
    assert e.max_order == 40
    # relu: c_k = 0 for odd k >= 3 (only the linear part z/2 is odd)
    assert all(e.coefficient(k).is_zero for k in range(3, 41, 2))
    with pytest.raises(OrderTooLargeError):
        expansion("relu(z)", 101)
    with pytest.raises(DeriveError):
        expansion("relu(z)", -1)


@pytest.mark.parametrize(
    "text",
    ["exp(z**2)", "exp(z**2/4)", "exp(z**3)", "1/z", "1/(z - 1)", "abs(z)**(-1/2)",
     "1/sqrt(abs(z))", "exp(exp(z))"],
)
def test_not_square_integrable(text):
    with pytest.raises(NotSquareIntegrableError, match="not square-integrable"):
        expansion(text)


@pytest.mark.parametrize("text", ["exp(z**2/8)", "abs(z)**(-2/5)", "log(abs(z))", "exp(z)"])
def test_square_integrable_edge_cases(text):
    e = expansion(text, 4)
    assert e.norm_squared > 0


@pytest.mark.parametrize("text", ["log(z)", "sqrt(z)", "sqrt(z - 1)"])
def test_not_real_valued(text):
    with pytest.raises(DeriveError, match="not real-valued"):
        expansion(text)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=7))
def test_polynomial_parseval_property(coefficients):
    """For a polynomial of degree <= K, Parseval holds exactly."""
    poly = sum(c * Z**i for i, c in enumerate(coefficients))
    if not poly.has(Z):
        return
    e = hermite_expansion(poly, 8)
    total = sum(sympy.factorial(c.order) * c.exact**2 for c in e.coefficients)
    assert sympy.expand(total - e.norm_squared_exact) == 0

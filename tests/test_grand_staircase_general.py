"""Later grand-staircase steps with one direction left (derive.grand_staircase_general).

Sources: the grand staircase of Troiani et al. (AISTATS 2025, arXiv:2405.15480; THEORY.md
§5): with S learned, t the remaining coordinate and s = U^T z, the step is trivial when
E[t | y, s] != 0 and otherwise easy with alpha_c = 1/nu_1, nu_1 = E[(E[t^2 | y, s] - 1)^2].
Reference values, each derived in the test:
- when (y, s) determine t^2 the step is noiseless phase retrieval in t: nu_1 = E[(t^2 - 1)^2]
  = 2, alpha_c = 1/2 (Mondelli-Montanari 2018, arXiv:1708.05932; THEORY.md §5);
- flat pieces (an atom of y with a truncated-Gaussian conditional law): closed forms with
  Phi, phi integrated in one dimension by scipy, independently of the engine;
- polynomial links: the float level sets of derive.grand_staircase._second_step and the
  certified mpmath single-index engine;
- the noisy later-step engine (derive.grand_staircase_noisy) brackets from above.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy import integrate, stats

import derive
from derive.certificates import SYMMETRY
from derive.grand_staircase import GrandStaircase, RecoveryStep, _second_step
from derive.grand_staircase_general import RestrictedLink, conditional_moments, later_step
from derive.target import parse_expression

Z1, Z2, Z3 = sympy.symbols("z1 z2 z3", real=True)
E1 = (1, 0)


def _flat_core_threshold(fold) -> float:
    """nu_1 for links that, given s, are flat on |t| < a(s) and fix t^2 outside.

    On the flat piece y has an atom and t given it is N(0, 1) truncated to (-a, a):
    E[t^2 - 1 | atom] = -2 a phi(a) / P with P = 2 Phi(a) - 1 (integrate (t^2 - 1) phi =
    -t phi); outside, E[t^2 | y, s] = t^2. So A2(a) = 4 a^2 phi(a)^2 / P + 2 int_a^oo
    (t^2 - 1)^2 phi dt, and ``fold`` averages A2 over s."""
    phi, Phi = stats.norm.pdf, stats.norm.cdf

    def a2(a):
        core = 4 * a * a * phi(a) ** 2 / (2 * Phi(a) - 1) if a > 0 else 0.0
        tail = 2 * integrate.quad(lambda t: (t * t - 1) ** 2 * phi(t), a, np.inf,
                                  epsabs=1e-14, epsrel=1e-13)[0]
        return core + tail

    return fold(a2, phi)


def test_polynomial_path_is_phase_retrieval_in_t():
    # y - s = t^2: alpha_c = 1/E[(t^2 - 1)^2] = 1/2 (THEORY.md §5), as the polynomial path
    step = later_step(Z1 + Z2**2, (Z1, Z2), [E1])
    assert step.klass == "easy" and step.certificate.bound < 1e-8
    assert step.alpha_c == pytest.approx(0.5, abs=10 * step.error_bound + 1e-12)
    assert step.directions == ((0.0, 1.0),)


@pytest.mark.parametrize("text", ["z1 + z2**4 - 6*z2**2", "z2**4 + z1*z2**2 - 2*z2**2"])
def test_matches_the_polynomial_second_step(text):
    """Two codes for the same nu_1: roots of the polynomial (numpy) with Gauss-Hermite in s
    (grand_staircase._second_step) and this module's piecewise level sets with tanh-sinh."""
    expr = parse_expression(text)
    ours = later_step(expr, (Z1, Z2), [E1])
    reference = _second_step(expr, (Z1, Z2), [(1.0, 0.0)])
    assert ours.klass == reference.klass == "easy"
    assert ours.certificate.reason.endswith("even in t: E[t | y, s] = 0")
    tolerance = 10 * (ours.error_bound + reference.error_bound) + 1e-9
    assert ours.alpha_c == pytest.approx(reference.alpha_c, abs=tolerance)


def test_shifted_quartic_is_the_single_index_threshold():
    """y - s = t^4 - 6 t^2 for every s: the step is the single-index problem of
    h = z^4 - 6 z^2, whose alpha_c the certified mpmath level sets compute."""
    step = later_step(Z1 + Z2**4 - 6 * Z2**2, (Z1, Z2), [E1])
    single = derive.analyze("z**4 - 6*z**2").recovery()
    assert step.alpha_c == pytest.approx(single.alpha_c, rel=1e-6)
    assert step.error_bound < 1e-6


@pytest.mark.parametrize("text", ["tanh(z1) + z2**2", "max(z1, z2)", "z1*abs(z2)"])
def test_label_and_s_fix_t_squared(text):
    """tanh(z1) + z2^2: y - tanh(s) = t^2. max(z1, z2) with s = (z1 + z2)/sqrt 2: y and s
    give min(z1, z2) = sqrt 2 s - y, hence |z1 - z2| = |t| sqrt 2. z1 |z2|: |t| = y / s for
    s != 0. In each case E[t^2 | y, s] = t^2 and alpha_c = 1/2 (THEORY.md §5)."""
    expr = parse_expression(text)
    learned = [(1, 1)] if text == "max(z1, z2)" else [E1]
    step = later_step(expr, (Z1, Z2), learned)
    assert step.klass == "easy"
    assert step.alpha_c == pytest.approx(0.5, abs=10 * step.error_bound + 1e-12)


def test_max_with_a_flat_core_against_the_hand_integral():
    """y = max(z1, z2^2), s = z1, t = z2. For s < 0, y = t^2 (A2 = 2, probability 1/2); for
    s > 0, y is flat (= s) on |t| < sqrt s: the flat-core formula with a = sqrt s."""
    def fold(a2, phi):
        return 1.0 + integrate.quad(lambda s: phi(s) * a2(np.sqrt(s)), 0, np.inf,
                                    epsabs=1e-14, epsrel=1e-13, limit=200)[0]

    nu = _flat_core_threshold(fold)
    step = later_step(parse_expression("max(z1, z2**2)"), (Z1, Z2), [E1])
    assert step.klass == "easy"
    assert step.alpha_c == pytest.approx(1 / nu, abs=1e-9)  # 0.50708730924730...
    assert step.certificate.reason.endswith("even in t: E[t | y, s] = 0")


def test_relu_sum_with_a_snapped_direction_against_the_hand_integral():
    """y = relu(z1) + relu(z2), s = (z1 + z2)/sqrt 2, t = (z1 - z2)/sqrt 2. |t| < |s| is
    flat (both arguments of one sign: y = sqrt 2 s or 0); outside, one relu is active and
    |t| = sqrt 2 y - s. So A2(s) is the flat-core formula with a = |s|. The first step's
    eigenvector is float (1e-7 accurate); read as (1, 1)/sqrt 2 the flat piece is exact."""
    def fold(a2, phi):
        return 2 * integrate.quad(lambda s: phi(s) * a2(s), 0, np.inf, epsabs=1e-14,
                                  epsrel=1e-13, limit=200)[0]

    nu = _flat_core_threshold(fold)
    expr = parse_expression("relu(z1) + relu(z2)")
    step = later_step(expr, (Z1, Z2), [(-0.7071068691508859, -0.7071066932221982)])
    assert step.klass == "easy"
    assert step.alpha_c == pytest.approx(1 / nu, abs=1e-9)  # 0.53399377...
    staircase = derive.analyze("relu(z1) + relu(z2)").grand_staircase()
    assert staircase.complete
    assert staircase.alpha_needed == pytest.approx(1 / nu, abs=1e-9)


def test_max_squared_against_a_two_dimensional_hand_integral():
    """y = max(z1, z2)^2 with s = (z1 + z2)/sqrt 2 learned (the homogeneous first step) and
    u = |t|: y = (s + u)^2 / 2, so given (y, s) the candidates for |t| are u and w = -2s - u,
    the second only when s < 0 and u < -2s; both have |f'| = sqrt(2y), hence
    E[t^2 | y, s] = u^2 (1 - p) + w^2 p with p = 1/(1 + exp((w^2 - u^2)/2)). Elsewhere
    E[t^2 | y, s] = t^2, so nu_1 = 2 - int_{s<0} int_0^{-2s} 2 phi(s) phi(u)
    [(u^2 - 1)^2 - (E - 1)^2] du ds (scipy.dblquad)."""
    from scipy import special

    def integrand(u, s):
        w = -2 * s - u
        p = special.expit((u * u - w * w) / 2)
        e = u * u * (1 - p) + w * w * p
        density = 2 * np.exp(-(s * s + u * u) / 2) / (2 * np.pi)
        return density * ((u * u - 1) ** 2 - (e - 1) ** 2)

    inside = integrate.dblquad(integrand, -12, 0, 0, lambda s: -2 * s, epsabs=1e-14,
                               epsrel=1e-12)[0]
    step = later_step(parse_expression("max(z1, z2)**2"), (Z1, Z2), [(1, 1)])
    assert step.klass == "easy"
    assert step.alpha_c == pytest.approx(1 / (2 - inside), abs=1e-9)  # 0.55506630025...
    staircase = derive.analyze("max(z1, z2)**2").grand_staircase()
    assert staircase.complete
    assert staircase.alpha_needed == pytest.approx(1 / (2 - inside), abs=1e-8)


def test_rounding_size_dependence_is_undetermined_not_dropped():
    """An un-snappable float direction leaves y = relu(z1) + relu(z2) constant in t up to
    rounding on |t| < |s|: the engine neither treats that piece as flat (unproved) nor as a
    level set (it would claim t is known)."""
    # relu(x1) + relu(x2) in the rotated frame x1 = 0.8 z1 - 0.6 z2, x2 = 0.6 z1 + 0.8 z2;
    # the learned direction (x1 + x2)/sqrt 2 is (1.4, 0.2)/sqrt 2 in z, squares 49/50, 1/50
    relu_sum = sympy.Max(0, 0.8 * Z1 - 0.6 * Z2) + sympy.Max(0, 0.6 * Z1 + 0.8 * Z2)
    learned = (1.4 / np.sqrt(2), 0.2 / np.sqrt(2))
    step = later_step(relu_sum, (Z1, Z2), [learned])
    assert step.klass == "undetermined"
    assert "rounding" in step.why


def test_relu_product_atom_moments_in_closed_form():
    """y = s relu(t) (z1 relu(z2) given z1 = s != 0): y = 0 on t < 0 is an atom with
    E[t | t < 0] = -sqrt(2/pi), E[t^2 | t < 0] = 1; on t > 0, t = y/s. Hence exactly
    A1(s) = (1/2)(2/pi) + int_0^oo t^2 phi = 1/pi + 1/2 and A2(s) = 0 + int_0^oo (t^2-1)^2 phi
    = 1: the later step is trivial."""
    link = RestrictedLink(parse_expression("z1*relu(z2)"), (Z1, Z2), [[1, 0]], [0, 1])
    for s in (-1.3, 0.7):
        a1, a2, error = conditional_moments(link, (s,))
        assert a1 == pytest.approx(0.5 + 1 / np.pi, abs=1e-12)
        assert a2 == pytest.approx(1.0, abs=1e-12)
        assert error < 1e-9
    step = later_step(parse_expression("z1*relu(z2)"), (Z1, Z2), [E1])
    assert step.klass == "trivial" and step.alpha_c == 0.0


def test_sign_link_is_all_atoms():
    """y = z1 + sign(z2): given s, y = s +- 1 reveals sign(t); both atoms are half-Gaussians,
    E[t | t > 0] = sqrt(2/pi): A1 = 2/pi exactly, the step is trivial."""
    link = RestrictedLink(parse_expression("z1 + sign(z2)"), (Z1, Z2), [[1, 0]], [0, 1])
    a1, a2, error = conditional_moments(link, (0.4,))
    assert a1 == pytest.approx(2 / np.pi, abs=1e-14)
    assert a2 == pytest.approx(0.0, abs=1e-14) and error < 1e-12


def test_three_variables_second_step_and_staircase():
    """y = z1^3 + z2^2 z3 (Isserlis: E[z1 y] = 3, E[z3 y] = 1; z2 -> -z2 keeps y): the first
    step learns e1, e3 trivially; given them z2^2 = (y - z1^3)/z3: alpha_c = 1/2 with
    k = 2 learned coordinates (Gauss-Hermite product rule in s)."""
    step = later_step(Z1**3 + Z2**2 * Z3, (Z1, Z2, Z3), [(1, 0, 0), (0, 0, 1)])
    assert step.klass == "easy" and step.certificate.reason.endswith("E[t | y, s] = 0")
    assert step.alpha_c == pytest.approx(0.5, abs=10 * step.error_bound + 1e-9)
    staircase = derive.analyze("z1**3 + z2**2*z3").grand_staircase()
    assert [s.dimension_added for s in staircase.steps] == [2, 1]
    assert staircase.complete
    assert staircase.alpha_needed == pytest.approx(0.5, abs=1e-8)


def test_chain_of_one_dimensional_steps_fills_the_last():
    """Staircase plumbing (fill_later_thresholds): with the first two directions known
    one at a time (e1, then e3), the third, easy step of z1^3 + z2^2 z3 gets alpha_c = 1/2
    from the engine with k = 2; a step leaving two directions keeps alpha_c None."""
    from derive.certificates import Certificate
    from derive.grand_staircase_general import fill_later_thresholds

    target = derive.analyze("z1**3 + z2**2*z3").target
    certificate = Certificate("inequality", "hand-made step for the test")

    def step(klass, direction):
        return RecoveryStep(klass, 0.0 if klass == "trivial" else None, 0.0, 1, (direction,),
                            certificate, klass)

    steps = fill_later_thresholds(target, (step("trivial", (1.0, 0.0, 0.0)),
                                           step("trivial", (0.0, 0.0, 1.0)),
                                           step("easy", (0.0, 1.0, 0.0))), "the test")
    assert steps[2].alpha_c == pytest.approx(0.5, abs=1e-8)
    early = fill_later_thresholds(
        target, (step("trivial", (1.0, 0.0, 0.0)), step("easy", (0, 1.0, 0))), "the test")
    assert early[1].alpha_c is None
    # a class the level sets contradict (y - s = t^3 reveals t: trivial, not easy) is not
    # overwritten: the step becomes undetermined
    cubic = derive.analyze("z1 + z2**3").target
    (_, wrong) = fill_later_thresholds(cubic, (
        RecoveryStep("trivial", 0.0, 0.0, 1, ((1.0, 0.0),), certificate, "trivial"),
        RecoveryStep("easy", None, 0.0, 1, ((0.0, 1.0),), certificate, "easy")), "the test")
    assert wrong.klass == "undetermined" and "trivial" in wrong.why


def test_leap_staircase_becomes_complete(cli):
    """max(z1, z2^2): trivial along e1 (generative order 1), easy along e2 (order 2); the
    easy step now carries alpha_c and the staircase is complete."""
    staircase = derive.analyze("max(z1, z2**2)").grand_staircase()
    assert isinstance(staircase, GrandStaircase)
    assert [s.klass for s in staircase.steps] == ["trivial", "easy"]
    assert staircase.complete
    assert staircase.alpha_needed == pytest.approx(0.5070873092473, abs=1e-9)
    result = cli("threshold", "max(z1, z2**2)")
    assert result.returncode == 0, result.stderr
    assert "every direction is learned for alpha > 0.5070873" in result.stdout


def test_even_link_certificate():
    step = later_step(parse_expression("max(z1, z2**2)"), (Z1, Z2), [E1])
    assert "even in t" in step.certificate.reason
    link = RestrictedLink(parse_expression("max(z1, z2**2)"), (Z1, Z2), [[1, 0]], [0, 1])
    assert link.even()
    assert not RestrictedLink(Z1 + Z2**3, (Z1, Z2), [[1, 0]], [0, 1]).even()
    assert step.certificate.kind != SYMMETRY  # the symmetry proves A1 = 0, nu_1 is numeric


def test_noisy_engine_brackets_from_above():
    """y = max(z1, z2^2) + sqrt(Delta) xi: noise only removes information, so the noisy
    later-step thresholds (derive.grand_staircase_noisy) lie above the noiseless one and
    approach it as Delta -> 0."""
    from derive.grand_staircase_noisy import noisy_later_steps

    expr = parse_expression("max(z1, z2**2)")
    noiseless = later_step(expr, (Z1, Z2), [E1]).alpha_c
    gaps = []
    for noise in (0.1, 0.01):
        (step,) = noisy_later_steps(expr, (Z1, Z2), noise, [(1.0, 0.0)])
        assert step.klass == "easy"
        gaps.append(step.alpha_c - noiseless)
        assert gaps[-1] > -10 * step.error_bound
    assert gaps[1] < gaps[0] / 2
    assert gaps[1] < 0.01


def test_segments_follow_the_piece_structure():
    """max(z1, z2^2): f_s is flat on |t| < sqrt s only for s > 0, so s = 0 is the one change
    of structure (plus the ends +-9 and the default point 0). sin(s t) has about 20|s|/pi
    critical points on |t| <= 10, a change at every s = pi (k + 1/2)/10: too many segments,
    the outer rule falls back to Gauss-Hermite."""
    from derive.grand_staircase_general import S_MAX, _segments

    flat = RestrictedLink(parse_expression("max(z1, z2**2)"), (Z1, Z2), [[1, 0]], [0, 1])
    assert _segments(flat) == [-S_MAX, 0.0, S_MAX]
    oscillating = RestrictedLink(sympy.sin(Z1 * Z2), (Z1, Z2), [[1, 0]], [0, 1])
    assert _segments(oscillating) is None

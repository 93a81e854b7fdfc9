"""A strictly monotone outer function leaves every weak-recovery threshold unchanged
(derive.monotone): y = phi(h) and h generate the same sigma-algebra, so G(y) = E[z z^T - I | y]
and alpha_c = 1/nu_1 (Troiani et al. AISTATS 2025, arXiv:2405.15480; THEORY.md §5) are h's.

Before this reduction tanh(z1 z2) had no alpha_c, exp(z1 z2) was 'undetermined' and
(z1 z2)^3 = z1^3 z2^3 came out as 0.5985 +- 0.042 (radial level sets of a degree-6 label).
"""

import sympy

from derive import analyze
from derive.monotone import strip_monotone

z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)


def test_layers_recognised_only_with_a_proof():
    assert strip_monotone(sympy.atan(z1 * z2) * 2 - 1) == (z1 * z2, "atan")
    assert strip_monotone(sympy.sqrt(z1**2 + z2**2)) == (z1**2 + z2**2, "u^1/2")
    assert strip_monotone(sympy.log(1 + z1**2 + z2**2)) == (z1**2 + z2**2, "log")
    # not monotone on the range of the inner function (or not provably): left alone
    assert strip_monotone((z1 * z2) ** 2) is None              # z1^2 z2^2: even power
    assert strip_monotone(sympy.log(z1 * z2)) is None          # z1 z2 > 0 not proved
    assert strip_monotone(sympy.sqrt(z1 * z2)) is None
    assert strip_monotone(sympy.sin(z1 * z2)) is None


def test_product_thresholds_through_monotone_links():
    # Defilippis et al. NeurIPS 2025 (arXiv:2502.02545): alpha_c(z1 z2) = 0.59375
    reference = analyze("z1*z2").recovery()
    for text in ("tanh(z1*z2)", "exp(z1*z2)", "(z1*z2)**3", "atan(2*z1*z2) + 1"):
        found = analyze(text).recovery()
        assert found.klass == "easy", text
        assert found.alpha_c == reference.alpha_c and round(found.alpha_c, 5) == 0.59375
        assert found.error_bound == reference.error_bound
        assert "strictly monotone" in found.reason


def test_radial_label_in_three_variables():
    # tanh(|z|^2): G = (|z|^2/3 - 1) I, nu_1 = Var(chi^2_3) / 9 = 2/3, alpha_c = 3/2 exactly
    found = analyze("tanh(z1**2 + z2**2 + z3**2)").recovery()
    assert found.klass == "easy"
    assert abs(found.alpha_c - 1.5) <= found.error_bound + 1e-12
    assert found.error_bound < 1e-5


def test_noisy_label_is_not_relabelled():
    # phi(h) + noise is not a relabelling of h + noise: tanh compresses the label, so the
    # same noise costs more (measured 1.1203 +- 6.8e-3 against 0.66099 +- 5.8e-4)
    found = analyze("tanh(z1*z2); noise=0.1").recovery()
    plain = analyze("z1*z2; noise=0.1").recovery()
    assert "strictly monotone" not in found.reason
    assert found.alpha_c - found.error_bound > 1.0 > plain.alpha_c + plain.error_bound

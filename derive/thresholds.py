"""Weak-recovery threshold of optimal first-order methods for single-index targets.

Troiani, Dandi, Defilippis, Zdeborova, Loureiro, Krzakala (AISTATS 2025, arXiv:2405.15480),
with n = alpha d samples (THEORY.md §5):

- trivial: E[z | y] != 0 (lambda_1^2 > 0): the direction is weakly learned at any alpha > 0;
- easy: otherwise, alpha_c = 1 / E_y[(E[z^2 | y] - 1)^2] = 1 / (2 lambda_2^2), since
  lambda_2^2 = E[E[h_2 | y]^2] with h_2 = (z^2 - 1)/sqrt(2);
- hard: lambda_1^2 = lambda_2^2 = 0: no first-order method succeeds at linear sample size.

The optimal spectral method has the same threshold with the preprocessing
T*(y) = 1 - 1/E[z^2 | y] (Mondelli, Montanari 2018, arXiv:1708.05932).

Exact cases: piecewise-constant links (lambda_2^2 a closed form) and even links that are
injective on z > 0 (|z|, z^2, exp(-z^2), ...): there y determines z^2, so
E[z^2 | y] = z^2 and E_y[(z^2 - 1)^2] = 2, alpha_c = 1/2 exactly (noiseless phase retrieval).

>>> from derive import analyze
>>> r = weak_recovery(analyze("z**2"))
>>> r.klass, r.alpha_c_exact
('easy', 1/2)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .certificates import EXACT, NUMERIC, Certificate
from .exponents import conditional_moments
from .levelsets import LevelSetError, level_set_structure
from .piecewise import decompose

SOURCE = "Troiani2025; Mondelli2018"


@dataclass(frozen=True)
class WeakRecovery:
    klass: str  # "trivial" | "easy" | "hard" | "undetermined"
    alpha_c: float | None
    alpha_c_exact: sympy.Expr | None
    error_bound: float
    certificate: Certificate
    preprocessing: str
    reason: str

    @property
    def alpha_c_text(self) -> str:
        if self.alpha_c_exact is not None:
            return str(self.alpha_c_exact)
        if self.alpha_c is None:
            return "none"
        return f"{self.alpha_c:.10g} +- {self.error_bound:.1e}"

    def to_dict(self) -> dict:
        alpha = self.alpha_c
        return {
            "class": self.klass,
            "alpha_c": alpha,
            "alpha_c_exact": None if self.alpha_c_exact is None else str(self.alpha_c_exact),
            "error_bound": self.error_bound,
            "certificate": self.certificate.label,
            "steps": [{"alpha_c": alpha, "dimension_added": 1}] if self.klass in ("trivial", "easy") else [],
            "optimal_preprocessing": self.preprocessing,
            "why": self.reason,
            "source": SOURCE,
        }


def _injective_half_line(analysis) -> bool:
    """Even link, no atoms, a single branch on every label cell of the half line z > 0."""
    expansion = analysis.hermite
    if expansion.parity != 0:
        return False
    try:
        structure = level_set_structure(decompose(expansion.expression, expansion.variable),
                                       even=True)
    except LevelSetError:
        return False
    return not structure.atoms and bool(structure.cells) and all(c.injective for c in structure.cells)


def weak_recovery(analysis) -> WeakRecovery:
    """Class, alpha_c and optimal preprocessing for a single-index analysis."""
    generative = analysis.generative_exponent
    preprocessing = "T*(y) = 1 - 1/E[z^2 | y]"
    if generative.value == 1:
        return WeakRecovery("trivial", 0.0, sympy.Integer(0), 0.0, generative.evidence[-1].certificate,
                            "none needed: E[z | y] != 0 already correlates with z",
                            "E[z | y] != 0 (generative exponent 1)")
    if generative.value is None and not generative.evidence:
        return WeakRecovery("undetermined", None, None, 0.0,
                            Certificate("undetermined", generative.summary), preprocessing,
                            generative.summary)
    noise = float(analysis.target.noise)
    if noise == 0 and _injective_half_line(analysis):
        return WeakRecovery(
            "easy", 0.5, sympy.Rational(1, 2), 0.0,
            Certificate(EXACT, "even link injective on z > 0: E[z^2 | y] = z^2, "
                               "E[(z^2 - 1)^2] = 2"),
            "T*(y) = 1 - 1/z(y)^2 with z(y)^2 the squared root of sigma(z) = y",
            "y determines z^2",
        )
    moments = conditional_moments(analysis.hermite, None, 2, noise=noise)
    second = moments[1]
    exact = second.exact
    if generative.value is not None and generative.value >= 3 or (
            exact is not None and exact == 0):
        return WeakRecovery("hard", None, None, 0.0,
                            Certificate(EXACT if exact is not None else NUMERIC,
                                        "lambda_1^2 = lambda_2^2 = 0"),
                            preprocessing, "E[z|y] = 0 and E[z^2|y] = 1: first order sees nothing")
    if exact is not None:
        alpha = sympy.nsimplify(sympy.simplify(1 / (2 * exact)))
        return WeakRecovery("easy", float(alpha), alpha, 0.0,
                            Certificate(EXACT, f"discrete label: lambda_2^2 = {exact}"),
                            preprocessing, "alpha_c = 1/(2 lambda_2^2)")
    value, error = second.value, second.error_bound
    if value <= 10 * error:
        return WeakRecovery("undetermined", None, None, error,
                            Certificate("undetermined", f"lambda_2^2 = {value:.3g} +- {error:.1e}"),
                            preprocessing, "lambda_2^2 not resolved from 0")
    alpha = 1 / (2 * value)
    bound = alpha * error / value * 1.01
    return WeakRecovery("easy", alpha, None, bound,
                        Certificate(NUMERIC, f"lambda_2^2 = {value:.15g} +- {error:.1e}", bound=bound),
                        preprocessing, "alpha_c = 1/(2 lambda_2^2)")

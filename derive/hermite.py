"""Hermite expansion of a single-index link in probabilists' Hermite polynomials.

sigma(z) = sum_k c_k He_k(z),  c_k = E[sigma(z) He_k(z)] / k!,  E[He_j He_k] = k! delta_jk
(probabilists' He: He_2 = z^2 - 1, He_3 = z^3 - 3z). Parseval: E[sigma^2] = sum_k k! c_k^2.

Paths, tried in this order for each smooth piece of the link (:mod:`derive.piecewise`):

1. polynomial link: basis change by Stein's identity, no integration;
2. polynomial * exp(quadratic) on an interval: closed forms (:mod:`derive.gaussian`);
3. a piece whose j-th derivative (j <= 3) is of type 2: Gaussian integration by parts,
   E[f He_k 1_(p,q)] = sum_{i<j} [-f^(i) He_{k-1-i} phi]_p^q + E[f^(j) He_{k-j} 1_(p,q)],
   exact for k >= j (this makes erf-type links exact);
4. otherwise double-exponential quadrature in mpmath with an error estimate.

Every coefficient carries a certificate; a zero is exact, by symmetry, or numeric with a bound.

>>> from derive.target import parse_target
>>> e = hermite_expansion(parse_target("relu(z)"), max_order=3)
>>> [str(c.exact) for c in e.coefficients]
['sqrt(2)/(2*sqrt(pi))', '1/2', 'sqrt(2)/(4*sqrt(pi))', '0']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import mpmath
import sympy

from .certificates import EXACT, NUMERIC, SYMMETRY, UNDETERMINED, Certificate
from .errors import DeriveError, OrderTooLargeError
from .gaussian import hermite_monomials, piece_moments, polynomial_hermite_coefficients
from .numbers import to_mpf
from .integrability import check_real_valued, check_square_integrable
from .piecewise import PiecewiseForm, decompose
from .quadrature import integrate
from .symmetry import link_parity
from .target import Target

DEFAULT_ORDER = 12
MAX_ORDER = 100
DEFAULT_DIGITS = 30


@dataclass(frozen=True)
class HermiteCoefficient:
    """One coefficient c_k of the probabilists' Hermite expansion.

    ``exact`` is a sympy closed form or None; ``value`` is an mpmath number good to
    ``error_bound`` (0 for exact values); ``status`` is ``"zero"``, ``"nonzero"`` or
    ``"undetermined"``; ``certificate`` says why.
    """

    order: int
    exact: sympy.Expr | None
    value: mpmath.mpf
    error_bound: float
    status: str
    certificate: Certificate

    @property
    def is_zero(self) -> bool:
        return self.status == "zero"

    @property
    def is_nonzero(self) -> bool:
        return self.status == "nonzero"

    def to_dict(self) -> dict:
        return {
            "order": self.order,
            "exact": None if self.exact is None else str(self.exact),
            "value": float(self.value),
            "error_bound": float(self.error_bound),
            "status": self.status,
            "certificate": self.certificate.label,
            "reason": self.certificate.reason,
        }


@dataclass(frozen=True)
class HermiteExpansion:
    """c_0 ... c_K of a single-index link, with Parseval's check.

    ``norm_squared`` is E[sigma^2] (exact when possible); ``parseval_residual`` is
    E[sigma^2] - sum_{k <= K} k! c_k^2, non-negative up to the error bounds, and zero for a
    polynomial of degree <= K.
    """

    expression: sympy.Expr
    variable: sympy.Symbol
    coefficients: tuple[HermiteCoefficient, ...]
    norm_squared_exact: sympy.Expr | None
    norm_squared: mpmath.mpf
    norm_squared_error: float
    parity: int | None
    method: str
    digits: int

    @property
    def max_order(self) -> int:
        return len(self.coefficients) - 1

    @property
    def values(self) -> list[float]:
        return [float(c.value) for c in self.coefficients]

    def coefficient(self, k: int) -> HermiteCoefficient:
        return self.coefficients[k]

    @cached_property
    def parseval_sum(self) -> mpmath.mpf:
        with mpmath.workdps(self.digits + 10):
            return mpmath.fsum(mpmath.factorial(c.order) * c.value**2 for c in self.coefficients)

    @property
    def parseval_residual(self) -> mpmath.mpf:
        return self.norm_squared - self.parseval_sum

    @property
    def parseval_residual_exact(self) -> sympy.Expr | None:
        if self.norm_squared_exact is None or any(c.exact is None for c in self.coefficients):
            return None
        total = sum(sympy.factorial(c.order) * c.exact**2 for c in self.coefficients)
        return sympy.simplify(self.norm_squared_exact - total)

    def to_dict(self) -> dict:
        exact_residual = self.parseval_residual_exact
        return {
            "max_order": self.max_order,
            "convention": "probabilists' He_k, E[He_j He_k] = k! delta_jk",
            "method": self.method,
            "parity": {1: "odd", 0: "even"}.get(self.parity) if self.parity is not None else None,
            "coefficients": [c.to_dict() for c in self.coefficients],
            "parseval": {
                "norm_squared": float(self.norm_squared),
                "norm_squared_exact": None if self.norm_squared_exact is None
                else str(self.norm_squared_exact),
                "partial_sum": float(self.parseval_sum),
                "residual": float(self.parseval_residual),
                "residual_exact": None if exact_residual is None else str(exact_residual),
            },
        }

    def _repr_latex_(self) -> str:
        terms = []
        for c in self.coefficients:
            if c.is_zero:
                continue
            value = sympy.latex(c.exact) if c.exact is not None else mpmath.nstr(c.value, 8)
            terms.append(f"\\left({value}\\right) \\mathrm{{He}}_{{{c.order}}}(z)")
        body = " + ".join(terms) if terms else "0"
        return f"$\\sigma(z) = {body} + \\dots$"


def _exact_status(value: sympy.Expr) -> tuple[str, Certificate, mpmath.mpf, float]:
    """Decide whether an exact coefficient is zero."""
    if value == 0:
        return "zero", Certificate(EXACT, "closed form is identically 0"), mpmath.mpf(0), 0.0
    numeric = sympy.N(value, 40, maxn=800)
    if numeric.is_number and abs(numeric) > sympy.Float("1e-30"):
        return (
            "nonzero",
            Certificate(EXACT, "closed form, non-zero"),
            to_mpf(value, 45),
            0.0,
        )
    simplified = sympy.simplify(value)
    if simplified == 0:
        return "zero", Certificate(EXACT, "closed form simplifies to 0"), mpmath.mpf(0), 0.0
    with mpmath.workdps(80):
        high = sympy.N(value, 60, maxn=4000)
    bound = 1e-55
    if abs(high) <= bound:
        return (
            "zero",
            Certificate(NUMERIC, "closed form evaluates to 0 to 60 digits", bound=bound),
            mpmath.mpf(0),
            bound,
        )
    return "nonzero", Certificate(EXACT, "closed form, non-zero"), to_mpf(high, 60), 0.0


def _numeric_status(value, error, digits: int) -> tuple[str, Certificate, float]:
    threshold = mpmath.mpf(10) ** (-digits)
    bound = max(float(error), float(threshold))
    if abs(value) <= bound:
        return "zero", Certificate(NUMERIC, "quadrature value below its bound", bound=bound), bound
    if abs(value) > 10 * error:
        return "nonzero", Certificate(
            NUMERIC, f"|value| exceeds the error estimate {float(error):.1e}", bound=float(error)
        ), float(error)
    return "undetermined", Certificate(
        UNDETERMINED, f"value {mpmath.nstr(value, 3)} not resolved from error {float(error):.1e}"
    ), float(error)


def _hermite_values(x, count: int) -> list:
    """He_0(x) ... He_{count-1}(x) by the recurrence He_{k+1} = x He_k - k He_{k-1}."""
    values = [mpmath.mpf(1), x]
    for k in range(1, count - 1):
        values.append(x * values[k] - k * values[k - 1])
    return values[:count]


class _Accumulator:
    """Sums E[f He_k 1_piece] over pieces, exact parts and numeric parts separately."""

    def __init__(self, count: int):
        self.exact = [sympy.Integer(0)] * count
        self.numeric = [mpmath.mpf(0)] * count
        self.error = [mpmath.mpf(0)] * count
        self.is_exact = [True] * count
        self.norm_exact = sympy.Integer(0)
        self.norm_numeric = mpmath.mpf(0)
        self.norm_error = mpmath.mpf(0)
        self.norm_is_exact = True


def _exact_piece(piece, z, top: int):
    moments = piece_moments(piece.expr, z, piece.lower, piece.upper, top)
    if moments is None:
        return None
    out = []
    for k in range(top + 1):
        mono = hermite_monomials(k)
        out.append(sympy.expand(sum(mono[j] * moments[j] for j in range(k + 1) if mono[j])))
    return out


def _boundary(expr, z, point, order: int):
    """-f(point) He_order(point) phi(point) oriented as the value at the point."""
    if point in (sympy.oo, -sympy.oo):
        return sympy.Integer(0)
    phi = sympy.exp(-point**2 / 2) / sympy.sqrt(2 * sympy.pi)
    return expr.subs(z, point) * sympy.hermite_prob(order, point) * phi


def _by_parts_piece(piece, z, top: int):
    """Exact E[f He_k 1_piece] for k >= j where f^(j) is polynomial * exp(quadratic)."""
    derivative = piece.expr
    derivatives = [derivative]
    for j in range(1, 4):
        derivative = sympy.diff(derivative, z)
        derivatives.append(derivative)
        inner = _exact_piece(type(piece)(piece.lower, piece.upper, derivative), z, max(top - j, 0))
        if inner is None:
            continue
        out: list = [None] * (top + 1)
        for k in range(j, top + 1):
            total = inner[k - j]
            for i in range(j):
                upper = _boundary(derivatives[i], z, piece.upper, k - 1 - i)
                lower = _boundary(derivatives[i], z, piece.lower, k - 1 - i)
                total += -(upper - lower)
            out[k] = sympy.expand(total)
        return out
    return None


def _numeric_piece(piece, z, top: int, digits: int, want_norm: bool):
    with mpmath.workdps(digits + 15):
        f = sympy.lambdify(z, piece.expr, modules="mpmath")
        norm = 1 / mpmath.sqrt(2 * mpmath.pi)

        def integrand(x):
            fx = mpmath.mpf(f(x)) if not isinstance(f(x), mpmath.mpc) else f(x).real
            weight = fx * mpmath.exp(-x * x / 2) * norm
            row = [weight * h for h in _hermite_values(x, top + 1)]
            if want_norm:
                row.append(fx * weight)
            return row

        lower = mpmath.mpf(sympy.N(piece.lower, digits + 15)) if piece.lower != -sympy.oo else -mpmath.inf
        upper = mpmath.mpf(sympy.N(piece.upper, digits + 15)) if piece.upper != sympy.oo else mpmath.inf
        return integrate(integrand, lower, upper, digits=digits)


def _accumulate(
    form, z, max_order: int, digits: int, acc: _Accumulator, methods: set, prefer_exact: bool
) -> None:
    """Add every piece's E[f He_k 1_piece] and E[f^2 1_piece] to ``acc``."""
    count = max_order + 1
    for piece in form.pieces:
        exact = _exact_piece(piece, z, max_order) if prefer_exact else None
        partial = None
        if exact is None and prefer_exact:
            partial = _by_parts_piece(piece, z, max_order)
        need_numeric = exact is None and (partial is None or any(v is None for v in partial))
        norm_exact = (
            piece_moments(sympy.expand(piece.expr**2), z, piece.lower, piece.upper, 0)
            if prefer_exact else None
        )
        if need_numeric or norm_exact is None:
            values, errors = _numeric_piece(piece, z, max_order, digits, want_norm=norm_exact is None)
            methods.add("quadrature")
        for k in range(count):
            if exact is not None:
                acc.exact[k] += exact[k]
            elif partial is not None and partial[k] is not None:
                acc.exact[k] += partial[k]
                methods.add("integration by parts")
            else:
                acc.numeric[k] += values[k]
                acc.error[k] += errors[k]
                acc.is_exact[k] = False
        if exact is not None:
            methods.add("closed form")
        if norm_exact is not None:
            acc.norm_exact += norm_exact[0]
        else:
            acc.norm_numeric += values[count]
            acc.norm_error += errors[count]
            acc.norm_is_exact = False


def _check_order(max_order: int) -> None:
    if not isinstance(max_order, int) or max_order < 0:
        raise DeriveError(f"expansion order must be a non-negative integer, got {max_order!r}")
    if max_order > MAX_ORDER:
        raise OrderTooLargeError(f"expansion order {max_order} too large (at most {MAX_ORDER})")


def hermite_expansion(
    target: Target | sympy.Expr,
    max_order: int = DEFAULT_ORDER,
    digits: int = DEFAULT_DIGITS,
    form: PiecewiseForm | None = None,
    prefer_exact: bool = True,
) -> HermiteExpansion:
    """Coefficients c_0..c_K of the probabilists' Hermite expansion of a single-index link.

    ``prefer_exact=False`` skips every closed form and integrates each piece numerically
    (the tests use it to check one path against the other).

    >>> e = hermite_expansion(__import__("derive").parse_target("He3(z)"), max_order=4)
    >>> [int(c.exact) for c in e.coefficients]
    [0, 0, 0, 1, 0]
    """
    _check_order(max_order)
    if isinstance(target, Target):
        if not target.is_single_index:
            raise DeriveError("Hermite coefficients c_k are for single-index targets (z)")
        expr, z, text = target.expression, target.variables[0], target.text
    else:
        expr = sympy.sympify(target)
        (z,) = expr.free_symbols
        text = str(expr)
    count = max_order + 1

    poly = _as_polynomial(expr, z) if prefer_exact else None
    if poly is not None:
        return _polynomial_expansion(expr, z, poly, max_order, digits)

    if form is None:
        form = decompose(expr, z)
    check_real_valued(form, text)
    check_square_integrable(form, text)
    parity = link_parity(form)

    acc = _Accumulator(count)
    methods = set()
    with mpmath.workdps(digits + 15):
        _accumulate(form, z, max_order, digits, acc, methods, prefer_exact)

    coefficients = []
    for k in range(count):
        scale = sympy.factorial(k)
        if acc.is_exact[k]:
            value = sympy.expand(acc.exact[k] / scale)
            status, cert, numeric, bound = _exact_status(value)
            if status == "zero" and cert.kind != EXACT and parity is not None and k % 2 != parity:
                cert = _symmetry_certificate(parity, k)
            coefficients.append(HermiteCoefficient(k, value, numeric, bound, status, cert))
            continue
        with mpmath.workdps(digits + 15):
            total = (acc.numeric[k] + mpmath.mpf(sympy.N(acc.exact[k], digits + 15))) / int(scale)
            error = acc.error[k] / int(scale)
        if parity is not None and k % 2 != parity:
            coefficients.append(HermiteCoefficient(
                k, sympy.Integer(0), mpmath.mpf(0), 0.0, "zero", _symmetry_certificate(parity, k)
            ))
            continue
        status, cert, bound = _numeric_status(total, error, digits)
        coefficients.append(HermiteCoefficient(k, None, total, bound, status, cert))

    if acc.norm_is_exact:
        norm_exact = sympy.simplify(acc.norm_exact)
        norm_value = to_mpf(norm_exact, digits + 10)
        norm_error = 0.0
    else:
        norm_exact = None
        with mpmath.workdps(digits + 15):
            norm_value = acc.norm_numeric + mpmath.mpf(sympy.N(acc.norm_exact, digits + 15))
        norm_error = float(acc.norm_error)
    method = " + ".join(sorted(methods)) or "closed form"
    return HermiteExpansion(
        expr, z, tuple(coefficients), norm_exact, norm_value, norm_error, parity, method, digits
    )


def _symmetry_certificate(parity: int, k: int) -> Certificate:
    kind = "even" if parity == 0 else "odd"
    return Certificate(
        SYMMETRY, f"the link is {kind} and He_{k} is {'odd' if k % 2 else 'even'}, so c_{k} = 0"
    )


def _as_polynomial(expr, z):
    try:
        poly = sympy.Poly(expr, z)
    except sympy.PolynomialError:
        return None
    if any(c.free_symbols for c in poly.all_coeffs()):
        return None
    if any(c.has(sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min) for c in poly.gens):
        return None
    return poly


def _polynomial_expansion(expr, z, poly, max_order, digits) -> HermiteExpansion:
    values = polynomial_hermite_coefficients(poly, max_order)
    norm = polynomial_hermite_coefficients(sympy.Poly(sympy.expand(expr**2), z), 0)[0]
    # parity from the monomials themselves (valid whatever the expansion order)
    degrees = [m[0] for m in poly.monoms()]
    parity = 0 if all(d % 2 == 0 for d in degrees) else (
        1 if all(d % 2 == 1 for d in degrees) else None)
    coefficients = []
    for k, value in enumerate(values):
        status, cert, numeric, bound = _exact_status(value)
        if status == "zero":
            cert = Certificate(EXACT, "basis change of a polynomial (Stein): coefficient is 0")
        coefficients.append(HermiteCoefficient(k, value, numeric, bound, status, cert))
    return HermiteExpansion(
        expr, z, tuple(coefficients), norm, to_mpf(norm, digits + 10), 0.0,
        parity, "polynomial basis change", digits,
    )

"""Information and generative exponents of a single-index link, each with certificates.

Information exponent (Ben Arous, Gheissari, Jagannath 2021, arXiv:2003.10409):
IE = min{k >= 1 : c_k != 0} in the probabilists' Hermite expansion.

Generative exponent (Damian, Pillaud-Vivien, Lee, Bruna 2024, arXiv:2403.05529):
GE = min{k >= 1 : lambda_k^2 > 0}, lambda_k^2 = E_y[E[h_k(z) | y]^2], h_k = He_k / sqrt(k!).

The generative exponent is decided order by order, cheapest argument first:

1. symmetry: an even link gives E[h_k | y] = 0 for odd k (z -> -z leaves y unchanged);
2. lower bounds (non-zero): for any label transform T,
   lambda_k^2 >= E[T(y) h_k(z)]^2 / E[T(y)^2] (Cauchy-Schwarz on E[T(y) E[h_k|y]]); with
   T(y) = y^j this is k! c_k(sigma^j)^2 / E[sigma^(2j)], so IE(sigma^j) bounds GE from
   above (j = 1 gives GE <= IE);
3. an injective cell: if y determines z on a set of labels of positive probability, then
   E[h_k | y] = h_k(z(y)) there and lambda_k^2 > 0 for every k, so GE = 1;
4. exact atoms for piecewise-constant links, and high-precision level-set quadrature
   (:mod:`derive.levelsets`) for the rest, zeros certified by their numeric bound.

Label noise y = sigma(z) + sqrt(Delta) xi with Gaussian xi and Delta > 0 does not change
which lambda_k^2 vanish: E[h_k(z) | y] = 0 for almost every y iff the signed measure
sigma_#(h_k phi dz) convolved with N(0, Delta) vanishes, iff (the Gaussian's Fourier
transform has no zero) sigma_#(h_k phi dz) = 0, iff E[h_k(z) | sigma(z)] = 0 a.s.
So the noisy GE equals the noiseless one; the values lambda_k^2 shrink, the zeros do not move.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy

from .certificates import EXACT, INEQUALITY, NUMERIC, SYMMETRY, UNDETERMINED, Certificate
from .errors import DeriveError
from .hermite import HermiteExpansion, hermite_expansion
from .levelsets import (
    LevelSetError,
    LevelSetStructure,
    atom_contributions,
    cell_contributions,
    level_set_structure,
)
from .labels import peel_injective
from .piecewise import PiecewiseForm


@dataclass(frozen=True)
class OrderEvidence:
    """Why the k-th quantity (c_k or lambda_k^2) is zero, non-zero or undetermined."""

    order: int
    status: str
    certificate: Certificate
    value: float | None = None

    def to_dict(self) -> dict:
        return {
            "order": self.order,
            "status": self.status,
            "certificate": self.certificate.label,
            "reason": self.certificate.reason,
            "value": self.value,
        }


@dataclass(frozen=True)
class ExponentResult:
    """An exponent, or None when it is undetermined up to ``max_order``."""

    name: str
    value: int | None
    max_order: int
    evidence: tuple[OrderEvidence, ...]
    summary: str

    @property
    def certificate(self) -> str:
        """Kinds of certificates behind the claim, e.g. 'symmetry+exact-symbolic'."""
        kinds: list[str] = []
        for item in self.evidence:
            label = item.certificate.label
            if label not in kinds:
                kinds.append(label)
        return "+".join(kinds) if kinds else UNDETERMINED

    def __str__(self) -> str:
        value = "undetermined" if self.value is None else str(self.value)
        return f"{self.name} {value} [{self.certificate}]: {self.summary}"

    def to_dict(self) -> dict:
        return {
            "value": self.value,
            "certificate": self.certificate,
            "reason": self.summary,
            "max_order": self.max_order,
            "orders": [e.to_dict() for e in self.evidence],
        }


def information_exponent(expansion: HermiteExpansion) -> ExponentResult:
    """First k >= 1 with c_k != 0, every lower zero certified.

    >>> from derive import parse_target
    >>> information_exponent(hermite_expansion(parse_target("He3(z)"))).value
    3
    """
    evidence = []
    for c in expansion.coefficients[1:]:
        evidence.append(OrderEvidence(c.order, c.status, c.certificate, float(c.value)))
        if c.status == "nonzero":
            return ExponentResult(
                "information exponent", c.order, expansion.max_order, tuple(evidence),
                {1: f"c_1 = {_show(c)} != 0",
                 2: f"c_1 = 0, c_2 = {_show(c)} != 0"}.get(
                    c.order, f"c_1..c_{c.order - 1} vanish, c_{c.order} = {_show(c)} != 0"),
            )
        if c.status == "undetermined":
            return ExponentResult(
                "information exponent", None, expansion.max_order, tuple(evidence),
                f"undetermined: c_{c.order} could not be separated from 0",
            )
    return ExponentResult(
        "information exponent", None, expansion.max_order, tuple(evidence),
        f"undetermined up to order {expansion.max_order}: c_1..c_{expansion.max_order} all vanish",
    )


def _show(c) -> str:
    if c.exact is not None:
        return str(c.exact)
    return mpmath.nstr(c.value, 6)


class _GenerativeSearch:
    """State for deciding lambda_k^2 order by order."""

    def __init__(self, expansion, form: PiecewiseForm | None, max_order: int, digits: int,
                 label: sympy.Expr | None = None):
        self.expansion = expansion
        #: the link whose powers serve as test functions (the peeled one when available)
        self.label = expansion.expression if label is None else label
        self.form = form
        self.max_order = max_order
        self.digits = digits
        self._structure: LevelSetStructure | None = None
        self._atoms = None
        self._cells = None
        self._powers: dict[int, HermiteExpansion | None] = {}

    @property
    def structure(self) -> LevelSetStructure:
        if self._structure is None:
            self._structure = level_set_structure(self.form, even=self.expansion.parity == 0)
        return self._structure

    def power_expansion(self, j: int) -> HermiteExpansion | None:
        if j not in self._powers:
            expr = sympy.expand(self.label**j)
            try:
                self._powers[j] = hermite_expansion(expr, self.max_order, self.digits)
            except DeriveError:  # a power outside L^2 gives no bound; not an error
                self._powers[j] = None
        return self._powers[j]

    def lower_bound(self, k: int) -> OrderEvidence | None:
        c = self.expansion.coefficients[k]
        if c.status == "nonzero":
            return OrderEvidence(k, "nonzero", Certificate(
                c.certificate.kind if c.certificate.kind != SYMMETRY else EXACT,
                f"lambda_{k}^2 >= {k}! c_{k}^2 / E[y^2] > 0 since c_{k} = {_show(c)} != 0",
                c.certificate.bound,
            ))
        return None

    def power_bound(self, k: int) -> OrderEvidence | None:
        for j in (2, 3):
            expansion = self.power_expansion(j)
            if expansion is None:
                continue
            c = expansion.coefficients[k]
            if c.status == "nonzero":
                kind = EXACT if c.exact is not None else NUMERIC
                return OrderEvidence(k, "nonzero", Certificate(
                    INEQUALITY if kind == EXACT else NUMERIC,
                    f"lambda_{k}^2 >= E[y^{j} h_{k}]^2 / E[y^{2 * j}] > 0 since the He_{k} "
                    f"coefficient of y^{j} is {_show(c)} != 0",
                    None if kind == EXACT else c.certificate.bound,
                ))
        return None

    def injective(self, k: int) -> OrderEvidence | None:
        try:
            cell = self.structure.injective_cell
        except LevelSetError:
            return None
        if cell is None:
            return None
        return OrderEvidence(k, "nonzero", Certificate(
            EXACT,
            f"y determines z for labels in ({mpmath.nstr(cell.lower, 6)}, "
            f"{mpmath.nstr(cell.upper, 6)}), a set of positive probability, so "
            f"E[h_{k}|y] = h_{k}(z) there",
        ))

    def computed(self, k: int) -> OrderEvidence:
        try:
            structure = self.structure
        except LevelSetError as exc:
            return OrderEvidence(k, "undetermined", Certificate(UNDETERMINED, str(exc)))
        if self._atoms is None:
            self._atoms = atom_contributions(structure, self.max_order)
        atoms = self._atoms[k]
        if structure.is_discrete or not any(not c.injective for c in structure.cells):
            value = sympy.simplify(atoms) if atoms != 0 else atoms
            numeric = sympy.N(value, 40)
            if value == 0:
                return OrderEvidence(k, "zero", Certificate(
                    EXACT, f"discrete label: E[He_{k} 1_A] = 0 exactly on every level set A"
                ), 0.0)
            if abs(numeric) > 1e-30:
                return OrderEvidence(k, "nonzero", Certificate(
                    EXACT, f"discrete label: lambda_{k}^2 = {value}"
                ), float(numeric))
            high = sympy.N(value, 60, maxn=4000)
            if abs(high) < 1e-55:
                return OrderEvidence(k, "zero", Certificate(
                    NUMERIC, "discrete label: closed form evaluates to 0 to 60 digits",
                    bound=1e-55), 0.0)
            return OrderEvidence(k, "nonzero", Certificate(
                EXACT, f"discrete label: lambda_{k}^2 = {value}"), float(high))
        if self._cells is None:
            self._cells = cell_contributions(structure, self.max_order, self.digits)
        values, errors = self._cells
        with mpmath.workdps(self.digits + 15):
            total = values[k] + mpmath.mpf(sympy.N(atoms, self.digits + 15))
            error = errors[k]
        threshold = mpmath.mpf(10) ** (-self.digits)
        bound = max(float(error), float(threshold))
        if abs(total) <= bound:
            return OrderEvidence(k, "zero", Certificate(
                NUMERIC, f"level-set quadrature: |lambda_{k}^2| <= {bound:.1e}", bound=bound
            ), float(total))
        # a numeric non-zero must also clear 10^-(digits/2): root finding on very flat or
        # very steep links can leave errors larger than the quadrature's own estimate
        if total > 10 * error and total > mpmath.mpf(10) ** (-self.digits // 2):
            return OrderEvidence(k, "nonzero", Certificate(
                NUMERIC, f"level-set quadrature: lambda_{k}^2 = {mpmath.nstr(total, 8)} "
                f"+- {float(error):.1e}", bound=float(error)
            ), float(total))
        return OrderEvidence(k, "undetermined", Certificate(
            UNDETERMINED, f"lambda_{k}^2 = {mpmath.nstr(total, 3)} not resolved from its "
            f"error {float(error):.1e}"
        ), float(total))


def generative_exponent(
    expansion: HermiteExpansion,
    form: PiecewiseForm | None,
    max_order: int | None = None,
    digits: int = 20,
    noise: sympy.Expr = sympy.Integer(0),
) -> ExponentResult:
    """First k >= 1 with E[E[h_k(z)|y]^2] > 0, every lower zero certified.

    ``form`` is the link's piecewise decomposition (None for polynomials, which are then
    decomposed here). See the module docstring for the order of arguments tried.

    >>> from derive import analyze
    >>> analyze("He3(z)").generative_exponent.value
    1
    """
    from .piecewise import decompose

    max_order = expansion.max_order if max_order is None else max_order
    inner, maps = peel_injective(expansion.expression, expansion.variable)
    peel_note = ""
    if maps:
        # y = T(inner) with T injective: same conditional laws, simpler level sets
        form = decompose(inner, expansion.variable)
        peel_note = (f"; computed on g = {inner} since y = T(g) with T injective "
                     f"({', '.join(maps)}), which leaves E[h_k | y] unchanged")
    elif form is None:
        form = decompose(expansion.expression, expansion.variable)
    search = _GenerativeSearch(expansion, form, max_order, digits, inner)
    evidence: list[OrderEvidence] = []
    noise_note = peel_note
    if noise != 0:
        noise_note += (
            f"; label noise of variance {noise} leaves the zeros unchanged (Gaussian "
            f"convolution is injective), so the noiseless level sets decide"
        )
    for k in range(1, max_order + 1):
        if expansion.parity == 0 and k % 2 == 1:
            evidence.append(OrderEvidence(k, "zero", Certificate(
                SYMMETRY, f"the link is even, so z -> -z fixes y and E[h_{k}|y] = 0 (odd k)"
            ), 0.0))
            continue
        item = (
            search.lower_bound(k)
            or search.injective(k)
            or search.power_bound(k)
            or search.computed(k)
        )
        evidence.append(item)
        if item.status == "nonzero":
            reason = {1: "lambda_1^2 > 0", 2: "lambda_1^2 vanishes and lambda_2^2 > 0"}.get(
                k, f"lambda_1^2..lambda_{k - 1}^2 vanish and lambda_{k}^2 > 0"
            )
            return ExponentResult(
                "generative exponent", k, max_order, tuple(evidence), reason + noise_note
            )
        if item.status == "undetermined":
            return ExponentResult(
                "generative exponent", None, max_order, tuple(evidence),
                f"undetermined: lambda_{k}^2 could not be separated from 0" + noise_note,
            )
    return ExponentResult(
        "generative exponent", None, max_order, tuple(evidence),
        f"undetermined up to order {max_order}: lambda_1^2..lambda_{max_order}^2 all vanish"
        + noise_note,
    )


@dataclass(frozen=True)
class ConditionalMoment:
    """lambda_k^2 = E_y[E[h_k(z) | y]^2] for a deterministic link, with its error estimate."""

    order: int
    value: float
    error_bound: float
    exact: sympy.Expr | None = None

    def to_dict(self) -> dict:
        return {
            "order": self.order,
            "value": self.value,
            "error_bound": self.error_bound,
            "exact": None if self.exact is None else str(self.exact),
        }


def conditional_moments(
    expansion: HermiteExpansion,
    form: PiecewiseForm | None = None,
    max_order: int | None = None,
    digits: int = 20,
    noise: float = 0.0,
) -> tuple[ConditionalMoment, ...]:
    """All lambda_k^2, k = 1..max_order (level sets + atoms; :mod:`derive.noisy` with noise).

    Noiseless: exact for piecewise-constant links, otherwise high-precision quadrature over
    every label cell. With label noise of variance ``noise``: double-precision quadrature.
    Jensen: lambda_k^2 <= E[h_k^2] = 1, with equality for injective noiseless links.

    >>> from derive import parse_target, hermite_expansion
    >>> [round(m.value, 12) for m in conditional_moments(hermite_expansion(parse_target("z**2"), 4))]
    [0.0, 1.0, 0.0, 1.0]
    """
    from .piecewise import decompose

    max_order = expansion.max_order if max_order is None else max_order
    if form is None:
        form = decompose(expansion.expression, expansion.variable)
    if noise:
        from .noisy import noisy_lambdas

        values, errors = noisy_lambdas(form, float(noise), max_order)
        return tuple(ConditionalMoment(k, v, e) for k, (v, e) in
                     enumerate(zip(values, errors), start=1))
    try:
        structure = level_set_structure(form, even=expansion.parity == 0)
    except LevelSetError as exc:
        raise DeriveError(f"conditional moments undetermined: {exc}")
    atoms = atom_contributions(structure, max_order)
    if structure.cells:
        values, errors = cell_contributions(structure, max_order, digits, include_injective=True)
    else:
        values = errors = [mpmath.mpf(0)] * (max_order + 1)
    out = []
    for k in range(1, max_order + 1):
        exact = sympy.simplify(atoms[k]) if not structure.cells else None
        with mpmath.workdps(digits + 15):
            value = values[k] + mpmath.mpf(sympy.N(atoms[k], digits + 15))
        out.append(ConditionalMoment(k, float(value), float(errors[k]), exact))
    return tuple(out)

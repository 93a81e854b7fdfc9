"""Analysis of multi-index targets g(z1, ..., zr): Hermite tensors and leap filtrations.

Exact for polynomial targets (Hermite coefficients by Stein's identity, conditional tensors
by Isserlis' theorem, spans by exact linear algebra; see :mod:`derive.tensors` and
:mod:`derive.leap`). Non-polynomial multi-index targets are refused with a clear message
rather than approximated.

>>> from derive.target import parse_target
>>> m = analyze_multi_index(parse_target("z1*z2*z3"))
>>> m.information.leap, m.generative.leap
(3, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .errors import DeriveError
from .leap import (
    CoordinateLeap,
    Filtration,
    OneStepResult,
    coordinate_leap_from_support,
    generative_filtration,
    index_subspace,
    information_filtration,
    linear_batch_giant_steps,
    one_giant_step,
)
from .target import Target
from .separable import (
    MAX_ORDER as SEPARABLE_ORDER,
    generative_filtration_separable,
    hermite_coefficients_separable,
    information_filtration_separable,
    linear_giant_steps_separable,
    one_giant_step_separable,
    separate,
)
from .tensors import as_polynomial, hermite_coefficients

MAX_DEGREE = 12


@dataclass(frozen=True)
class MultiIndexAnalysis:
    """Hermite coefficients c_alpha and the filtrations of a polynomial multi-index target."""

    coefficients: dict
    max_order: int
    effective_dimension: int
    effective_basis: tuple[tuple[sympy.Expr, ...], ...]
    information: Filtration
    generative: Filtration
    linear_giant_steps: Filtration
    one_step: tuple[OneStepResult, ...]
    coordinate: CoordinateLeap
    #: error bounds of numeric coefficients (absent: exact)
    bounds: dict | None = None
    #: orders the coefficient table covers when the expansion does not terminate
    truncated: bool = False

    def first_order(self, filtration: Filtration) -> int | None:
        return filtration.steps[0].order if filtration.steps else None

    def hermite_dict(self) -> dict:
        rows = []
        bounds = self.bounds or {}
        for alpha, value in self.coefficients.items():
            bound = bounds.get(alpha)
            rows.append({
                "order": sum(alpha),
                "multi_index": list(alpha),
                "exact": None if bound is not None else str(value),
                "value": float(value),
                "error_bound": float(bound or 0.0),
                "status": "nonzero",
                "certificate": f"numeric(bound={bound:.1g})" if bound is not None
                else "exact-symbolic",
            })
        return {
            "max_order": self.max_order,
            "convention": "probabilists' He_alpha = prod_i He_alpha_i(z_i), "
                          "c_alpha = E[g He_alpha] / alpha!; entries not listed are exactly 0",
            "method": "separable: products of univariate expansions" if self.truncated
            else "polynomial basis change (Stein)",
            "coefficients": rows,
        }

    def giant_step_dict(self) -> dict:
        cumulative = 0
        multi = []
        for i, step in enumerate(self.linear_giant_steps.steps, start=1):
            cumulative += step.dimension_added
            multi.append({"step": i, "dimension_learned": cumulative,
                          "basis_added": [[str(x) for x in v] for v in step.basis]})
        return {
            "one_step": [s.to_dict() for s in self.one_step],
            "multi_step_linear_batch": multi,
            "source": "Dandi, Krzakala, Loureiro, Pesce, Stephan, JMLR 2024 (arXiv:2305.18270)",
        }


def analyze_multi_index(target: Target, max_order: int = 8) -> MultiIndexAnalysis:
    expr = sympy.expand(target.expression)
    variables = target.variables
    poly = as_polynomial(expr, variables)
    if poly is None:
        form = separate(target.expression, variables)
        if form is None:
            raise DeriveError(
                f"'{target.text}': non-polynomial multi-index targets are analysed when they "
                f"are sums of products of functions of one coordinate each (e.g. "
                f"sign(z1*z2), relu(z1)*z2); this one mixes coordinates inside a function, "
                f"which is not supported yet"
            )
        return _analyze_separable(form, target)
    if poly.total_degree() > MAX_DEGREE:
        raise DeriveError(
            f"'{target.text}': degree {poly.total_degree()} too large for the exact "
            f"multi-index analysis (at most {MAX_DEGREE})"
        )
    degree = poly.total_degree()
    order = max(max_order, degree)
    # order >= degree: the full support, which also decides the coordinate leap
    coefficients = hermite_coefficients(expr, variables, order)
    basis = index_subspace(expr, variables)
    orthonormal = sympy.GramSchmidt(basis, True) if basis else []
    return MultiIndexAnalysis(
        coefficients=coefficients,
        max_order=order,
        effective_dimension=len(basis),
        effective_basis=tuple(tuple(sympy.radsimp(x) for x in v) for v in orthonormal),
        information=information_filtration(expr, variables, order),
        generative=generative_filtration(expr, variables, order),
        linear_giant_steps=linear_batch_giant_steps(expr, variables),
        one_step=one_giant_step(expr, variables, order),
        coordinate=coordinate_leap_from_support(coefficients),
    )


def _analyze_separable(form, target: Target) -> MultiIndexAnalysis:
    values = hermite_coefficients_separable(form, SEPARABLE_ORDER)
    coefficients = {a: (v.exact if v.exact is not None else sympy.Float(v.value, 20))
                    for a, v in values.items()}
    bounds = {a: v.bound for a, v in values.items() if v.exact is None}
    information = information_filtration_separable(form)
    try:
        generative = generative_filtration_separable(form)
    except DeriveError as exc:
        generative = Filtration("generative leap", (), 0, information.effective_dimension,
                                str(exc))
    r = form.r
    dependent = [i for i in range(r) if any(fs[i] != 1 for _, fs in form.terms)]
    basis = tuple(tuple(sympy.Integer(int(j == i)) for j in range(r)) for i in dependent)
    support = {a: 1 for a in coefficients}
    return MultiIndexAnalysis(
        coefficients=coefficients,
        max_order=SEPARABLE_ORDER,
        effective_dimension=len(dependent),
        effective_basis=basis,
        information=information,
        generative=generative,
        linear_giant_steps=linear_giant_steps_separable(form),
        one_step=one_giant_step_separable(form),
        coordinate=coordinate_leap_from_support(support),
        bounds=bounds,
        truncated=True,
    )

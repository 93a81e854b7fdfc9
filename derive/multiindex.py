"""Analysis of multi-index targets g(z1, ..., zr): Hermite tensors and leap filtrations.

Exact for polynomial targets (Hermite coefficients by Stein's identity, conditional tensors
by Isserlis' theorem, spans by exact linear algebra; see :mod:`derive.tensors` and
:mod:`derive.leap`). Non-polynomial targets: separable ones (sums of products of functions
of one coordinate, possibly after a rotation; :mod:`derive.separable`) get every filtration;
sums of ridge functions f(<w, z>) with non-orthogonal w get exact tensors and the first step
of every filtration (:mod:`derive.ridge`), later steps undetermined. Anything else with
r <= 4 gets error-bounded coefficients by nested quadrature split at its kinks
(:mod:`derive.cubature`; for r = 4 only while the split grid stays small) and the filtration
steps those numbers and exact sign-flip and signed-permutation symmetries decide
(:mod:`derive.numeric_leap`, :mod:`derive.signed_permutations`);
what the quadrature cannot take (r = 4 with many kinks, a target not finite on the nodes)
falls back to Monte Carlo (:mod:`derive.montecarlo`); larger r is refused with a clear
message.

>>> from derive.target import parse_target
>>> m = analyze_multi_index(parse_target("z1*z2*z3"))
>>> m.information.leap, m.generative.leap
(3, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from .certificates import Certificate
from .errors import DeriveError
from .leap import (
    CoordinateLeap,
    Filtration,
    OneStepResult,
    coordinate_leap_from_support,
    coordinate_leap_numeric,
    giant_steps_from_information,
    FiltrationStep,
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
    rotate_to_separable,
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
    #: orthogonal Q when the coefficients are given in the basis w = Q^T z
    rotation: sympy.Matrix | None = None
    #: how the coefficients were obtained (None: polynomial or separable, from the flags)
    method: str | None = None
    #: numeric coefficients not resolved from 0 and not 0 by symmetry: alpha -> (value, bound)
    unresolved: dict | None = None

    def hermite_dict(self) -> dict:
        rows = []
        bounds = self.bounds or {}
        quadrature = self.method is not None and self.method.startswith("nested quadrature")
        entries = [(a, v, "nonzero") for a, v in self.coefficients.items()]
        entries += [(a, sympy.Float(v, 15), "undetermined")
                    for a, (v, _) in (self.unresolved or {}).items()]
        for alpha, value, status in entries:
            bound = (bounds.get(alpha) if status == "nonzero"
                     else self.unresolved[alpha][1])
            statistical = self.method is not None and self.method.startswith("monte carlo")
            if bound is None:
                certificate = "exact-symbolic"
            elif statistical:
                certificate = f"monte-carlo(se={bound:.1g})"
            elif quadrature:
                certificate = (f"quadrature(err={bound:.1g})" if status == "nonzero"
                               else "undetermined")
            else:
                certificate = f"numeric(bound={bound:.1g})"
            row = {
                "order": sum(alpha),
                "multi_index": list(alpha),
                "exact": None if bound is not None else str(value),
                "value": float(value),
                "error_bound": float(bound or 0.0),
                "status": status,
                "certificate": certificate,
            }
            if statistical:  # a 95% confidence interval from the standard error
                row["ci95"] = [float(value) - 1.96 * bound, float(value) + 1.96 * bound]
            if quadrature:  # an a-posteriori estimate, not a rigorous enclosure
                row["error"] = float(bound)
                row["method"] = "nested quadrature"
            rows.append(row)
        return {
            "max_order": self.max_order,
            "basis": None if self.rotation is None else {
                "coordinates": "w = Q^T z",
                "Q_columns": [[str(x) for x in self.rotation.col(j)]
                              for j in range(self.rotation.shape[1])]},
            "convention": "probabilists' He_alpha = prod_i He_alpha_i(z_i), "
                          "c_alpha = E[g He_alpha] / alpha!; entries not listed are exactly 0"
                          + ("" if not (self.method or "").startswith("monte carlo") else
                             " (here: not resolved from 0 by Monte Carlo)")
                          + ("" if not quadrature else
                             " by a sign-flip symmetry; 'undetermined' rows are within "
                             "NONZERO_FACTOR = 10 times their error of 0"),
            "method": self.method or ("separable: products of univariate expansions"
                                      if self.truncated else "polynomial basis change (Stein)"),
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


MAX_USED_VARIABLES = 8


def analyze_multi_index(target: Target, max_order: int = 8) -> MultiIndexAnalysis:
    """Analyse on the coordinates the target uses; unused ones are embedded back as zeros."""
    used = tuple(v for v in target.variables if v in target.expression.free_symbols)
    if len(used) > MAX_USED_VARIABLES:
        raise DeriveError(
            f"'{target.text}' uses {len(used)} coordinates; the exact multi-index analysis "
            f"handles at most {MAX_USED_VARIABLES}"
        )
    if used == target.variables:
        return _analyze_multi_index(target, max_order)
    reduced = Target(target.expression, used, target.noise, target.text, target.name)
    return _embed(_analyze_multi_index(reduced, max_order), target.variables, used)


def _embed(analysis: MultiIndexAnalysis, variables, used) -> MultiIndexAnalysis:
    positions = [variables.index(v) for v in used]
    r = len(variables)

    def vector(v):
        full = [sympy.Integer(0)] * r
        for p, x in zip(positions, v):
            full[p] = x
        return tuple(full)

    def index(alpha):
        full = [0] * r
        for p, a in zip(positions, alpha):
            full[p] = a
        return tuple(full)

    def filtration(f: Filtration) -> Filtration:
        steps = tuple(FiltrationStep(s.order, tuple(vector(v) for v in s.basis), s.certificate)
                      for s in f.steps)
        return Filtration(f.name, steps, f.learned_dimension, f.effective_dimension,
                          f.undetermined, f.stopped)

    rotation = None
    if analysis.rotation is not None:
        rotation = sympy.eye(r)
        for i, p in enumerate(positions):
            for j, q in enumerate(positions):
                rotation[p, q] = analysis.rotation[i, j]
    return MultiIndexAnalysis(
        coefficients={index(a): v for a, v in analysis.coefficients.items()},
        max_order=analysis.max_order,
        effective_dimension=analysis.effective_dimension,
        effective_basis=tuple(vector(v) for v in analysis.effective_basis),
        information=filtration(analysis.information),
        generative=filtration(analysis.generative),
        linear_giant_steps=filtration(analysis.linear_giant_steps),
        one_step=tuple(OneStepResult(s.batch_exponent, s.dimension_learned,
                                     tuple(vector(v) for v in s.basis))
                       for s in analysis.one_step),
        coordinate=CoordinateLeap(analysis.coordinate.value,
                                  tuple(index(a) for a in analysis.coordinate.order)),
        bounds=None if analysis.bounds is None else {index(a): b
                                                     for a, b in analysis.bounds.items()},
        truncated=analysis.truncated,
        rotation=rotation,
        method=analysis.method,
        unresolved=None if analysis.unresolved is None else {
            index(a): v for a, v in analysis.unresolved.items()},
    )


def _analyze_multi_index(target: Target, max_order: int) -> MultiIndexAnalysis:
    expr = sympy.expand(target.expression)
    variables = target.variables
    poly = as_polynomial(expr, variables)
    if poly is None:
        form = separate(target.expression, variables)
        rotation = None
        if form is None:
            rotated = rotate_to_separable(target.expression, variables)
            if rotated is not None:
                rotation, form = rotated
        if form is None:
            from .ridge import ridge_form

            ridges = ridge_form(target.expression, variables)
            if ridges is not None:
                return _continue_numerically(_analyze_ridges(ridges, target), target)
            if len(variables) <= 4:
                try:
                    return _analyze_quadrature(target)
                except DeriveError:
                    pass  # not finite on the nodes, or (r = 4) too many cells: the
                    # statistical last resort says so
            if len(variables) <= 4:
                return _analyze_monte_carlo(target)
            raise DeriveError(
                f"'{target.text}': non-polynomial multi-index targets are analysed when they "
                f"are sums of products of functions of one coordinate each (e.g. "
                f"sign(z1*z2), relu(z1)*z2), possibly after a rotation, or sums of ridge "
                f"functions f(<w, z>) plus a polynomial; this one mixes coordinates inside a "
                f"function in neither way"
            )
        try:
            analysis = _analyze_separable(form, target, rotation)
        except DeriveError as exc:
            raise DeriveError(f"'{target.text}': a one-coordinate factor fails: {exc}")
        return _continue_numerically(analysis, target)
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
        generative=_generative_any_basis(expr, variables, order),
        linear_giant_steps=linear_batch_giant_steps(expr, variables),
        one_step=one_giant_step(expr, variables, order),
        coordinate=coordinate_leap_from_support(coefficients),
    )


def _analyze_ridges(form, target: Target) -> MultiIndexAnalysis:
    """Ridge sums (derive.ridge): exact tensors, the first step of every filtration."""
    from .ridge import (
        MAX_ORDER,
        effective_basis,
        first_information_step,
        further_steps,
        ridge_coefficients,
        ridge_expansions,
    )
    from .ridge import _range as joint_range

    try:
        expansions = ridge_expansions(form, MAX_ORDER)
        values = ridge_coefficients(form, MAX_ORDER, expansions)
    except DeriveError as exc:
        raise DeriveError(f"'{target.text}': {exc}") from None
    r = len(form.variables)
    effective = effective_basis(form)
    dimension = len(effective)
    later = ("the steps after the first condition on the learned directions, which needs "
             "conditional tensors of non-polynomial functions of mixed coordinates: not "
             "implemented")

    def filtration(name, step):
        if step is None:
            return Filtration(name, (), 0, dimension, later)
        learned = step.dimension_added
        if learned < dimension:
            more, reason = further_steps(form, expansions, step.basis, MAX_ORDER)
            steps = (step, *(FiltrationStep(k, b, c) for k, b, c in more))
            learned = sum(s.dimension_added for s in steps)
            return Filtration(name, steps, learned, dimension,
                              None if learned == dimension else reason)
        return Filtration(name, (step,), learned, dimension,
                          None if learned == dimension else later)

    order, basis, certificate = first_information_step(values, r, MAX_ORDER)
    if order is None:
        information = Filtration("information leap", (), 0, dimension, basis)
        first = None
    else:
        first = FiltrationStep(order, basis, certificate)
        information = filtration("information leap", first)
    if first is not None and order == 1:
        if information.complete and information.leap == 1:
            # generative leap <= information leap (Damian, Lee, Bruna 2025): all order 1
            generative = Filtration("generative leap", tuple(
                FiltrationStep(1, s.basis, Certificate(
                    s.certificate.kind, "order 1: generative leap <= information leap = 1; "
                    "the split into steps is the information filtration's (a label "
                    "transform may reveal some directions a step earlier)",
                    s.certificate.bound)) for s in information.steps),
                dimension, dimension)
        else:
            generative_step = FiltrationStep(1, basis, Certificate(
                certificate.kind, "E[z y] = C_1 != 0; the span is a lower bound (other label "
                "transforms T(y) may add directions)", certificate.bound))
            generative = Filtration("generative leap", (generative_step,),
                                    generative_step.dimension_added, dimension,
                                    None if generative_step.dimension_added == dimension
                                    else later)
        # repeated batch-O(d) steps follow the order-1 part of the information filtration
        giant = giant_steps_from_information(information, information.undetermined or later)
    else:
        generative = Filtration("generative leap", (), 0, dimension,
                                "E[z y] = 0: whether another label transform has E[z T(y)] != 0 "
                                "is not decided for non-polynomial ridge sums")
        stopped = ("C_1 = 0: a step with batch O(d) learns nothing"
                   if all(c.status == "zero" for a, c in values.items() if sum(a) == 1)
                   else None)
        giant = Filtration("giant steps with batch n = Theta(d)", (), 0, dimension,
                           None if stopped else "C_1 is not resolved from 0", stopped)
    one_step = []
    for ell in range(1, MAX_ORDER + 1):
        span, _ = joint_range(values, list(range(1, ell + 1)), r)
        one_step.append(OneStepResult(ell, len(span), span))
        if len(span) == dimension:
            break
    coefficients = {a: (c.exact if c.exact is not None else sympy.Float(c.value, 15))
                    for a, c in values.items() if c.status != "zero"}
    bounds = {a: c.bound for a, c in values.items() if c.status != "zero" and c.exact is None}
    return MultiIndexAnalysis(
        coefficients=coefficients,
        max_order=MAX_ORDER,
        effective_dimension=dimension,
        effective_basis=effective,
        information=information,
        generative=generative,
        linear_giant_steps=giant,
        one_step=tuple(one_step),
        coordinate=CoordinateLeap(None, ()),
        bounds=bounds or None,
        truncated=True,
        method="ridge sum: univariate expansions of each unit by Stein's identity",
    )


def _continue_numerically(analysis: MultiIndexAnalysis, target: Target) -> MultiIndexAnalysis:
    """Where an exact (separable or ridge) filtration stops as undetermined and r <= 3, the
    nested-quadrature filtration (derive.numeric_leap) continues it, if it is complete and
    repeats the exact steps first (derive.numeric_leap.extend); the coefficients stay exact."""
    from dataclasses import replace

    from .cubature import MAX_ORDER, MAX_VARIABLES, hermite_table
    from .numeric_leap import extend, filtrations, flips_from
    from .signed_permutations import signed_permutation_symmetries

    variables = target.variables
    pending = [f for f in (analysis.information, analysis.generative)
               if f.undetermined is not None]
    if len(variables) > MAX_VARIABLES or not pending or \
            analysis.effective_dimension != len(variables):
        return analysis
    try:
        table = hermite_table(target.expression, variables,
                              MAX_ORDER if len(variables) <= 2 else 4)
    except DeriveError:
        return analysis
    symmetries = signed_permutation_symmetries(target.expression, variables)
    information, generative = filtrations(table, flips_from(symmetries), symmetries)
    updates = {}
    for name, numeric in (("information", information), ("generative", generative)):
        extended = extend(getattr(analysis, name), numeric)
        if extended is not None:
            updates[name] = extended
    if "information" in updates and analysis.linear_giant_steps.undetermined is not None:
        updates["linear_giant_steps"] = giant_steps_from_information(updates["information"])
    return replace(analysis, **updates) if updates else analysis


def _analyze_quadrature(target: Target) -> MultiIndexAnalysis:
    """Nested quadrature split at the kinks (derive.cubature) and the filtrations it decides
    (derive.numeric_leap): non-zeros from error-bounded values, zeros from sign flips."""
    from .cubature import MAX_ORDER, hermite_table
    from .numeric_leap import filtrations, flips_from, one_giant_step
    from .signed_permutations import signed_permutation_symmetries

    variables = target.variables
    r = len(variables)
    order = MAX_ORDER if r <= 2 else 4
    table = hermite_table(target.expression, variables, order)
    symmetries = signed_permutation_symmetries(target.expression, variables)
    flips = flips_from(symmetries)
    information, generative = filtrations(table, flips, symmetries)
    coefficients, bounds, unresolved = {}, {}, {}
    for alpha, value in table.values.items():
        if any(f.kills(alpha) for f in flips):
            continue  # exactly 0 by a sign flip
        if table.is_nonzero(alpha):
            coefficients[alpha] = sympy.Float(value, 15)
            bounds[alpha] = table.errors[alpha]
        else:
            unresolved[alpha] = (value, table.errors[alpha])
    return MultiIndexAnalysis(
        coefficients=coefficients,
        max_order=order,
        effective_dimension=r,
        effective_basis=tuple(tuple(sympy.Integer(int(i == j)) for j in range(r))
                              for i in range(r)),
        information=information,
        generative=generative,
        linear_giant_steps=giant_steps_from_information(information),
        one_step=one_giant_step(table, flips, symmetries),
        coordinate=coordinate_leap_numeric(
            coefficients, lambda alpha: any(f.kills(alpha) for f in flips), order, r,
            even_coordinates=tuple(next(iter(f.flipped)) for f in flips
                                   if len(f.flipped) == 1 and f.sign == 1)),
        bounds=bounds,
        truncated=True,
        method=table.method,
        unresolved=unresolved,
    )


def _analyze_monte_carlo(target: Target) -> MultiIndexAnalysis:
    """The last resort (derive.montecarlo): coefficients with standard errors, and the first
    step when C_1 is resolved from 0; everything that needs a zero is undetermined."""
    from .certificates import STATISTICAL
    from .montecarlo import SAMPLES, SIGMAS, monte_carlo_coefficients

    variables = target.variables
    r = len(variables)
    table = monte_carlo_coefficients(target.expression, variables, 4)
    # exact symmetry first: g even in z_i makes every c_alpha with alpha_i odd vanish
    even = [sympy.simplify(target.expression.xreplace({v: -v}) - target.expression) == 0
            for v in variables]
    negation = sympy.simplify(target.expression.xreplace({v: -v for v in variables})
                              - target.expression) == 0  # g(-z) = g(z): odd orders vanish
    table = {a: ((0.0, 0.0) if any(e and a_i % 2 for e, a_i in zip(even, a))
                 or (negation and sum(a) % 2) else value)
             for a, value in table.items()}
    resolved = {a: (m, se) for a, (m, se) in table.items() if abs(m) > SIGMAS * se}
    why = (f"Monte Carlo last resort ({SAMPLES} samples): a coefficient is non-zero when its "
           f"mean is more than {SIGMAS:g} standard errors from 0; zeros cannot be certified")
    axes = [tuple(int(i == j) for j in range(r)) for i in range(r)]
    first = [(a, *table[a]) for a in axes]
    c1 = np.array([m for _, m, _ in first])
    order_one = any(sum(a) == 1 for a in resolved)
    steps = ()
    one_step = ()
    if order_one:
        norm = float(np.linalg.norm(c1))
        direction = tuple(sympy.Float(x / norm, 12) for x in c1)
        se = max(se for _, _, se in first)
        step = FiltrationStep(1, (direction,), Certificate(
            STATISTICAL, f"C_1 = E[grad g] != 0 ({why}); its direction is an estimate",
            se))
        steps = (step,)
        one_step = (OneStepResult(1, 1, (direction,)),)
    later = ("beyond the first order-1 step the Monte Carlo fallback cannot certify the zeros "
             "a filtration needs" if order_one else
             "no order-1 coefficient is resolved from 0, and Monte Carlo cannot certify zeros")

    def filtration(name):
        return Filtration(name, steps, len(steps), r, later if r > len(steps) else None)

    return MultiIndexAnalysis(
        coefficients={a: sympy.Float(m, 12) for a, (m, _) in resolved.items()},
        max_order=4,
        effective_dimension=r,
        effective_basis=tuple(tuple(sympy.Integer(int(i == j)) for j in range(r))
                              for i in range(r)),
        information=filtration("information leap"),
        generative=filtration("generative leap"),
        linear_giant_steps=filtration("giant steps with batch n = Theta(d)"),
        one_step=one_step,
        coordinate=CoordinateLeap(None, ()),
        bounds={a: se for a, (_, se) in resolved.items()},
        truncated=True,
        method=f"monte carlo: {SAMPLES} samples, standard errors as bounds",
    )


def _generative_any_basis(expr, variables, order: int) -> Filtration:
    """The generative filtration, retried in the basis of the target's linear factors.

    Its zeros are certified by coordinate sign flips, which a rotated target hides
    (z1 z2 z3 written in a rotated basis). If the polynomial factors over the rationals into
    pairwise orthogonal homogeneous linear forms (times other factors), the filtration is
    computed again in the orthonormal basis those forms start, where the flips reappear, and
    its directions are rotated back: the filtration is rotation-covariant (Damian, Lee,
    Bruna 2025), so this is the same filtration, now certified.
    """
    filtration = generative_filtration(expr, variables, order)
    if filtration.undetermined is None:
        return filtration
    rotation = _linear_factor_rotation(expr, variables)
    if rotation is None:
        return filtration
    w = sympy.symbols(f"w1:{len(variables) + 1}", real=True)
    rotated = sympy.expand(expr.xreplace(dict(zip(variables, rotation * sympy.Matrix(w)))))
    retried = generative_filtration(rotated, w, order)
    if retried.undetermined is not None:
        return filtration
    steps = tuple(FiltrationStep(
        step.order, tuple(_rotate_vector(rotation, v) for v in step.basis),
        Certificate(step.certificate.kind,
                    f"{step.certificate.reason} (in the orthonormal basis of the target's "
                    f"linear factors)", step.certificate.bound))
        for step in retried.steps)
    return Filtration(retried.name, steps, retried.learned_dimension,
                      retried.effective_dimension, None, retried.stopped)


def _linear_factor_rotation(expr, variables):
    """Orthogonal Q whose first columns are the target's pairwise orthogonal linear factors."""
    from .separable import orthonormal_completion

    try:
        _, factors = sympy.factor_list(expr, *variables)
    except sympy.PolynomialError:
        return None
    directions = []
    for factor, _ in factors:
        poly = sympy.Poly(factor, *variables)
        if poly.total_degree() != 1 or poly.coeff_monomial(1) != 0:
            continue
        vector = sympy.Matrix([poly.coeff_monomial(v) for v in variables])
        if not any(sympy.Matrix.hstack(u, vector).rank() == 1 for u in directions):
            directions.append(vector)
    if len(directions) < 2 or all(sum(1 for x in v if x != 0) == 1 for v in directions):
        return None  # nothing to gain: no factor, or the factors are already coordinates
    return orthonormal_completion(directions, len(variables))


def _rotate_vector(rotation, vector) -> tuple:
    if rotation is None:
        return tuple(vector)
    entries = [sympy.radsimp(x) for x in rotation * sympy.Matrix(vector)]
    first = next((x for x in entries if x != 0), 1)
    sign = -1 if (first.is_number and first.is_negative) else 1
    return tuple(sign * x for x in entries)


def _single_direction_generative(form, index: int) -> Filtration | None:
    """A target depending on one direction is single-index: its generative leap is the
    generative exponent of the univariate link (:mod:`derive.exponents`)."""
    from .exponents import generative_exponent
    from .hermite import hermite_expansion
    from .target import Z

    link = sum(weight * factors[index] for weight, factors in form.terms)
    expansion = hermite_expansion(sympy.expand(link), 8)
    result = generative_exponent(expansion, None)
    if result.value is None:
        return None
    r = form.r
    direction = tuple(sympy.Integer(int(j == index)) for j in range(r))
    step = FiltrationStep(result.value, (direction,), Certificate(
        result.evidence[-1].certificate.kind,
        f"single-index in this direction: generative exponent of {link.xreplace({Z: Z})}: "
        f"{result.summary}", result.evidence[-1].certificate.bound))
    return Filtration("generative leap", (step,), 1, 1)


def _rotate_filtration(rotation, filtration: Filtration) -> Filtration:
    if rotation is None:
        return filtration
    steps = tuple(
        FiltrationStep(s.order, tuple(_rotate_vector(rotation, v) for v in s.basis), s.certificate)
        for s in filtration.steps
    )
    return Filtration(filtration.name, steps, filtration.learned_dimension,
                      filtration.effective_dimension, filtration.undetermined, filtration.stopped)


def _analyze_separable(form, target: Target, rotation=None) -> MultiIndexAnalysis:
    """Separable analysis; with ``rotation`` Q the target is separable in w = Q^T z and every
    direction is mapped back to z-space (coefficients c_alpha stay in the w-basis)."""
    values = hermite_coefficients_separable(form, SEPARABLE_ORDER)
    coefficients = {a: (v.exact if v.exact is not None else sympy.Float(v.value, 20))
                    for a, v in values.items()}
    bounds = {a: v.bound for a, v in values.items() if v.exact is None}
    information = information_filtration_separable(form)
    r = form.r
    dependent = [i for i in range(r) if any(fs[i] != 1 for _, fs in form.terms)]
    try:
        generative = generative_filtration_separable(form)
    except DeriveError as exc:
        generative = (_single_direction_generative(form, dependent[0])
                      if len(dependent) == 1 else None)
        if generative is None:
            generative = Filtration("generative leap", (), 0, information.effective_dimension,
                                    str(exc))
    basis = tuple(_rotate_vector(rotation, [sympy.Integer(int(j == i)) for j in range(r)])
                  for i in dependent)
    support = {a: 1 for a in coefficients}
    one_step = tuple(
        OneStepResult(s.batch_exponent, s.dimension_learned,
                      tuple(_rotate_vector(rotation, v) for v in s.basis))
        for s in one_giant_step_separable(form)
    )
    return MultiIndexAnalysis(
        coefficients=coefficients,
        max_order=SEPARABLE_ORDER,
        effective_dimension=len(dependent),
        effective_basis=basis,
        information=_rotate_filtration(rotation, information),
        generative=_rotate_filtration(rotation, generative),
        linear_giant_steps=_rotate_filtration(rotation, linear_giant_steps_separable(form)),
        one_step=one_step,
        coordinate=(coordinate_leap_from_support(support) if rotation is None
                    else CoordinateLeap(None, ())),
        bounds=bounds,
        truncated=True,
        rotation=rotation,
    )

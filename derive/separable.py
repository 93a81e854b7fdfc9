"""Separable multi-index targets: sums of products of functions of one coordinate each.

g(z) = sum_t w_t prod_i f_ti(z_i) (e.g. sign(z1 z2) = sign(z1) sign(z2), relu(z1) z2 +
tanh(z3)). Because the coordinates are independent, every Gaussian quantity factorises:

- Hermite coefficients c_alpha = sum_t w_t prod_i c_{alpha_i}(f_ti), each univariate c from
  :mod:`derive.hermite` (exact where the univariate one is, certified numerics otherwise);
- conditional tensors given learned *coordinates* S: E[g He_alpha(z_perp) | z_S] =
  sum_t w_t F_t(z_S) prod_{j not in S} c_{alpha_j}(f_tj) with F_t = prod_{i in S} f_ti; its
  span over z_S is the column space of W G, G_st = E[F_s F_t] the Gram matrix of the F_t
  (so linearly dependent F_t are handled exactly);
- a discrete label (every factor piecewise constant, e.g. products of signs) has finitely
  many values v, and 1{y = v} = prod_{u != v} (g - u)/(v - u) is separable again, which gives
  the generative tensors E[He_alpha(z_perp) 1{y = v} | z_S] the same way.

Filtrations are computed while the learned subspaces stay coordinate subspaces; a step
that reveals a rotated direction ends the computation with "undetermined" (conditioning on
a rotated subspace breaks the product structure).

>>> from derive.target import parse_target
>>> t = parse_target("sign(z1*z2*z3)")
>>> s = separate(t.expression, t.variables)
>>> generative_filtration_separable(s).leap
3
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import mpmath
import sympy

from .certificates import EXACT, NUMERIC, SYMMETRY, Certificate
from .errors import DeriveError
from .leap import Filtration, FiltrationStep
from .target import Z
from .tensors import multi_indices

MAX_ORDER = 6


@dataclass(frozen=True)
class SeparableForm:
    """sum_t weight_t prod_i factor_ti(z_i); factors are expressions in the symbol z."""

    variables: tuple[sympy.Symbol, ...]
    terms: tuple[tuple[sympy.Expr, tuple[sympy.Expr, ...]], ...]

    @property
    def r(self) -> int:
        return len(self.variables)


def _split_products(expr: sympy.Expr) -> sympy.Expr:
    """sign(ab) -> sign(a) sign(b), |ab| -> |a||b|, step(u) -> (1 + sign(u))/2 (a.e.).

    A polynomial argument that factors over the rationals is split the same way, so that a
    rotated Gaussian parity sign(<q1,z><q2,z><q3,z>) shows its linear forms.
    """

    def factors(argument):
        if argument.is_Mul:
            return argument.args
        if not argument.is_polynomial() or len(argument.free_symbols) < 2:
            return None
        try:
            constant, found = sympy.factor_list(argument)
        except sympy.PolynomialError:
            return None
        if sum(e for _, e in found) < 2:
            return None
        return (constant, *[f**e for f, e in found])

    def rewrite(node):
        if isinstance(node, sympy.Heaviside):
            return (1 + sympy.sign(node.args[0])) / 2
        if isinstance(node, (sympy.sign, sympy.Abs)):
            parts = factors(node.args[0])
            if parts is not None:
                return sympy.Mul(*[type(node)(a) for a in parts])
        return node

    previous = None
    while previous != expr:
        previous = expr
        expr = expr.replace(lambda n: isinstance(n, (sympy.Heaviside, sympy.sign, sympy.Abs)),
                            rewrite)
    return expr


def separate(expr: sympy.Expr, variables) -> SeparableForm | None:
    """The separable form of ``expr``, or None when some factor mixes coordinates."""
    expanded = sympy.expand(_split_products(expr))
    terms = []
    for term in sympy.Add.make_args(expanded):
        weight, rest = term.as_independent(*variables, as_Add=False)
        factors = [sympy.Integer(1)] * len(variables)
        for factor in sympy.Mul.make_args(rest):
            used = [i for i, v in enumerate(variables) if factor.has(v)]
            if not used:
                weight *= factor
                continue
            if len(used) > 1:
                return None
            i = used[0]
            factors[i] = factors[i] * factor.xreplace({variables[i]: Z})
        terms.append((weight, tuple(factors)))
    return SeparableForm(tuple(variables), tuple(terms))


@lru_cache(maxsize=512)
def _univariate(factor: sympy.Expr):
    from .hermite import hermite_expansion

    return hermite_expansion(factor, MAX_ORDER + 2)


@dataclass(frozen=True)
class _Value:
    """A number known exactly (``exact``) or numerically (``value`` +- ``bound``)."""

    exact: sympy.Expr | None
    value: mpmath.mpf
    bound: float

    @staticmethod
    def of_coefficient(c) -> "_Value":
        if c.is_zero and c.certificate.kind in (EXACT, SYMMETRY):
            return _Value(sympy.Integer(0), mpmath.mpf(0), 0.0)
        return _Value(c.exact, c.value, c.error_bound)

    def times(self, other: "_Value") -> "_Value":
        exact = (self.exact * other.exact if self.exact is not None and other.exact is not None
                 else None)
        bound = float(abs(self.value) * other.bound + abs(other.value) * self.bound
                      + self.bound * other.bound)
        return _Value(exact, self.value * other.value, bound)

    def plus(self, other: "_Value") -> "_Value":
        exact = (self.exact + other.exact if self.exact is not None and other.exact is not None
                 else None)
        return _Value(exact, self.value + other.value, self.bound + other.bound)

    def scaled(self, weight) -> "_Value":
        w = mpmath.mpf(sympy.N(weight, 40))
        exact = self.exact * weight if self.exact is not None else None
        return _Value(exact, self.value * w, float(abs(w)) * self.bound)

    def is_zero(self) -> bool:
        if self.exact is not None:
            return sympy.simplify(self.exact) == 0
        return abs(self.value) <= max(self.bound, 1e-25)


_ONE = _Value(sympy.Integer(1), mpmath.mpf(1), 0.0)
_ZERO = _Value(sympy.Integer(0), mpmath.mpf(0), 0.0)


def _coefficient(factor, order: int) -> _Value:
    if factor == 1:
        return _ONE if order == 0 else _ZERO
    if order > MAX_ORDER + 2:
        raise DeriveError(f"order {order} too large for separable targets")
    return _Value.of_coefficient(_univariate(factor).coefficients[order])


def _moment(factor, order: int) -> _Value:
    """E[f(z) He_order(z)] = order! c_order (probabilists')."""
    c = _coefficient(factor, order)
    return c.scaled(sympy.factorial(order))


def _mean_product(f, g) -> _Value:
    """E[f(z) g(z)] for two univariate factors."""
    product_expr = sympy.expand(f * g)
    if product_expr == 1:
        return _ONE
    return _coefficient(product_expr, 0)


def hermite_coefficients_separable(form: SeparableForm, max_order: int) -> dict:
    """c_alpha = sum_t w_t prod_i c_alpha_i(f_ti) for |alpha| <= max_order (non-zero only)."""
    out = {}
    for order in range(max_order + 1):
        for alpha in multi_indices(form.r, order):
            total = _ZERO
            for weight, factors in form.terms:
                value = _ONE
                for factor, a in zip(factors, alpha):
                    value = value.times(_coefficient(factor, a))
                    if value.exact == 0:
                        break
                total = total.plus(value.scaled(weight))
            if not total.is_zero():
                out[alpha] = total
    return out


def _discrete_values(form: SeparableForm) -> list | None:
    """Values of a label whose factors are all piecewise constant, else None.

    Per coordinate, the line is cut at every breakpoint of every factor of that coordinate;
    each interval fixes all of those factors at once, and the label's values are the sums
    over terms for every combination of intervals.
    """
    from .piecewise import _interior_point, _sort_key, decompose

    per_coordinate = []
    for i in range(form.r):
        factors = sorted({fs[i] for _, fs in form.terms if fs[i] != 1}, key=sympy.default_sort_key)
        cuts = set()
        for f in factors:
            pieces = decompose(f, Z).pieces
            if any(p.expr.has(Z) for p in pieces):
                return None
            cuts.update(p.upper for p in pieces[:-1])
        points = [-sympy.oo] + sorted(cuts, key=_sort_key) + [sympy.oo]
        assignments = []
        for a, b in zip(points[:-1], points[1:]):
            x = _interior_point(a, b)
            assignments.append({f: sympy.nsimplify(f.subs(Z, x)) for f in factors})
        per_coordinate.append(assignments)
    values = set()
    for choice in product(*per_coordinate):
        total = sum(w * sympy.Mul(*[choice[i].get(f, 1) for i, f in enumerate(fs)])
                    for w, fs in form.terms)
        values.add(sympy.nsimplify(total))
    return sorted(values, key=lambda v: float(v))


def _indicator(form: SeparableForm, value, values) -> SeparableForm:
    """1{y = value} = prod_{u != value} (g - u)/(value - u), expanded separably."""
    symbols = form.variables
    g = sum(w * sympy.Mul(*[f.xreplace({Z: symbols[i]}) for i, f in enumerate(fs)])
            for w, fs in form.terms)
    indicator = sympy.Integer(1)
    for u in values:
        if u != value:
            indicator *= (g - u) / (value - u)
    separated = separate(sympy.expand(indicator), symbols)
    return _reduce(separated)


def _reduce(form: SeparableForm) -> SeparableForm:
    """Simplify powers of discrete factors: sign(z)^2 = 1 a.e., sign^3 = sign."""
    terms: dict = {}
    for weight, factors in form.terms:
        reduced = []
        for f in factors:
            f = f.replace(lambda n: n.is_Pow and isinstance(n.base, sympy.sign) and n.exp.is_Integer,
                          lambda n: n.base if n.exp % 2 else sympy.Integer(1))
            reduced.append(sympy.expand(f))
        key = tuple(reduced)
        terms[key] = terms.get(key, 0) + weight
    return SeparableForm(form.variables, tuple((w, k) for k, w in terms.items() if w != 0))


def _columns(form: SeparableForm, learned: list[int], k: int):
    """Column vectors (in z_perp coordinates) spanning the range of E[T (x) T] at order k."""
    perp = [i for i in range(form.r) if i not in learned]
    m = len(perp)
    # distinct functions of z_S and, for each, the weight vectors per (beta, i)
    functions: list[tuple] = []
    rows: list[dict] = []
    for weight, factors in form.terms:
        key = tuple(factors[i] for i in learned)
        if key not in functions:
            functions.append(key)
            rows.append({})
        slot = rows[functions.index(key)]
        for beta in multi_indices(m, k - 1) if k >= 1 else []:
            for i in range(m):
                alpha = tuple(b + (1 if j == i else 0) for j, b in enumerate(beta))
                value = _ONE
                for j, a in zip(perp, alpha):
                    value = value.times(_moment(factors[j], a))
                    if value.exact == 0:
                        break
                if value.exact == 0 and value.bound == 0:
                    continue
                slot.setdefault(beta, [_ZERO] * m)
                slot[beta][i] = slot[beta][i].plus(value.scaled(weight))
    exact = all(v.exact is not None for slot in rows for vec in slot.values() for v in vec)
    gram = sympy.zeros(len(functions), len(functions))
    for s, fs in enumerate(functions):
        for t, ft in enumerate(functions):
            value = _ONE
            for f, g in zip(fs, ft):
                value = value.times(_mean_product(f, g))
            if value.exact is None:
                exact = False
            gram[s, t] = value.exact if value.exact is not None else sympy.Float(value.value, 30)
    vectors = []
    betas = sorted({b for slot in rows for b in slot})
    for beta in betas:
        W = sympy.zeros(m, len(functions))
        for t, slot in enumerate(rows):
            for i, v in enumerate(slot.get(beta, [_ZERO] * m)):
                W[i, t] = v.exact if v.exact is not None else sympy.Float(v.value, 30)
        product_matrix = W * gram
        for c in range(product_matrix.shape[1]):
            column = product_matrix[:, c]
            if exact:
                column = column.applyfunc(sympy.simplify)
                if any(x != 0 for x in column):
                    vectors.append(column)
            elif max(abs(float(x)) for x in column) > 1e-20:
                vectors.append(column)
    return perp, vectors, exact


def _coordinate_directions(perp, vectors, r):
    """The learned coordinates if span(vectors) is a coordinate subspace of z_perp, else None."""
    if not vectors:
        return []
    matrix = sympy.Matrix.hstack(*vectors)
    rank = matrix.rank(simplify=True) if all(x.is_number for x in matrix) else matrix.rank()
    support = [i for i in range(matrix.shape[0]) if any(x != 0 for x in matrix.row(i))]
    if len(support) != rank:
        return None
    return [perp[i] for i in support]


def _filtration(form: SeparableForm, kind: str, max_order: int) -> Filtration:
    r = form.r
    dependent = [i for i in range(r) if any(fs[i] != 1 for _, fs in form.terms)]
    effective = len(dependent)
    labels = [form]
    if kind == "generative":
        values = _discrete_values(form)
        if values is None:
            raise DeriveError(
                "the generative leap of a non-polynomial multi-index target is computed "
                "exactly only for discrete labels (products and sums of sign/step factors)"
            )
        labels = [_indicator(form, v, values) for v in values]
    learned: list[int] = []
    steps = []
    undetermined = None
    stopped = None
    while len(learned) < effective:
        found = None
        for k in range(1, (1 if kind == "linear" else max_order) + 1):
            vectors, exact, perp = [], True, None
            for label in labels:
                perp, found_vectors, found_exact = _columns(label, learned, k)
                vectors.extend(found_vectors)
                exact = exact and found_exact
            if vectors:
                found = (k, perp, vectors, exact)
                break
        if found is None:
            stopped = ("E[y z_perp | z_S] = 0 exactly: no first-order coupling to the "
                       "remaining directions" if kind == "linear" else
                       f"no remaining direction is revealed up to order {max_order}")
            break
        k, perp, vectors, exact = found
        coordinates = _coordinate_directions(perp, vectors, r)
        kind_label = EXACT if exact else NUMERIC
        if coordinates is None:
            # the step itself is exact; only conditioning on it would break separability
            embedded = []
            for v in vectors:
                full = [sympy.Integer(0)] * r
                for i, x in zip(perp, v):
                    full[i] = x
                embedded.append(sympy.Matrix(full))
            matrix = sympy.Matrix.hstack(*embedded)
            if not exact:
                matrix = matrix.evalf(30)
            span = matrix.columnspace()
            basis = tuple(_tidy(u, exact) for u in sympy.GramSchmidt(span, True))
            steps.append(FiltrationStep(k, basis, Certificate(
                kind_label, "directions revealed at this order (separable target)",
                None if exact else 1e-20)))
            learned.extend([None] * len(basis))
            if len(learned) < effective:
                undetermined = (f"after order {k}: the directions revealed are not coordinate "
                                f"axes, and conditioning on a rotated subspace breaks the "
                                f"product structure")
            break
        basis = tuple(tuple(sympy.Integer(int(j == i)) for j in range(r)) for i in coordinates)
        what = ("E[1{y=v} He_alpha(z_perp) | z_S] != 0 for a label value v" if kind == "generative"
                else "E[y He_alpha(z_perp) | z_S] != 0")
        certificate = Certificate(kind_label, f"{what} (separable target: factorised Gaussian "
                                              f"integrals); lower orders vanish",
                                  None if exact else 1e-20)
        steps.append(FiltrationStep(k, basis, certificate))
        learned.extend(coordinates)
    name = {"information": "information leap", "generative": "generative leap",
            "linear": "giant steps with batch n = Theta(d)"}[kind]
    return Filtration(name, tuple(steps), len(learned), effective, undetermined, stopped)


def information_filtration_separable(form: SeparableForm, max_order: int = MAX_ORDER) -> Filtration:
    return _filtration(form, "information", max_order)


def generative_filtration_separable(form: SeparableForm, max_order: int = MAX_ORDER) -> Filtration:
    return _filtration(form, "generative", max_order)


def _tidy(vector, exact: bool) -> tuple:
    """Exact entries simplified, numeric ones to 15 digits; first non-zero entry positive."""
    entries = [sympy.radsimp(x) if exact else sympy.Float(x, 15) for x in vector]
    first = next((x for x in entries if x != 0), 1)
    sign = -1 if (first.is_negative if exact else float(first) < 0) else 1
    return tuple(sign * x for x in entries)


def linear_giant_steps_separable(form: SeparableForm) -> Filtration:
    return _filtration(form, "linear", 1)


def one_giant_step_separable(form: SeparableForm, max_exponent: int = MAX_ORDER):
    """Span of range(C_k), k <= l, for one GD step with batch n = Theta(d^l)."""
    from .leap import OneStepResult

    vectors: list = []
    out = []
    effective = len([i for i in range(form.r) if any(fs[i] != 1 for _, fs in form.terms)])
    for ell in range(1, max_exponent + 1):
        perp, found, exact = _columns(form, [], ell)
        vectors.extend(found)
        matrix = sympy.Matrix.hstack(*vectors) if vectors else None
        if matrix is not None and not exact:
            matrix = matrix.evalf(30)
        span = matrix.columnspace() if matrix is not None else []
        basis = sympy.GramSchmidt(span, True) if span else []
        out.append(OneStepResult(ell, len(basis), tuple(_tidy(v, exact) for v in basis)))
        if len(basis) == effective:
            break
    return tuple(out)


_POLYNOMIAL_NODES = (sympy.Add, sympy.Mul, sympy.Symbol, sympy.Number, sympy.NumberSymbol)


def linear_forms(expr: sympy.Expr, variables) -> list[sympy.Matrix] | None:
    """Coefficient vectors of the linear forms inside the target's non-polynomial functions.

    None when some function has a non-linear argument (then no rotation makes the target
    separable by this route).
    """
    vectors: list[sympy.Matrix] = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, _POLYNOMIAL_NODES) or not node.has(*variables):
            continue
        if node.is_Pow and node.exp.is_Integer and node.exp >= 0:
            continue
        if isinstance(node, (sympy.Max, sympy.Min)):
            arguments = [a - b for a in node.args for b in node.args if a != b]
        elif node.is_Pow:
            arguments = [node.base]
        else:
            arguments = list(node.args)
        for argument in arguments:
            if not argument.has(*variables):
                continue
            try:
                poly = sympy.Poly(argument, *variables)
            except sympy.PolynomialError:
                return None
            if poly.total_degree() != 1 or any(c.free_symbols for c in poly.coeffs()):
                return None
            vectors.append(sympy.Matrix([poly.coeff_monomial(v) for v in variables]))
    return vectors


def orthonormal_completion(directions, r: int):
    """Orthogonal Q: the normalised ``directions`` (pairwise orthogonal, else None), then an
    orthonormal basis of their complement."""
    for i, u in enumerate(directions):
        for v in directions[i + 1:]:
            if sympy.simplify(u.dot(v)) != 0:
                return None
    columns = [u / sympy.sqrt(u.dot(u)) for u in directions]
    complement = sympy.Matrix.hstack(*directions).T.nullspace() if len(directions) < r else []
    columns += sympy.GramSchmidt(complement, True) if complement else []
    return sympy.Matrix.hstack(*[c.applyfunc(sympy.radsimp) for c in columns])


def rotate_to_separable(expr: sympy.Expr, variables):
    """An orthogonal Q with g(Q w) separable in w, and that form; None if there is none this way.

    The columns of Q start with the (normalised) linear forms found inside non-polynomial
    functions, which must be pairwise parallel or orthogonal, completed to an orthonormal
    basis; polynomial parts stay polynomial in w.
    """
    found = linear_forms(_split_products(expr), variables)
    if not found:
        return None
    directions: list[sympy.Matrix] = []
    for v in found:
        if any(sympy.Matrix.hstack(u, v).rank() == 1 for u in directions):
            continue
        directions.append(v)
    r = len(variables)
    Q = orthonormal_completion(directions, r)
    if Q is None:
        return None
    w = sympy.symbols(f"w1:{r + 1}", real=True)
    rotated = expr.xreplace(dict(zip(variables, Q * sympy.Matrix(w))))
    rotated = sympy.expand(rotated)
    form = separate(rotated, w)
    if form is None:
        return None
    return Q, form

"""Gaussian expectations of the local fields of a committee, in closed form.

The order-parameter equations of online SGD (Saad & Solla 1995; Goldt et al. 2019,
arXiv:1906.08632) need expectations over the joint Gaussian of the student fields
lambda_k (k < K) and the teacher fields nu_r (r < R) with covariance
[[Q, M], [M^T, I]], of integrands

    P(lambda, nu) * prod_s sigma^(o_s)(lambda_{k_s})

with P a polynomial (the target, label moments, linear fields) and sigma^(o) the o-th
derivative of the student activation. The engine

1. removes every polynomial factor by Gaussian integration by parts (Stein's lemma;
   for polynomials alone this is Isserlis'/Wick's theorem):
   E[x F] = sum_y Cov(x, y) E[d_y F];
2. evaluates the remaining *activation kernel* E[prod_s sigma^(o_s)(u_s)] in closed form:

   * erf (sigma(u) = erf(u / sqrt 2)): sigma' = sqrt(2/pi) exp(-u^2/2) is Gaussian, so the
     slots with odd order are integrated out exactly (matrix determinant lemma and
     Woodbury), leaving at most two erf's whose expectation is Saad & Solla's arcsine
     I2 = (2/pi) asin(C12 / sqrt((1 + C11)(1 + C22))); higher orders follow by Price's
     theorem, d E[F] / d C_ii = E[d_i^2 F] / 2;
   * relu: merged per unit into u^e H(u), H the Heaviside step (H(0) = 1/2, so that
     relu' = H and H' = delta); kernels of at most two distinct fields come from the
     orthant probability 1/4 + asin(rho)/(2 pi) and E[H(u) delta(v)] = 1/(2 sqrt(2 pi C_vv))
     by Price's theorem (the arc-cosine kernels of Cho & Saul 2009 are the special cases
     E[relu relu] and E[H H]); three or more distinct fields need orthant probabilities of
     dimension >= 3 that the engine does not have: :class:`NoClosedForm`;
   * polynomial students (linear, He2, He3; probabilists' Hermite): no kernel is needed,
     the whole integrand is a polynomial;
   * anything else (tanh): :class:`NoClosedForm`.

Each kernel is returned as a call ``kernel_<student>_<orders>(C_00, C_01, ...)`` of the upper
triangle of the slots' covariance; :attr:`GaussianEngine.kernels` holds its closed form,
which the generated module defines once as a function.

Where the engine raises :class:`NoClosedForm`, the generated code evaluates that array by
Monte Carlo with common random numbers and says so.

>>> e = GaussianEngine(1, 1, "linear")
>>> e.expectation(e.field("n", 0) * e.field("l", 0), ())
M_0_0
"""

from __future__ import annotations

from functools import cache

import sympy

#: Student activations the engine knows, by name (conventions: erf means erf(u/sqrt(2))).
STUDENTS = ("relu", "erf", "tanh", "He2", "He3", "linear")

_U = sympy.Symbol("u", real=True)
#: Polynomial students as polynomials in u (probabilists' Hermite He2, He3).
POLYNOMIAL_STUDENTS = {
    "linear": _U,
    "He2": sympy.hermite_prob(2, _U),
    "He3": sympy.hermite_prob(3, _U),
}


class NoClosedForm(Exception):
    """The engine has no closed form for this expectation (the caller falls back)."""


def activation_expression(name: str, u: sympy.Expr, order: int = 0) -> sympy.Expr:
    """sigma^(order)(u) for a student activation, as a sympy expression.

    relu' is the Heaviside step with H(0) = 1/2 (the engine's ``step`` convention).

    >>> activation_expression("He3", sympy.Symbol("x"), 1)
    3*x**2 - 3
    >>> activation_expression("erf", sympy.Symbol("x"))
    erf(sqrt(2)*x/2)
    """
    if name in POLYNOMIAL_STUDENTS:
        return sympy.diff(POLYNOMIAL_STUDENTS[name], _U, order).subs(_U, u)
    if name == "erf":
        return sympy.diff(sympy.erf(_U / sympy.sqrt(2)), _U, order).subs(_U, u)
    if name == "tanh":
        return sympy.diff(sympy.tanh(_U), _U, order).subs(_U, u)
    if name == "relu":
        if order == 0:
            return sympy.Max(u, 0)
        if order == 1:
            return sympy.Heaviside(u, sympy.Rational(1, 2))
        raise NoClosedForm("relu'' is a distribution")
    raise ValueError(f"unknown student activation {name!r}")


def covariance_symbol(kind: str, i: int, j: int) -> sympy.Symbol:
    """The order-parameter symbol: Q_i_j (i <= j) or M_k_r (student k, teacher r)."""
    if kind == "Q":
        i, j = min(i, j), max(i, j)
    return sympy.Symbol(f"{kind}_{i}_{j}", real=True)


class GaussianEngine:
    """Expectations over (lambda_0..lambda_{K-1}, nu_0..nu_{R-1}) ~ N(0, [[Q, M], [M^T, I]]).

    Fields are named ``("l", k)`` (student) and ``("n", r)`` (teacher); :meth:`field` gives
    the sympy symbol of a field for writing polynomial integrands.

    >>> e = GaussianEngine(2, 1, "He2")
    >>> value = e.expectation(e.field("l", 0)**2 * e.field("l", 1)**2, ())
    >>> Q = lambda i, j: covariance_symbol("Q", i, j)
    >>> sympy.expand(value - (Q(0, 0) * Q(1, 1) + 2 * Q(0, 1)**2))  # Isserlis
    0
    """

    def __init__(self, width: int, teachers: int, student: str):
        if student not in STUDENTS:
            raise ValueError(f"unknown student activation {student!r}")
        self.width, self.teachers, self.student = width, teachers, student
        self.fields = [("l", k) for k in range(width)] + [("n", r) for r in range(teachers)]
        self.symbols = [sympy.Symbol(f"{kind}{i}", real=True) for kind, i in self.fields]
        self._index = {f: i for i, f in enumerate(self.fields)}
        self._memo: dict = {}
        #: kernel function name -> (parameter symbols, closed-form expression)
        self.kernels: dict = {}

    # ----------------------------------------------------------------- fields
    def field(self, kind: str, i: int) -> sympy.Symbol:
        return self.symbols[self._index[(kind, i)]]

    def cov(self, i: int, j: int) -> sympy.Expr:
        (a, p), (b, q) = self.fields[i], self.fields[j]
        if a == "l" and b == "l":
            return covariance_symbol("Q", p, q)
        if a == "n" and b == "n":
            return sympy.Integer(1 if p == q else 0)
        if a == "l":
            return covariance_symbol("M", p, q)
        return covariance_symbol("M", q, p)

    # ----------------------------------------------------------------- public
    def expectation(self, polynomial: sympy.Expr, slots) -> sympy.Expr:
        """E[polynomial * prod sigma^(o)(lambda_k)] for slots ``[(k, o), ...]``.

        ``polynomial`` is a polynomial in :attr:`symbols`; raises :class:`NoClosedForm`
        where the engine has none (non-polynomial integrand, unknown kernel).
        """
        if self.student in POLYNOMIAL_STUDENTS:
            for k, order in slots:
                polynomial = polynomial * activation_expression(
                    self.student, self.field("l", k), order)
            slots = ()
        try:
            poly = sympy.Poly(sympy.expand(polynomial), *self.symbols)
        except sympy.PolynomialError as exc:
            raise NoClosedForm(f"not a polynomial: {polynomial}") from exc
        if any(c.free_symbols for c in poly.coeffs()):
            raise NoClosedForm(f"not a polynomial in the fields: {polynomial}")
        total = sympy.Integer(0)
        for monomial, coefficient in poly.terms():
            total += coefficient * self._monomial(tuple(monomial), slots)
        return total

    # ----------------------------------------------------------------- reduction
    def _monomial(self, monomial: tuple, slots) -> sympy.Expr:
        if self.student == "relu":
            # merge relu^p H^q of one unit into u^e H(u) (e = p, plus the unit's own powers)
            merged: dict[int, int] = {}
            for k, order in slots:
                merged[k] = merged.get(k, 0) + (1 if order == 0 else 0)
            mono = list(monomial)
            state = []
            for k in sorted(merged):
                index = self._index[("l", k)]
                state.append((index, merged[k] + mono[index], 0))
                mono[index] = 0
            return self._reduce(tuple(mono), tuple(state))
        state = tuple(sorted((self._index[("l", k)], 0, order) for k, order in slots))
        return self._reduce(monomial, state)

    def _reduce(self, mono: tuple, slots: tuple) -> sympy.Expr:
        key = (mono, slots)
        if key in self._memo:
            return self._memo[key]
        picked = next((i for i, e in enumerate(mono) if e), None)
        slot_list = list(slots)
        if picked is None:
            picked_slot = next((s for s, (_, e, _) in enumerate(slots) if e), None)
            if picked_slot is None:
                value = self._kernel(slots)
                self._memo[key] = value
                return value
            field, e, order = slot_list[picked_slot]
            slot_list[picked_slot] = (field, e - 1, order)
            x, rest = field, list(mono)
        else:
            x, rest = picked, list(mono)
            rest[picked] -= 1
        value = sympy.Integer(0)
        for j, power in enumerate(rest):
            if power and (c := self.cov(x, j)) != 0:
                lowered = list(rest)
                lowered[j] -= 1
                value += c * power * self._reduce(tuple(lowered), tuple(sorted(slot_list)))
        for s, (field, e, order) in enumerate(slot_list):
            c = self.cov(x, field)
            if c == 0:
                continue
            factor, new = self._derivative(field, e, order)
            if factor == 0:
                continue
            changed = list(slot_list)
            changed[s] = new
            value += c * factor * self._reduce(tuple(rest), tuple(sorted(changed)))
        self._memo[key] = value
        return value

    def _derivative(self, field: int, e: int, order: int):
        """d/du of a slot: relu-family u^e H^(o)(u), else sigma^(o)."""
        if self.student == "relu" and e > 0:
            return e, (field, e - 1, 0)  # u^e delta(u) = 0 for e >= 1
        return 1, (field, 0, order + 1)

    # ----------------------------------------------------------------- kernels
    def _kernel(self, slots: tuple) -> sympy.Expr:
        if not slots:
            return sympy.Integer(1)
        fields = [f for f, _, _ in slots]
        orders = tuple(o for _, _, o in slots)
        if self.student == "erf":
            generic = _erf_kernel(orders)
        elif self.student == "relu":
            if len(set(fields)) != len(fields):
                raise NoClosedForm("a Heaviside derivative met another factor of its field")
            generic = _relu_kernel(orders)
        else:
            raise NoClosedForm(f"no closed-form kernels for {self.student}")
        if generic.is_Number:
            return generic
        # a call of a named kernel: the generated module defines each kernel once
        m = len(slots)
        symbols = _generic_covariance(m)
        parameters = tuple(symbols[i][j] for i in range(m) for j in range(i, m))
        name = f"kernel_{self.student}_{'_'.join(map(str, orders))}"
        self.kernels[name] = (parameters, generic)
        return sympy.Function(name)(*(self.cov(fields[i], fields[j])
                                      for i in range(m) for j in range(i, m)))


@cache
def _generic_covariance(m: int):
    return [[sympy.Symbol(f"c{min(i, j)}{max(i, j)}", real=True) for j in range(m)]
            for i in range(m)]


def _price_diagonal(expr, symbols, excess) -> sympy.Expr:
    """Apply (2 d/dC_ii)^(excess_i / 2): raises slot i's derivative order by excess_i."""
    for i, extra in enumerate(excess):
        for _ in range(extra // 2):
            expr = 2 * sympy.diff(expr, symbols[i][i])
    return expr


@cache
def _erf_kernel(orders: tuple) -> sympy.Expr:
    """E[prod_i sigma^(o_i)(u_i)], sigma(u) = erf(u/sqrt 2), u ~ N(0, C) generic symbols.

    Odd-order slots (Gaussians after Price reduction to order 1) are integrated out:
    E[prod_{D} sqrt(2/pi) e^{-u_i^2/2} G(u_O)] = (2/pi)^{|D|/2} det(I + C_DD)^{-1/2}
    E_{C'}[G], C' = C_OO - C_OD (I + C_DD)^{-1} C_DO (Woodbury; Saad & Solla 1995).
    """
    m = len(orders)
    c = _generic_covariance(m)
    base = [o % 2 for o in orders]
    odd = [i for i in range(m) if base[i] == 1]
    even = [i for i in range(m) if base[i] == 0]
    if len(even) % 2:
        return sympy.Integer(0)  # an odd function of a symmetric Gaussian
    if len(even) > 2:
        raise NoClosedForm("more than two erf factors")
    C = sympy.Matrix(m, m, lambda i, j: c[i][j])
    if odd:
        A = sympy.eye(len(odd)) + C.extract(odd, odd)
        prefactor = (2 / sympy.pi) ** sympy.Rational(len(odd), 2) / sympy.sqrt(A.det())
    else:
        A, prefactor = None, sympy.Integer(1)
    if even:
        reduced = C.extract(even, even)
        if odd:
            reduced = reduced - C.extract(even, odd) * A.inv() * C.extract(odd, even)
        inner = (2 / sympy.pi) * sympy.asin(
            reduced[0, 1] / sympy.sqrt((1 + reduced[0, 0]) * (1 + reduced[1, 1])))
    else:
        inner = sympy.Integer(1)
    excess = [o - b for o, b in zip(orders, base)]
    return _price_diagonal(prefactor * inner, c, excess)


@cache
def _relu_kernel(orders: tuple) -> sympy.Expr:
    """E[prod_i H^(o_i)(u_i)] for at most two distinct fields (H^(1) = delta, ...).

    One field: E[H] = 1/2, E[delta^(j)(u)] = C^{-(j+1)/2} He_j(0) / sqrt(2 pi)
    (probabilists' He). Two fields: Price's theorem from E[H(u) H(v)] =
    1/4 + asin(rho)/(2 pi) and E[H(u) delta(v)] = 1/(2 sqrt(2 pi C_vv)) (given v = 0, u is
    centred, so P(u > 0) = 1/2).
    """
    c = _generic_covariance(len(orders))
    if len(orders) == 1:
        o = orders[0]
        if o == 0:
            return sympy.Rational(1, 2)
        j = o - 1
        return c[0][0] ** (-sympy.Rational(j + 1, 2)) * sympy.hermite_prob(j, 0) / sympy.sqrt(
            2 * sympy.pi)
    if len(orders) != 2:
        raise NoClosedForm("Heaviside orthant probabilities of dimension >= 3")
    first, second = orders
    cross = min(first, second)
    first, second = first - cross, second - cross
    # now one of them is 0; put the non-zero one second
    swap = first != 0
    b = first if swap else second
    cu, cv, cuv = (c[1][1], c[0][0], c[0][1]) if swap else (c[0][0], c[1][1], c[0][1])
    if b % 2 == 0:
        expr = sympy.Rational(1, 4) + sympy.asin(cuv / sympy.sqrt(cu * cv)) / (2 * sympy.pi)
    else:
        expr = 1 / (2 * sympy.sqrt(2 * sympy.pi * cv))
    for _ in range(b // 2):
        expr = 2 * sympy.diff(expr, cv)
    for _ in range(cross):
        expr = sympy.diff(expr, cuv)
    return expr

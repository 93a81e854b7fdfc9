"""Hermite tensors of polynomial multi-index targets, conditioned on a learned subspace.

For g: R^r -> R and z ~ N(0, I_r), the Hermite tensors are C_k = E[g(z) He_k(z)] =
E[grad^k g(z)] (Stein), probabilists' He; for a multi-index alpha, E[g He_alpha] =
E[d^alpha g] = alpha! c_alpha, with He_alpha(z) = prod_i He_{alpha_i}(z_i).

Once a subspace S = span(B) is learned, the tensors that matter are those of the orthogonal
part conditioned on z_S: T_k(a) = E[grad_perp^k g | z_S = B a] (Damian, Lee, Bruna 2025,
Def. 5; arXiv:2506.05500). Everything here stays rational: S-perp is parametrised by a
rational basis W (z_perp = W b), under which b ~ N(0, (W^T W)^-1) and Gaussian moments come
from Isserlis' (Wick's) theorem. A non-orthonormal basis changes each tensor index by an
invertible map G, so zero-ness is unchanged and the column span of the unfolded tensor maps
back to z-space through W (W^T W)^-1 (:func:`directions`).

>>> import sympy
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> hermite_coefficients(z1 * z2 + z1**2, (z1, z2), 2)
{(0, 0): 1, (2, 0): 1, (1, 1): 1}
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations_with_replacement, product

import sympy
from sympy.polys.rings import ring


@lru_cache(maxsize=4096)
def multi_indices(count: int, order: int) -> tuple[tuple[int, ...], ...]:
    """All alpha in N^count with |alpha| = order, in a fixed order.

    >>> multi_indices(2, 2)
    ((2, 0), (1, 1), (0, 2))
    """
    out = []
    for combo in combinations_with_replacement(range(count), order):
        alpha = [0] * count
        for i in combo:
            alpha[i] += 1
        out.append(tuple(alpha))
    return tuple(out)


def as_polynomial(expr: sympy.Expr, variables) -> sympy.Poly | None:
    """``expr`` as a polynomial in ``variables`` with constant coefficients, else None."""
    try:
        poly = sympy.Poly(expr, *variables)
    except sympy.PolynomialError:
        return None
    if any(c.free_symbols for c in poly.coeffs()):
        return None
    if any(g not in variables for g in poly.gens):
        return None
    return poly


def _double_factorial_moment(power: int) -> int:
    return 0 if power % 2 else int(sympy.factorial2(power - 1)) if power else 1


def standard_moment(exponents: tuple[int, ...]) -> int:
    """E[prod_i z_i^e_i] for z ~ N(0, I)."""
    out = 1
    for e in exponents:
        out *= _double_factorial_moment(e)
        if out == 0:
            return 0
    return out


def wick_moment(exponents: tuple[int, ...], covariance: sympy.Matrix) -> sympy.Expr:
    """E[prod_i b_i^e_i] for b ~ N(0, covariance), by Isserlis' theorem.

    >>> wick_moment((2, 2), sympy.Matrix([[1, sympy.Rational(1, 2)], [sympy.Rational(1, 2), 1]]))
    3/2
    """
    key = tuple(tuple(row) for row in covariance.tolist())
    return _wick(tuple(exponents), key)


@lru_cache(maxsize=200_000)
def _wick(exponents: tuple[int, ...], covariance: tuple) -> sympy.Expr:
    total = sum(exponents)
    if total == 0:
        return sympy.Integer(1)
    if total % 2:
        return sympy.Integer(0)
    first = next(i for i, e in enumerate(exponents) if e)
    rest = list(exponents)
    rest[first] -= 1
    out = sympy.Integer(0)
    for j, e in enumerate(rest):
        if e == 0 or covariance[first][j] == 0:
            continue
        reduced = list(rest)
        count = reduced[j]
        reduced[j] -= 1
        out += count * covariance[first][j] * _wick(tuple(reduced), covariance)
    return sympy.expand(out)


def hermite_coefficients(expr: sympy.Expr, variables, max_order: int) -> dict:
    """c_alpha = E[g He_alpha] / alpha! for |alpha| <= max_order (non-zero entries only).

    Stein's identity term by term: a monomial z^beta contributes
    prod_i binom(beta_i, alpha_i) E[z_i^(beta_i - alpha_i)] to c_alpha.
    """
    poly = as_polynomial(sympy.expand(expr), variables)
    if poly is None:
        raise ValueError("Hermite coefficients of multi-index targets need a polynomial")
    out: dict = {}
    for beta, coeff in poly.terms():
        # alpha <= beta with beta - alpha even in every coordinate (odd moments vanish)
        choices = [range(b % 2, b + 1, 2) for b in beta]
        for alpha in product(*choices):
            if sum(alpha) > max_order:
                continue
            factor = 1
            for a, b in zip(alpha, beta):
                factor *= int(sympy.binomial(b, a)) * _double_factorial_moment(b - a)
            out[alpha] = out.get(alpha, 0) + coeff * factor
    return {alpha: sympy.nsimplify(v) if not v.is_Rational else v
            for alpha, v in sorted(out.items(), key=lambda t: (sum(t[0]), tuple(-x for x in t[0])))
            if v != 0}


class ConditionedPolynomial:
    """g(B a + W b) for a learned subspace span(B) and a rational basis W of its complement.

    ``tensor(k, power)`` returns p_alpha(a) = E_b[d_b^alpha g^power(B a + W b)] for |alpha| = k.
    """

    def __init__(self, expr: sympy.Expr, variables, basis: sympy.Matrix | None):
        self.variables = tuple(variables)
        r = len(self.variables)
        if basis is None or basis.shape[1] == 0:
            self.B = sympy.zeros(r, 0)
            self.W = sympy.eye(r)
        else:
            self.B = basis
            complement = basis.T.nullspace()
            # orthogonal (not normalised) columns: rational, and b has diagonal covariance,
            # so sign flips of b-coordinates preserve the Gaussian law
            complement = sympy.GramSchmidt(complement) if complement else []
            self.W = sympy.Matrix.hstack(*complement) if complement else sympy.zeros(r, 0)
        self.s = self.B.shape[1]
        self.m = self.W.shape[1]
        self.a = sympy.symbols(f"a1:{self.s + 1}", real=True) if self.s else ()
        self.b = sympy.symbols(f"b1:{self.m + 1}", real=True) if self.m else ()
        gram = self.W.T * self.W
        self.covariance = gram.inv() if self.m else sympy.zeros(0, 0)
        # g(B a + W b) by sparse polynomial arithmetic (sympy's dict-based rings), never by
        # expanding expressions: powers g^j of degree 12 in 6 variables stay cheap
        names = [str(x) for x in self.a + self.b] or ["c"]
        constants = list(self.B) + list(self.W) + sympy.Poly(
            sympy.expand(expr), *self.variables).coeffs()
        domain = sympy.QQ if all(sympy.sympify(c).is_Rational for c in constants) else sympy.EX
        self.ring, *ring_gens = ring(names, domain)
        gens = ring_gens[: self.s + self.m]
        linear = []
        for i in range(r):
            form = self.ring.zero
            for j in range(self.s):
                if self.B[i, j] != 0:
                    form += gens[j] * domain.from_sympy(self.B[i, j])
            for l in range(self.m):
                if self.W[i, l] != 0:
                    form += gens[self.s + l] * domain.from_sympy(self.W[i, l])
            linear.append(form)
        source = sympy.Poly(sympy.expand(expr), *self.variables)
        total = self.ring.zero
        powers: dict = {}
        for exponents, coeff in source.terms():
            term = self.ring(domain.from_sympy(coeff))
            for i, e in enumerate(exponents):
                if e:
                    if (i, e) not in powers:
                        powers[(i, e)] = linear[i] ** e
                    term = term * powers[(i, e)]
            total += term
        self._powers: dict[int, object] = {1: total}

    def poly(self, power: int = 1):
        """g^power(B a + W b) as a sparse polynomial in (a, b)."""
        if power not in self._powers:
            self._powers[power] = self._powers[1] ** power
        return self._powers[power]

    def _terms(self, power: int = 1):
        to_sympy = self.ring.domain.to_sympy
        return [(monomial[: self.s + self.m], to_sympy(c)) for monomial, c in self.poly(power).terms()]

    def tensor(self, k: int, power: int = 1) -> dict:
        """{alpha: polynomial in a} for |alpha| = k, alpha over the m complement coordinates."""
        if self.m == 0:
            return {}
        out: dict = {}
        is_identity = self.covariance == sympy.eye(self.m)
        for exponents, coeff in self._terms(power):
            a_part, b_part = exponents[: self.s], exponents[self.s:]
            if sum(b_part) < k:
                continue
            for alpha in multi_indices(self.m, k):
                if any(x > y for x, y in zip(alpha, b_part)):
                    continue
                rest = tuple(y - x for x, y in zip(alpha, b_part))
                moment = (standard_moment(rest) if is_identity
                          else wick_moment(rest, self.covariance))
                if moment == 0:
                    continue
                factor = 1
                for x, y in zip(alpha, b_part):
                    factor *= sympy.ff(y, x)  # d^x/db^x b^y = y!/(y-x)! b^(y-x)
                out.setdefault(alpha, {})
                out[alpha][a_part] = out[alpha].get(a_part, 0) + coeff * factor * moment
        return {alpha: {g: c for g, c in terms.items() if c != 0}
                for alpha, terms in out.items() if any(c != 0 for c in terms.values())}

    def columns(self, tensor: dict, k: int) -> list[sympy.Matrix]:
        """Column vectors (in b-coordinates) spanning the range of E[T (x) T], T = tensor.

        The unfolding T_(1) has rows i and columns (beta, a-monomial); beta + e_i = alpha.
        """
        vectors = []
        monomials = sorted({g for terms in tensor.values() for g in terms})
        for beta in multi_indices(self.m, k - 1):
            for gamma in monomials:
                v = []
                for i in range(self.m):
                    alpha = tuple(x + (1 if j == i else 0) for j, x in enumerate(beta))
                    v.append(tensor.get(alpha, {}).get(gamma, 0))
                if any(x != 0 for x in v):
                    vectors.append(sympy.Matrix(v))
        return vectors

    def directions(self, vectors: list[sympy.Matrix]) -> list[sympy.Matrix]:
        """Map column vectors from b-coordinates to z-space: W (W^T W)^-1 v, independent ones."""
        if not vectors:
            return []
        mapped = [self.W * self.covariance * v for v in vectors]
        # canonical basis of the span: the rows of the reduced row echelon form (coordinate
        # vectors whenever the span is a coordinate subspace); deterministic and readable
        reduced, pivots = sympy.Matrix.hstack(*mapped).T.rref()
        return [sympy.Matrix([sympy.nsimplify(x) for x in reduced.row(i)])
                for i in range(len(pivots))]

    def sign_symmetries(self) -> list[tuple[int, ...]]:
        """Subsets F of complement coordinates with g(a, b with b_F negated) = g(a, b)."""
        symmetries = []
        terms = self._terms(1)
        for size in range(1, self.m + 1):
            for subset in combinations_with_replacement(range(self.m), size):
                if len(set(subset)) != size:
                    continue
                if all(sum(exponents[self.s + i] for i in subset) % 2 == 0
                       for exponents, _ in terms):
                    symmetries.append(subset)
        return symmetries

"""Hermite coefficients of multi-index targets by nested quadrature split at the kinks of g.

For a target g(z1, ..., zr), r <= 4, that is neither polynomial, separable nor a ridge sum
(``max(z1, z2**2)``, ``tanh(z1)*tanh(z1 + z2)``, ``z1/(1 + z1**2 + z2**2)``), the
probabilists' Hermite coefficients

    c_alpha = E[g(z) He_alpha(z)] / alpha!,   He_alpha(z) = prod_i He_alpha_i(z_i),

of g and of g^2 (the label transform T(y) = y^2 of the generative leap) are computed by an
iterated integral with the Gaussian weight included, deterministically:

1. **Kinks located symbolically.** Every argument whose sign switches a branch of g (the
   differences of the arguments of Max/Min, the arguments of Abs/sign/Heaviside, the sides of
   Piecewise conditions, the radicands and denominators of g) is collected. For the
   innermost variable x_r each such argument that is a polynomial (degree <= 4) in x_r has
   its roots in closed form as functions of the outer variables (``sympy.roots``); the next
   variable's breakpoints come from the same construction applied to the leading
   coefficients, discriminants and pairwise resultants of those polynomials (the projection
   of a cylindrical decomposition: where roots appear, vanish, meet or diverge), together
   with the arguments that do not involve x_r. The variable order with the fewest
   breakpoints is used. Inside every resulting cell g is smooth.
2. **Each cell integrated** by the tanh-sinh rule in double precision (nodes cluster at the
   cell ends, so kinks and jumps at the ends, and the sqrt-type behaviour of an outer
   integrand where an inner root appears, cost little), on |z_i| <= 10; all orders
   |alpha| <= K at once by a nested contraction with He_k(z_i).
3. **Error estimate (a-posteriori, not a rigorous enclosure).** The step h is halved until
   two levels agree; the reported bound of every coefficient is the larger of (a) the
   change between the last two levels (the rule's own estimate, which for a converged
   double-exponential rule overstates the error of the finer level) and (b) the
   difference from an independent evaluation by composite Gauss-Legendre on the same cells
   over |z_i| <= 12 (another rule, another truncation of the Gaussian tails), plus a
   rounding floor. A kink that could not be located (an argument not polynomial in any
   variable) is not split at; the estimate then typically grows, and the method string
   says so.

Targets reach this module as sympy expressions built by the engine's own parser
(:func:`derive.target.parse_target`; user text is never evaluated); ``sympy.lambdify``
prints that tree to numpy code.

r = 4 is handled for targets without breakpoints (smooth g such as
``tanh(z1*z2 + z3*z4)`` or ``z1*z2/(1 + z3**2 + z4**2)``): one cell per variable, the
tanh-sinh grid has 52^4 nodes at its finest level, and the independent check is the
Gauss-Hermite product rule with ``HERMITE_NODES_4`` nodes per variable (exact for
polynomial integrands of degree < 2 x that, so for smooth g its distance to the tanh-sinh
value is a fair estimate). With split cells the nested rule would need (cells x nodes)^4 ~
10^8 evaluations per level, so a four-variable target with kinks raises
:class:`DeriveError`, and the dispatch goes to :mod:`derive.montecarlo` (with its confidence
intervals) instead.

>>> import sympy
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> table = hermite_table(sympy.Max(z1, z2**2), (z1, z2), max_order=2)
>>> from scipy import integrate, stats  # c_(1,0) = E[d g/d z1] = P(z1 > z2^2) (Stein)
>>> exact = integrate.quad(lambda t: stats.norm.pdf(t) * stats.norm.sf(t * t), -30, 30)[0]
>>> abs(table.values[(1, 0)] - exact) < 1e-9, table.errors[(1, 0)] < 1e-8
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations, permutations, product

import numpy as np
import sympy
from scipy.special import expit, ndtr, ndtri

from .errors import DeriveError

MAX_VARIABLES = 4
#: Hermite orders |alpha| <= MAX_ORDER are tabulated
MAX_ORDER = 6
#: a numeric coefficient is non-zero when |c| > NONZERO_FACTOR * its bound
NONZERO_FACTOR = 10.0
CHECK_TRUNCATION = 12.0
#: fixed cuts of the Gauss-Legendre check rule (cells narrow enough for the Gaussian)
FIXED_CUTS = np.array([-9.0, -7.0, -5.5, -4.5, -3.5, -2.5, -1.5, -0.5,
                       0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 7.0, 9.0])
#: tanh-sinh nodes t = k h with |t| <= T_MAX (the weights beyond are below 1e-12)
T_MAX = 3.2
#: relative agreement between two step levels at which the refinement stops
TOLERANCE = 1e-11
#: finest step per dimension (the cost grows like (1/h)^r)
FINEST_STEP = {1: 1 / 32, 2: 1 / 16, 3: 1 / 8, 4: 1 / 8}
#: Gauss-Legendre check rule: panels per cell x nodes per panel
CHECK_PANELS = {1: (1, 24), 2: (1, 16), 3: (1, 10)}
#: r = 4 (targets without breakpoints): Gauss-Hermite nodes per variable of the check rule
HERMITE_NODES_4 = 48
MAX_POLY_DEGREE = 4
#: pairs of breakpoint polynomials whose crossings are located (resultants) per level
MAX_PAIRS = 28
#: points per chunk of the outermost variable (bounds memory for r = 3)
CHUNK_POINTS = 600_000


@dataclass(frozen=True)
class HermiteTable:
    """c_alpha of g (``values``) and of g^2 (``square_values``) with error bounds, keyed by
    alpha in the order of ``variables``; ``method`` says how they were obtained."""

    variables: tuple
    max_order: int
    values: dict
    errors: dict
    square_values: dict
    square_errors: dict
    method: str
    unlocated: tuple[str, ...] = ()

    def is_nonzero(self, alpha, square: bool = False) -> bool:
        """|c_alpha| > NONZERO_FACTOR * bound (never a zero claim)."""
        values, errors = ((self.square_values, self.square_errors) if square
                          else (self.values, self.errors))
        return abs(values[alpha]) > NONZERO_FACTOR * errors[alpha]


# --------------------------------------------------------------------------- kinks


def kink_arguments(expr: sympy.Expr, variables) -> tuple[list[sympy.Expr], list[str]]:
    """Expressions whose zero sets carry every kink, jump or singularity of ``expr``.

    Returns (arguments, names of constructs whose breakpoints are not described).

    >>> z1, z2 = sympy.symbols("z1 z2", real=True)
    >>> sorted(kink_arguments(sympy.sign(z1) * sympy.Max(z2 - z1, 0), (z1, z2))[0], key=str)
    [z1, z1 - z2]
    """
    found: list[sympy.Expr] = []
    problems: list[str] = []
    names = set(variables)
    for node in sympy.preorder_traversal(expr):
        if not (node.free_symbols & names):
            continue
        if isinstance(node, (sympy.Max, sympy.Min)):
            found += [a - b for a, b in combinations(node.args, 2)]
        elif isinstance(node, (sympy.Abs, sympy.sign, sympy.Heaviside)):
            found.append(node.args[0])
        elif isinstance(node, sympy.Piecewise):
            for _, condition in node.args:
                for relation in condition.atoms(sympy.core.relational.Relational):
                    found.append(relation.lhs - relation.rhs)
        elif isinstance(node, sympy.Pow):
            exponent = node.exp
            if exponent.is_number and not exponent.is_integer or (
                    exponent.is_number and exponent.is_negative):
                if not node.base.is_positive:
                    found.append(node.base)
            elif not exponent.is_number:
                problems.append(str(node))
        elif isinstance(node, sympy.log):
            found.append(node.args[0])
        elif isinstance(node, (sympy.floor, sympy.ceiling, sympy.frac, sympy.Mod)):
            problems.append(str(node))
    return _distinct(found, names), problems


def _distinct(expressions, names) -> list[sympy.Expr]:
    """Irreducible factors that depend on the variables, each once (up to sign)."""
    out: list[sympy.Expr] = []
    seen: set = set()
    for expr in expressions:
        numerator, denominator = sympy.fraction(sympy.together(sympy.sympify(expr)))
        for part in (numerator, denominator):
            try:
                _, factors = sympy.factor_list(part)
                pieces = [f for f, _ in factors]
            except (sympy.PolynomialError, NotImplementedError, sympy.GeneratorsNeeded):
                pieces = [part]
            for piece in pieces:
                if not (piece.free_symbols & names):
                    continue
                key = sympy.expand(piece)
                if key in seen or sympy.expand(-piece) in seen:
                    continue
                seen.add(key)
                out.append(piece)
    return out


@dataclass(frozen=True)
class _Level:
    variable: sympy.Symbol
    roots: tuple[sympy.Expr, ...]


def _project(arguments, x, outer_names):
    """Roots in ``x`` of the arguments, and the arguments of the next (outer) level."""
    roots, outer, polys, unlocated = [], [], [], []
    for argument in arguments:
        if x not in argument.free_symbols:
            outer.append(argument)
            continue
        try:
            poly = sympy.Poly(argument, x)
        except sympy.PolynomialError:
            unlocated.append(str(argument))
            continue
        if any(x in c.free_symbols for c in poly.all_coeffs()) or poly.degree() > MAX_POLY_DEGREE:
            unlocated.append(str(argument))
            continue
        found = sympy.roots(poly, multiple=False)
        if sum(found.values()) < poly.degree():
            unlocated.append(str(argument))
            continue
        roots += list(found)
        polys.append(poly)
        outer.append(poly.LC())
        if poly.degree() >= 2:
            outer.append(sympy.discriminant(poly))
    pairs = list(combinations(polys, 2))
    if len(pairs) > MAX_PAIRS:
        unlocated.append(f"crossings of {len(polys)} breakpoint curves in {x}")
        pairs = []
    for p, q in pairs:
        outer.append(sympy.resultant(p, q))
    return roots, _distinct(outer, outer_names), unlocated


def _levels(expr, variables):
    """For the variable order with the fewest breakpoints: the levels (outermost first)
    and the unlocated kink arguments."""
    arguments, problems = kink_arguments(expr, variables)
    best = None
    for order in permutations(variables):
        levels, unlocated, current = [], list(problems), list(arguments)
        for depth in range(len(order) - 1, -1, -1):
            x = order[depth]
            roots, current, missing = _project(current, x, set(order[:depth]))
            unlocated += missing
            levels.append(_Level(x, tuple(roots)))
        score = (len(unlocated), sum(len(level.roots) for level in levels),
                 sum(sympy.count_ops(root) for level in levels for root in level.roots))
        if best is None or score < best[0]:
            best = (score, tuple(reversed(levels)), tuple(unlocated))
    return best[1], best[2]


# --------------------------------------------------------------------------- rules


def _tanh_sinh(h: float):
    """(s, 1 - s, weights) on (0, 1): s = (1 + tanh(pi/2 sinh t)) / 2, t = k h."""
    n = math.ceil(T_MAX / h)
    t = np.arange(-n, n + 1) * h
    u = 0.5 * math.pi * np.sinh(t)
    s, complement = expit(2 * u), expit(-2 * u)
    weights = h * 2 * s * complement * 0.5 * math.pi * np.cosh(t)
    return s, complement, weights


def _gauss_legendre(panels: int, nodes: int):
    x, w = np.polynomial.legendre.leggauss(nodes)
    s = np.concatenate([(p + (x + 1) / 2) / panels for p in range(panels)])
    weights = np.concatenate([w / (2 * panels)] * panels)
    return s, 1 - s, weights


def _roots_function(roots, outer):
    if not roots:
        return None
    functions = [sympy.lambdify(outer, root, modules="numpy") for root in roots]

    def evaluate(coordinates, size):
        columns = []
        with np.errstate(all="ignore"):
            for f in functions:
                value = np.asarray(f(*[c.astype(complex) for c in coordinates]), dtype=complex)
                value = np.broadcast_to(value, (size,))
                real = np.where(np.abs(value.imag) <= 1e-9 * (1 + np.abs(value.real)),
                                value.real, np.nan)
                columns.append(real)
        return np.stack(columns, axis=1)
    return evaluate


class _Rule:
    """Nested quadrature over the levels with one one-dimensional rule on every cell.

    ``probability=True``: each cell (a, b) of z is integrated in u = Phi(z) over
    (Phi(a), Phi(b)), where the Gaussian measure is du and the infinite tails are the
    finite ends 0 and 1 (the tanh-sinh rule never evaluates them). ``probability=False``:
    Gauss-Legendre in z on the cells, further split at ``FIXED_CUTS``, truncated at
    |z| <= CHECK_TRUNCATION, with the Gaussian density in the weight.
    """

    def __init__(self, levels, rule, probability: bool):
        self.levels = levels
        self.s, self.complement, self.unit = rule
        self.probability = probability
        self.roots = [_roots_function(level.roots, [lv.variable for lv in levels[:j]])
                      for j, level in enumerate(levels)]

    def cells(self, j: int, coordinates, size: int) -> int:
        return (len(self.levels[j].roots) + 1
                + (0 if self.probability else FIXED_CUTS.size)) * self.s.size

    def nodes(self, j: int, coordinates, size: int):
        """Nodes (size, N) and weights (Gaussian measure included) of level j."""
        if self.roots[j] is None:
            cuts = np.empty((size, 0))
        else:
            cuts = self.roots[j](coordinates, size)
        s, complement = self.s, self.complement
        if self.probability:
            cuts = np.sort(np.where(np.isnan(cuts), -np.inf, cuts), axis=1)
            ends = np.concatenate([np.full((size, 1), -np.inf), cuts,
                                   np.full((size, 1), np.inf)], axis=1)
            u_ends, v_ends = ndtr(ends), ndtr(-ends)
            ua, ub = u_ends[:, :-1, None], u_ends[:, 1:, None]
            va, vb = v_ends[:, :-1, None], v_ends[:, 1:, None]
            width = np.where(ua < 0.5, ub - ua, va - vb)
            u = np.where(s < 0.5, ua + width * s, ub - width * complement)
            v = np.where(s < 0.5, va - width * s, vb + width * complement)
            with np.errstate(all="ignore"):
                x = np.where(u < 0.5, ndtri(u), -ndtri(v))
            w = width * self.unit
            # a cell beyond |z| ~ 37 has probability below the smallest double: drop it
            lost = ~np.isfinite(x)
            x, w = np.where(lost, 0.0, x), np.where(lost, 0.0, w)
        else:
            L = CHECK_TRUNCATION
            cuts = np.clip(np.where(np.isnan(cuts), -L, cuts), -L, L)
            cuts = np.concatenate([cuts, np.broadcast_to(FIXED_CUTS, (size, FIXED_CUTS.size))],
                                  axis=1)
            ends = np.concatenate([np.full((size, 1), -L), np.sort(cuts, axis=1),
                                   np.full((size, 1), L)], axis=1)
            a, b = ends[:, :-1, None], ends[:, 1:, None]
            width = b - a
            x = a + width * s
            w = width * self.unit * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        return x.reshape(size, -1), w.reshape(size, -1)


class _HermiteRule:
    """Gauss-Hermite product rule (probabilists' weight, normalised to the Gaussian
    measure) with the interface of :class:`_Rule`: the check rule of kink-free r = 4."""

    def __init__(self, count: int):
        x, w = np.polynomial.hermite_e.hermegauss(count)
        self.x, self.w = x, w / math.sqrt(2 * math.pi)

    def cells(self, j: int, coordinates, size: int) -> int:
        return self.x.size

    def nodes(self, j: int, coordinates, size: int):
        return (np.broadcast_to(self.x, (size, self.x.size)),
                np.broadcast_to(self.w, (size, self.w.size)))


def _hermite(x: np.ndarray, order: int) -> np.ndarray:
    """He_0 .. He_K (probabilists') / k! of every entry: shape x.shape + (K + 1,)."""
    out = np.empty(x.shape + (order + 1,))
    out[..., 0] = 1.0
    if order >= 1:
        out[..., 1] = x
    for k in range(2, order + 1):
        out[..., k] = x * out[..., k - 1] - (k - 1) * out[..., k - 2]
    for k in range(2, order + 1):
        out[..., k] /= math.factorial(k)
    return out


def _integrate(link, rule: _Rule, r: int, order: int) -> np.ndarray:
    """E[g^p He_alpha / alpha!] for p = 1, 2: array (2, K+1, ..., K+1) in level order."""
    x1, w1 = rule.nodes(0, [], 1)
    x1, w1 = x1[0], w1[0]
    # chunks of the outermost nodes keep the r = 3 grid within memory
    per_point = 1
    for j in range(1, r):
        per_point *= rule.cells(j, None, 0)
    chunk = max(1, CHUNK_POINTS // per_point)
    total = np.zeros((2,) + (order + 1,) * r)
    for start in range(0, x1.size, chunk):
        xs, ws = x1[start:start + chunk], w1[start:start + chunk]
        coordinates = [xs]
        weights = [ws[None, :]]
        xs_levels = [xs[None, :]]
        size = xs.size
        for j in range(1, r):
            x, w = rule.nodes(j, coordinates, size)
            count = x.shape[1]
            coordinates = [np.repeat(c, count) for c in coordinates] + [x.reshape(-1)]
            weights.append(w)
            xs_levels.append(x)
            size *= count
        with np.errstate(all="ignore"):
            y = np.broadcast_to(np.asarray(link(*coordinates), dtype=float), (size,))
        if not np.all(np.isfinite(y)):
            raise DeriveError("the target is not finite at some quadrature node")
        # innermost level first: T has shape (parents, children, 2, R)
        values = np.stack([y, y * y], axis=1)[:, :, None]
        for j in range(r - 1, -1, -1):
            w, x = weights[j], xs_levels[j]
            parents, children = w.shape
            values = values.reshape(parents, children, 2, -1)
            values = np.einsum("mn,mnk,mnpR->mpkR", w, _hermite(x, order), values)
        total += values.reshape((2,) + (order + 1,) * r)
    return total


def hermite_table(expr: sympy.Expr, variables, max_order: int = MAX_ORDER) -> HermiteTable:
    """c_alpha of ``expr`` and of its square for |alpha| <= max_order, each with an
    a-posteriori error bound (see the module docstring; not a rigorous enclosure)."""
    variables = tuple(variables)
    r = len(variables)
    if not 1 <= r <= MAX_VARIABLES:
        raise DeriveError(f"nested quadrature handles 1 <= r <= {MAX_VARIABLES} (got {r})")
    levels, unlocated = _levels(expr, variables)
    ordered = tuple(level.variable for level in levels)
    link = sympy.lambdify(ordered, expr, modules=["numpy", "scipy"])
    if r == 4 and (unlocated or any(level.roots for level in levels)):
        raise DeriveError(
            "nested quadrature of a four-variable target is done only without kinks (this "
            f"one has {sum(len(lv.roots) for lv in levels) + len(unlocated)} breakpoint "
            "families; split cells would need ~10^8 nodes per level)")
    h = 0.5
    rule = _Rule(levels, _tanh_sinh(h), True)
    previous = _integrate(link, rule, r, max_order)
    change = None
    while True:
        h /= 2
        rule = _Rule(levels, _tanh_sinh(h), True)
        current = _integrate(link, rule, r, max_order)
        change = np.abs(current - previous)
        scale = math.sqrt(max(current[1].flat[0], 0.0)) or 1.0
        previous = current
        if change.max() <= TOLERANCE * scale or h <= FINEST_STEP[r] * (1 + 1e-12):
            break
    if r == 4:
        check = _integrate(link, _HermiteRule(HERMITE_NODES_4), r, max_order)
    else:
        panels, nodes = CHECK_PANELS[r]
        check = _integrate(link, _Rule(levels, _gauss_legendre(panels, nodes), False),
                           r, max_order)
    points = int(np.prod([rule.cells(j, None, 0) for j in range(r)]))
    rounding = 64 * np.finfo(float).eps * math.sqrt(points)
    errors = np.maximum(change, np.abs(current - check))
    for p in (0, 1):
        errors[p] += rounding * max(float(np.abs(current[p]).max()), 1e-300)
    # back to the caller's variable order: axis j of the arrays is the variable ordered[j]
    where = [variables.index(v) for v in ordered]
    out = ({}, {}, {}, {})
    for alpha in product(range(max_order + 1), repeat=r):
        if sum(alpha) > max_order:
            continue
        index = tuple(alpha[i] for i in where)
        for p in (0, 1):
            out[2 * p][alpha] = float(current[(p,) + index])
            out[2 * p + 1][alpha] = float(errors[(p,) + index])
    method = (f"nested quadrature: tanh-sinh on {sum(len(lv.roots) for lv in levels)} "
              f"symbolic breakpoints (step h = {h:g}), error = max(level change, distance to "
              f"Gauss-Legendre) (a-posteriori estimate)")
    if unlocated:
        method += "; kinks not located: " + ", ".join(unlocated)
    return HermiteTable(variables, max_order, out[0], out[1], out[2], out[3], method,
                        tuple(unlocated))

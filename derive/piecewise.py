"""Split a single-index link into smooth pieces between its kinks, jumps and singularities.

``relu``, ``abs``, ``sign``, ``step``, ``max`` and ``min`` are resolved interval by
interval: the breakpoints are the real zeros of their arguments (exact algebraic numbers when
the argument is polynomial, high-precision numeric roots otherwise), and on each open
interval the switch is replaced by the branch it takes there. Zeros of the arguments of
``log`` and of fractional or negative powers are added as breakpoints too, so that every
integrand is smooth inside each piece and singular at most at an endpoint.

>>> from derive.target import Z
>>> import sympy
>>> form = decompose(sympy.Max(Z, 0) + sympy.sign(Z - 1), Z)
>>> [(p.lower, p.upper, p.expr) for p in form.pieces]
[(-oo, 0, -1), (0, 1, z - 1), (1, oo, z + 1)]
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

_SWITCHES = (sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min)
#: numeric root search window for non-polynomial switch arguments; the Gaussian mass
#: beyond it is below 1e-340, far under any precision the engine reports.
ROOT_WINDOW = 40.0
_GRID = 8001
_DPS = 50


@dataclass(frozen=True)
class Piece:
    """The link restricted to the open interval (lower, upper), where it is smooth."""

    lower: sympy.Expr
    upper: sympy.Expr
    expr: sympy.Expr


@dataclass(frozen=True)
class PiecewiseForm:
    """A link as consecutive smooth pieces covering the real line.

    ``exact_breakpoints`` is False when some breakpoint was located numerically (a
    non-polynomial switch argument); such breakpoints are 50-digit floats.
    """

    variable: sympy.Symbol
    pieces: tuple[Piece, ...]
    exact_breakpoints: bool

    @property
    def breakpoints(self) -> tuple[sympy.Expr, ...]:
        return tuple(p.upper for p in self.pieces[:-1])


def has_switch(expr: sympy.Expr) -> bool:
    return any(expr.has(s) for s in _SWITCHES)


def _switch_arguments(node: sympy.Expr) -> list[sympy.Expr]:
    if isinstance(node, (sympy.Max, sympy.Min)):
        args = node.args
        return [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
    return [node.args[0]]


def _innermost_switch(expr: sympy.Expr):
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, _SWITCHES) and not any(has_switch(a) for a in node.args):
            return node
    return None


def _value(expr: sympy.Expr, z: sympy.Symbol, point: sympy.Expr) -> sympy.Expr:
    return sympy.N(expr.subs(z, point), _DPS)


def _sort_key(x: sympy.Expr) -> float:
    if x == -sympy.oo:
        return -np.inf
    if x == sympy.oo:
        return np.inf
    return float(sympy.N(x, _DPS))


def real_roots(expr: sympy.Expr, z: sympy.Symbol, lower, upper) -> tuple[list, bool]:
    """Real zeros and poles of ``expr`` strictly inside (lower, upper), and exactness.

    Polynomial numerators and denominators give exact algebraic roots; anything else is
    searched numerically on [-ROOT_WINDOW, ROOT_WINDOW] and refined to 50 digits.

    >>> from derive.target import Z
    >>> real_roots(Z**2 - 2, Z, -sympy.oo, sympy.oo)
    ([-sqrt(2), sqrt(2)], True)
    """
    expr = sympy.together(expr)
    numerator, denominator = sympy.fraction(expr)
    roots: list = []
    exact = True
    for part in (numerator, denominator):
        if not part.has(z):
            continue
        found, part_exact = _roots_of(part, z, lower, upper)
        roots.extend(found)
        exact = exact and part_exact
    unique: list = []
    for r in sorted(roots, key=_sort_key):
        if not unique or abs(_sort_key(r) - _sort_key(unique[-1])) > 1e-40 and r != unique[-1]:
            unique.append(r)
    return unique, exact


def _inside(r, lower, upper) -> bool:
    v = _sort_key(r)
    return _sort_key(lower) < v < _sort_key(upper)


def _roots_of(part: sympy.Expr, z, lower, upper) -> tuple[list, bool]:
    try:
        poly = sympy.Poly(part, z)
        is_poly = all(not c.free_symbols for c in poly.all_coeffs())
    except sympy.PolynomialError:
        is_poly = False
    if is_poly:
        if poly.degree() <= 0:
            return [], True
        if all(c.is_Rational for c in poly.all_coeffs()):
            roots = poly.real_roots()
            roots = [sympy.nsimplify(r) if isinstance(r, sympy.CRootOf) and poly.degree() <= 2
                     else r for r in roots]
            return [r for r in dict.fromkeys(roots) if _inside(r, lower, upper)], True
        found = sympy.roots(poly)
        if sum(found.values()) == poly.degree():
            real = [r for r in found if r.is_real is True]
            undecided = [r for r in found if r.is_real is None]
            if not undecided:
                return [r for r in real if _inside(r, lower, upper)], True
        numeric = poly.nroots(n=_DPS, maxsteps=200)
        real = [sympy.Float(sympy.re(r), _DPS) for r in numeric
                if abs(sympy.im(r)) < sympy.Float(10) ** (-_DPS + 10)]
        return [r for r in real if _inside(r, lower, upper)], False
    return _numeric_roots(part, z, lower, upper), False


def _numeric_roots(part: sympy.Expr, z, lower, upper) -> list:
    """Sign changes of ``part`` on a fine grid, refined to 50 digits.

    Grid values that underflow or overflow in floating point (e.g. 1 - tanh(z)^2 for
    |z| > 19) are re-evaluated in mpmath, so underflow is never mistaken for a zero.
    """
    lo = max(_sort_key(lower), -ROOT_WINDOW)
    hi = min(_sort_key(upper), ROOT_WINDOW)
    if not lo < hi:
        return []
    f_np = sympy.lambdify(z, part, modules=["numpy", "scipy"])
    f_mp = sympy.lambdify(z, part, modules="mpmath")
    grid = np.linspace(lo, hi, _GRID)[1:-1]
    with np.errstate(all="ignore"):
        values = np.asarray(f_np(grid), dtype=float) * np.ones_like(grid)
    signs = np.sign(values)
    suspicious = np.nonzero((np.abs(values) < 1e-250) | ~np.isfinite(values))[0]
    with mpmath.workdps(30):
        for i in suspicious:
            try:
                value = mpmath.mpmathify(f_mp(mpmath.mpf(grid[i])))
                value = value.real if isinstance(value, mpmath.mpc) else value
                signs[i] = 0 if abs(value) < mpmath.mpf(10) ** -1000 else mpmath.sign(value)
            except (ZeroDivisionError, ValueError, OverflowError):
                signs[i] = 0
    roots = []
    nonzero = np.nonzero(signs)[0]
    for i, j in zip(nonzero[:-1], nonzero[1:]):
        if signs[i] * signs[j] > 0:
            continue
        a, b = grid[i], grid[j]
        with mpmath.workdps(_DPS + 10):
            try:
                root = mpmath.findroot(f_mp, (mpmath.mpf(a), mpmath.mpf(b)), solver="anderson")
            except (ValueError, ZeroDivisionError):
                root = mpmath.mpf(a + b) / 2
        roots.append(sympy.Float(root, _DPS))
    # grid points that are exact zeros between two values of the same sign (a double root)
    for i in np.nonzero(signs == 0)[0]:
        left, right = signs[:i][signs[:i] != 0], signs[i + 1:][signs[i + 1:] != 0]
        if left.size and right.size and left[-1] == right[0] and np.abs(values[i]) == 0:
            if np.all(np.isfinite(values[max(i - 1, 0): i + 2])):
                roots.append(sympy.Float(grid[i], _DPS))
    return roots


def _interior_point(lower, upper):
    if lower == -sympy.oo and upper == sympy.oo:
        return sympy.Integer(0)
    if lower == -sympy.oo:
        return upper - 1
    if upper == sympy.oo:
        return lower + 1
    return (lower + upper) / 2


def _sign_at(expr, z, point) -> int:
    value = _value(expr, z, point)
    if not value.is_number or value.has(sympy.I) and abs(sympy.im(value)) > 1e-30:
        raise ValueError("switch argument is not real")
    value = sympy.re(value)
    if abs(value) < sympy.Float(10) ** (-_DPS + 5):
        return 0
    return 1 if value > 0 else -1


def _resolve(node, z, point) -> sympy.Expr:
    if isinstance(node, sympy.Abs):
        s = _sign_at(node.args[0], z, point)
        return node.args[0] if s >= 0 else -node.args[0]
    if isinstance(node, sympy.sign):
        return sympy.Integer(_sign_at(node.args[0], z, point))
    if isinstance(node, sympy.Heaviside):
        s = _sign_at(node.args[0], z, point)
        at_zero = node.args[1] if len(node.args) > 1 else sympy.Rational(1, 2)
        return {1: sympy.Integer(1), -1: sympy.Integer(0), 0: at_zero}[s]
    values = [_value(a, z, point) for a in node.args]
    pick = max if isinstance(node, sympy.Max) else min
    index = pick(range(len(values)), key=lambda i: values[i])
    return node.args[index]


def singular_points(expr: sympy.Expr, z, lower, upper) -> tuple[list, bool]:
    """Zeros of log arguments and of bases of negative or fractional powers."""
    points: list = []
    exact = True
    for node in sympy.preorder_traversal(expr):
        base = None
        if isinstance(node, sympy.log):
            base = node.args[0]
        elif node.is_Pow and node.base.has(z) and not (node.exp.is_Integer and node.exp > 0):
            base = node.base
        if base is not None and not has_switch(base):
            found, ok = real_roots(base, z, lower, upper)
            points.extend(found)
            exact = exact and ok
    return points, exact


def decompose(expr: sympy.Expr, z: sympy.Symbol) -> PiecewiseForm:
    """Split ``expr`` into smooth pieces; see the module docstring."""
    stack = [(-sympy.oo, sympy.oo, expr)]
    done: list[Piece] = []
    exact = True
    while stack:
        lower, upper, current = stack.pop()
        node = _innermost_switch(current)
        if node is None:
            done.append(Piece(lower, upper, current))
            continue
        cuts: list = []
        for argument in _switch_arguments(node):
            found, ok = real_roots(argument, z, lower, upper)
            cuts.extend(found)
            exact = exact and ok
        points = [lower] + sorted(dict.fromkeys(cuts), key=_sort_key) + [upper]
        for a, b in zip(points[:-1], points[1:]):
            if _sort_key(a) >= _sort_key(b):
                continue
            resolved = _resolve(node, z, _interior_point(a, b))
            stack.append((a, b, current.xreplace({node: resolved})))
    done.sort(key=lambda p: _sort_key(p.lower))
    # Split again at singular points so that integrands are smooth inside each piece.
    split: list[Piece] = []
    for piece in done:
        cuts, ok = singular_points(piece.expr, z, piece.lower, piece.upper)
        exact = exact and ok
        points = [piece.lower] + sorted(dict.fromkeys(cuts), key=_sort_key) + [piece.upper]
        for a, b in zip(points[:-1], points[1:]):
            split.append(Piece(a, b, piece.expr))
    merged: list[Piece] = []
    for piece in split:
        if merged and merged[-1].expr == piece.expr and not singular_points(
            piece.expr, z, merged[-1].lower, piece.upper
        )[0]:
            merged[-1] = Piece(merged[-1].lower, piece.upper, piece.expr)
        else:
            merged.append(piece)
    return PiecewiseForm(z, tuple(merged), exact)

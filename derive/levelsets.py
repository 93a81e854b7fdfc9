"""Conditional Hermite moments E[h_k(z) | y] of a deterministic single-index link.

The generative exponent (Damian, Pillaud-Vivien, Lee, Bruna 2024) is the first k with
lambda_k^2 = E_y[ E[h_k(z) | y]^2 ] > 0, h_k = He_k / sqrt(k!) (probabilists').
For y = sigma(z) the law of z given y splits into

- atoms: pieces where sigma is constant, y = v on a union A_v of intervals; then
  E[He_k | y = v] = E[He_k 1_{A_v}] / P(A_v), with the exact antiderivative
  int_p^q He_k phi = He_{k-1}(p) phi(p) - He_{k-1}(q) phi(q);
- level sets: on monotone branches z_i(y) of sigma, the density of z given y puts mass
  w_i = phi(z_i) / |sigma'(z_i)| on each root (the level-set formula of THEORY.md §3).

The y-axis is cut at the images of all branch endpoints (critical points, kinks, jumps and
+-infinity) into cells on which the set of active branches is fixed. A cell with a single
branch is injective: E[h_k | y] = h_k(z(y)), so every lambda_k^2 > 0. On a cell with
several branches the integral over y is rewritten on one reference branch r,

    int_cell (sum_i h_k(z_i) w_i)^2 / (sum_i w_i) dy
        = int (sum_i h_k(z_i) u_i)^2 / (sum_i u_i) dz_r,  u_i = phi(z_i) |sigma'(z_r)| / |sigma'(z_i)|,

whose only singularities (where another branch meets a critical point) sit at the ends of
the cell, where double-exponential quadrature in high precision converges; this is what
keeps true zeros at ~1e-30 rather than the ~1e-4 of naive quadrature across critical points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import sympy
from .piecewise import PiecewiseForm, _sort_key, real_roots
from .quadrature import integrate

_DPS = 50
#: a non-zero lambda_k^2 only needs to be told apart from 0: stop refining once it is
#: known to 1e-12 relative; zeros are still driven to the absolute tolerance 10^-digits
_RELATIVE = 1e-12
_MAX_LEVEL = 9
#: most extra digits spent on a node whose label sits next to a critical value
_MAX_EXTRA = 320


class LevelSetError(ValueError):
    """The link's level sets cannot be described by finitely many monotone branches."""


@dataclass(frozen=True)
class Atom:
    """Label value v taken on a union of intervals (sigma constant there)."""

    value: sympy.Expr
    intervals: tuple[tuple[sympy.Expr, sympy.Expr], ...]


@dataclass(frozen=True)
class Branch:
    """A monotone stretch (lower, upper) of a smooth piece, with its image."""

    lower: sympy.Expr
    upper: sympy.Expr
    expr: sympy.Expr
    image_lower: mpmath.mpf
    image_upper: mpmath.mpf
    increasing: bool


@dataclass(frozen=True)
class Cell:
    """An interval of labels (lower, upper) reached by a fixed set of branches."""

    lower: mpmath.mpf
    upper: mpmath.mpf
    branches: tuple[int, ...]

    @property
    def injective(self) -> bool:
        return len(self.branches) == 1


@dataclass(frozen=True)
class LevelSetStructure:
    """Atoms, monotone branches and label cells of a deterministic link."""

    variable: sympy.Symbol
    atoms: tuple[Atom, ...]
    branches: tuple[Branch, ...]
    cells: tuple[Cell, ...] = field(default=())
    #: True when only z > 0 is described (an even link): every contribution then counts
    #: twice for even k, and odd k vanish by symmetry.
    half_line: bool = False

    @property
    def is_discrete(self) -> bool:
        return not self.branches

    @property
    def injective_cell(self) -> Cell | None:
        for cell in self.cells:
            if cell.injective:
                return cell
        return None


def _limit(expr, z, point, direction: str) -> mpmath.mpf:
    with mpmath.workdps(_DPS):
        if point not in (sympy.oo, -sympy.oo):
            f = sympy.lambdify(z, expr, modules="mpmath")
            try:
                value = mpmath.mpmathify(f(mpmath.mpf(sympy.N(point, _DPS))))
                if mpmath.isfinite(value) and not isinstance(value, mpmath.mpc):
                    return value
            except (ZeroDivisionError, ValueError, OverflowError):
                pass
        value = sympy.limit(expr, z, point, dir=direction)
        if value == sympy.oo:
            return mpmath.inf
        if value == -sympy.oo:
            return -mpmath.inf
        if not (value.is_number and value.is_real):
            raise LevelSetError(
                f"{expr} has no limit at z = {point} (it oscillates), so its level sets "
                f"have infinitely many branches"
            )
        return mpmath.mpf(sympy.N(value, _DPS))


def level_set_structure(form: PiecewiseForm, even: bool = False) -> LevelSetStructure:
    """Atoms, monotone branches and label cells of the link given by ``form``.

    With ``even=True`` (the caller has proved the link even) only z > 0 is described,
    which halves the root finding; see :attr:`LevelSetStructure.half_line`.
    """
    with mpmath.workdps(_DPS):
        return _level_set_structure(form, even)


def _level_set_structure(form: PiecewiseForm, even: bool) -> LevelSetStructure:
    z = form.variable
    atoms: dict = {}
    branches: list[Branch] = []
    pieces = form.pieces
    if even:
        pieces = [
            type(p)(max(p.lower, sympy.Integer(0), key=_sort_key), p.upper, p.expr)
            for p in pieces if _sort_key(p.upper) > 0
        ]
    for piece in pieces:
        if not piece.expr.has(z):
            key = None
            for existing in atoms:
                if sympy.simplify(existing - piece.expr) == 0:
                    key = existing
                    break
            key = piece.expr if key is None else key
            atoms.setdefault(key, []).append((piece.lower, piece.upper))
            continue
        derivative = sympy.diff(piece.expr, z)
        critical, _ = real_roots(derivative, z, piece.lower, piece.upper)
        points = [piece.lower] + sorted(critical, key=_sort_key) + [piece.upper]
        for a, b in zip(points[:-1], points[1:]):
            ya = _limit(piece.expr, z, a, "+")
            yb = _limit(piece.expr, z, b, "-")
            branches.append(
                Branch(a, b, piece.expr, min(ya, yb), max(ya, yb), bool(yb > ya))
            )
    ends = sorted({b.image_lower for b in branches} | {b.image_upper for b in branches})
    merged: list = []
    for value in ends:
        if merged and mpmath.isfinite(value) and abs(value - merged[-1]) <= mpmath.mpf(10) ** -40 * max(1, abs(value)):
            continue
        merged.append(value)
    cells = []
    for u, v in zip(merged[:-1], merged[1:]):
        active = tuple(
            i for i, b in enumerate(branches)
            if b.image_lower <= u + _tol(u) and b.image_upper >= v - _tol(v)
        )
        if active:
            cells.append(Cell(u, v, active))
    return LevelSetStructure(
        z,
        tuple(Atom(v, tuple(iv)) for v, iv in atoms.items()),
        tuple(branches),
        tuple(cells),
        even,
    )


def _tol(x):
    if not mpmath.isfinite(x):
        return 0
    return mpmath.mpf(10) ** -40 * max(1, abs(x))


def atom_contributions(structure: LevelSetStructure, max_order: int) -> list[sympy.Expr]:
    """Exact sum over atoms of E[He_k 1_A]^2 / (k! P(A)) for k = 0..max_order."""
    out = [sympy.Integer(0)] * (max_order + 1)

    def phi(x):
        if x in (sympy.oo, -sympy.oo):
            return sympy.Integer(0)
        return sympy.exp(-x**2 / 2) / sympy.sqrt(2 * sympy.pi)

    def cdf(x):
        if x == sympy.oo:
            return sympy.Integer(1)
        if x == -sympy.oo:
            return sympy.Integer(0)
        return (1 + sympy.erf(x / sympy.sqrt(2))) / 2

    def edge(order, x):
        # He_order(x) phi(x), the antiderivative of -He_{order+1} phi, vanishing at +-oo
        if x in (sympy.oo, -sympy.oo):
            return sympy.Integer(0)
        return sympy.hermite_prob(order, x) * phi(x)

    for atom in structure.atoms:
        mass = sum(cdf(q) - cdf(p) for p, q in atom.intervals)
        for k in range(1, max_order + 1):
            moment = sum(edge(k - 1, p) - edge(k - 1, q) for p, q in atom.intervals)
            moment = sympy.expand(moment)
            if structure.half_line and k % 2:
                continue
            if moment != 0:
                factor = 2 if structure.half_line else 1
                out[k] += factor * moment**2 / (sympy.factorial(k) * mass)
        out[0] += 2 * mass if structure.half_line else mass
    return out


class _Unresolved(ArithmeticError):
    """A label too close to a critical value for the working precision."""


class _BranchInverse:
    """Solve sigma(z) = y on one monotone branch by safeguarded Newton in mpmath.

    The bracket is the branch itself (expanded outward from a finite point when an end is
    infinite); a float Brent solve gives the starting point when it can, and every Newton
    step that would leave the bracket is replaced by bisection, so labels next to a
    critical value (where sigma' -> 0) still get their root.
    """

    def __init__(self, branch: Branch, z):
        self.branch = branch
        self.f_float = sympy.lambdify(z, branch.expr, modules=["math", "mpmath"])
        self.f_mp = sympy.lambdify(z, branch.expr, modules="mpmath")
        self.df_mp = sympy.lambdify(z, sympy.diff(branch.expr, z), modules="mpmath")
        self.lower = _as_mp(branch.lower)
        self.upper = _as_mp(branch.upper)
        self.sign = 1 if branch.increasing else -1

    def _g(self, x, y):
        # oriented so that g is increasing in x
        return self.sign * (self.f_mp(x) - y)

    def _bracket(self, y):
        lo, hi = self.lower, self.upper
        if lo == -mpmath.inf or hi == mpmath.inf:
            anchor = hi - 1 if lo == -mpmath.inf and hi != mpmath.inf else (
                lo + 1 if hi == mpmath.inf and lo != -mpmath.inf else mpmath.mpf(0))
            if lo == -mpmath.inf:
                step = mpmath.mpf(1)
                lo = anchor - step if anchor < hi else anchor
                while self._g(lo, y) > 0 and step < 1e6:
                    step *= 2
                    lo = min(anchor, hi) - step
            if hi == mpmath.inf:
                step = mpmath.mpf(1)
                hi = anchor + step if anchor > lo else anchor + 1
                while self._g(hi, y) < 0 and step < 1e6:
                    step *= 2
                    hi = max(anchor, lo) + step
        return lo, hi

    def __call__(self, y):
        lo, hi = self._bracket(y)
        g_lo, g_hi = self._g(lo, y), self._g(hi, y)
        if g_lo >= 0 or g_hi <= 0:
            # y lies at (or, by rounding, beyond) the end of this branch's image: the root
            # is the branch end itself, where the level-set weight cannot be evaluated
            raise _Unresolved()
        x = (lo + hi) / 2
        try:
            from scipy.optimize import brentq  # imported here: scipy.optimize is slow to load

            fy = float(y)

            def g_float(t):
                return self.sign * (float(self.f_float(t)) - fy)

            a, b = float(lo), float(hi)
            if g_float(a) < 0 < g_float(b):
                x = mpmath.mpf(brentq(g_float, a, b, xtol=1e-300, rtol=4e-16, maxiter=200))
        except (ValueError, OverflowError, ZeroDivisionError, TypeError):
            pass
        if not lo < x < hi:
            x = (lo + hi) / 2
        tolerance = mpmath.eps * 16
        for _ in range(200):
            gx = self._g(x, y)
            if gx == 0:
                return x
            if gx < 0:
                lo = x
            else:
                hi = x
            slope = self.sign * self.df_mp(x)
            candidate = x - gx / slope if slope > 0 else None
            if candidate is None or not lo < candidate < hi:
                candidate = (lo + hi) / 2
            if abs(candidate - x) <= tolerance * max(1, abs(x)) or hi - lo <= tolerance * max(1, abs(x)):
                return candidate
            x = candidate
        return x


def cell_contributions(
    structure: LevelSetStructure, max_order: int, digits: int = 25,
    include_injective: bool = False,
) -> tuple[list, list]:
    """Numeric sum over cells of int E[h_k | y]^2 p(y) dy, k = 0..max_order.

    Injective cells (where the integrand is h_k(z)^2 phi(z)) are skipped unless
    ``include_injective``: the exponent search only needs to know that they are positive.
    Returns (values, error estimates).
    """
    z = structure.variable
    totals = [mpmath.mpf(0)] * (max_order + 1)
    errors = [mpmath.mpf(0)] * (max_order + 1)
    inverses = {i: _BranchInverse(b, z) for i, b in enumerate(structure.branches)}
    with mpmath.workdps(digits + 15):
        norms = [1 / mpmath.sqrt(mpmath.factorial(k)) for k in range(max_order + 1)]
        root2pi = mpmath.sqrt(2 * mpmath.pi)
        for cell in structure.cells:
            if cell.injective and not include_injective:
                continue
            reference = cell.branches[0]
            ref = structure.branches[reference]
            inverse = inverses[reference]
            def end_at(label, branch=ref, inverse=inverse):
                # the z where the reference branch reaches a cell boundary; a boundary that
                # coincides with the branch's own image end (to rounding) is that end
                try:
                    return inverse(label)
                except _Unresolved:
                    near_low = abs(label - branch.image_lower) <= abs(label - branch.image_upper)
                    at_lower_z = near_low == branch.increasing
                    return branch.lower if at_lower_z else branch.upper

            if ref.increasing:
                s = ref.lower if cell.lower <= ref.image_lower + _tol(ref.image_lower) else end_at(cell.lower)
                t = ref.upper if cell.upper >= ref.image_upper - _tol(ref.image_upper) else end_at(cell.upper)
            else:
                s = ref.lower if cell.upper >= ref.image_upper - _tol(ref.image_upper) else end_at(cell.upper)
                t = ref.upper if cell.lower <= ref.image_lower + _tol(ref.image_lower) else end_at(cell.lower)
            s = _as_mp(s)
            t = _as_mp(t)
            others = [i for i in cell.branches if i != reference]
            df_ref = inverse.df_mp
            f_ref = inverse.f_mp

            ends = [e for e in (cell.lower, cell.upper) if mpmath.isfinite(e)]

            def integrand(x, others=others, df_ref=df_ref, f_ref=f_ref, ends=ends):
                # Roots next to a critical value y_c are ill-conditioned: |y - y_c| = 10^-m
                # costs about m digits. Raise the precision by that much for such nodes so
                # that the level-set weights stay accurate all the way to the cell's ends.
                base = mpmath.mp.dps
                y = f_ref(x)
                gap = min([abs(y - e) / max(1, abs(e)) for e in ends] + [mpmath.mpf(1)])
                extra = 0 if gap > mpmath.mpf(10) ** -3 else (
                    _MAX_EXTRA if gap == 0 else min(_MAX_EXTRA, int(-mpmath.log10(gap)) + 5))
                with mpmath.workdps(base + extra):
                    x = +x
                    if extra:
                        y = f_ref(x)
                    slope = abs(df_ref(x))
                    points = [x]
                    weights = [mpmath.exp(-x * x / 2) / root2pi]
                    for i in others:
                        try:
                            xi = inverses[i](y)
                        except _Unresolved:
                            xi = None
                        di = 0 if xi is None else abs(inverses[i].df_mp(xi))
                        if di == 0:
                            # y is a critical value to working precision: only nodes within
                            # 10^-(2*_MAX_EXTRA/3) of the cell's end land here, where the
                            # rule's weight is far below the precision asked for
                            return [mpmath.mpf(0)] * (max_order + 1)
                        points.append(xi)
                        weights.append(mpmath.exp(-xi * xi / 2) / root2pi * slope / di)
                    mass = mpmath.fsum(weights)
                    he = [_hermite_row(p, max_order) for p in points]
                    row = []
                    for k in range(max_order + 1):
                        m = mpmath.fsum(w * h[k] for w, h in zip(weights, he)) * norms[k]
                        row.append(m * m / mass)
                return [+v for v in row]

            values, errs = integrate(
                integrand, s, t, digits=digits, relative=_RELATIVE, max_level=_MAX_LEVEL
            )
            factor = 2 if structure.half_line else 1
            for k in range(max_order + 1):
                if structure.half_line and k % 2:
                    continue
                totals[k] += factor * values[k]
                errors[k] += factor * errs[k]
    return totals, errors


def _as_mp(x):
    if isinstance(x, mpmath.mpf):
        return x
    if x == sympy.oo:
        return mpmath.inf
    if x == -sympy.oo:
        return -mpmath.inf
    return mpmath.mpf(sympy.N(x, _DPS))


def _hermite_row(x, max_order: int) -> list:
    row = [mpmath.mpf(1), x]
    for k in range(1, max_order):
        row.append(x * row[k] - k * row[k - 1])
    return row[: max_order + 1]

"""Later grand-staircase steps of noiseless targets with one unknown direction left.

Troiani, Dandi, Defilippis, Zdeborova, Loureiro, Krzakala (AISTATS 2025, arXiv:2405.15480;
THEORY.md §5): once optimal first-order methods have learned a subspace S = span(u_1..u_k),
the next step is the weak-recovery problem with the augmented label (y, s), s = U^T z. When
one direction v is left (k = r - 1), t = <v, z> is a standard Gaussian independent of s and,
for each s, y = f_s(t) = g(U s + v t) is a deterministic single-index link in t. Then

    A1 = E_s E_(y|s)[E[t | y, s]^2],   nu_1 = A2 = E_s E_(y|s)[(E[t^2 | y, s] - 1)^2],

and the step is trivial when A1 > 0, easy with alpha_c = 1/nu_1 when A1 = 0 < A2, hard when
both vanish (single-index formula of THEORY.md §5 for every s, averaged over s).

The conditional law of t given (y, s) (THEORY.md §3, level sets):

- on a monotone piece of f_s the label has a density; its roots t_b(y) carry the weights
  phi(t_b) / |f_s'(t_b)|. The y-integral over a label cell (where the set of pieces covering
  y is fixed) is written on one reference piece, int (sum_b a_b u_b)^2 / sum_b u_b dt_ref,
  u_b = phi(t_b) |f_s'(t_ref)| / |f_s'(t_b)|, whose only singularities (another root meeting a
  critical point, 1/sqrt) sit at the cell's ends: tanh-sinh (derive.doubleexp);
- on a FLAT piece (f_s constant on [a, b]: max(z1, z2^2) on |t| < sqrt(s) for s > 0) the
  label has an atom, and the conditional law there is the Gaussian truncated to the flat
  pieces of that level: E[t | atom] = sum (phi(a) - phi(b)) / P and
  E[t^2 - 1 | atom] = sum (a phi(a) - b phi(b)) / P, P = sum (Phi(b) - Phi(a)).
  A piece is flat only when the symbolic branch of the expression there (switches resolved:
  max/min/abs/sign/Heaviside) has t-derivative identically 0 (or 0 once the float s of that
  node is substituted: s t at s = 0); a branch constant in t up to the rounding of float
  directions makes the step "undetermined", never dropped mass. Float learned directions
  that are exact ones within 1e-6 ((1, 1)/sqrt 2 from an eigenvector) are made exact first.

The pieces come from the kinks of f_s (zeros in t of the switch arguments, and of the bases of
logs and fractional powers) and the critical points of each branch, located by sign changes on
a grid of spacing 1/100 on |t| <= 10 and bisection.

The average over s: for k = 1 the s-line is split where the piece structure of f_s changes
(bisection of the structure's signature), and each segment gets a tanh-sinh rule (A(s) may
behave like sqrt(s - s0) next to such a point; s = 0 is always a segment end); for k = 2 a
probabilists' Gauss-Hermite product rule (16^2 against 24^2 nodes: where A(s) has kinks this
converges slowly, ~1e-5 for max(z1, z2^2) + z3, and the estimate is only that). Error
estimate: the change when the outer and inner rules are refined (the tanh-sinh step halved,
the Gauss-Hermite order raised), the lost probability mass, the values filled in next to
critical ends (see _continuous) and a floor of 1e-14 relative. A1 = 0 is proved by symmetry
when f_s(-t) = f_s(t) identically (sympy), otherwise it is a numeric zero with that bound.

>>> import sympy
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> step = later_step(sympy.tanh(z1) + z2**2, (z1, z2), [(1, 0)])
>>> step.klass, round(step.alpha_c, 8)         # y and s fix t^2: phase retrieval in t
('easy', 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

import numpy as np
import sympy
from scipy import special

from .certificates import NUMERIC, SYMMETRY, UNDETERMINED, Certificate
from .doubleexp import tanh_sinh
from .grand_staircase import RecoveryStep
from .levelsets_numeric import refine_sign_changes

#: |t| <= T_MAX: the Gaussian mass beyond is below 2e-23
T_MAX = 10.0
#: |s| <= S_MAX for the outer rule (k = 1): the Gaussian mass beyond is below 3e-19
S_MAX = 9.0
_GRID = 2001
#: tanh-sinh levels (coarse, fine) of the inner label-cell rule and the outer s rule
_INNER_LEVELS = (4, 5)
_OUTER_LEVELS = (4, 5)
#: Gauss-Hermite orders (coarse, fine) per learned dimension: k = 2, and k = 1 where the
#: piece structure changes too often to segment
_HERMITE = {1: (48, 96), 2: (16, 24)}
#: at most this many structure changes of f_s on the s grid are located (k = 1)
_MAX_SEGMENTS = 24
_SWITCHES = (sympy.Max, sympy.Min, sympy.Abs, sympy.sign, sympy.Heaviside)
#: tolerance for reading a learned float direction as an exact one (see _unit)
_SNAP = 1e-6
#: relative distance to a label cell's end below which tanh-sinh nodes take the value at the
#: gap where the reference root is at a critical point (see _continuous)
_CRITICAL_GAP = 1e-7


class Undetermined(Exception):
    """The conditional law cannot be resolved for some s (the reason is the message)."""


@dataclass(frozen=True)
class _Branch:
    value: object
    slope: object
    flat: bool
    slope_expr: sympy.Expr


@dataclass(frozen=True)
class _Pieces:
    monotone: tuple  # (a, b, branch, y(a), y(b))
    flat: tuple  # (a, b, level)

    @property
    def signature(self) -> tuple:
        kinds = [(a, "m") for a, *_ in self.monotone] + [(a, "f") for a, *_ in self.flat]
        return tuple(kind for _, kind in sorted(kinds))


def _unit(vector) -> list:
    """The learned direction, exact where possible.

    Exact sympy entries are kept. A float vector whose squared entries are, within
    _SNAP (the precision of the first steps' eigenvectors), rationals p/q with q <= 12 summing
    to 1 is replaced by that exact vector: (0.70710687, 0.70710669) -> (sqrt(2)/2, sqrt(2)/2).
    Branches of the link that are constant along the exact direction (relu(z1) + relu(z2)
    with both arguments positive) are then flat exactly, and parity proofs apply. Any other
    vector stays in floats.
    """
    if all(isinstance(x, sympy.Basic) and not x.has(sympy.Float) for x in vector):
        return [sympy.sympify(x) for x in vector]
    values = np.array([float(x) for x in vector])
    values = values / np.linalg.norm(values)
    exact = []
    for x in values:
        square = Fraction(float(x * x)).limit_denominator(12)
        if abs(float(square) - x * x) > _SNAP:
            return [sympy.Float(float(x), 17) for x in values]
        exact.append(sympy.sign(x) * sympy.sqrt(sympy.Rational(square.numerator,
                                                                square.denominator)))
    if sum(e**2 for e in exact) != 1:
        return [sympy.Float(float(x), 17) for x in values]
    return exact


def _basis(learned: list, r: int) -> tuple[list, list]:
    """An orthonormal basis U of the learned span and the unit vector v orthogonal to it:
    exact (Gram-Schmidt, cross product) when the directions are, else from a QR
    factorisation."""
    learned = [_unit(u) for u in learned]
    if all(not x.has(sympy.Float) for u in learned for x in u):
        basis = []
        for u in learned:
            w = sympy.Matrix(u)
            for b in basis:
                w = w - (w.dot(b)) * b
            basis.append(sympy.simplify(w / sympy.sqrt(w.dot(w))))
        if r == 2:
            v = [-basis[0][1], basis[0][0]]
        else:
            c = basis[0].cross(basis[1])
            v = list(sympy.simplify(c / sympy.sqrt(c.dot(c))))
        return [list(b) for b in basis], _positive(v)
    matrix = np.array([[float(x) for x in u] for u in learned]).T
    q, _ = np.linalg.qr(np.hstack([matrix, np.eye(r)]))
    return [_unit(q[:, i]) for i in range(r - 1)], _positive(_unit(q[:, r - 1]))


def _positive(v: list) -> list:
    """The sign convention of the reported direction: first non-zero entry positive."""
    first = next(x for x in v if float(x) != 0)
    return v if float(first) > 0 else [-x for x in v]


class RestrictedLink:
    """t -> g(U s + v t) for every s: kinks, branches and pieces (see the module docstring)."""

    def __init__(self, expr, variables, learned, direction):
        self.k = len(learned)
        self.s = sympy.symbols(f"s0:{self.k}", real=True)
        self.t = sympy.Symbol("t", real=True)
        replacement = {x: sum(u[i] * si for u, si in zip(learned, self.s)) + direction[i] * self.t
                       for i, x in enumerate(variables)}
        self.expr = sympy.sympify(expr).xreplace(replacement)
        arguments = (*self.s, self.t)
        self._arguments = arguments
        self.value = sympy.lambdify(arguments, self.expr, modules=["numpy", "scipy"])
        nodes = list(dict.fromkeys(
            n for n in sympy.preorder_traversal(self.expr) if isinstance(n, _SWITCHES)))
        self._switches = [(n, [sympy.lambdify(arguments, a, modules=["numpy", "scipy"])
                               for a in n.args]) for n in nodes]
        kinks = []
        for node in nodes:
            if isinstance(node, (sympy.Max, sympy.Min)):
                kinks += [a - b for i, a in enumerate(node.args) for b in node.args[i + 1:]]
            else:
                kinks.append(node.args[0])
        for node in sympy.preorder_traversal(self.expr):
            if isinstance(node, sympy.log):
                kinks.append(node.args[0])
            elif node.is_Pow and node.base.has(self.t) and not (
                    node.exp.is_Integer and node.exp > 0):
                kinks.append(node.base)
        kinks = [e for e in dict.fromkeys(kinks) if e.has(self.t)]
        self._kinks = [sympy.lambdify(arguments, e, modules=["numpy", "scipy"]) for e in kinks]
        self._branches: dict = {}
        self.grid = np.linspace(-T_MAX, T_MAX, _GRID)

    def even(self) -> bool:
        """f_s(-t) = f_s(t) identically (sympy), so E[t | y, s] = 0 by symmetry."""
        flipped = self.expr.xreplace({self.t: -self.t})
        return sympy.expand(flipped - self.expr) == 0 or sympy.simplify(flipped - self.expr) == 0

    def _pattern(self, s, t: float) -> tuple:
        out = []
        for node, functions in self._switches:
            values = [float(f(*s, t)) for f in functions]
            if isinstance(node, sympy.Max):
                out.append(int(np.argmax(values)))
            elif isinstance(node, sympy.Min):
                out.append(int(np.argmin(values)))
            else:
                out.append(int(np.sign(values[0])))
        return tuple(out)

    def _branch(self, pattern: tuple) -> _Branch:
        if pattern in self._branches:
            return self._branches[pattern]
        choice = {node: c for (node, _), c in zip(self._switches, pattern)}

        def build(e):
            if not e.args:
                return e
            args = [build(a) for a in e.args]
            if e in choice:
                c = choice[e]
                if isinstance(e, (sympy.Max, sympy.Min)):
                    return args[c]
                if isinstance(e, sympy.Abs):
                    return args[0] if c >= 0 else -args[0]
                if isinstance(e, sympy.sign):
                    return sympy.Integer(c)
                return sympy.Integer(1) if c > 0 else (
                    sympy.Integer(0) if c < 0 else e.func(*args))
            return e.func(*args)

        smooth = build(self.expr)
        slope = sympy.diff(smooth, self.t)
        flat = not smooth.has(self.t) or sympy.simplify(slope) == 0
        if not flat:
            # a float basis can leave a rounding-size t-dependence in a branch that is
            # constant along the exact direction: neither flat (not proved) nor a genuine
            # level-set structure
            floats = [f for f in slope.atoms(sympy.Float)]
            largest = max((abs(float(f)) for f in floats), default=0.0)
            chopped = slope.xreplace({f: 0 for f in floats
                                      if abs(float(f)) <= _SNAP * max(largest, 1.0)})
            if floats and sympy.simplify(chopped) == 0:
                raise Undetermined(f"the branch {smooth} is constant in t up to the rounding "
                                   "of the learned directions")
        branch = _Branch(sympy.lambdify(self._arguments, smooth, modules=["numpy", "scipy"]),
                         sympy.lambdify(self._arguments, slope, modules=["numpy", "scipy"]),
                         flat, slope)
        self._branches[pattern] = branch
        return branch

    def _flat_at(self, branch: _Branch, s, a: float, b: float) -> bool:
        """The branch is constant in t at these s values (e.g. s t at s = 0): its slope
        vanishes on the grid and, symbolically, once s is substituted."""
        points = np.linspace(a, b, 9)
        with np.errstate(all="ignore"):
            slope = np.broadcast_to(np.asarray(branch.slope(*s, points), dtype=float),
                                    points.shape)
        if np.any(slope != 0):
            return False
        at = branch.slope_expr.xreplace({si: sympy.Float(float(x), 17)
                                         for si, x in zip(self.s, s)})
        return sympy.simplify(at).is_zero is True

    def pieces(self, s) -> _Pieces:
        grid = self.grid
        cuts = set()
        for f in self._kinks:
            cuts |= set(_zeros(lambda t, f=f: f(*s, t), grid))
        edges = [-T_MAX, *sorted(c for c in cuts if -T_MAX < c < T_MAX), T_MAX]
        monotone, flat = [], []
        for a, b in pairwise(edges):
            if b - a < 1e-13:
                continue
            branch = self._branch(self._pattern(s, 0.5 * (a + b)))
            if branch.flat or self._flat_at(branch, s, a, b):
                flat.append((a, b, float(branch.value(*s, 0.5 * (a + b)))))
                continue
            inside = grid[(grid > a) & (grid < b)]
            points = np.concatenate([[a], inside, [b]])
            slope = np.broadcast_to(np.asarray(branch.slope(*s, points), dtype=float),
                                    points.shape)
            if not np.all(np.isfinite(slope[1:-1])):
                raise Undetermined(f"the slope of the link is not finite at s = {s}")
            critical = _zeros(lambda t, f=branch.slope: f(*s, t), points)
            ends = [a, *sorted(c for c in critical if a < c < b), b]
            for lo, hi in pairwise(ends):
                if hi - lo < 1e-13:
                    continue
                ylo = float(branch.value(*s, lo))
                yhi = float(branch.value(*s, hi))
                if not (np.isfinite(ylo) and np.isfinite(yhi)):
                    raise Undetermined(f"the link is not finite on ({lo:.6g}, {hi:.6g})")
                if ylo == yhi:
                    if hi - lo < 1e-6:
                        # a sliver next to a critical point: its Gaussian mass (< 4e-7)
                        # shows in the mass deficit of the error estimate
                        continue
                    raise Undetermined(f"a monotone piece of the link has equal end values "
                                       f"on ({lo:.6g}, {hi:.6g}) at s = {s}")
                monotone.append((lo, hi, branch, ylo, yhi))
        return _Pieces(tuple(monotone), tuple(flat))


def _zeros(function, grid: np.ndarray) -> list[float]:
    """Sign changes of function on grid refined by bisection, and exact zeros on the grid."""
    with np.errstate(all="ignore"):
        values = np.broadcast_to(np.asarray(function(grid), dtype=float), grid.shape)
    sign = np.sign(values)
    out = [float(x) for x in grid[sign == 0]]
    idx = np.nonzero(sign[:-1] * sign[1:] < 0)[0]
    if idx.size:
        out += [float(x) for x in refine_sign_changes(function, grid[idx], grid[idx + 1],
                                                      sign[idx], iterations=60)]
    return out


def _invert(branch, s, lo, hi, increasing, y):
    """branch(s, t) = y on the monotone (lo, hi) (:func:`derive.levelsets_numeric.
    invert_monotone`)."""
    from .levelsets_numeric import invert_monotone

    return invert_monotone(lambda t: branch.value(*s, t), lambda t: branch.slope(*s, t),
                           lo, hi, increasing, y)


_PHI = 1 / np.sqrt(2 * np.pi)


def _atoms(flat) -> tuple[float, float, float]:
    """(P E[t|atom]^2, P E[t^2 - 1|atom]^2, P) summed over the atoms (flat levels)."""
    levels: list[list] = []
    for a, b, c in sorted(flat, key=lambda p: p[2]):
        if levels and abs(c - levels[-1][0]) <= 1e-12 * (1 + abs(c)):
            levels[-1][1].append((a, b))
        else:
            levels.append([c, [(a, b)]])
    a1 = a2 = mass = 0.0
    for _, intervals in levels:
        p = first = second = 0.0
        for a, b in intervals:
            a = -np.inf if a <= -T_MAX else a
            b = np.inf if b >= T_MAX else b
            p += float(special.ndtr(b) - special.ndtr(a)) if a < 0 else float(
                special.ndtr(-a) - special.ndtr(-b))
            pa = 0.0 if np.isinf(a) else _PHI * np.exp(-a * a / 2)
            pb = 0.0 if np.isinf(b) else _PHI * np.exp(-b * b / 2)
            first += pa - pb
            second += (0.0 if np.isinf(a) else a * pa) - (0.0 if np.isinf(b) else b * pb)
        if p > 0:
            a1 += first**2 / p
            a2 += second**2 / p
            mass += p
    return a1, a2, mass


def _preimage(branch, s, lo, hi, ylo, yhi, y, tol):
    if abs(y - ylo) <= tol:
        return lo
    if abs(y - yhi) <= tol:
        return hi
    return float(_invert(branch, s, lo, hi, yhi > ylo, np.array([y]))[0])


def _continuous(monotone, s, level: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(A1, A2, mass) of the density part at tanh-sinh levels level and level - 1, and the
    estimated error of the values filled in next to critical ends."""
    ends = sorted({p[3] for p in monotone} | {p[4] for p in monotone})
    fine = np.zeros(3)
    coarse = np.zeros(3)
    truncation = np.zeros(3)
    for u, w in pairwise(ends):
        tol = 1e-13 * max(1.0, abs(u), abs(w))
        if w - u <= tol:
            continue
        active = [p for p in monotone if min(p[3], p[4]) <= u + tol and max(p[3], p[4]) >= w - tol]
        if not active:
            continue
        lo, hi, ref, ylo, yhi = active[0]
        t_u, t_w = (_preimage(ref, s, lo, hi, ylo, yhi, target, tol) for target in (u, w))
        left, right = min(t_u, t_w), max(t_u, t_w)
        to_left, to_right, weight = tanh_sinh(np.array([right - left]), level)
        to_left, to_right, weight = to_left[0], to_right[0], weight[0]
        x = np.where(to_left <= to_right, left + to_left, right - to_right)
        with np.errstate(all="ignore"):
            y = np.broadcast_to(np.asarray(ref.value(*s, x), dtype=float), x.shape)
            slope_ref = np.abs(np.broadcast_to(np.asarray(ref.slope(*s, x), dtype=float),
                                               x.shape))
            signed = np.broadcast_to(np.asarray(
                ref.slope(*s, np.array([left, right])), dtype=float), (2,))
        end_slopes = np.abs(signed)
        # next to an end, left + d rounds away d and f_s(t) cancels: y - y_end is taken from
        # the tangent instead (error ~ f'' d^2), so that the other roots near their critical
        # points (the 1/sqrt singularity) keep their distance to it; y stays in the cell
        y_left, y_right = (u, w) if t_u <= t_w else (w, u)
        tangent = 1e-8 * (right - left)
        y = np.where(to_left < tangent, y_left + signed[0] * to_left, y)
        y = np.where(to_right < tangent, y_right - signed[1] * to_right, y)
        y = np.clip(y, u, w)
        # where the reference root itself sits at a critical point, y - y_c ~ (t - t_c)^2
        # falls below the rounding of y for t - t_c < ~1e-7: the other roots are then
        # rounding noise. There the integrand is bounded and tends to its limit like
        # (t - t_c) (every root ratio |f'(t_ref)| / |f'(t_b)| does), so the nodes closer
        # than _CRITICAL_GAP take the value at the nearest node beyond it; the change of the
        # integrand across the gap bounds what that costs.
        critical = end_slopes <= 1e-7 * max(float(np.max(slope_ref)), 1e-300)
        gap = _CRITICAL_GAP * (right - left)
        dropped = (critical[0] & (to_left < gap)) | (critical[1] & (to_right < gap))
        total = np.exp(-x * x / 2)
        first = x * total
        second = (x * x - 1) * total
        for lo_b, hi_b, branch, ya, yb in active[1:]:
            roots = _invert(branch, s, lo_b, hi_b, yb > ya, y)
            with np.errstate(all="ignore"):
                u_b = np.exp(-roots**2 / 2) * slope_ref / np.abs(
                    np.asarray(branch.slope(*s, roots), dtype=float))
            u_b = np.where(np.isfinite(u_b), u_b, 0.0)
            total = total + u_b
            first = first + roots * u_b
            second = second + (roots**2 - 1) * u_b
        keep = total > 0
        norm = np.where(keep, weight * _PHI, 0.0)
        safe = np.where(keep, total, 1.0)
        values = np.stack([first**2 / safe, second**2 / safe, total]) * norm
        values = np.where(np.isfinite(values), values, 0.0)
        for end, distance in zip(critical, (to_left, to_right)):
            near = dropped & (distance < gap)
            if end and np.any(near) and not np.all(dropped):
                order = np.argsort(np.where(dropped, np.inf, distance))
                nearest, next_ = int(order[0]), int(order[1])
                density = values[:, nearest] / weight[nearest]
                values[:, near] = density[:, None] * weight[near]
                truncation += gap * np.abs(density - values[:, next_] / weight[next_])
        fine += values.sum(axis=1)
        coarse += 2 * values[:, ::2].sum(axis=1)  # the level - 1 nodes are every other one
    return fine, coarse, truncation


def conditional_moments(link: RestrictedLink, s) -> tuple[float, float, float]:
    """(A1(s), A2(s), error estimate) of the link t -> f_s(t) at the learned coordinates s."""
    pieces = link.pieces(s)
    atom1, atom2, atom_mass = _atoms(pieces.flat)
    fine, coarse, truncation = _continuous(pieces.monotone, s, _INNER_LEVELS[1])
    mass = fine[2] + atom_mass
    error = float(max(abs(fine[0] - coarse[0]) + truncation[0],
                      abs(fine[1] - coarse[1]) + truncation[1])
                  + abs(mass - 1.0) + 1e-15)
    return float(fine[0] + atom1), float(fine[1] + atom2), error


def _segments(link: RestrictedLink) -> list[float] | None:
    """Points of [-S_MAX, S_MAX] where the piece structure of f_s changes (k = 1), or None
    when it changes more than _MAX_SEGMENTS times on the grid (sin(z1 z2))."""
    grid = np.linspace(-S_MAX, S_MAX, 181) + 1e-3 * np.sqrt(2)  # off the symmetric points
    grid = grid[grid < S_MAX]
    def signature(x):
        try:
            return link.pieces((x,)).signature
        except Undetermined:
            return None  # a degenerate s (e.g. the link vanishes identically there)

    signatures = [signature(x) for x in grid]
    if sum(a != b for a, b in pairwise(signatures)) > _MAX_SEGMENTS:
        return None
    points = [-S_MAX]
    for (a, sa), (b, sb) in pairwise(zip(grid, signatures)):
        if sa == sb:
            continue
        for _ in range(50):
            m = 0.5 * (a + b)
            if signature(m) == sa:
                a = m
            else:
                b = m
        points.append(0.5 * (a + b))
    points.append(S_MAX)
    # s = 0 is always a segment end: links degenerate most often there (s |t| is constant
    # in t at s = 0 only), and a tanh-sinh rule never evaluates its ends
    merged = [-S_MAX, 0.0, S_MAX]
    for x in points:
        if min(abs(x - m) for m in merged) > 1e-9:
            merged.append(x)
    return sorted(merged)


def _outer_tanh_sinh(link: RestrictedLink, segments: list[float]):
    """E_s[(A1, A2, inner error)] at the fine level and its change from the coarse level."""
    fine = np.zeros(3)
    coarse = np.zeros(3)
    for a, b in pairwise(segments):
        to_a, to_b, weight = tanh_sinh(np.array([b - a]), _OUTER_LEVELS[1])
        x = np.where(to_a[0] <= to_b[0], a + to_a[0], b - to_b[0])
        weight = weight[0] * _PHI * np.exp(-x**2 / 2)
        values = np.zeros((x.size, 3))
        for i, (node, w) in enumerate(zip(x, weight)):
            if w > 1e-20:
                values[i] = conditional_moments(link, (node,))
        fine += weight @ values
        coarse += 2 * weight[::2] @ values[::2]
    return fine, coarse


def _outer_hermite(link: RestrictedLink, order: int) -> np.ndarray:
    x, w = np.polynomial.hermite_e.hermegauss(order)
    w = w * _PHI
    total = np.zeros(3)
    for index in np.ndindex(*([order] * link.k)):
        weight = float(np.prod(w[list(index)]))
        if weight > 1e-16:
            total += weight * np.array(conditional_moments(link, tuple(x[list(index)])))
    return total


def later_step(expr, variables, learned) -> RecoveryStep:
    """The weak-recovery step of the one direction left after ``learned`` (r - 1 vectors,
    exact or float) for the noiseless target ``expr``; r = 2 or 3.

    >>> import sympy
    >>> z1, z2 = sympy.symbols("z1 z2", real=True)
    >>> step = later_step(z1 * sympy.Abs(z2), (z1, z2), [(1.0, 0.0)])  # |t| = y / s
    >>> step.klass, round(step.alpha_c, 10), step.directions
    ('easy', 0.5, ((0.0, 1.0),))
    """
    variables = tuple(variables)
    r = len(variables)
    if len(learned) != r - 1 or r not in (2, 3):
        raise ValueError("later_step needs r - 1 learned directions, r = 2 or 3")
    learned, v = _basis(learned, r)
    direction = (tuple(float(x) for x in v),)
    link = RestrictedLink(expr, variables, learned, v)
    try:
        segments = _segments(link) if link.k == 1 else None
        if segments is not None:
            fine, coarse = _outer_tanh_sinh(link, segments)
            rule = "tanh-sinh in s on the segments of fixed piece structure"
        else:
            orders = _HERMITE[link.k]
            coarse = _outer_hermite(link, orders[0])
            fine = _outer_hermite(link, orders[1])
            rule = (f"{orders[1]}-point Gauss-Hermite in s" if link.k == 1 else
                    f"{orders[1]}^2-point Gauss-Hermite in s")
    except Undetermined as exc:
        return RecoveryStep("undetermined", None, 0.0, 0, (), Certificate(UNDETERMINED, str(exc)),
                            f"later step undetermined: {exc}")
    a1, a2 = float(fine[0]), float(fine[1])
    # floor: double-precision roots and kinks (bisection to ~1e-16) limit any claim
    error = float(max(abs(fine[0] - coarse[0]), abs(fine[1] - coarse[1])) + fine[2]
                  + 1e-14 * max(a1, a2))
    zero = Certificate(SYMMETRY, "f_s(t) = g(U s + v t) is even in t: E[t | y, s] = 0") \
        if link.even() else None
    if zero is None and a1 > 10 * error + 1e-9:
        why = f"E[t | y, s] != 0: E[E[t|y,s]^2] = {a1:.6g} +- {error:.1e} ({rule})"
        return RecoveryStep("trivial", 0.0, 0.0, 1, direction,
                            Certificate(NUMERIC, why, bound=error), why)
    if zero is None:
        zero = Certificate(NUMERIC, f"E[E[t|y,s]^2] = {a1:.3g} +- {error:.1e}", bound=error)
    if a2 <= 10 * error + 1e-9:
        klass = "hard" if error < 1e-8 else "undetermined"
        why = (f"nu_1 = {a2:.3g} +- {error:.1e}: the augmented label does not see t"
               if klass == "hard" else f"nu_1 = {a2:.3g} +- {error:.1e} is not resolved")
        return RecoveryStep(klass, None, error, 0, (), Certificate(NUMERIC, why, bound=error),
                            why)
    alpha = 1 / a2
    bound = alpha * error / a2 * 1.01
    reason = zero.reason if zero.kind != NUMERIC else f"numeric zero ({zero.reason})"
    certificate = Certificate(NUMERIC, f"nu_1 = {a2:.10g} +- {error:.1e}; {reason}", bound=bound)
    return RecoveryStep("easy", alpha, bound, 1, direction, certificate,
                        f"nu_1 = E_s E_(y|s)[(E[t^2|y,s] - 1)^2] = {a2:.10g} ({rule})")


def _with_threshold(target, step: RecoveryStep, learned: list, source: str) -> RecoveryStep:
    computed = later_step(target.expression, tuple(target.variables), learned)
    if computed.klass == "easy":
        return RecoveryStep("easy", computed.alpha_c, computed.error_bound, 1,
                            computed.directions, computed.certificate,
                            f"{computed.why}; class from {source}")
    reason = (f"{source} gives an easy step, the level sets of the augmented label give "
              f"{computed.klass}: {computed.why}")
    return RecoveryStep("undetermined", None, 0.0, 0, (), Certificate(UNDETERMINED, reason),
                        reason)


def _with_pair_threshold(target, step: RecoveryStep, learned: list,
                         source: str) -> RecoveryStep:
    """An easy step of an r = 3 target after one learned direction (two remain), from
    :func:`derive.grand_staircase_pairs.later_step_two_left`; kept without alpha_c when the
    top eigenspace it finds does not have the step's dimension."""
    from .grand_staircase_pairs import later_step_two_left

    computed = later_step_two_left(target.expression, tuple(target.variables), learned)
    if computed.klass == "easy" and computed.dimension_added == step.dimension_added:
        return RecoveryStep("easy", computed.alpha_c, computed.error_bound,
                            computed.dimension_added, computed.directions, computed.certificate,
                            f"{computed.why}; class from {source}")
    if computed.klass == "easy":
        return RecoveryStep("easy", None, 0.0, step.dimension_added, step.directions,
                            step.certificate,
                            f"{step.why}; the averaged level sets give nu_1 with a "
                            f"{computed.dimension_added}-dimensional top eigenspace, not "
                            f"{step.dimension_added}: alpha_c not assigned")
    reason = (f"{source} gives an easy step, the level sets of the augmented label give "
              f"{computed.klass}: {computed.why}")
    return RecoveryStep("undetermined", None, 0.0, 0, (), Certificate(UNDETERMINED, reason),
                        reason)


def _factored_step(target, step: RecoveryStep, learned: list, source: str):
    """(step, remainder) from :func:`derive.thresholds_factored.factored_later_step` when the
    label is a product of one-variable factors and the learned directions are coordinate
    axes; the remainder is the part of ``step`` the top eigenspace leaves for later (an easy
    step without alpha_c, computed in turn). None when that engine does not apply or finds
    a class other than the step's, or more directions than the step has."""
    from .thresholds_factored import factored_later_step

    if step.klass != "easy" or step.alpha_c is not None or not learned:
        return None
    computed = factored_later_step(target.expression, tuple(target.variables), learned)
    if (computed is None or computed.klass != "easy"
            or computed.dimension_added > step.dimension_added):
        return None
    found = RecoveryStep("easy", computed.alpha_c, computed.error_bound,
                         computed.dimension_added, computed.directions, computed.certificate,
                         f"{computed.why}; class from {source}")
    left = step.dimension_added - computed.dimension_added
    if not left:
        return found, []
    why = (f"the rest of {source}'s easy step ({left} of its {step.dimension_added} "
           "directions): the top eigenspace of F_S is smaller")
    return found, [RecoveryStep("easy", None, 0.0, left, (), Certificate(UNDETERMINED, why),
                                why)]


def fill_later_thresholds(target, steps: tuple, source: str) -> tuple:
    """``steps`` (a staircase whose easy steps may lack alpha_c) with alpha_c filled in: for
    products of one-variable factors whose learned directions are coordinate axes by
    :func:`derive.thresholds_factored.factored_later_step` (an easy step whose top
    eigenspace is smaller is split, the rest computed in turn); otherwise for every easy
    step that leaves one direction, and for the second step of r = 3 targets
    whose first step learned one direction (two remain; derive.grand_staircase_pairs), for
    noiseless targets with r <= 3; ``source``
    names where the classes come from. A step the level sets do not find easy becomes
    undetermined (the two analyses disagree). Steps after one that learns nothing are
    dropped, as the staircase stops there.

    >>> from derive.certificates import Certificate
    >>> from derive.target import parse_target
    >>> told = Certificate("inequality", "given")
    >>> steps = (RecoveryStep("trivial", 0.0, 0.0, 1, ((1.0, 0.0),), told, "z1"),
    ...          RecoveryStep("easy", None, 0.0, 1, ((0.0, 1.0),), told, "z2"))
    >>> filled = fill_later_thresholds(parse_target("z1 + z2**2"), steps, "a test")
    >>> round(filled[1].alpha_c, 8)
    0.5
    """
    r = len(target.variables)
    if float(target.noise) > 0 or r > 3:
        return tuple(steps)
    out, learned = [], []
    pending = list(steps)
    while pending:
        step = pending.pop(0)
        factored = _factored_step(target, step, learned, source)
        if factored is not None:
            step, remainder = factored
            pending[:0] = remainder
        elif (step.klass == "easy" and step.alpha_c is None and learned
                and len(learned) == r - 1 and step.dimension_added == 1):
            step = _with_threshold(target, step, learned, source)
        elif (step.klass == "easy" and step.alpha_c is None and r == 3
                and len(learned) == 1):
            step = _with_pair_threshold(target, step, learned, source)
        out.append(step)
        if step.klass not in ("trivial", "easy"):
            break
        learned += list(step.directions)
    return tuple(out)


__all__ = ["RestrictedLink", "Undetermined", "conditional_moments", "fill_later_thresholds",
           "later_step"]

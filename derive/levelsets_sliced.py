"""Conditional moments E[h(z) | y] of a noiseless target y = g(z), z ~ N(0, I_3), by planar
slices: the r = 2 radial level-set rule inside every slice, a split tanh-sinh rule across
the slices (numeric core, numpy only).

Why slices (and not the pencil of half-planes of :mod:`derive.levelsets_radial` for r = 3):
in the pencil, the azimuthal integrand has inverse-square-root peaks, jumps and logarithmic
singularities at label-dependent azimuths that a trapezoid rule does not split at, so that
rule converges like n^(-1/2) and gives 2-3 digits. With parallel slices the singular slice
positions are the solutions of a small nonlinear system that Newton's method finds, the
outer rule is split there, and every piece converges geometrically.

With an orthonormal frame (e1, e2, e3) (e3 the slicing axis) and z = u1 e1 + u2 e2 + s e3,
z ~ N(0, I_3) means u ~ N(0, I_2) and s ~ N(0, 1) independent, hence for every label y

    p(y) E[h(z) | y] = int ds phi_1(s) int_{g(u, s) = y} h(u, s) phi_2(u) dl(u) / |grad_u g|,

the inner integral being the r = 2 coarea integral of the slice u -> g(u, s), computed
exactly as in :mod:`derive.levelsets_radial` (rays from the slice's centre, roots by the
Illinois iteration, the angular rule split by bisection where the slice's level curve folds
or crosses a kink, tanh-sinh on every piece).

At fixed y, the inner integral S(y, s) is analytic in s except where y is a critical value
of the slice, i.e. at the slice positions s of the points with

    e1 . grad g(z) = 0,   e2 . grad g(z) = 0,   g(z) = y                                 (*)

(a closed level curve appears or vanishes there: a jump of S; or the curve passes a saddle:
a logarithmic singularity). These points lie on the curves of slice-critical points, which
are tabulated once (Newton's method on the slices of a grid in s); for every label node the
solutions of (*) follow by Newton's method in 3 unknowns from the tabulated points. The
outer rule in s works in v = Phi(s) (ds phi_1(s) = dv): tanh-sinh on the pieces of [0, 1]
between the Phi of the solutions of (*) (and of the slices of isolated critical points of g,
or of degenerate slices: there S(y, s) is steep for y near the critical value). In every slice
of such a label, the critical points of the slice that continue the solutions of (*) (a few
Newton steps in the slice) give angles that join the signature grid (small closed level
curves around a slice extremum would slip between the regular rays) and cut the angular
rule (next to a saddle the angular integrand has a logarithmic peak at the saddle's angle).

Two more details matter for 4 digits. Where the ray signature changes between neighbouring
grid rays, it is bisected from both sides; two different results (a root entering from the
rim of the disc and a fold a few hundredths of a radian later) are both kept and the gap is
searched again (:func:`_breakpoints`; one-sided bisection lost 1e-3 of p(y) on off-centre
saddles). The label rule is that of :mod:`derive.levelsets_radial` (Gauss-Legendre panels
graded geometrically towards the critical values of g in 3-d, g(0), the ends of the range
that are not the truncation's, and the limits of the slice-critical values at the outermost
slices, e.g. tanh(z3)^2 -> 1: critical values at infinity); z1 z2 z3 has a log^2 density at
y = 0, hence 10-12 grading levels (down to 8 std 4^-12).

Costs (both rules of derive.thresholds_radial.RULES[3], CPU seconds of one core): z1 z2 z3
19 s, z1 z2 + tanh(z3)^2 45 s, z1^2 + 2 z2 z3 - z3^2 48 s; about 5 ms per (label, slice)
problem.

The error is estimated a posteriori, not enclosed: the caller evaluates two rules, every
dimension refined (label panels, inner tanh-sinh level and ray grid, outer tanh-sinh level),
and adds the defects of the identities int p = 1, int p E[z|y] = 0, int p G = 0
(:func:`derive.levelsets_radial.identity_defect`). Targets with kinks (Abs, Max) have
singular slices that (*) does not find: the corners of the level sets on the kink edges and
the tangencies of their creases, found by :mod:`derive.levelsets_kinks` and split at like
the solutions of (*) (max(|z1|, |z2|, |z3|): the slices through the cube's vertices); kink
planes that hold a whole slice are :func:`axis_kinks`.

An atom of the label (g constant on a set of positive probability) is detected on a set of
rays from the origin and reported (``RadialSums.atom``), not integrated.

>>> import numpy as np
>>> g = lambda z: np.sum(z * z, axis=-1)              # chi-square, 3 degrees of freedom
>>> S = slice_moments(g, np.array([1.0]), SliceRule(ts_level=2), slicing_frame(2),
...                   _Derivatives(g, None))
>>> round(float(S[0, 0]), 9), round(float(np.exp(-0.5) / np.sqrt(2 * np.pi)), 9)  # p(1)
(0.241970725, 0.241970725)
>>> round(float(S[0, 4] / S[0, 0]), 7)                # E[z1^2 - 1 | y = 1] = 1/3 - 1
-0.6666667
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from .doubleexp import tanh_sinh
from .levelsets_kinks import corner_angles, kink_slices
from .levelsets_radial import (
    BISECTION_STEPS,
    MAX_PIECE,
    RHO_MAX,
    RadialSums,
    _evaluate,
    _label_edges,
    _panel_nodes,
    _roots,
    _signature,
    _slope,
    _Structure,
    angular_pieces,
    central_gradient,
    critical_values,
    damped_newton,
    deepen_ends,
    fibonacci_directions,
    label_scale,
    pairs_of,
)

#: half-width of the slab of slices: phi_1(S_MAX) ~ 2e-16
S_MAX = 8.5
#: radius of the disc of rays in every slice (|u| > 9: phi_2 < 3e-18)
RHO_SLICE = RHO_MAX[2]
_SEAM = 0.1234567
_PROBLEMS = 192  # (label, slice) problems per vectorised batch
_NEWTON_STEPS = 40
#: golden-section steps per extremum along a slice's ray: location to ~3e-6 of the radius
#: grid, value to ~1e-11 (only the value decides which segments bracket a label)
_GOLDEN_STEPS = 24
#: the same where g has kinks: at a corner of the level curve the extremum along a ray is a
#: kink of g, its value error is linear in the location error, and 24 steps left the fold
#: angles ~6e-6 rad off (7e-5 of S(y, s) on the slices near a vertex of max |z_i| = y);
#: 48 steps agree with the polygon's exact edge integrals to 1e-10
_GOLDEN_STEPS_KINKED = 48
#: the default slicing axis: generic, so that no slice of a target written in coordinates
#: is degenerate (z1^2 + 2 z2 z3 - z3^2 restricted to z3 = 0 is z1^2, constant along z2, and
#: S(y, s) then varies on the scale |y| near s = 0 without being singular anywhere: the
#: outer rule lost 3 digits there)
GENERIC_AXIS = (0.3141, 0.5227, 0.7926)


@dataclass(frozen=True)
class SliceRule:
    """Accuracy parameters of one evaluation (a coarse and a fine rule differ in all)."""

    label_order: int = 5       # Gauss-Legendre points per label panel
    label_levels: int = 10     # grading towards singular labels: down to 8 std 4^-levels
    label_growth: float = 3.0  # label panels no wider than max(std, distance) / growth
    ts_level: int = 2          # inner (angular) tanh-sinh, h = 2^-level
    coarse_rays: int = 48      # inner signature grid
    slice_level: int = 2       # outer (slice) tanh-sinh, h = 2^-level
    max_slab: float = 0.5      # longest outer piece, in v = Phi(s)
    inner_piece: float = np.pi / 8  # longest inner angular piece
    rho_nodes: int = 65        # radii tabulated along each inner ray (extrema search)


def slicing_frame(axis=2) -> np.ndarray:
    """Columns e1, e2, e3 of an orthonormal frame with e3 along ``axis`` (a coordinate index
    or a 3-vector); for a coordinate index, e1, e2 are the other two coordinate axes."""
    if isinstance(axis, (int, np.integer)):
        order = [i for i in range(3) if i != axis] + [int(axis)]
        return np.eye(3)[:, order]
    a = np.asarray(axis, dtype=float)
    a = a / np.linalg.norm(a)
    q, _ = np.linalg.qr(np.column_stack([a, np.eye(3)]))
    e3 = q[:, 0] * np.sign(q[:, 0] @ a)
    frame = np.column_stack([q[:, 1], q[:, 2], e3])
    return frame * np.array([np.sign(np.linalg.det(frame)), 1.0, 1.0])


class _Derivatives:
    """Gradient (exact when given, else central differences) and Hessian (central
    differences of the gradient) of g at points (n, 3)."""

    def __init__(self, g, gradient):
        self.g, self.exact = g, gradient

    def gradient(self, z):
        if self.exact is not None:
            with np.errstate(all="ignore"):
                return np.broadcast_to(np.asarray(self.exact(z), dtype=float), z.shape)
        return central_gradient(self.g, z, 1e-5)

    def hessian(self, z):
        h = 1e-4
        eye = np.eye(3)
        H = np.stack([(self.gradient(z + h * eye[a]) - self.gradient(z - h * eye[a])) / (2 * h)
                      for a in range(3)], axis=-1)
        return 0.5 * (H + np.swapaxes(H, -1, -2))


def _newton(residual, x, steps=_NEWTON_STEPS):
    """Damped Newton (step length <= 1) on residual(x) -> (R (n, k), J (n, k, k))."""
    return damped_newton(residual, x, steps)


def slice_critical_points(g, frame, derivatives, s_nodes=49, starts=9):
    """Points (n, 3) of the curves of slice-critical points (e1.grad g = e2.grad g = 0) on
    the slices of a grid in s: Newton's method in each slice from a grid of starts."""
    E = frame
    s = np.linspace(-S_MAX + 0.5, S_MAX - 0.5, s_nodes) + 0.0173
    axis = np.linspace(-4.0, 4.0, starts) + 0.0137
    u1, u2, ss = np.meshgrid(axis, axis, s, indexing="ij")
    x0 = np.stack([u1.ravel(), u2.ravel()], axis=-1)
    s_col = ss.ravel()

    def residual(u):
        z = u @ E[:, :2].T + s_col[:, None] * E[:, 2]
        grad = derivatives.gradient(z) @ E[:, :2]
        H = E[:, :2].T @ derivatives.hessian(z) @ E[:, :2]
        return grad, H

    u, R = _newton(residual, x0)
    z = u @ E[:, :2].T + s_col[:, None] * E[:, 2]
    scale = 1 + np.max(np.abs(np.nan_to_num(_evaluate(g, z))))
    good = (np.linalg.norm(R, axis=-1) < 1e-7 * scale) & (np.linalg.norm(u, axis=-1) < RHO_SLICE)
    points = np.unique(np.round(z[good], 9), axis=0)
    return points


def singular_slices(g, frame, derivatives, ys, starts):
    """For every label y: the solutions (s, u) of (*) (module docstring) with |s| < S_MAX,
    by Newton's method in (u1, u2, s) from every tabulated slice-critical point. Returns a
    list (one entry per y) of arrays (k, 3) of (u1, u2, s)."""
    E = frame
    if len(starts) == 0:
        return [np.zeros((0, 3)) for _ in ys]
    x_start = starts @ E                                  # (n, 3) frame coordinates
    y_col = np.repeat(np.asarray(ys, dtype=float), len(starts))
    x0 = np.tile(x_start, (len(ys), 1))

    def residual(x):
        z = x @ E.T
        grad = derivatives.gradient(z)
        H = derivatives.hessian(z)
        R = np.stack([grad @ E[:, 0], grad @ E[:, 1], _evaluate(g, z) - y_col], axis=-1)
        HE = H @ E                                          # (n, 3, 3): d grad / d x
        J = np.stack([E[:, 0] @ HE, E[:, 1] @ HE, grad @ E], axis=1)
        return R, J

    x, R = _newton(residual, x0)
    scale = 1 + np.abs(y_col)
    good = (np.linalg.norm(R, axis=-1) < 1e-9 * scale) & (np.abs(x[:, 2]) < S_MAX) \
        & (np.linalg.norm(x[:, :2], axis=-1) < RHO_SLICE)
    found = []
    x = x.reshape(len(ys), len(starts), 3)
    good = good.reshape(len(ys), len(starts))
    for k in range(len(ys)):
        sol = x[k][good[k]]
        if sol.size:
            sol = sol[np.argsort(sol[:, 2])]
            keep = np.concatenate([[True], np.diff(sol[:, 2]) > 1e-9])
            sol = sol[keep]
        found.append(sol)
    return found


def _follow_slice_critical(frame, derivatives, u, s, steps=8):
    """Newton's method for the critical point of the slice at s (rows) from u (n, 2)."""
    E2, e3 = frame[:, :2], frame[:, 2]

    def residual(v):
        z = v @ E2.T + s[:, None] * e3
        return derivatives.gradient(z) @ E2, E2.T @ derivatives.hessian(z) @ E2

    v, _ = _newton(residual, u, steps)
    return v


def _breakpoints(signature_at, prob, a, b, sig_a, sig_b, depth=3, samples=8):
    """Angles where the ray signature changes between a and b (rows ``prob``): bisection
    from both sides; when the two results differ (two or more events between neighbouring
    grid rays, e.g. a root entering from the disc's rim and a fold a few hundredths of a
    radian apart), the gap between them is sampled on ``samples`` rays and searched again
    (``depth`` levels). Returns (rows, angles)."""
    rows_out, angles_out = [], []
    for level in range(depth):
        if a.size == 0:
            break
        # from the left: the first change after a
        la, lb = a.copy(), b.copy()
        sig_lb = sig_b.copy()
        for _ in range(BISECTION_STEPS):
            mid = 0.5 * (la + lb)
            sig_mid = signature_at(mid, prob)
            same = sig_mid == sig_a
            la = np.where(same, mid, la)
            lb = np.where(same, lb, mid)
            sig_lb = np.where(same, sig_lb, sig_mid)
        # from the right (the last change before b), only where the signature just after
        # the first change is not yet b's: a second event lies in between
        ra, rb = la.copy(), lb.copy()
        sig_ra = sig_lb.copy()
        more = np.nonzero(sig_lb != sig_b)[0]
        if more.size:
            xa, xb, xs = lb[more], b[more], sig_lb[more]
            for _ in range(BISECTION_STEPS):
                mid = 0.5 * (xa + xb)
                sig_mid = signature_at(mid, prob[more])
                same = sig_mid == sig_b[more]
                xb = np.where(same, mid, xb)
                xa = np.where(same, xa, mid)
                xs = np.where(same, xs, sig_mid)
            ra[more], rb[more], sig_ra[more] = xa, xb, xs
        left, right = 0.5 * (la + lb), 0.5 * (ra + rb)
        rows_out.append(prob)
        angles_out.append(left)
        gap = np.zeros(prob.size, dtype=bool)
        gap[more] = right[more] - left[more] > 1e-12
        rows_out.append(prob[gap])
        angles_out.append(right[gap])
        if level == depth - 1 or not np.any(gap):
            break
        # chain lb, samples, ra; sub-intervals whose ends differ are searched again
        p = prob[gap]
        fractions = np.arange(1, samples + 1) / (samples + 1)
        chain = np.concatenate([lb[gap][:, None], left[gap][:, None]
                                + (right - left)[gap][:, None] * fractions[None, :],
                                ra[gap][:, None]], axis=1)
        inner = signature_at(chain[:, 1:-1].ravel(), np.repeat(p, samples)).reshape(-1, samples)
        chain_sig = np.concatenate([sig_lb[gap][:, None], inner, sig_ra[gap][:, None]], axis=1)
        q, k = np.nonzero(chain_sig[:, 1:] != chain_sig[:, :-1])
        prob, a, b = p[q], chain[q, k], chain[q, k + 1]
        sig_a, sig_b = chain_sig[q, k], chain_sig[q, k + 1]
    if not rows_out:
        return np.zeros(0, dtype=int), np.zeros(0)
    return np.concatenate(rows_out), np.concatenate(angles_out)


def _slice_radii(count):
    """Radii tabulated along a slice's rays: ``count`` equidistant ones on [0, RHO_SLICE] and
    a geometric run from 1e-6 to the first of them. In every slice whose centre lies near
    the level curve, rays almost tangent to it have their extremum (and two roots) between
    0 and the first equidistant radius; without the run those roots are lost (an error of
    ~1e-3 in p(y) over a range of slices, seen on z1^2 + 2 z2 z3 - z3^2)."""
    first = RHO_SLICE / (count - 1)
    return np.concatenate([[0.0], np.geomspace(1e-6, first, 12)[:-1],
                           np.linspace(first, RHO_SLICE, count - 1)])


def _moments3(z):
    cols = [np.ones(z.shape[0])] + [z[:, a] for a in range(3)]
    cols += [z[:, a] * z[:, b] - (a == b) for a, b in pairs_of(3)]
    return np.stack(cols, axis=1)


def _solve_slices(g, gradient, switches, frame, py, ps, grid, ts_x, ts_w,
                  inner_piece=MAX_PIECE, nodes=65, cuts=None, region=None):
    """The inner (slice) coarea integrals for problems (label py, slice position ps), each
    with its angular signature grid (rows of ``grid``): p_2 E[h 1{g = y} | s] with h the 3-d
    moments 1, z, z z^T - I (original coordinates); with a ``region`` R, the same restricted
    to R in further columns."""
    count, n_grid = grid.shape
    columns = 1 + 3 + len(pairs_of(3))
    out = np.zeros((count, columns if region is None else 2 * columns))
    e1, e2, e3 = frame[:, 0], frame[:, 1], frame[:, 2]
    base = ps[:, None] * e3[None, :]

    def dirs_of(t):
        return np.cos(t)[:, None] * e1 + np.sin(t)[:, None] * e2

    if np.ndim(nodes) == 0:
        nodes = _slice_radii(nodes)
    golden = _GOLDEN_STEPS_KINKED if switches else _GOLDEN_STEPS
    coarse = _Structure(g, dirs_of(grid.ravel()), RHO_SLICE, base=np.repeat(base, n_grid, axis=0),
                        nodes=nodes, golden_steps=golden)
    y_rows = np.repeat(py, n_grid)
    sig = _signature(g, switches, coarse, y_rows).reshape(count, n_grid)
    empty = coarse.brackets(y_rows).reshape(count, n_grid, -1).sum(axis=2) == 0
    prob, j = np.nonzero(sig[:, 1:] != sig[:, :-1])

    def signature_at(t, rows):
        structure = _Structure(g, dirs_of(t), RHO_SLICE, base=base[rows], nodes=nodes,
                               golden_steps=golden, y=py[rows])
        return _signature(g, switches, structure, py[rows])

    found_p, found_t = _breakpoints(signature_at, prob, grid[prob, j], grid[prob, j + 1],
                                    sig[prob, j], sig[prob, j + 1])
    ends = [[grid[p, 0], grid[p, -1], *([] if cuts is None else cuts[p])]
            for p in range(count)]
    piece_p, lo, hi = angular_pieces(ends, found_p, found_t, grid, empty, inner_piece)
    if piece_p.size == 0:
        return out
    t = (lo[:, None] + (hi - lo)[:, None] * ts_x[None, :]).ravel()
    w = ((hi - lo)[:, None] * ts_w[None, :]).ravel()
    node_p = np.repeat(piece_p, ts_x.size)
    keep = (t > lo.repeat(ts_x.size)) & (t < hi.repeat(ts_x.size)) & (w > 0)
    t, w, node_p = t[keep], w[keep], node_p[keep]
    step = 8192
    for start in range(0, t.size, step):
        part = slice(start, start + step)
        structure = _Structure(g, dirs_of(t[part]), RHO_SLICE, base=base[node_p[part]],
                               nodes=nodes, golden_steps=golden, y=py[node_p[part]])
        ray, rho = _roots(g, structure, py[node_p[part]])
        rd, rb = structure.dirs[ray], structure.base[ray]
        slope = np.abs(_slope(g, gradient, rho, rd, rb))
        with np.errstate(all="ignore"):
            weight = w[part][ray] * rho * np.exp(-rho * rho / 2) / slope
        weight = np.where(np.isfinite(weight), weight, 0.0) / (2 * np.pi)
        points = rb + rho[:, None] * rd
        moments = weight[:, None] * _moments3(points)
        np.add.at(out[:, :columns], node_p[part][ray], moments)
        if region is not None:
            inside = _evaluate(region, points) > 0
            np.add.at(out[:, columns:], node_p[part][ray], moments * inside[:, None])
    return out


def slice_nodes(singular, rule: SliceRule):
    """Nodes s and weights of the outer rule for int phi_1(s) f(s) ds, f analytic except at
    ``singular``: in v = Phi(s) (ds phi_1(s) = dv), tanh-sinh on the pieces of [0, 1] between
    the Phi(singular) and pieces no longer than ``rule.max_slab`` (in v); the nodes whose
    weight is below 1e-16 (they could only matter next to a singularity stronger than
    logarithmic) and those with |s| > S_MAX are dropped.

    >>> s, w = slice_nodes(np.array([0.3]), SliceRule(slice_level=2))
    >>> round(float(np.sum(w * s**2)), 9)                 # E[s^2] = 1
    1.0
    """
    from scipy.special import ndtr, ndtri

    cuts = np.unique(np.concatenate([[0.0, 1.0], ndtr(np.asarray(singular, dtype=float))]))
    sx, right, sw = tanh_sinh(np.ones(1), rule.slice_level)
    sx, right, sw = sx[0], right[0], sw[0]
    lo, hi = [], []
    for a, b in pairwise(cuts):
        m = int(np.ceil((b - a) / rule.max_slab))
        edges = np.linspace(a, b, m + 1)
        lo += list(edges[:-1])
        hi += list(edges[1:])
    lo, hi = np.array(lo), np.array(hi)
    v = (lo[:, None] + (hi - lo)[:, None] * sx[None, :]).ravel()
    # 1 - v without cancellation next to v = 1 (s from the upper tail)
    upper = ((1.0 - hi)[:, None] + (hi - lo)[:, None] * right[None, :]).ravel()
    w = ((hi - lo)[:, None] * sw[None, :]).ravel()
    s = np.where(v < 0.5, ndtri(np.maximum(v, 1e-300)), -ndtri(np.maximum(upper, 1e-300)))
    keep = (w > 1e-16) & (np.abs(s) < S_MAX)
    return s[keep], w[keep]


def sliced_sums(g, rule: SliceRule = SliceRule(), gradient=None, switches=(), axis=GENERIC_AXIS,
                extra_singular=(), region=None) -> RadialSums:
    """p(y) E[h | y] for h = 1, z, z z^T - I (r = 3, original coordinates) on a label rule,
    by slices perpendicular to ``axis`` (see the module docstring). ``g``: vectorised
    function of an array (..., 3); ``gradient`` (optional): its gradient; ``switches``:
    functions whose sign changes are kinks of g; ``extra_singular``: label values known to be
    singular; ``region``: as for :func:`derive.levelsets_radial.radial_sums`."""
    frame = slicing_frame(axis)
    derivatives = _Derivatives(g, gradient)
    # label range, atoms: rays from the origin in 2048 directions
    rays = _Structure(g, fibonacci_directions(2048), RHO_MAX[3])
    low, high = float(np.nanmin(rays.V)), float(np.nanmax(rays.V))
    values, points = critical_values(g, 3, RHO_MAX[3])
    g0 = float(_evaluate(g, np.zeros((1, 3)))[0])
    # an end of the range attained on the rim |z| = RHO_MAX is the truncation's, not a
    # singular value of the label (its density there is ~1e-20): no grading towards it
    rim = _evaluate(g, RHO_MAX[3] * rays.dirs)
    ends = [v for v, at_rim in ((low, low >= np.nanmin(rim)), (high, high <= np.nanmax(rim)))
            if not at_rim]
    # the values of the slice-critical curves at the outermost slices: their limits
    # (critical values "at infinity", e.g. tanh(z3)^2 -> 1 on z1 = z2 = 0 of
    # z1 z2 + tanh(z3)^2) are singular labels that no critical point of g shows
    starts = slice_critical_points(g, frame, derivatives)
    scale = label_scale(g, 3)
    asymptotic = []
    position = starts @ frame[:, 2]
    for side in (-1.0, 1.0):
        outer = starts[side * position > S_MAX - 1.5]
        limits = _evaluate(g, outer) if len(outer) else np.zeros(0)
        # a limit only where the curves' values settle (not z1^2 + ... along z1: s^2)
        if limits.size and np.ptp(limits) < 1e-3 * scale:
            asymptotic.append(float(np.median(limits)))
    singular = sorted({g0, *ends, *values, *asymptotic, *extra_singular})
    singular = [v for v in singular if low <= v <= high]
    singular = [v for i, v in enumerate(singular)
                if i == 0 or v - singular[i - 1] > 1e-6 * (high - low)]
    edges = _label_edges(singular, low, high, scale, levels=rule.label_levels,
                         growth=rule.label_growth, unit=8 * scale)
    ys, wy = _panel_nodes(edges, rule.label_order)
    columns = 1 + 3 + len(pairs_of(3))
    if int(np.count_nonzero(rays.flat)) > 2:
        return RadialSums(ys, wy, np.zeros((ys.size, columns)), 3, pairs_of(3), True,
                          tuple(singular))
    def evaluate(labels):
        found = slice_moments(g, labels, rule, frame, derivatives, switches, points, scale,
                              starts, region)
        if region is None:
            return found, None
        return found[:, :columns], found[:, columns:]

    sums, restricted = evaluate(ys)
    # a power-law end of the range is detected, not followed (tail = inf)
    ys, wy, sums, restricted, tail = deepen_ends(edges, rule.label_order, ys, wy, sums,
                                                 restricted, evaluate, 3, max_panels=0)
    return RadialSums(ys, wy, sums, 3, pairs_of(3), False, tuple(singular), restricted, tail)


def axis_kinks(switches, frame, samples: int = 4097) -> np.ndarray:
    """Slices s (|s| < S_MAX) on which a kink of g lies in the whole slice: the zeros of the
    switch functions that depend on the slicing coordinate alone (|z1| + z2 z3 sliced along
    z1: s = 0). S(y, s) has a kink there for every label, so the outer rule is split at them;
    kinks that cross a slice along a curve are the inner rule's (its angular pieces).

    >>> frame = slicing_frame(0)
    >>> axis_kinks([lambda z: z[..., 0] - 0.5, lambda z: z[..., 1] * z[..., 2]], frame)
    array([0.5])
    """
    grid = np.linspace(-S_MAX, S_MAX, samples)
    probe = np.random.default_rng(0).standard_normal((3, 2))
    points = (grid[:, None, None] * frame[:, 2]
              + probe[None, :, 0:1] * frame[:, 0] + probe[None, :, 1:2] * frame[:, 1])
    found = []
    for switch in switches:
        with np.errstate(all="ignore"):
            values = np.broadcast_to(np.asarray(switch(points), dtype=float), grid.shape + (3,))
        if not np.all(np.isfinite(values)):
            continue
        spread = np.max(np.abs(values - values[:, :1]))
        if spread > 1e-12 * (1.0 + np.max(np.abs(values))):
            continue   # depends on the in-slice coordinates: a curve in each slice
        v = values[:, 0]
        found += list(grid[v == 0.0])
        for k in np.nonzero(v[:-1] * v[1:] < 0)[0]:
            a, b, fa = grid[k], grid[k + 1], v[k]
            for _ in range(60):
                mid = 0.5 * (a + b)
                fm = float(np.asarray(switch(mid * frame[:, 2] + probe[0, 0] * frame[:, 0]
                                             + probe[0, 1] * frame[:, 1])))
                if (fm < 0) == (fa < 0):
                    a, fa = mid, fm
                else:
                    b = mid
            found.append(0.5 * (a + b))
    return np.unique(np.round(np.array(found, dtype=float), 12))


def slice_moments(g, ys, rule: SliceRule, frame, derivatives, switches=(),
                  critical_points=(), scale: float = 1.0, starts=None, region=None):
    """p(y) E[h | y] (columns as :class:`RadialSums`) at the labels ``ys``; with a
    ``region`` R, followed by the same columns restricted to R.

    ``critical_points`` (n, 3): critical points of g in 3-d. Where a slice is degenerate
    (z1^2 + 2 z2 z3 - z3^2 at z3 = 0: a whole line of critical points) (*) has no solution
    for y != 0, yet S(y, s) has a peak of width ~ sqrt|y - c| at that slice for labels y near
    the critical value c: the outer rule is also split at the slice of every critical point
    whose value lies within ``scale`` / 2 of y."""
    gradient = derivatives.exact
    columns = 1 + 3 + len(pairs_of(3))
    if starts is None:
        starts = slice_critical_points(g, frame, derivatives)
    critical = singular_slices(g, frame, derivatives, ys, starts)
    points = np.asarray(critical_points, dtype=float).reshape(-1, 3)
    if points.size:
        points = np.unique(np.round(points, 7), axis=0)
        # only isolated critical points (non-singular Hessian) and those whose slice is
        # degenerate (singular in-slice Hessian) make S(y, s) steep near their slice; the
        # others (z1 z2 z3 on the z3-axis: a line of saddles) do not, and would only add cuts
        H = derivatives.hessian(points)
        size = 1e-300 + np.max(np.abs(H), axis=(1, 2))
        full = np.abs(np.linalg.det(H)) > 1e-8 * size**3
        in_slice = frame[:, :2].T @ H @ frame[:, :2]
        flat = np.abs(np.linalg.det(in_slice)) < 1e-8 * size**2
        points = points[full | flat]
        point_s = points @ frame[:, 2]
        point_value = _evaluate(g, points)
        inside = np.abs(point_s) < S_MAX
        point_s, point_value = point_s[inside], point_value[inside]
    else:
        point_s = point_value = np.zeros(0)
    kinks = axis_kinks(switches, frame)
    # corners of the level sets on the kink edges and tangencies of their creases
    # (derive.levelsets_kinks): S(y, s) is not analytic at those slices either
    corners = kink_slices(g, switches, frame, ys) if switches else None
    n0 = rule.coarse_rays
    t0 = -np.pi + _SEAM
    regular = t0 + 2 * np.pi * np.arange(n0 + 1) / n0
    extra_count = max([min(len(c), 8) for c in critical] + [0])
    prob_y, prob_s, prob_w, prob_u = [], [], [], []
    for k, sol in enumerate(critical):
        near = np.abs(point_value - ys[k]) <= scale / 2
        extra_s = np.unique(np.round(point_s[near], 6))
        if extra_s.size > 8:   # the 8 nearest to the centre, where phi_1 is largest
            extra_s = extra_s[np.argsort(np.abs(extra_s))[:8]]
        corner_s = corners[k].s if corners is not None else np.zeros(0)
        s, w = slice_nodes(np.concatenate([sol[:, 2], extra_s, kinks, corner_s]), rule)
        u = np.full((s.size, extra_count, 2), np.nan)
        u[:, :min(len(sol), 8)] = sol[None, :8, :2]
        prob_y += [k] * s.size
        prob_s.append(s)
        prob_w.append(w)
        prob_u.append(u)
    prob_y = np.array(prob_y)
    prob_s = np.concatenate(prob_s)
    prob_w = np.concatenate(prob_w)
    # the critical points of every slice near the located ones: their angles join the
    # signature grid (small closed curves) and cut the angular rule (near a saddle the
    # angular integrand has a logarithmic peak at the saddle's angle)
    cut_angles = np.full((prob_s.size, extra_count), t0)
    if extra_count:
        u = np.concatenate(prob_u).reshape(-1, 2)
        known = ~np.isnan(u[:, 0])
        s_rows = np.repeat(prob_s, extra_count)[known]
        u = _follow_slice_critical(frame, derivatives, u[known], s_rows)
        centred = np.linalg.norm(u, axis=1) > 1e-9
        angles = np.where(centred, np.arctan2(u[:, 1], u[:, 0]), t0)
        angles = np.where(np.isfinite(angles), (angles - t0) % (2 * np.pi) + t0, t0)
        flat = cut_angles.reshape(-1)
        flat[np.nonzero(known)[0]] = angles
        cut_angles = flat.reshape(prob_s.size, extra_count)
    if corners is not None:
        # near a corner of the level set, its corners in the slice are degrees apart: their
        # angles join the grid and cut the angular rule (derive.levelsets_kinks)
        found = [corner_angles(g, switches, frame, ys[k], prob_s[prob_y == k], corners[k])
                 for k in range(ys.size)]
        width = max(a.shape[1] for a in found)
        angles = np.full((prob_s.size, width), np.nan)
        for k, a in enumerate(found):
            angles[np.nonzero(prob_y == k)[0], :a.shape[1]] = a
        angles = np.where(np.isfinite(angles), (angles - t0) % (2 * np.pi) + t0, t0)
        cut_angles = np.concatenate([cut_angles, angles], axis=1)
    prob_grid = np.sort(np.concatenate([np.broadcast_to(regular, (prob_s.size, regular.size)),
                                        cut_angles], axis=1), axis=1)
    ts_x, _, ts_w = tanh_sinh(np.ones(1), rule.ts_level)
    # nodes of weight < 1e-20 carry < 1e-10 even next to a fold's 1 / sqrt singularity
    useful = ts_w[0] > 1e-20
    ts_x, ts_w = ts_x[0][useful], ts_w[0][useful]
    sums = np.zeros((ys.size, columns if region is None else 2 * columns))
    for start in range(0, prob_y.size, _PROBLEMS):
        part = slice(start, start + _PROBLEMS)
        out = _solve_slices(g, gradient, switches, frame, ys[prob_y[part]], prob_s[part],
                            prob_grid[part], ts_x, ts_w, rule.inner_piece, rule.rho_nodes,
                            cut_angles[part], region)
        np.add.at(sums, prob_y[part], out * prob_w[part, None])
    return sums


__all__ = ["GENERIC_AXIS", "S_MAX", "SliceRule", "singular_slices", "slice_critical_points", "slice_nodes",
           "sliced_sums",
           "slicing_frame"]

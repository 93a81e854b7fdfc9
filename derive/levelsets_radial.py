"""Conditional moments E[h(z) | y] of a noiseless target y = g(z), z ~ N(0, I_r), r = 2, 3,
on the level sets of g, in polar / spherical coordinates (numeric core, numpy only).

With z = rho omega (omega on the unit sphere S^{r-1}) the coarea formula along rays gives

    p(y) E[h(z) | y] = int_{S^{r-1}} d omega  sum_{rho_b > 0: g(rho_b omega) = y}
                       rho_b^{r-1} phi_r(rho_b) h(rho_b omega) / |d_rho g(rho_b omega)|,

phi_r(rho) = (2 pi)^{-r/2} exp(-rho^2 / 2). Nothing symbolic is needed: ``g`` is any
vectorised function of an array (..., r), so Max, Abs, relu, tanh, ... all work.

The method, for every label node y (and, for r = 3, every azimuth phi of an outer
trapezoid rule, the inner angle theta in [0, pi] playing the role of the polar angle):

1. **Rays.** Along a ray, rho -> g(rho omega) is tabulated on ``RHO_NODES`` points of
   [0, rho_max]; its discrete local extrema are refined by golden-section search, which cuts
   the ray into monotone segments. Each segment whose end values bracket y holds exactly one
   root, found by the Illinois (modified regula falsi) iteration.
2. **Breakpoints in the angle.** The set of segments that hold a root (and, for targets with
   kinks, the side of every kink surface each root lies on) is the ray's *signature*. It
   is evaluated on a coarse angular grid (shared by all y); wherever it changes between two
   neighbouring rays the change point (a fold of the level set, where two roots merge and
   1/|d_rho g| has an inverse-square-root singularity, or a kink crossing) is located by
   bisection to ~1e-15.
3. **Angular rule.** Between consecutive breakpoints the roots are smooth functions of the
   angle, with at most an inverse-square-root singularity at the ends: tanh-sinh
   (derive.doubleexp) on every piece.
4. **Label rule.** Composite Gauss-Legendre panels in y, graded geometrically towards the
   singular label values (g(0), the critical values of g found by Newton's method from a grid
   of starts, the ends of the label range and, for r = 2, the stationary values of g on the
   circle |z| = rho_max), where p(y) has jumps or log singularities. An end of the label
   range where p(y) has a power-law singularity (a label that tends to its infimum only as
   |z| -> infinity, exp(-|z|^2) -> 0) is followed into its tail by panels in log|y - end|
   (:func:`deepen_ends`), with an estimate of the remainder in the error.
5. **Symmetry (r = 2).** When the caller has proved g(-z) = g(z), or invariance under each
   sign flip, only a half or a quarter of the circle is integrated.

The error of the result is estimated a posteriori (not a rigorous enclosure): the caller
runs the whole rule at two accuracies (every dimension refined: label-panel order, tanh-sinh
level, angular grid, azimuths) and compares; :func:`identity_defect` adds the defects of the
identities int p = 1, int p E[z|y] = E[z] = 0 and int p G(y) = E[z z^T - I] = 0.

A set of positive probability on which g is constant (an atom of the label, e.g.
relu(z1)*z2 at y = 0) shows as a ray segment on which g does not change; it is reported
(``RadialSums.atom``) and not integrated: the callers then say "undetermined".

>>> import numpy as np
>>> g = lambda z: z[..., 0] * z[..., 1]
>>> s = radial_sums(g, 2, RadialRule(label_order=8, ts_level=3, coarse_rays=96))
>>> round(float(s.sums[:, 0] @ s.wy), 9)              # int p(y) dy = 1
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from .doubleexp import tanh_sinh

RHO_MAX = {2: 9.0, 3: 9.5}
RHO_NODES = 97
#: r = 2: the labels attained only beyond this radius (probability < exp(-32)) get one
#: label panel at each end of the range (:func:`_disk_range`)
R_INNER = 8.0
GOLDEN_STEPS = 50
ILLINOIS_STEPS = 100
BISECTION_STEPS = 48
MAX_PIECE = np.pi / 8
_CHUNK = 4096  # rays per vectorised batch
#: end deepening (:func:`deepen_ends`): tolerance on a node_size total, log-width of a
#: panel in s = log|y - e| (a factor 64 in |y - e|), most panels per end (a depth of e^-266)
DEEPEN_TOL = 1e-12
DEEPEN_WIDTH = float(np.log(64.0))
DEEPEN_PANELS = 64
#: r = 2 symmetries of the label (radial_sums): copies of the fundamental domain, columns of
#: the moments (1, z1, z2, z1^2 - 1, z1 z2, z2^2 - 1) that are odd under them
SYMMETRIES = {"central": (2, [1, 2]), "quadrant": (4, [1, 2, 4])}
_SEAM = 0.1234567  # irrational offset of the angular grids (no ray on a symmetry axis)


@dataclass(frozen=True)
class RadialRule:
    """Accuracy parameters of one evaluation (the coarse and the fine rule differ in all)."""

    label_order: int = 8
    ts_level: int = 3
    coarse_rays: int = 96
    azimuths: int = 24  # r = 3 only


@dataclass(frozen=True)
class RadialSums:
    """p(y) E[h | y] on a label rule: columns 1, z_a (a < r), z_a z_b - delta_ab (a <= b)."""

    ys: np.ndarray
    wy: np.ndarray
    sums: np.ndarray
    r: int
    pairs: tuple
    atom: bool
    singular_values: tuple
    #: with a region R (radial_sums(region=...)): p(y) E[h 1_R | y], same columns
    restricted: np.ndarray | None = None
    #: estimate of what the label rule leaves out at the ends of the label range
    #: (:func:`deepen_ends`), in the units of :func:`node_size`
    tail: float = 0.0


def pairs_of(r: int) -> tuple:
    return tuple((a, b) for a in range(r) for b in range(a, r))


def _directions(r: int, t, phi):
    t = np.asarray(t, dtype=float)
    if r == 2:
        return np.stack([np.cos(t), np.sin(t)], axis=-1)
    t, phi = np.broadcast_arrays(t, np.asarray(phi, dtype=float))
    s = np.sin(t)
    return np.stack([s * np.cos(phi), s * np.sin(phi), np.cos(t)], axis=-1) @ _FRAME.T


def _frame():
    """A fixed rotation whose third axis (the polar axis of the spherical coordinates) is
    generic: a coordinate plane or axis of the target (z1 z2 z3 vanishes on three of them)
    then never contains the axis, so every half-plane of the pencil meets it transversally
    and the azimuthal integrand stays smooth."""
    q, _ = np.linalg.qr(np.array([[0.2113, 0.8164, 0.5377], [0.7071, -0.3312, 0.6124],
                                  [0.6742, 0.4729, -0.5798]]).T)
    return q[:, [1, 2, 0]] * np.sign(np.linalg.det(q))


_FRAME = _frame()


def _angular_range(r: int):
    if r == 2:
        return -np.pi + _SEAM, np.pi + _SEAM
    return 0.0, np.pi


def fibonacci_directions(n: int) -> np.ndarray:
    """n nearly uniform unit vectors in 3-d (Fibonacci lattice on the sphere), (n, 3)."""
    k = np.arange(n) + 0.5
    polar = np.arccos(1 - 2 * k / n)
    azimuth = np.pi * (1 + 5**0.5) * k
    return np.stack([np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth),
                     np.cos(polar)], axis=-1)


def _evaluate(g, points):
    with np.errstate(all="ignore"):
        values = np.asarray(g(points), dtype=float)
    return np.broadcast_to(values, points.shape[:-1])


def central_gradient(f, points, h):
    """Gradient of a vectorised f at points (..., r) by central differences of step h."""
    eye = np.eye(points.shape[-1])
    return np.stack([(_evaluate(f, points + h * eye[a]) - _evaluate(f, points - h * eye[a]))
                     / (2 * h) for a in range(points.shape[-1])], axis=-1)


def damped_newton(residual, x, steps, max_step=1.0, ridge=1e-13):
    """Damped Newton's method (step length <= max_step) on square systems, one per row:
    residual(x) -> (R (n, k), J (n, k, k)); singular rows take no step. Returns (x, R)."""
    for _ in range(steps):
        R, J = residual(x)
        with np.errstate(all="ignore"):
            try:
                delta = np.linalg.solve(J + ridge * np.eye(J.shape[-1]), R[..., None])[..., 0]
            except np.linalg.LinAlgError:
                delta = np.zeros_like(x)
        delta = np.nan_to_num(delta, nan=0.0, posinf=0.0, neginf=0.0)
        size = np.linalg.norm(delta, axis=-1, keepdims=True)
        x = x - delta * np.minimum(1.0, max_step / np.maximum(size, 1e-300))
    R, _ = residual(x)
    return x, R


class _Structure:
    """Monotone segments of rho -> g(base + rho omega) for a batch of rays ``dirs`` (m, r)
    starting at ``base`` (m, r) (None: the origin; planar slices of an r = 3 target,
    derive.levelsets_sliced, start their rays at the slice's centre)."""

    def __init__(self, g, dirs, rho_max, base=None, nodes=RHO_NODES, golden_steps=GOLDEN_STEPS,
                 y=None):
        self.dirs = dirs
        self.base = base
        m = dirs.shape[0]
        rho = np.linspace(0.0, rho_max, nodes) if np.ndim(nodes) == 0 else np.asarray(nodes)
        points = rho[None, :, None] * dirs[:, None, :]
        table = _evaluate(g, points if base is None else points + base[:, None, :])
        if not np.all(np.isfinite(table)):
            raise ValueError("g is not finite on a ray")
        d = np.diff(table, axis=1)
        # a run where g does not change at all (at radii carrying Gaussian mass): an atom
        self.flat = np.any((d == 0) & (rho[None, 1:] < 0.8 * rho_max), axis=1)
        s = np.sign(d)
        # drop exact zeros of the difference from the extremum test (plateaus are atoms)
        extremum = (s[:, :-1] * s[:, 1:]) < 0
        ray, i = np.nonzero(extremum)
        if y is not None and ray.size:
            # a structure for one label per ray only needs the extrema that could reach its
            # label: the extremum's value differs from the middle tabulated value by at most
            # the larger neighbouring difference / 4 (a parabola; the larger difference for
            # a kink), so an extremum whose middle value is farther from y than 4 times that
            # difference (plus 1e-12 of the label) stays on the same side of y unrefined, and
            # a segment end at the middle node brackets the same root
            middle = table[ray, i + 1]
            spread = np.maximum(np.abs(d[ray, i]), np.abs(d[ray, i + 1]))
            label = np.reshape(y, (-1,))[ray]
            near = np.abs(middle - label) <= 4 * spread + 1e-12 * (1 + np.abs(label))
            coarse_ray, coarse_i = ray[~near], i[~near]
            ray, i = ray[near], i[near]
        else:
            coarse_ray, coarse_i = ray[:0], i[:0]
        lo, hi = rho[i], rho[i + 2]
        maximum = s[ray, i] > 0
        sign = np.where(maximum, -1.0, 1.0)  # minimise sign * g
        inv = 0.6180339887498949
        a, b = lo.copy(), hi.copy()
        c, e = b - inv * (b - a), a + inv * (b - a)
        ray_dirs = dirs[ray]
        ray_base = None if base is None else base[ray]

        def at(rho):
            points = rho[:, None] * ray_dirs
            return points if ray_base is None else points + ray_base

        fc = sign * _evaluate(g, at(c))
        fe = sign * _evaluate(g, at(e))
        for _ in range(golden_steps if ray.size else 0):
            left = fc < fe
            b = np.where(left, e, b)
            a = np.where(left, a, c)
            new = np.where(left, b - inv * (b - a), a + inv * (b - a))
            fnew = sign * _evaluate(g, at(new))
            c, e, fc, fe = (np.where(left, new, e), np.where(left, c, new),
                            np.where(left, fnew, fe), np.where(left, fc, fnew))
        best = 0.5 * (a + b)
        value = _evaluate(g, at(best))
        if coarse_ray.size:       # the unrefined extrema at their middle nodes, in ray order
            order = np.lexsort((np.concatenate([best, rho[coarse_i + 1]]),
                                np.concatenate([ray, coarse_ray])))
            best = np.concatenate([best, rho[coarse_i + 1]])[order]
            value = np.concatenate([value, table[coarse_ray, coarse_i + 1]])[order]
            ray = np.concatenate([ray, coarse_ray])[order]
        counts = np.bincount(ray, minlength=m)
        width = int(counts.max(initial=0)) + 2
        E = np.full((m, width), np.nan)
        V = np.full((m, width), np.nan)
        E[:, 0], V[:, 0] = 0.0, table[:, 0]
        start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        column = np.arange(ray.size) - start[ray] + 1
        E[ray, column], V[ray, column] = best, value
        E[np.arange(m), counts + 1] = rho_max
        V[np.arange(m), counts + 1] = table[:, -1]
        self.E, self.V = E, V

    def at(self, rho, ray):
        """The points at radius ``rho`` on the rays ``ray`` (arrays of one shape (n,))."""
        points = rho[:, None] * self.dirs[ray]
        return points if self.base is None else points + self.base[ray]

    def brackets(self, y):
        """(m, segments) mask of the segments whose end values bracket y (y of shape (m,)
        or (m, 1))."""
        y = np.reshape(y, (-1, 1))
        with np.errstate(invalid="ignore"):
            return (self.V[:, :-1] - y) * (self.V[:, 1:] - y) < 0


def _roots(g, structure, y):
    """Roots of g(rho omega) = y on every bracketing segment: (ray, rho) arrays.

    Illinois (modified regula falsi) on each segment, with a bisection step for a root whose
    bracket did not halve in three steps: on a segment where g spans many decades, e.g.
    exp(-rho^2) on [0, 9] at y = 1e-26, regula falsi creeps along one end (the retained
    end's value is halved once per step, so it needs ~90 steps). A root is done when its
    bracket is below 1e-13 (1 + rho) or its residual below 1e-15 |y| (relative, so that a
    label near 0 is not accepted at any point where |g| < 1e-15), and only the roots not
    done are evaluated."""
    mask = structure.brackets(y)
    ray, seg = np.nonzero(mask)
    target = np.broadcast_to(np.reshape(y, (-1,)), (mask.shape[0],))[ray]
    a, b = structure.E[ray, seg], structure.E[ray, seg + 1]
    fa = structure.V[ray, seg] - target
    fb = structure.V[ray, seg + 1] - target
    active = np.arange(ray.size)
    checkpoint = np.abs(b - a)
    bisect = np.zeros(ray.size, dtype=bool)
    for step in range(ILLINOIS_STEPS):
        A, B, FA, FB = a[active], b[active], fa[active], fb[active]
        with np.errstate(all="ignore"):
            x = np.where(FB != FA, (A * FB - B * FA) / (FB - FA), 0.5 * (A + B))
        x = np.where(bisect[active], 0.5 * (A + B), x)
        x = np.clip(x, np.minimum(A, B), np.maximum(A, B))
        fx = _evaluate(g, structure.at(x, ray[active])) - target[active]
        same = np.sign(fx) == np.sign(FB)
        # Illinois: halve the retained end's value when the same end is kept twice
        fa[active] = np.where(same, FA * 0.5, FB)
        a[active] = np.where(same, A, B)
        b[active], fb[active] = x, fx
        width = np.abs(x - a[active])
        with np.errstate(all="ignore"):
            # in a bracket below 1e-8 (1 + rho), g is linear to ~1e-8 and the secant slope
            # (FA possibly halved: an underestimate) bounds the distance |fx| / slope of x
            # from the root: done when below 1e-14 (1 + rho); without it a root whose g is at
            # its rounding level (|fx| ~ 1e-17 for y = 1e-7) shrinks its bracket only by
            # the bisection steps (~70 steps)
            slope = np.abs(FB - FA) / np.abs(B - A)
        done = ((width <= 1e-13 * (1 + np.abs(x)))
                | (np.abs(fx) <= 1e-15 * np.abs(target[active]))
                | ((np.abs(B - A) <= 1e-8 * (1 + np.abs(x)))
                   & (np.abs(fx) <= 1e-14 * (1 + np.abs(x)) * slope)))
        if step % 3 == 2:
            bisect[active] = width > 0.5 * checkpoint[active]
            checkpoint[active] = width
        active = active[~done]
        if not active.size:
            break
    return ray, b


def _slope(g, gradient, rho, dirs, base=None):
    """d/d rho g(rho omega) at the roots: exact gradient when given, else central
    differences (relative step 1e-5: truncation error ~ 1e-10 of the scale of g''')."""
    points = rho[:, None] * dirs
    if base is not None:
        points = points + base
    if gradient is not None:
        with np.errstate(all="ignore"):
            grad = np.asarray(gradient(points), dtype=float)
        return np.sum(np.broadcast_to(grad, points.shape) * dirs, axis=-1)
    h = 1e-5 * np.maximum(1.0, rho)
    step = h[:, None] * dirs
    return (_evaluate(g, points + step) - _evaluate(g, points - step)) / (2 * h)


def _signature(g, switches, structure, y):
    """Per ray: the set of segments holding a root, plus for every kink function the number
    of roots on its positive side, packed into one integer per ray."""
    mask = structure.brackets(y)
    bits = np.int64(1) << np.minimum(np.arange(mask.shape[1]), 23).astype(np.int64)
    code = (mask.astype(np.int64) * bits[None, :]).sum(axis=1)
    if switches:
        ray, rho = _roots(g, structure, y)
        points = structure.at(rho, ray)
        for k, switch in enumerate(switches[:6]):
            positive = _evaluate(switch, points) > 0
            count = np.bincount(ray[positive], minlength=mask.shape[0]).astype(np.int64)
            code = code + (count << np.int64(24 + 6 * k))
    return code


def critical_values(g, r: int, rho_max: float, starts: int | None = None):
    """Values of g at its critical points, by damped Newton's method on grad g = 0
    (central differences) from a grid of starts in [-4, 4]^r; kinks (where Newton does not
    converge) contribute nothing."""
    n = starts or (17 if r == 2 else 9)
    axis = np.linspace(-4.0, 4.0, n) + 0.0137
    z = np.stack(np.meshgrid(*([axis] * r), indexing="ij"), axis=-1).reshape(-1, r)
    h = 1e-4
    eye = np.eye(r)

    def gradient(points):
        return central_gradient(g, points, h)

    for _ in range(60):
        grad = gradient(z)
        hessian = np.stack([(gradient(z + h * eye[a]) - gradient(z - h * eye[a])) / (2 * h)
                            for a in range(r)], axis=-1)
        with np.errstate(all="ignore"):
            try:
                step = np.linalg.solve(hessian + 1e-12 * eye, grad[..., None])[..., 0]
            except np.linalg.LinAlgError:
                break
        step = np.nan_to_num(step)
        size = np.linalg.norm(step, axis=-1, keepdims=True)
        z = z - step * np.minimum(1.0, 1.0 / np.maximum(size, 1e-300))
        z = np.clip(z, -rho_max, rho_max)
    grad = gradient(z)
    scale = 1 + np.max(np.abs(_evaluate(g, z)))
    good = (np.linalg.norm(grad, axis=-1) < 1e-6 * scale) & (np.linalg.norm(z, axis=-1) < rho_max)
    values = np.unique(np.round(_evaluate(g, z[good]), 12))
    return [float(v) for v in values], z[good]


def _label_edges(centres, low: float, high: float, scale: float, levels: int = 16,
                 growth: float = 4.0, unit: float | None = None):
    """Panel edges on [low, high], graded geometrically (ratio 4, down to 4^-levels of
    the range) towards every centre; elsewhere no wider than max(scale, d) / growth, d the distance
    to the nearest centre (``scale``: the label's standard deviation), so the panels grow
    geometrically into the tails of the label density."""
    span = high - low
    unit = span if unit is None else unit   # the grading's largest offset
    centres = [c for c in centres if low <= c <= high]
    cuts = {low, high}
    for c in centres:
        cuts.add(c)
        for j in range(1, levels + 1):
            for offset in (unit * 4.0**-j, -unit * 4.0**-j):
                if low < c + offset < high:
                    cuts.add(c + offset)
    anchor = np.array(centres or [0.5 * (low + high)])
    x = low
    while x < high:
        cuts.add(x)
        x += max(scale, float(np.min(np.abs(anchor - x)))) / growth
    edges = np.array(sorted(cuts))
    edges = edges[np.concatenate([[True], np.diff(edges) > 1e-14 * span])]
    return edges


def label_scale(g, r: int) -> float:
    """Standard deviation of y = g(z), by a 24^r-node Gauss-Hermite product rule (only a
    length scale for the label panels)."""
    x, w = np.polynomial.hermite_e.hermegauss(24)
    w = w / w.sum()
    mesh = np.stack(np.meshgrid(*([x] * r), indexing="ij"), axis=-1)
    weight = np.ones(mesh.shape[:-1])
    for axis in range(r):
        shape = [1] * r
        shape[axis] = x.size
        weight = weight * w.reshape(shape)
    values = _evaluate(g, mesh)
    mean = float(np.sum(weight * values))
    return float(np.sqrt(max(np.sum(weight * (values - mean) ** 2), 0.0))) or 1.0


def _moments(r, rho, dirs):
    z = rho[:, None] * dirs
    cols = [np.ones_like(rho)] + [z[:, a] for a in range(r)]
    cols += [z[:, a] * z[:, b] - (a == b) for a, b in pairs_of(r)]
    return np.stack(cols, axis=1)


def radial_sums(g, r: int, rule: RadialRule = RadialRule(), gradient=None, switches=(),
                extra_singular=(), region=None, symmetry: str | None = None) -> RadialSums:
    """p(y) E[h | y] for h = 1, z, z z^T - I on a label rule (see the module docstring).

    ``g``: vectorised function of an array (..., r); ``gradient`` (optional): its gradient,
    same input, output (..., r); ``switches``: functions of (..., r) whose sign changes are
    kinks of g; ``extra_singular``: label values known to be singular; ``region``: a
    function whose positive set is a region R (its boundary among the switches): the sums
    restricted to R are returned too (``RadialSums.restricted``); ``symmetry`` (r = 2, the
    caller's proof that g, the switches and the region are invariant): "central"
    (g(-z) = g(z)) integrates the half circle and doubles, "quadrant" (invariant under
    z1 -> -z1 and under z2 -> -z2) the quarter circle [0, pi/2] and quadruples; the moments
    odd under the symmetry (z, and z1 z2 for "quadrant") are then 0 exactly.
    """
    if r not in (2, 3):
        raise ValueError("radial level sets are implemented for r = 2, 3")
    rho_max = RHO_MAX[r]
    t0, t1 = _angular_range(r)
    n0 = rule.coarse_rays if r == 2 else max(rule.coarse_rays // 2, 16)
    if r != 2 or symmetry not in SYMMETRIES:
        symmetry = None
    if symmetry is not None:
        fold, odd = SYMMETRIES[symmetry]
        t0, t1 = (0.0, np.pi / 2) if symmetry == "quadrant" else (_SEAM, np.pi + _SEAM)
        # twice the full circle's density of signature rays: at the same density (16 rays
        # on a quarter) relu(z1^2 - 1)(z2^2 - 1) lost a piece of its level sets (defect 4e-3)
        n0 = max(2 * rule.coarse_rays // fold, 8)
    grid_t = t0 + (t1 - t0) * np.arange(n0 + 1) / n0
    if r == 2:
        phis = np.zeros(1)
        phi_weight = np.ones(1)
    else:
        phis = _SEAM + 2 * np.pi * np.arange(rule.azimuths) / rule.azimuths
        phi_weight = np.full(rule.azimuths, 2 * np.pi / rule.azimuths)
    # label range and singular values
    values, points = critical_values(g, r, rho_max)
    coarse_dirs = _directions(r, grid_t[None, :], phis[:, None]).reshape(-1, r)
    # the rays through the critical points are added to the signature grid (r = 2): tiny
    # closed level curves around extrema would otherwise slip between coarse rays
    if r == 2 and len(points):
        if symmetry == "quadrant":   # the mirror image in the first quadrant
            extra = np.unique(np.round(np.arctan2(np.abs(points[:, 1]),
                                                  np.abs(points[:, 0])), 9))
        else:
            extra = np.unique(np.round(np.arctan2(points[:, 1], points[:, 0]), 9))
            extra = (extra - t0) % (t1 - t0) + t0
        grid_t = np.unique(np.concatenate([grid_t, extra]))
        coarse_dirs = _directions(r, grid_t[None, :], phis[:, None]).reshape(-1, r)
    coarse = _Structure(g, coarse_dirs, rho_max)
    n_grid = grid_t.size
    low, high = float(np.nanmin(coarse.V)), float(np.nanmax(coarse.V))
    g0 = float(_evaluate(g, np.zeros((1, r)))[0])
    scale = label_scale(g, r)
    # (r = 3: one set per azimuth would grade the label rule towards hundreds of values)
    boundary = _boundary_values(g, r, rho_max, phis) if r == 2 else []
    singular = sorted({g0, low, high, *values, *boundary, *extra_singular})
    singular = [v for v in singular if low <= v <= high]
    # centres closer than 1e-6 of the range grade the same panels: keep one of each cluster
    singular = [v for i, v in enumerate(singular)
                if i == 0 or v - singular[i - 1] > 1e-6 * (high - low)]
    edges = _label_edges(singular, low, high, scale)
    if r == 2:
        # labels attained only beyond R_INNER (density < exp(-32)) form one panel at each end
        inner_low, inner_high = _disk_range(g, coarse, points, (t0, t1))
        edges = edges[(edges == edges[0]) | (edges == edges[-1])
                      | ((edges >= inner_low) & (edges <= inner_high))]
    atom = bool(np.any(coarse.flat.reshape(len(phis), n_grid)[:, 1:]
                       & coarse.flat.reshape(len(phis), n_grid)[:, :-1]))
    columns = 1 + r + len(pairs_of(r))
    if atom:
        ys, wy = _panel_nodes(edges, rule.label_order)
        return RadialSums(ys, wy, np.zeros((ys.size, columns)), r, pairs_of(r), True,
                          tuple(singular))
    ts_x, _, ts_w = tanh_sinh(np.ones(1), rule.ts_level)
    ts_x, ts_w = ts_x[0], ts_w[0]

    def evaluate(ys):
        # all (label, azimuth) problems at once, in chunks
        problems_y = np.repeat(ys, len(phis))
        problems_phi = np.tile(np.arange(len(phis)), ys.size)
        out = np.zeros((problems_y.size, 2 * columns))
        step = max(1, 32 * _CHUNK // n_grid)
        for start in range(0, problems_y.size, step):
            py = problems_y[start:start + step]
            pphi = problems_phi[start:start + step]
            out[start:start + step] = _solve_problems(g, gradient, switches, r, rho_max, coarse,
                                                      grid_t, n_grid, phis, py, pphi, ts_x,
                                                      ts_w, region)
        out = (out.reshape(ys.size, len(phis), 2 * columns)
               * phi_weight[None, :, None]).sum(axis=1)
        if symmetry is not None:    # the other copies of the fundamental domain
            out *= fold
            out[:, odd] = 0.0
            out[:, [columns + k for k in odd]] = 0.0
        return out[:, :columns], out[:, columns:]

    ys, wy = _panel_nodes(edges, rule.label_order)
    sums, restricted = evaluate(ys)
    ys, wy, sums, restricted, tail = deepen_ends(edges, rule.label_order, ys, wy, sums,
                                                 restricted, evaluate, r)
    return RadialSums(ys, wy, sums, r, pairs_of(r), False, tuple(singular),
                      restricted if region is not None else None, tail)


def _disk_range(g, coarse, points, arc, samples=4096):
    """The labels attained in the disk |z| <= :data:`R_INNER` (r = 2): the smallest and
    largest of g there, from g on the circle |z| = R_INNER (``samples`` points of the
    integrated ``arc``), the coarse rays' values and refined extrema inside the disk, and the
    critical points inside it. A label outside this range is attained only where
    |z| > R_INNER, so the labels beyond it carry probability below exp(-R_INNER^2 / 2)
    (1.3e-14) and moments below ~1e-10: the label rule gives them one panel at each end
    instead of the grading towards the values of g on the truncation rim |z| = RHO_MAX (the
    ends of the range of relu(z1^2 - 1)(z2^2 - 1) at -80 and 1560, the stationary values of g
    on the rim next to them), whose panels only add nodes of negligible weight."""
    t = np.linspace(arc[0], arc[1], samples + 1)
    found = [_evaluate(g, R_INNER * _directions(2, t, 0.0))]
    found.append(coarse.V[coarse.E <= R_INNER])
    if len(points):
        near = np.linalg.norm(points, axis=-1) < R_INNER
        found.append(_evaluate(g, points[near]))
    found = np.concatenate([np.ravel(f) for f in found])
    found = found[np.isfinite(found)]
    return float(found.min()), float(found.max())


def _boundary_values(g, r, rho_max, phis, samples=4096):
    """Stationary values of g on the circle |z| = rho_max (r = 2; along the polar angle of
    every azimuth for r = 3) on a fine angular grid (local
    minima of the discrete angular derivative's size, below 1e-3 of its largest value):
    where a level set touches that sphere the truncated label density is not smooth, and
    these values also sit next to the asymptotic values of g (tanh(z1) + z2^3/3 tends to
    +-1 along the z1-axis) where the true density varies on every scale."""
    t0, t1 = _angular_range(r)
    count = samples if r == 2 else samples // 16
    t = np.linspace(t0, t1, count + 1)
    out = set()
    for phi in phis:
        values = _evaluate(g, rho_max * _directions(r, t, phi))
        size = np.abs(np.diff(values))
        if size.size < 3 or not np.all(np.isfinite(size)):
            continue
        local = (size[1:-1] <= size[:-2]) & (size[1:-1] <= size[2:])
        small = size[1:-1] <= 1e-3 * size.max()
        out |= {float(values[i + 1]) for i in np.nonzero(local & small)[0]}
    return sorted(out)


def node_size(sums: np.ndarray, r: int) -> np.ndarray:
    """Per label node, |p| + sum |p E[h | y]| + sum_ab p G_ab(y)^2: what a node adds to the
    totals and to F (the quantity the end deepening controls)."""
    p = sums[:, 0]
    safe = np.where(p > 1e-300, p, np.inf)
    return (np.sum(np.abs(sums), axis=1)
            + np.sum(sums[:, 1 + r:] ** 2, axis=1) / safe)


def deepen_ends(edges, order: int, ys, wy, sums, restricted, evaluate, r: int,
                max_panels: int | None = None):
    """Follow a singular end of the label range into its tail: (ys, wy, sums, restricted,
    tail).

    A label that reaches an end of its range only as |z| -> infinity (exp(-|z|^2) -> 0)
    has a power-law density there, p(y) ~ |y - e|^(b - 1) with 0 < b <= 1 set by the
    Gaussian tail (b = 1/2 for exp(-|z|^2) in r = 2), and G(y) grows like log|y - e|: the
    mass of the innermost panel of the geometric grading (4^-16 of the range) is then
    ~ 4^(-16 b), 1e-5 for b = 1/2, which a Gauss-Legendre panel in y neither integrates nor
    bounds (exp(-z1^2 - z2^2) gave alpha_c 1.000163 +- 5.5e-5; the exact value is 1, since
    g is injective in |z|^2 and G = (|z|^2/2 - 1) I). Such an end panel, recognised by a
    contribution above :data:`DEEPEN_TOL` whose integrand grows towards the end, is
    replaced by Gauss-Legendre panels in s = log|y - e| of width :data:`DEEPEN_WIDTH`
    (in s the integrand is ~ e^(b s) times powers of s: smooth), added four at a time until
    the geometric estimate of the remainder from the last two panels, c_J q / (1 - q) with
    q = c_J / c_{J-1}, is below DEEPEN_TOL, or :data:`DEEPEN_PANELS` panels. ``tail`` is the
    sum of the remainder estimates (infinite when the contributions stop decreasing). An
    end whose panel is regular (a jump of p, or a smooth density) is left as it is.
    ``max_panels`` = 0 only detects such an end: ``tail`` is then infinite (the r = 3 slice
    engine, whose labels within 1e-13 of an end cost minutes each).
    """
    max_panels = DEEPEN_PANELS if max_panels is None else max_panels
    if edges.size < 3:
        return ys, wy, sums, restricted, 0.0
    t, w = np.polynomial.legendre.leggauss(order)
    tail = 0.0
    for side in (1.0, -1.0):
        end = float(edges[0] if side > 0 else edges[-1])
        width = float(abs(edges[1] - edges[0]) if side > 0 else abs(edges[-1] - edges[-2]))
        inner = (ys - end) * side < width
        size = node_size(sums[inner], r)
        contribution = float(wy[inner] @ size)
        if contribution <= DEEPEN_TOL or size.size == 0:
            continue
        distance = np.abs(ys[inner] - end)
        nearest, farthest = size[np.argmin(distance)], size[np.argmax(distance)]
        # singular: the integrand grows towards the end (a Gaussian tail cut at the rim
        # |z| = rho_max shrinks towards it instead)
        if nearest <= (1 + 1e-3) * farthest:
            continue
        if max_panels <= 0:
            tail = np.inf
            continue
        keep = ~inner
        ys, wy, sums = ys[keep], wy[keep], sums[keep]
        restricted = restricted[keep] if restricted is not None else None
        top = np.log(width)
        # labels closer to the end than 1e-13 |end| are not resolved in floating point
        # (g - y cancels): the panels stop there and the remainder is extrapolated
        floor = np.log(1e-13 * abs(end)) if end != 0 else -np.inf
        panels, remainder = [], np.inf
        while len(panels) < max_panels:
            upper = top - DEEPEN_WIDTH * np.arange(len(panels), len(panels) + 4)
            upper = upper[upper - DEEPEN_WIDTH >= floor]
            if upper.size == 0:
                break
            s = (upper - DEEPEN_WIDTH / 2)[:, None] + (DEEPEN_WIDTH / 2) * t[None, :]
            new_y = (end + side * np.exp(s)).ravel()
            new_w = ((DEEPEN_WIDTH / 2) * w[None, :] * np.exp(s)).ravel()
            new_sums, new_restricted = evaluate(new_y)
            ys, wy = np.concatenate([ys, new_y]), np.concatenate([wy, new_w])
            sums = np.concatenate([sums, new_sums])
            if restricted is not None:
                restricted = np.concatenate([restricted, new_restricted])
            per_node = new_w * node_size(new_sums, r)
            panels += list(per_node.reshape(upper.size, order).sum(axis=1))
            last, before = panels[-1], (panels[-2] if len(panels) > 1 else np.inf)
            q = last / before if before > 0 else np.inf
            remainder = last * q / (1 - q) if q < 1 else np.inf
            if remainder <= DEEPEN_TOL:
                break
        tail += remainder
        order_ = np.argsort(ys, kind="stable")
        ys, wy, sums = ys[order_], wy[order_], sums[order_]
        restricted = restricted[order_] if restricted is not None else None
    return ys, wy, sums, restricted, float(tail)


def _panel_nodes(edges, order):
    t, w = np.polynomial.legendre.leggauss(order)
    half = 0.5 * (edges[1:] - edges[:-1])
    mid = 0.5 * (edges[1:] + edges[:-1])
    return (mid[:, None] + half[:, None] * t).ravel(), (half[:, None] * w).ravel()


def angular_pieces(ends, break_p, break_t, grid, empty, max_piece: float):
    """The angular pieces of every problem p: (problem index, lower end, upper end) arrays.

    The pieces lie between consecutive distinct points of ``ends[p]`` (the rule's ends and
    fixed cuts) and of the breakpoints ``break_t`` of the ray pattern that belong to p
    (``break_p``); a problem whose coarse rays (``grid``, one row or one per problem) hold
    no roots (``empty``) and that has no breakpoint has none; a piece with a coarse ray
    strictly inside, all of them without roots, is skipped; long pieces are cut to at most
    ``max_piece`` (the tanh-sinh rule resolves a smooth integrand best on short
    intervals)."""
    ends = [list(e) for e in ends]
    for p, x in zip(break_p, break_t):
        ends[p].append(float(x))
    has_break = np.zeros(len(ends), dtype=bool)
    has_break[np.asarray(break_p, dtype=int)] = True
    rows = np.broadcast_to(grid, np.shape(empty))
    piece_p, piece_lo, piece_hi = [], [], []
    for p in range(len(ends)):
        if not has_break[p] and np.all(empty[p]):
            continue
        for lo, hi in pairwise(np.unique(ends[p])):
            if hi - lo <= 0:
                continue
            inside = (rows[p] > lo) & (rows[p] < hi)
            if np.any(inside) and np.all(empty[p][inside]):
                continue
            cuts = np.linspace(lo, hi, int(np.ceil((hi - lo) / max_piece)) + 1)
            piece_p += [p] * (cuts.size - 1)
            piece_lo += list(cuts[:-1])
            piece_hi += list(cuts[1:])
    return np.array(piece_p, dtype=int), np.array(piece_lo), np.array(piece_hi)


def _solve_problems(g, gradient, switches, r, rho_max, coarse, grid_t, n_grid, phis, py, pphi,
                    ts_x, ts_w, region=None):
    """The angular integrals of the problems (label py, azimuth pphi): columns p E[h | y],
    then p E[h 1_R | y] (zero without a region)."""
    count = py.size
    columns = 1 + r + len(pairs_of(r))
    out = np.zeros((count, 2 * columns))
    # signatures on the coarse grid: rows of the shared structure for each problem's azimuth
    rows = (pphi[:, None] * n_grid + np.arange(n_grid)[None, :]).ravel()
    sub = _Sub(coarse, rows)
    y_rows = np.repeat(py, n_grid)
    sig = _signature(g, switches, sub, y_rows).reshape(count, n_grid)
    empty = sub.brackets(y_rows).reshape(count, n_grid, -1).sum(axis=2) == 0
    # breakpoints: bisection wherever the signature changes between neighbouring rays
    prob, j = np.nonzero(sig[:, 1:] != sig[:, :-1])
    a, b = grid_t[j].copy(), grid_t[j + 1].copy()
    sig_a = sig[prob, j]
    yb = py[prob]
    phib = phis[pphi[prob]]
    for _ in range(BISECTION_STEPS):
        if a.size == 0:
            break
        mid = 0.5 * (a + b)
        structure = _Structure(g, _directions(r, mid, phib), rho_max, y=yb)
        sig_mid = _signature(g, switches, structure, yb)
        same = sig_mid == sig_a
        a = np.where(same, mid, a)
        b = np.where(same, b, mid)
    breaks = 0.5 * (a + b)
    # pieces: between consecutive breakpoints of each problem; skip pieces without roots
    ends = [[grid_t[0], grid_t[-1]] for _ in range(count)]
    piece_p, lo, hi = angular_pieces(ends, prob, breaks, grid_t, empty, MAX_PIECE)
    if piece_p.size == 0:
        return out
    t = lo[:, None] + (hi - lo)[:, None] * ts_x[None, :]
    w = (hi - lo)[:, None] * ts_w[None, :]
    node_p = np.repeat(piece_p, ts_x.size)
    t, w = t.ravel(), w.ravel()
    keep = (t > lo.repeat(ts_x.size)) & (t < hi.repeat(ts_x.size)) & (w > 0)
    t, w, node_p = t[keep], w[keep], node_p[keep]
    dirs = _directions(r, t, phis[pphi[node_p]])
    if r == 3:
        w = w * np.sin(t)
    for s in range(0, t.size, _CHUNK):
        part = slice(s, s + _CHUNK)
        structure = _Structure(g, dirs[part], rho_max, y=py[node_p[part]])
        ray, rho = _roots(g, structure, py[node_p[part]])
        rd = structure.dirs[ray]
        slope = np.abs(_slope(g, gradient, rho, rd))
        with np.errstate(all="ignore"):
            weight = w[part][ray] * rho ** (r - 1) * np.exp(-rho * rho / 2) / slope
        weight = np.where(np.isfinite(weight), weight, 0.0) / (2 * np.pi) ** (r / 2)
        moments = weight[:, None] * _moments(r, rho, rd)
        np.add.at(out[:, :columns], node_p[part][ray], moments)
        if region is not None:
            inside = _evaluate(region, rho[:, None] * rd) > 0
            np.add.at(out[:, columns:], node_p[part][ray], moments * inside[:, None])
    return out


class _Sub:
    """Rows of a :class:`_Structure` (the coarse grid seen by a batch of problems)."""

    def __init__(self, structure, rows):
        self.dirs = structure.dirs[rows]
        self.base = None if structure.base is None else structure.base[rows]
        self.E = structure.E[rows]
        self.V = structure.V[rows]

    at = _Structure.at
    brackets = _Structure.brackets


def identity_defect(sums: RadialSums) -> float:
    """max of |int p - 1|, |int p E[z|y]| and |int p G(y)| (all 0 exactly)."""
    totals = sums.wy @ sums.sums
    return float(max(abs(totals[0] - 1), np.max(np.abs(totals[1:]))))


__all__ = ["RadialRule", "RadialSums", "angular_pieces", "central_gradient", "critical_values",
           "damped_newton", "deepen_ends", "fibonacci_directions", "identity_defect", "node_size",
           "pairs_of", "radial_sums"]

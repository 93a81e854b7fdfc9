"""Singular slices of a kinked target in 3 variables: where a slicing plane passes a corner
of a level set (numeric core of :mod:`derive.levelsets_sliced`, numpy only).

The inner integral S(y, s) of the sliced coarea formula (:mod:`derive.levelsets_sliced`) is
analytic in the slice position s except where the slice meets the level set
L_y = {g = y} non-generically. For a smooth g that is where the slice is tangent to L_y
(equations (*) there). For a piecewise-smooth g with kink surfaces K_a = {k_a = 0} (the
sign changes of the switch functions: arguments of Abs, differences of Max/Min arguments),
L_y is stratified into smooth pieces, curves L_y on K_a and points L_y on K_a and K_b, and
by stratified Morse theory S(y, .) has a singularity at the slice of every critical point
of the height s on every stratum:

* **corners**: points of L_y on an edge K_a and K_b,
  k_a(z) = 0, k_b(z) = 0, g(z) = y                                                    (V)
  (max(|z1|, |z2|, |z3|) = y is the surface of a cube, and S(y, s) has a kink at the slices
  through its eight vertices);
* **tangencies of a crease**: points of the curve L_y on K_a where the slice is tangent
  to it, k_a(z) = 0, g(z) = y, e3 . (grad k_a x grad g) = 0                          (T)
  (any one-sided grad g gives the same cross product: on K_a the gradients of the two
  sides differ by a multiple of grad k_a).

Both are small square systems that Newton's method solves from tabulated points: the
edges {k_a = k_b = 0} and the curves {k_a = 0, e3 . (grad k_a x grad g) = 0} are traced once
(Gauss-Newton projection of a cloud of points), then for every label and every bin of
directions the traced point whose value is nearest y starts Newton's method on (V) or (T).
In the slices within WINDOW of such a point, the crossings of the level curve with the kink
lines through it (Newton's method on k_a = 0, g = y, z . e3 = s) give angles that the inner
rule's grid and pieces take (:func:`corner_angles`). A switch whose sign change is not a kink of
g there (|z1| inside max(|z1|, |z2|, |z3|) at z1 = 0, where |z1| is not the largest) would
only add cuts; candidates are kept where the gradient of g jumps across every surface
involved. Slices that the outer rule splits at and that are not singular cost nodes, not
accuracy.

>>> import numpy as np
>>> from derive.levelsets_sliced import slicing_frame
>>> g = lambda z: np.max(np.abs(z), axis=-1)           # the cube max |z_i|
>>> switches = [lambda z, i=i: z[..., i] for i in range(3)]
>>> switches += [lambda z, i=i, j=j: np.abs(z[..., i]) - np.abs(z[..., j])
...              for i in range(3) for j in range(i + 1, 3)]
>>> frame = slicing_frame(np.array([0.3141, 0.5227, 0.7926]))
>>> s = kink_slices(g, switches, frame, np.array([1.0]))[0].s
>>> vertices = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)])
>>> bool(np.all(np.min(np.abs(s[:, None] - vertices @ frame[:, 2]), axis=0) < 1e-9))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .levelsets_radial import (
    RHO_MAX,
    _evaluate,
    central_gradient,
    damped_newton,
    fibonacci_directions,
)

#: the cloud traced onto the kink surfaces: directions x radii
_CLOUD_DIRECTIONS = 400
_CLOUD_RADII = (0.4, 1.0, 1.8, 2.8, 4.0, 5.5)
#: bins of directions for the starts of the per-label Newton solves (one start per bin)
_BINS = 48
_STEPS = 40
_H = 1e-6          # central differences of the switches and of g
_H_CROSS = 1e-4    # central differences of the crease function e3 . (grad k x grad g)
#: a kink is real where the two sides' gradients of g differ by more than this (relative)
_JUMP = 1e-3
_RADIUS = RHO_MAX[3]
#: slices within this distance of a corner get the angles of the corners of their level
#: curve (:func:`corner_angles`)
WINDOW = 1.0


def _grad(f, z, h=_H):
    return central_gradient(f, z, h)


def _gauss_newton(residual, z, steps=_STEPS):
    """Minimum-norm Gauss-Newton steps onto {residual = 0} (k < 3 equations): the nearest
    point of the curve or surface, roughly. residual(z) -> (R (n, k), J (n, k, 3))."""
    for _ in range(steps):
        R, J = residual(z)
        with np.errstate(all="ignore"):
            JJ = J @ np.swapaxes(J, -1, -2) + 1e-14 * np.eye(J.shape[1])
            try:
                step = np.swapaxes(J, -1, -2) @ np.linalg.solve(JJ, R[..., None])
            except np.linalg.LinAlgError:
                break
        step = np.nan_to_num(step[..., 0], nan=0.0, posinf=0.0, neginf=0.0)
        size = np.linalg.norm(step, axis=-1, keepdims=True)
        z = z - step * np.minimum(1.0, 0.5 / np.maximum(size, 1e-300))
    R, _ = residual(z)
    return z, R


def _newton3(residual, z, steps=_STEPS):
    """Damped Newton on a square system of 3 equations in z (n, 3), steps of at most 1/2."""
    return damped_newton(residual, z, steps, max_step=0.5, ridge=1e-14)


def _converged(z, R, scale):
    finite = np.all(np.isfinite(z), axis=-1) & np.all(np.isfinite(R), axis=-1)
    small = np.max(np.abs(np.nan_to_num(R, nan=np.inf)), axis=-1) < 1e-10 * scale
    return finite & small & (np.linalg.norm(np.nan_to_num(z, nan=np.inf), axis=-1) < _RADIUS)


def _unique(points):
    if len(points) == 0:
        return np.zeros((0, 3))
    return np.unique(np.round(points, 8), axis=0)


def _is_kink(g, switch, z):
    """Whether the gradient of g jumps across {switch = 0} at the points z (n, 3)."""
    normal = _grad(switch, z)
    size = np.linalg.norm(normal, axis=-1, keepdims=True)
    normal = normal / np.maximum(size, 1e-300)
    delta = 1e-4
    plus, minus = _grad(g, z + delta * normal), _grad(g, z - delta * normal)
    jump = np.linalg.norm(plus - minus, axis=-1)
    return (jump > _JUMP * (1 + np.linalg.norm(plus, axis=-1))) & (size[:, 0] > 0)


def _crease(g, switch, e3):
    """The function e3 . (grad k x grad g) of the crease tangencies (T)."""
    def function(z):
        return np.cross(_grad(switch, z), _grad(g, z)) @ e3
    return function


def _trace(functions, z0):
    """Points of {f = 0 for f in functions} near the cloud z0 (Gauss-Newton)."""
    def residual(z):
        R = np.stack([_evaluate(f, z) for f in functions], axis=-1)
        J = np.stack([_grad(f, z, _H_CROSS if i > 0 else _H) for i, f in enumerate(functions)],
                     axis=1)
        return R, J

    z, R = _gauss_newton(residual, z0)
    scale = 1.0 + np.max(np.abs(np.nan_to_num(z0)))
    return _unique(z[_converged(z, R, scale)])


def _starts(g, points, ys):
    """Per label, indices of the traced points to start Newton's method from: in every
    bin of directions (the nearest of _BINS Fibonacci directions) the point whose value is
    nearest y, so that every branch of the curve gets a start (the four diagonals of the
    cube each hold two corners of every level set)."""
    values = _evaluate(g, points)
    norm = np.linalg.norm(points, axis=-1, keepdims=True)
    unit = points / np.maximum(norm, 1e-300)
    bins = np.argmax(unit @ fibonacci_directions(_BINS).T, axis=1)
    starts = []
    for b in np.unique(bins):
        members = np.nonzero(bins == b)[0]
        best = np.argmin(np.abs(values[members][None, :] - ys[:, None]), axis=1)
        starts.append(members[best])
    return np.stack(starts, axis=1)


def kink_surfaces(g, switches):
    """Per switch, points (m, 3) traced onto its zero set {k_a = 0} (Gauss-Newton from a
    cloud), kept where the gradient of g jumps across it (a kink of g, not only a sign
    change of the switch); the starts of the edge and crease curves."""
    cloud = (fibonacci_directions(_CLOUD_DIRECTIONS)[:, None, :]
             * np.asarray(_CLOUD_RADII)[None, :, None]).reshape(-1, 3)
    cloud = cloud + 1e-3 * np.sin(np.arange(cloud.size).reshape(cloud.shape))  # off symmetry
    surfaces = []
    for switch in switches:
        points = _trace([switch], cloud)
        if len(points):
            points = points[_is_kink(g, switch, points)]
        surfaces.append(points)
    return surfaces


@dataclass(frozen=True)
class KinkEvents:
    """The corners and crease tangencies of one level set: points (m, 3), their slice
    positions s = z . e3 (sorted) and, per point, the switches (indices) whose kink surfaces
    pass through it."""

    s: np.ndarray
    points: np.ndarray
    kinks: tuple[tuple[int, ...], ...]


def kink_slices(g, switches, frame, ys) -> list[KinkEvents]:
    """Per label y: the corners (V) and crease tangencies (T) of the level set {g = y}
    (module docstring) with |z| < RHO."""
    e3 = frame[:, 2]
    ys = np.asarray(ys, dtype=float)
    found = [[] for _ in ys]
    surfaces = kink_surfaces(g, switches)
    families = []
    for a, b in combinations(range(len(switches)), 2):
        if len(surfaces[a]) == 0 or len(surfaces[b]) == 0:
            continue
        edge = _trace([switches[a], switches[b]], surfaces[a])
        if len(edge):
            edge = edge[_is_kink(g, switches[a], edge) & _is_kink(g, switches[b], edge)]
        if len(edge):
            families.append(((switches[a], switches[b]), edge))
    for a, switch in enumerate(switches):
        if len(surfaces[a]) == 0:
            continue
        crease = _crease(g, switch, e3)
        curve = _trace([switch, crease], surfaces[a])
        if len(curve):
            curve = curve[_is_kink(g, switch, curve)]
        if len(curve):
            families.append(((switch, crease), curve))
    for (first, second), points in families:
        nearest = _starts(g, points, ys)
        count = nearest.shape[1]
        z0 = points[nearest].reshape(-1, 3)
        y_col = np.repeat(ys, count)

        def residual(z, first=first, second=second, y_col=y_col):
            R = np.stack([_evaluate(first, z), _evaluate(second, z),
                          _evaluate(g, z) - y_col], axis=-1)
            J = np.stack([_grad(first, z), _grad(second, z, _H_CROSS), _grad(g, z)], axis=1)
            return R, J

        z, R = _newton3(residual, z0)
        good = _converged(z, R, 1.0 + np.abs(y_col))
        if np.any(good):
            good[good] = _is_kink(g, first, z[good])
        rows = np.repeat(np.arange(ys.size), count)
        for k, point in zip(rows[good], z[good]):
            found[k].append(point)
    return [_events(np.array(points).reshape(-1, 3), switches, e3) for points in found]


def _events(points, switches, e3) -> KinkEvents:
    points = _unique(points)
    if len(points):
        points = points[np.argsort(points @ e3)]
    values = np.stack([_evaluate(k, points) for k in switches], axis=-1) if len(points) \
        else np.zeros((0, len(switches)))
    kinks = tuple(tuple(int(a) for a in np.nonzero(np.abs(row) < 1e-8)[0]) for row in values)
    return KinkEvents(points @ e3, points, kinks)


def corner_angles(g, switches, frame, y, s, events: KinkEvents, window: float = WINDOW):
    """Angles, seen from the slice centres s e3, where the level curve g = y of the slices at
    positions ``s`` (array) crosses the kink lines that pass near a corner or crease
    tangency (``events``, of the label y) within ``window``: close to such an event two or
    more corners of the level curve lie within a few degrees and the signature grid alone
    would step over them. Returns an array (len(s), m) padded with NaN."""
    s = np.asarray(s, dtype=float)
    e1, e2, e3 = frame[:, 0], frame[:, 1], frame[:, 2]
    rows, seeds, which = [], [], []
    for point, position, kinks in zip(events.points, events.s, events.kinks):
        near = np.nonzero(np.abs(s - position) < window)[0]
        if near.size == 0:
            continue
        grad_g = _grad(g, point[None, :])[0]
        for a in kinks:
            tangent = np.cross(_grad(switches[a], point[None, :])[0], grad_g)
            size = np.linalg.norm(tangent)
            tangent = tangent / size if size > 0 else tangent
            delta = s[near] - position
            reach = 2 * np.sqrt(np.abs(delta)) + np.abs(delta)
            for c in (-1.0, 0.0, 1.0):
                rows.append(near)
                seeds.append(point + delta[:, None] * e3 + (c * reach)[:, None] * tangent)
                which.append(np.full(near.size, a))
    out = np.full((s.size, 0), np.nan)
    if not rows:
        return out
    rows, z0, which = np.concatenate(rows), np.concatenate(seeds), np.concatenate(which)
    s_col = s[rows]
    kink_functions = sorted(set(which.tolist()))

    def kink_value(z):
        values = np.zeros(z.shape[0])
        for a in kink_functions:
            mask = which == a
            values[mask] = _evaluate(switches[a], z[mask])
        return values

    def kink_grad(z):
        grads = np.zeros_like(z)
        for a in kink_functions:
            mask = which == a
            grads[mask] = _grad(switches[a], z[mask])
        return grads

    def residual(z):
        R = np.stack([kink_value(z), _evaluate(g, z) - y, z @ e3 - s_col], axis=-1)
        J = np.stack([kink_grad(z), _grad(g, z), np.broadcast_to(e3, z.shape)], axis=1)
        return R, J

    z, R = _newton3(residual, z0)
    good = _converged(z, R, 1.0 + abs(y))
    u = z - s_col[:, None] * e3
    angles = np.arctan2(u @ e2, u @ e1)
    per_row = [np.unique(np.round(angles[good & (rows == i)], 10)) for i in range(s.size)]
    width = max(len(a) for a in per_row)
    out = np.full((s.size, width), np.nan)
    for i, a in enumerate(per_row):
        out[i, :len(a)] = a
    return out


__all__ = ["KinkEvents", "corner_angles", "kink_surfaces", "kink_slices"]

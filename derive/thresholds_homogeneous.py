"""Noiseless two-index thresholds for positively homogeneous targets: g(c z) = c^k g(z), c > 0.

max(z1, z2)^2, z1 relu(z2), relu(z1) + relu(z2), |z1| - |z2|, ... (k > 0). In polar
coordinates z = rho (cos phi, sin phi), rho (Rayleigh, density rho e^{-rho^2/2}) and phi
(uniform) are independent and y = rho^k s(phi) with s(phi) = g(cos phi, sin phi). Given phi
with y / s(phi) > 0, rho = (y / s)^{1/k} is determined, so

    p(y) E[h(z) | y] = (1/2 pi) int K(y, phi) h(rho omega) dphi,
    K = rho e^{-rho^2/2} / (k rho^{k-1} |s(phi)|),   omega = (cos phi, sin phi),

a one-dimensional integral over the circle whose integrand is smooth between the kinks of s
(switch points of max/min/abs/relu, found from the target's own sub-expressions) and flat
next to the zeros of s. Composite Gauss-Legendre panels on the circle end at every kink and
zero and are graded geometrically towards the zeros (for small |y| the mass sits in a band
of width ~ |y| around them); the y-rule is graded towards 0. Where s vanishes on an arc the
label has an atom at 0 with mass |arc| / 2 pi and, exactly, E[z | atom] = E[rho] <omega>,
E[z z^T | atom] = E[rho^2] <omega omega^T> (averages over the arc; E rho = sqrt(pi/2),
E rho^2 = 2). Then trivial directions and alpha_c = 1/nu_1 as in derive.thresholds (Troiani
et al. AISTATS 2025, arXiv:2405.15480; THEORY.md §5), the atom entering as one more label
value. Error estimate: the change when every panel's order doubles.

>>> import sympy
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> r = homogeneous_recovery(z1**2 + z2**2, (z1, z2))   # |z|^2, r = 2: alpha_c = r/2 = 1
>>> r.klass, round(r.alpha_c, 8), r.easy_dimension
('easy', 1.0, 2)
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import sympy

from .certificates import NUMERIC, Certificate
from .levelsets_numeric import refine_sign_changes
from .thresholds import MultiWeakRecovery, f_operator, top_eigenspace

ORDERS = (8, 16)
#: rho <= RHO_MAX: the Rayleigh mass beyond is below 1e-17
RHO_MAX = 9.0
_SAMPLES = 20000


def homogeneity_degree(expr, variables) -> sympy.Rational | None:
    """k > 0 with expr(c z) = c^k expr(z) for c > 0 (checked symbolically), else None."""
    c = sympy.Symbol("c", positive=True)
    scaled = expr.xreplace({v: c * v for v in variables})
    f = sympy.lambdify(variables, expr, modules=["numpy", "scipy"])
    rng = np.random.default_rng(0)
    points = rng.standard_normal((len(variables), 64))
    with np.errstate(all="ignore"):
        base = np.asarray(f(*points), dtype=float)
        double = np.asarray(f(*(2 * points)), dtype=float)
    good = np.isfinite(base) & np.isfinite(double) & (np.abs(base) > 1e-8)
    if not np.any(good):
        return None
    with np.errstate(all="ignore"):       # f(2z)/f(z) < 0 somewhere: not homogeneous
        ratio = float(np.median(np.log2(double[good] / base[good])))
    if not np.isfinite(ratio):
        return None
    k = sympy.nsimplify(ratio, rational=True, tolerance=1e-9)
    if not k.is_positive or k.q > 12:
        return None
    if sympy.simplify(scaled - c**k * expr) != 0:
        # sympy could not simplify (Max, Abs of scaled arguments): check numerically at
        # several c on the random points
        checks = []
        for value in (0.5, 3.0, 7.25):
            g = sympy.lambdify(variables, scaled.xreplace({c: value}) - value**k * expr,
                               modules=["numpy", "scipy"])
            with np.errstate(all="ignore"):
                checks.append(np.asarray(g(*points), dtype=float))
        if not all(np.all(np.abs(v) <= 1e-10 * (1 + np.abs(base))) for v in checks):
            return None
    return k


def _switches(expr, variables):
    """Sub-expressions whose sign changes are kinks of expr (Max, Min, Abs, sign, Heaviside)."""
    out = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, (sympy.Max, sympy.Min)):
            args = node.args
            out += [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
        elif isinstance(node, (sympy.Abs, sympy.sign, sympy.Heaviside)):
            out.append(node.args[0])
    return [sympy.lambdify(variables, e, modules=["numpy", "scipy"]) for e in out]


def _circle_zeros(function, phi):
    """Zeros of function(cos phi, sin phi) on the circle, as angles in [-pi, pi): isolated
    zeros and the ends of zero arcs on the sample grid ``phi`` (shifted by an irrational
    offset so that no zero hides at the grid's seam), sign changes refined by bisection."""
    phi = phi + 0.1234567
    roots = set(_grid_zeros(function, phi)) | set(_touching_zeros(function, phi))
    return sorted({float((r + np.pi) % (2 * np.pi) - np.pi) for r in roots})


def _touching_zeros(function, phi):
    """Zeros without a sign change (|s| has a local minimum ~ 0: squares, abs), located by
    ternary search on |s|."""
    def size(x):
        return np.abs(np.asarray(function(np.cos(x), np.sin(x)), dtype=float))

    values = np.broadcast_to(size(phi), phi.shape)
    scale = float(np.max(values)) or 1.0
    out = []
    interior = (values[1:-1] <= values[:-2]) & (values[1:-1] <= values[2:])
    candidates = interior & (values[1:-1] > 0) & (values[1:-1] < 1e-2 * scale)
    for i in np.nonzero(candidates)[0] + 1:
        a, b = phi[i - 1], phi[i + 1]
        for _ in range(200):
            m1, m2 = a + (b - a) / 3, b - (b - a) / 3
            if size(m1) <= size(m2):
                b = m2
            else:
                a = m1
        m = 0.5 * (a + b)
        if size(m) <= 1e-12 * scale:
            out.append(m)
    return out


def _grid_zeros(function, phi):
    values = np.broadcast_to(np.asarray(function(np.cos(phi), np.sin(phi)), dtype=float),
                             phi.shape)
    exact = values == 0
    inner = np.zeros_like(exact)
    inner[1:-1] = exact[:-2] & exact[2:]
    roots = list(phi[exact & ~inner])  # isolated zeros and the ends of zero arcs
    changes = np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]
    roots += list(refine_sign_changes(lambda m: function(np.cos(m), np.sin(m)), phi[changes],
                                      phi[changes + 1], values[changes]))
    return roots


def _panels(points, zeros, order):
    """Gauss-Legendre nodes on [-pi, pi] with panel edges at ``points``, graded towards
    ``zeros`` (and uniform panels of width <= pi/16 elsewhere)."""
    cuts = {-np.pi, np.pi, *points}
    for z in zeros:
        # ratio-4 grading: near a zero of s the integrand behaves like 1/|phi - z| down to
        # the band |s| ~ |y|, which a factor-4 panel resolves to 1e-15 at order 16
        for j in range(1, 21):
            for offset in (4.0**-j, -(4.0**-j)):
                for base in (z, z - 2 * np.pi, z + 2 * np.pi):
                    if -np.pi < base + offset < np.pi:
                        cuts.add(base + offset)
    cuts |= set(np.linspace(-np.pi, np.pi, 33))
    edges = np.array(sorted(cuts))
    edges = edges[np.concatenate([[True], np.diff(edges) > 1e-15])]
    t, w = np.polynomial.legendre.leggauss(order)
    half = 0.5 * (edges[1:] - edges[:-1])
    mid = 0.5 * (edges[1:] + edges[:-1])
    return (mid[:, None] + half[:, None] * t).ravel(), (half[:, None] * w).ravel(), edges


def _label_nodes(limit: float, order: int):
    """Gauss-Legendre panels on [-limit, limit] with ratio-4 grading towards y = 0 (down to
    4^-25 ~ 1e-15; the label density is at most logarithmic there) and panels of width <= 1/4
    up to |y| = 8, growing like |y|/8 beyond."""
    cuts = {0.0}
    for j in range(-1, 26):
        cuts |= {4.0**-j, -(4.0**-j)}
    x = 0.25
    while x < limit:
        cuts |= {x, -x}
        x += 0.25 if x < 8 else x / 8
    cuts = np.array(sorted(c for c in cuts if abs(c) < limit) + [limit])
    cuts = np.unique(np.concatenate([-cuts[cuts > 0][::-1], [0.0], cuts[cuts > 0]]))
    t, w = np.polynomial.legendre.leggauss(order)
    half = 0.5 * (cuts[1:] - cuts[:-1])
    mid = 0.5 * (cuts[1:] + cuts[:-1])
    return (mid[:, None] + half[:, None] * t).ravel(), (half[:, None] * w).ravel()


def _totals(s_of, k, points, zeros, atom_arcs, limit, order):
    phi, wphi, _ = _panels(points, zeros, order)
    s = np.broadcast_to(np.asarray(s_of(np.cos(phi), np.sin(phi)), dtype=float), phi.shape)
    omega = np.stack([np.cos(phi), np.sin(phi)], axis=1)
    wphi = wphi / (2 * np.pi)
    live = np.abs(s) > 0
    ys, wy = _label_nodes(limit, order)
    sums = np.zeros((ys.size, 6))  # p, p E[z1], p E[z2], p E[z1^2], p E[z2^2], p E[z1 z2]
    for start in range(0, ys.size, 64):
        y = ys[start:start + 64, None]
        with np.errstate(all="ignore"):
            ratio = np.where(live & (y * s > 0), y / np.where(live, s, 1.0), 0.0)
            rho = ratio ** (1.0 / k)
            K = np.where(ratio > 0, rho * np.exp(-rho * rho / 2)
                         / (k * rho ** (k - 1) * np.abs(np.where(live, s, 1.0))), 0.0)
        K = np.nan_to_num(K) * wphi
        r1, r2 = K * rho, K * rho * rho
        sums[start:start + 64] = np.stack([
            K.sum(1), r1 @ omega[:, 0], r1 @ omega[:, 1], r2 @ omega[:, 0] ** 2,
            r2 @ omega[:, 1] ** 2, r2 @ (omega[:, 0] * omega[:, 1])], axis=1)
    density = sums[:, 0]
    good = density > 1e-300
    sums, wy, density = sums[good], wy[good], density[good]
    mean = sums[:, 1:3] / density[:, None]
    second = np.stack([np.stack([sums[:, 3], sums[:, 5]], -1),
                       np.stack([sums[:, 5], sums[:, 4]], -1)], -2) / density[:, None, None]
    G = second - np.eye(2)
    weights = wy * density
    labels = [(weights, mean, G)]
    mass = float(np.sum(weights))
    if atom_arcs:
        t, w = np.polynomial.legendre.leggauss(order)
        arc_phi = np.concatenate([0.5 * (a + b) + 0.5 * (b - a) * t for a, b in atom_arcs])
        arc_w = np.concatenate([0.5 * (b - a) * w for a, b in atom_arcs]) / (2 * np.pi)
        P = float(arc_w.sum())
        om = np.stack([np.cos(arc_phi), np.sin(arc_phi)], axis=1)
        m_atom = np.sqrt(np.pi / 2) * (arc_w @ om) / P
        G_atom = 2 * np.einsum("n,na,nb->ab", arc_w, om, om) / P - np.eye(2)
        labels.append((np.array([P]), m_atom[None, :], G_atom[None]))
        mass += P
    trivial = np.zeros((2, 2))
    F = np.zeros((3, 3))
    for weight, m, g in labels:
        trivial += np.einsum("n,na,nb->ab", weight, m, m)
        F += f_operator(weight, g)
    return trivial, F, mass


def homogeneous_recovery(expr, variables) -> MultiWeakRecovery | None:
    """First weak-recovery step of a positively homogeneous noiseless target in two
    variables, or None when expr is not one (degree k > 0)."""
    if len(variables) != 2:
        return None
    expr = sympy.sympify(expr)
    k = homogeneity_degree(expr, variables)
    if k is None:
        return None
    kf = float(k)
    s_of = sympy.lambdify(variables, expr, modules=["numpy", "scipy"])
    phi = np.linspace(-np.pi, np.pi, _SAMPLES + 1)
    with np.errstate(all="ignore"):
        s_samples = np.broadcast_to(np.asarray(s_of(np.cos(phi), np.sin(phi)), dtype=float),
                                    phi.shape)
    if not np.all(np.isfinite(s_samples)):
        return None
    kinks = [x for f in _switches(expr, variables) for x in _circle_zeros(f, phi)]
    zeros = _circle_zeros(s_of, phi)
    points = sorted(set(kinks) | set(zeros))
    # arcs where s vanishes identically: between consecutive panel points, zero at the midpoint
    edges = sorted({-np.pi, np.pi, *points})
    scale = float(np.max(np.abs(s_samples)))
    atom_arcs = []
    for a, b in pairwise(edges):
        probe = np.linspace(a, b, 7)[1:-1]
        values = np.asarray(s_of(np.cos(probe), np.sin(probe)), dtype=float)
        if b - a > 1e-9 and np.all(np.abs(values) <= 1e-14 * scale):
            atom_arcs.append((a, b))
    limit = scale * RHO_MAX**kf * 1.01
    coarse = _totals(s_of, kf, points, zeros, atom_arcs, limit, ORDERS[0])
    trivial, F, mass = _totals(s_of, kf, points, zeros, atom_arcs, limit, ORDERS[1])
    error = max(float(np.max(np.abs(F - coarse[1]))), abs(mass - 1), 1e-12)
    trivial_error = max(float(np.max(np.abs(trivial - coarse[0]))), abs(mass - 1), 1e-12)
    names = tuple(variables)
    atom = f"; atom at y = 0 of mass {sum(b - a for a, b in atom_arcs) / (2 * np.pi):.6g}" \
        if atom_arcs else ""
    values, vectors = np.linalg.eigh((trivial + trivial.T) / 2)
    rank = int(np.sum(values > 100 * trivial_error))
    if rank:
        learned = tuple(tuple(0.0 if abs(x) < 1e-12 else float(x) for x in vectors[:, i])
                        for i in range(2) if values[i] > 100 * trivial_error)
        why = (f"homogeneous of degree {k}{atom}: E[z|y] spans {rank} direction(s) "
               f"(eigenvalues {', '.join(f'{v:.6g}' for v in values)} +- {trivial_error:.1e})")
        return MultiWeakRecovery("trivial", 0.0, 0.0, rank, 0, why, learned, names,
                                 certificate=Certificate(NUMERIC, why, bound=trivial_error))
    top, _, u = top_eigenspace(F, error)
    if top <= 10 * error:
        klass = "hard" if error < 1e-8 else "undetermined"
        return MultiWeakRecovery(klass, None, error, 0, 0,
                                 f"nu_1 = {top:.3g} +- {error:.1e}{atom}", (), names)
    dimension = u.shape[1]
    directions = tuple(tuple(0.0 if abs(x) < 1e-12 else float(x) for x in u[:, i])
                       for i in range(dimension))
    alpha = 1 / top
    bound = alpha * error / top * 1.01
    why = f"homogeneous of degree {k}{atom}: nu_1 = {top:.10g} +- {error:.1e}"
    return MultiWeakRecovery("easy", alpha, bound, 0, dimension, why, directions, names,
                             certificate=Certificate(NUMERIC, why, bound=bound))


__all__ = ["homogeneity_degree", "homogeneous_recovery"]

"""Weak-recovery threshold of optimal first-order methods for single-index targets.

Troiani, Dandi, Defilippis, Zdeborova, Loureiro, Krzakala (AISTATS 2025, arXiv:2405.15480),
with n = alpha d samples (THEORY.md §5):

- trivial: E[z | y] != 0 (lambda_1^2 > 0): the direction is weakly learned at any alpha > 0;
- easy: otherwise, alpha_c = 1 / E_y[(E[z^2 | y] - 1)^2] = 1 / (2 lambda_2^2), since
  lambda_2^2 = E[E[h_2 | y]^2] with h_2 = (z^2 - 1)/sqrt(2);
- hard: lambda_1^2 = lambda_2^2 = 0: no first-order method succeeds at linear sample size.

The optimal spectral method has the same threshold with the preprocessing
T*(y) = 1 - 1/E[z^2 | y] (Mondelli, Montanari 2018, arXiv:1708.05932).

Exact cases: piecewise-constant links (lambda_2^2 a closed form) and even links that are
injective on z > 0 (|z|, z^2, exp(-z^2), ...): there y determines z^2, so
E[z^2 | y] = z^2 and E_y[(z^2 - 1)^2] = 2, alpha_c = 1/2 exactly (noiseless phase retrieval).

>>> from derive import analyze
>>> r = weak_recovery(analyze("z**2"))
>>> r.klass, r.alpha_c_exact
('easy', 1/2)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .certificates import EXACT, NUMERIC, Certificate
from .errors import DeriveError
from .exponents import conditional_moments
from .levelsets import LevelSetError, level_set_structure
from .piecewise import decompose
from .preprocessing import OptimalPreprocessing, optimal_preprocessing  # noqa: F401 (API)

SOURCE = "Troiani2025; Mondelli2018"


@dataclass(frozen=True)
class WeakRecovery:
    klass: str  # "trivial" | "easy" | "hard" | "undetermined"
    alpha_c: float | None
    alpha_c_exact: sympy.Expr | None
    error_bound: float
    certificate: Certificate
    preprocessing: str
    reason: str

    @property
    def alpha_c_text(self) -> str:
        if self.alpha_c_exact is not None:
            return str(self.alpha_c_exact)
        if self.alpha_c is None:
            return "none"
        return f"{self.alpha_c:.10g} +- {self.error_bound:.1e}"

    def to_dict(self) -> dict:
        alpha = self.alpha_c
        return {
            "class": self.klass,
            "alpha_c": alpha,
            "alpha_c_exact": None if self.alpha_c_exact is None else str(self.alpha_c_exact),
            "error_bound": self.error_bound,
            "certificate": self.certificate.label,
            "steps": [{"alpha_c": alpha, "dimension_added": 1}] if self.klass in ("trivial", "easy") else [],
            "optimal_preprocessing": self.preprocessing,
            "why": self.reason,
            "source": SOURCE,
        }


def _injective_half_line(analysis) -> bool:
    """Even link, no atoms, a single branch on every label cell of the half line z > 0."""
    expansion = analysis.hermite
    if expansion.parity != 0:
        return False
    try:
        structure = level_set_structure(decompose(expansion.expression, expansion.variable),
                                       even=True)
    except LevelSetError:
        return False
    return not structure.atoms and bool(structure.cells) and all(c.injective for c in structure.cells)


def _preprocessing_text(analysis) -> str:
    """'T*(y) = 1 - 1/E[z^2 | y]', with its closed form when there is one."""
    text = "T*(y) = 1 - 1/E[z^2 | y]"
    try:
        expression = optimal_preprocessing(analysis).expression
    except DeriveError:
        return text
    return text if expression is None else f"{text} = {expression}"


def weak_recovery(analysis) -> WeakRecovery:
    """Class, alpha_c and optimal preprocessing for a single-index analysis."""
    generative = analysis.generative_exponent
    preprocessing = _preprocessing_text(analysis)
    if generative.value == 1:
        return WeakRecovery("trivial", 0.0, sympy.Integer(0), 0.0, generative.evidence[-1].certificate,
                            "none needed: E[z | y] != 0 already correlates with z",
                            "E[z | y] != 0 (generative exponent 1)")
    if generative.value is None and not generative.evidence:
        return WeakRecovery("undetermined", None, None, 0.0,
                            Certificate("undetermined", generative.summary), preprocessing,
                            generative.summary)
    noise = float(analysis.target.noise)
    if noise == 0 and _injective_half_line(analysis):
        return WeakRecovery(
            "easy", 0.5, sympy.Rational(1, 2), 0.0,
            Certificate(EXACT, "even link injective on z > 0: E[z^2 | y] = z^2, "
                               "E[(z^2 - 1)^2] = 2"),
            preprocessing,
            "y determines z^2",
        )
    try:
        moments = conditional_moments(analysis.hermite, None, 2, noise=noise)
    except DeriveError as exc:
        return WeakRecovery("undetermined", None, None, 0.0,
                            Certificate("undetermined", str(exc)), preprocessing, str(exc))
    second = moments[1]
    exact = second.exact
    if generative.value is not None and generative.value >= 3 or (
            exact is not None and exact == 0):
        return WeakRecovery("hard", None, None, 0.0,
                            Certificate(EXACT if exact is not None else NUMERIC,
                                        "lambda_1^2 = lambda_2^2 = 0"),
                            preprocessing, "E[z|y] = 0 and E[z^2|y] = 1: first order sees nothing")
    if exact is not None:
        alpha = sympy.nsimplify(sympy.simplify(1 / (2 * exact)))
        return WeakRecovery("easy", float(alpha), alpha, 0.0,
                            Certificate(EXACT, f"discrete label: lambda_2^2 = {exact}"),
                            preprocessing, "alpha_c = 1/(2 lambda_2^2)")
    value, error = second.value, second.error_bound
    if value <= 10 * error:
        return WeakRecovery("undetermined", None, None, error,
                            Certificate("undetermined", f"lambda_2^2 = {value:.3g} +- {error:.1e}"),
                            preprocessing, "lambda_2^2 not resolved from 0")
    alpha = 1 / (2 * value)
    bound = alpha * error / value * 1.01
    return WeakRecovery("easy", alpha, None, bound,
                        Certificate(NUMERIC, f"lambda_2^2 = {value:.15g} +- {error:.1e}", bound=bound),
                        preprocessing, "alpha_c = 1/(2 lambda_2^2)")


# --- multi-index (r = 2, polynomial) -------------------------------------------------------


@dataclass(frozen=True)
class MultiWeakRecovery:
    """First step of the weak-recovery analysis of a two-index polynomial target."""

    klass: str
    alpha_c: float | None
    error_bound: float
    trivial_dimension: int
    easy_dimension: int
    reason: str
    #: unit vectors (in the order of ``variables``) spanning the directions learned at this
    #: step: the range of E[z|y] (trivial) or of the top eigenvector(s) M* of F (easy)
    directions: tuple = ()
    variables: tuple = ()
    #: the threshold in closed form, when it has one (discrete labels)
    alpha_c_exact: sympy.Expr | None = None
    #: the grand-staircase steps after this one, when the engine that found this step also
    #: derived them (derive.grand_staircase.RecoveryStep objects; empty otherwise)
    following: tuple = ()
    #: the optimal spectral preprocessing y -> T*(y) (an r x r array in the order of
    #: ``variables``), when the engine has it (derive.thresholds_structured)
    preprocessing_matrix: object = None
    #: the preprocessing in words
    preprocessing: str = "spectral on E[z z^T - I | y] (Troiani et al. 2025)"
    #: the evidence for this step's class, when the engine gives one
    certificate: Certificate | None = None

    @property
    def alpha_c_text(self) -> str:
        if self.alpha_c_exact is not None:
            return f"{self.alpha_c_exact} = {self.alpha_c:.10g}"
        if self.klass == "trivial":
            return "0"
        if self.alpha_c is None:
            return "none"
        return f"{self.alpha_c:.8g} +- {self.error_bound:.1e}"

    def to_dict(self) -> dict:
        steps = []
        if self.klass == "trivial":
            steps.append({"alpha_c": 0.0, "dimension_added": self.trivial_dimension})
        elif self.klass == "easy":
            steps.append({"alpha_c": self.alpha_c, "dimension_added": self.easy_dimension})
        if steps:
            steps[0]["error_bound"] = self.error_bound
            steps += [{"alpha_c": s.alpha_c, "dimension_added": s.dimension_added,
                       "error_bound": s.error_bound}
                      for s in self.following if s.klass in ("trivial", "easy")]
        return {
            "class": self.klass,
            "alpha_c": 0.0 if self.klass == "trivial" else self.alpha_c,
            "alpha_c_exact": None if self.alpha_c_exact is None else str(self.alpha_c_exact),
            "error_bound": self.error_bound,
            "steps": steps,
            "optimal_preprocessing": self.preprocessing,
            "why": self.reason,
            "source": SOURCE,
        }


def symmetric_basis(r: int = 2):
    """Frobenius-orthonormal basis of the symmetric r x r matrices, in the order of the pairs
    (a, b), a <= b: the coordinates in which F(M) = E_y[G(y) M G(y)] is an
    r(r+1)/2 x r(r+1)/2 matrix (3 x 3 for r = 2)."""
    import numpy as np

    out = []
    for a in range(r):
        for b in range(a, r):
            m = np.zeros((r, r))
            if a == b:
                m[a, a] = 1.0
            else:
                m[a, b] = m[b, a] = 1 / np.sqrt(2)
            out.append(m)
    return out


def f_operator(weight, G):
    """F(M) = sum_n weight_n G_n M G_n as a 3 x 3 matrix in :func:`symmetric_basis`."""
    import numpy as np

    basis = symmetric_basis(2)
    F = np.zeros((3, 3))
    for i, Mi in enumerate(basis):
        GMG = G @ Mi @ G
        for j, Mj in enumerate(basis):
            F[j, i] = np.sum(weight * np.sum(Mj * GMG, axis=(1, 2)))
    return F


def level_set_totals(sums, wy):
    """From p(y) E[h | y] for h = (1, z1, z2, z1^2 - 1, z2^2 - 1, z1 z2) (the columns of
    ``sums``) on a y-rule with weights ``wy``: E_y[E[z|y] E[z|y]^T], F (f_operator) and the
    total mass (1 up to the rule's error)."""
    import numpy as np

    density = sums[:, 0]
    keep = density > 1e-300
    sums, wy, density = sums[keep], wy[keep], density[keep]
    mean = sums[:, 1:3] / density[:, None]
    trivial = np.einsum("n,na,nb->ab", wy * density, mean, mean)
    G = np.stack([np.stack([sums[:, 3], sums[:, 5]], -1),
                  np.stack([sums[:, 5], sums[:, 4]], -1)], -2) / density[:, None, None]
    return trivial, f_operator(wy * density, G), float(np.sum(wy * density))


def top_eigenspace(F, error: float, r: int = 2):
    """nu_1, its multiplicity (eigenvalues within max(1e-6 nu_1, 10 error)) and the
    directions learned at alpha_c: an orthonormal basis (columns) of the joint range of the
    top eigenmatrices M* of F (given in :func:`symmetric_basis` of r x r matrices)."""
    import numpy as np

    basis = symmetric_basis(r)
    eigen, modes = np.linalg.eigh((F + F.T) / 2)
    top = float(eigen[-1])
    tops = [i for i in range(len(eigen)) if abs(eigen[i] - top) <= max(1e-6 * top, 10 * error)]
    stacked = np.hstack([sum(modes[k, i] * basis[k] for k in range(len(basis))) for i in tops])
    u, singular, _ = np.linalg.svd(stacked)
    rank = int(np.sum(singular > 1e-6 * singular[0]))
    return top, len(tops), u[:, :rank]


def _graded_nodes(centres, limit: float, order: int):
    """Composite Gauss-Legendre nodes on [-limit, limit], graded geometrically towards each
    centre (where the level-set weights are singular) and coarser far away."""
    import numpy as np

    cuts = {-limit, limit}
    for c in centres:
        for j in range(1, 10):
            for offset in (10.0**-j, -(10.0**-j)):
                if -limit < c + offset < limit:
                    cuts.add(c + offset)
        cuts.add(c)
    # 0.25 near the origin, 1 up to |x| = 8, then panels growing like |x|/8 (the Gaussian
    # tails of the label density are smooth on that scale)
    x = -limit
    while x < limit:
        cuts.add(x)
        x += 0.25 if abs(x) < 4 else max(1.0, abs(x) / 8)
    edges = np.array(sorted(cuts))
    t, w = np.polynomial.legendre.leggauss(order)
    half = 0.5 * (edges[1:] - edges[:-1])
    mid = 0.5 * (edges[1:] + edges[:-1])
    return (mid[:, None] + half[:, None] * t).ravel(), (half[:, None] * w).ravel()


def _level_curve_sums(g_poly, z1, z2, ys, order: int):
    """p(y) E[h | y] for h in (1, z1, z2, z1^2-1, z2^2-1, z1 z2), for every y in ``ys``.

    p(y) E[h|y] = int dz1 phi(z1) sum_{z2: g = y} h phi(z2) / |d_2 g|  (level-curve formula),
    roots in closed form for degree <= 2 in z2. The z1-rule is graded, for each y, towards
    the zeros of the leading coefficient (branches escaping to infinity) and of the
    discriminant (tangencies, where the weight has a 1/sqrt singularity).
    """
    import numpy as np

    poly = sympy.Poly(g_poly, z2)
    degree = poly.degree()
    if degree not in (1, 2):
        raise ValueError("level curves need degree 1 or 2 in one variable")
    y_symbol = sympy.Dummy("y")
    coefficients = [sympy.lambdify(z1, c, "numpy") for c in poly.all_coeffs()]
    slope_of = sympy.lambdify((z1, z2), sympy.diff(g_poly, z2), "numpy")
    leading = poly.all_coeffs()[0]
    fixed = [float(r) for r in sympy.Poly(leading, z1).real_roots()] if leading.has(z1) else []
    special = []
    if degree == 2:
        a, b, c = poly.all_coeffs()
        discriminant = sympy.Poly(sympy.expand(b * b - 4 * a * (c - y_symbol)), z1)
        special = [sympy.lambdify(y_symbol, k, "numpy") for k in discriminant.all_coeffs()]
    # where the curve crosses z2 = 0 the weight phi(z2(z1)) peaks, with a width ~ 1/|c'(z1)|
    # that is narrow for steep c: grade the z1-rule towards those crossings as well
    constant = sympy.Poly(poly.all_coeffs()[-1], z1)
    constant_coefficients = np.array([float(k) for k in constant.all_coeffs()])
    out = np.zeros((ys.size, 6))
    for n, y in enumerate(ys):
        centres = list(fixed) + [0.0]
        if constant_coefficients.size > 1:
            shifted = constant_coefficients.copy()
            shifted[-1] -= y
            centres += [float(v.real) for v in np.roots(shifted)
                        if abs(v.imag) < 1e-9 and abs(v.real) < 10]
        if special:
            coeffs = np.array([float(f(y)) for f in special])
            while coeffs.size > 1 and coeffs[0] == 0:
                coeffs = coeffs[1:]
            if coeffs.size > 1:
                r = np.roots(coeffs)
                centres += [float(v.real) for v in r if abs(v.imag) < 1e-9 and abs(v.real) < 10]
        x, wx = _graded_nodes(centres, 10.0, order)
        c = [np.broadcast_to(np.asarray(f(x), dtype=float), x.shape) for f in coefficients]
        with np.errstate(all="ignore"):
            if degree == 1:
                roots = [(y - c[1]) / c[0]]
            else:
                disc = c[1] * c[1] - 4 * c[0] * (c[2] - y)
                sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
                roots = [(-c[1] + sq) / (2 * c[0]), (-c[1] - sq) / (2 * c[0])]
        base = wx * np.exp(-x * x / 2) / (2 * np.pi)
        for root in roots:
            with np.errstate(all="ignore"):
                w = base * np.exp(-root * root / 2) / np.abs(slope_of(x, root))
            good = np.isfinite(w) & np.isfinite(root)
            w, r, xs = w[good], root[good], x[good]
            out[n] += [w.sum(), (w * xs).sum(), (w * r).sum(), (w * (xs * xs - 1)).sum(),
                       (w * (r * r - 1)).sum(), (w * xs * r).sum()]
    return out


def weak_recovery_two_index(expr, variables) -> MultiWeakRecovery:
    """Class and alpha_c = 1/nu_1 of the first step for a polynomial target in (z1, z2).

    G(y) = E[z z^T - I | y], F(M) = E_y[G(y) M G(y)] on symmetric matrices, alpha_c = 1/nu_1
    with nu_1 the top eigenvalue of F (Troiani et al. 2025, THEORY.md §5); trivial
    directions = span of E[z | y]. The level-curve integrals use graded composite
    Gauss-Legendre rules in z1 and y (graded towards y = 0, the critical values of g and the
    zeros of the leading coefficient); the error estimate is the change when the order of
    every panel doubles.
    """
    import numpy as np

    z1, z2 = variables
    poly = sympy.Poly(sympy.expand(expr), z1, z2)
    swapped = poly.degree(z2) == 0 or bool(poly.degree(z1) and poly.degree(z1) < poly.degree(z2))
    if swapped:
        z1, z2 = z2, z1
    g = poly.as_expr()
    if sympy.Poly(g, z2).degree() > 2:
        raise DeriveError("two-index thresholds need degree <= 2 in one of the variables")
    cuts = {0.0}
    for point in sympy.solve([sympy.diff(g, v) for v in (z1, z2)], [z1, z2], dict=True):
        value = g.subs(point)
        if value.is_real:
            cuts.add(float(value))
    # labels reached from |z_i| <= 7.5 (Gaussian mass outside below 1e-12)
    grid = np.linspace(-7.5, 7.5, 301)
    values = sympy.lambdify((z1, z2), g, "numpy")(grid[:, None], grid[None, :])
    limit = float(min(np.max(np.abs(values)), 400.0))

    def totals(order):
        ys, wy = _graded_nodes(sorted(cuts), limit, order)
        trivial, F, _ = level_set_totals(_level_curve_sums(g, z1, z2, ys, order), wy)
        return trivial, F

    coarse_trivial, coarse_F = totals(8)
    trivial, F = totals(16)
    error = max(float(np.max(np.abs(F - coarse_F))), 1e-12)
    trivial_error = max(float(np.max(np.abs(trivial - coarse_trivial))), 1e-12)
    order = (1, 0) if swapped else (0, 1)

    def in_variables(vectors):
        return tuple(tuple(float(v[i]) for i in order) for v in vectors)

    names = tuple(variables)
    values, vectors = np.linalg.eigh((trivial + trivial.T) / 2)
    trivial_rank = int(np.sum(values > 100 * trivial_error))
    if trivial_rank:
        learned = [vectors[:, i] for i in range(2) if values[i] > 100 * trivial_error]
        return MultiWeakRecovery("trivial", 0.0, 0.0, trivial_rank, 0,
                                 f"E[z|y] spans {trivial_rank} direction(s)",
                                 in_variables(learned), names)
    top, multiplicity, directions = top_eigenspace(F, error)
    if top <= 100 * error:
        return MultiWeakRecovery("hard", None, error, 0, 0, "nu_1 = 0: F vanishes", (), names)
    alpha = 1 / top
    return MultiWeakRecovery("easy", alpha, alpha * error / top, 0, directions.shape[1],
                             f"nu_1 = {top:.10g} (multiplicity {multiplicity})",
                             in_variables(directions.T), names)

"""The optimal spectral preprocessing T*(y) = 1 - 1/E[z^2 | y] of a single-index target.

The spectral estimator is the top eigenvector of D = (1/n) sum_i T(y_i) x_i x_i^T.
Mondelli and Montanari (2018, arXiv:1708.05932) find the preprocessing that minimises its
weak-recovery threshold, a function of E[z^2 | y] alone; Luo, Alghamdi and Lu (2019,
arXiv:1811.04420) show that T*(y) = 1 - 1/E[z^2 | y] is optimal at every sample ratio, and
Troiani et al. (AISTATS 2025, arXiv:2405.15480) that its threshold
alpha_c = 1 / E_y[(E[z^2|y] - 1)^2] is that of optimal first-order methods (THEORY.md §5,
which states this T*).

Three ways to E[z^2 | y], most exact first:

- piecewise-constant links: y takes finitely many values v and
  E[z^2 | y = v] = E[z^2 1_{A_v}] / P(A_v) in closed form (``expression`` is a Piecewise);
- even links injective on z > 0 (z^2, |z|, exp(-z^2)): y determines z^2, so
  E[z^2 | y] = z(y)^2 with z(y) the positive root, solved by sympy where it can;
- otherwise a callable: the level-set formula
  E[z^2 | y] = sum_i z_i^2 w_i / sum_i w_i, w_i = phi(z_i) / |sigma'(z_i)| over the roots
  z_i of sigma(z) = y (one per monotone branch, found by vectorised interpolation and two
  Newton steps); with label noise y = sigma(z) + sqrt(Delta) xi, a quadrature over z of
  phi(z) exp(-(y - sigma(z))^2 / (2 Delta)).

The callable takes and returns numpy arrays, so simulations (which never import
``derive``) receive a plain function.

>>> from derive import analyze
>>> t = optimal_preprocessing(analyze("z**2"))
>>> t.expression
1 - 1/y
>>> import numpy as np
>>> np.round(t(np.array([0.5, 1.0, 4.0])), 12).tolist()
[-1.0, 0.0, 0.75]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from .errors import DeriveError
from .levelsets import LevelSetError, level_set_structure
from .piecewise import decompose

#: the label symbol of ``OptimalPreprocessing.expression``
Y = sympy.Symbol("y", real=True)
#: roots are searched in |z| <= Z_MAX: the Gaussian mass beyond is below 1e-31
Z_MAX = 12.0


@dataclass(frozen=True)
class OptimalPreprocessing:
    """T*(y) = 1 - 1/E[z^2|y]: a sympy expression in ``Y`` when one exists, always callable."""

    target: str
    expression: sympy.Expr | None
    method: str
    function: Callable[[np.ndarray], np.ndarray]

    def __call__(self, y) -> np.ndarray:
        return self.function(np.asarray(y, dtype=float))

    def to_dict(self) -> dict:
        return {
            "formula": "T*(y) = 1 - 1/E[z^2 | y]",
            "expression": None if self.expression is None else str(self.expression),
            "method": self.method,
            "source": "Mondelli2018",
        }


def optimal_preprocessing(analysis) -> OptimalPreprocessing:
    """T*(y) for a single-index analysis (noiseless or with Gaussian label noise)."""
    target = analysis.target
    if target.index_dimension != 1:
        raise DeriveError(
            f"'{target.text}': the optimal preprocessing T*(y) is implemented for "
            f"single-index targets"
        )
    expansion = analysis.hermite
    sigma, z = expansion.expression, expansion.variable
    noise = float(target.noise)
    form = decompose(sigma, z)
    if noise > 0:
        moment = _noisy_second_moment(form, noise)
        return OptimalPreprocessing(target.text, None, "quadrature over z (label noise)",
                                    _from_moment(moment))
    try:
        structure = level_set_structure(form)
    except LevelSetError as exc:
        raise DeriveError(f"'{target.text}': no optimal preprocessing: {exc}") from None
    if structure.is_discrete:
        expression, table = _discrete(structure, z)
        return OptimalPreprocessing(target.text, expression, "exact (piecewise-constant link)",
                                    _lookup(table))
    transform = _from_moment(_level_set_second_moment(structure))
    expression = None
    if structure.atoms:
        # a label value taken on a whole interval has positive probability: there the
        # atom's exact value applies; everywhere else the level-set formula
        _, table = _discrete(structure, z)
        transform = _with_atoms(_lookup(table), transform)
    elif expansion.parity == 0:
        expression = _even_injective_expression(form)
    method = ("exact (y determines z^2)" if expression is not None
              else "level sets: roots of sigma(z) = y, weights phi/|sigma'|"
              + ("; exact on the atoms" if structure.atoms else ""))
    return OptimalPreprocessing(target.text, expression, method, transform)


def _from_moment(moment):
    def transform(y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - 1.0 / moment(y)
    return transform


# --- exact cases ---------------------------------------------------------------------------


def _discrete(structure, z):
    """E[z^2 | y = v] = E[z^2 1_A] / P(A), with int_p^q z^2 phi = [Phi - z phi]_p^q."""
    phi = sympy.exp(-z**2 / 2) / sympy.sqrt(2 * sympy.pi)
    cdf = (1 + sympy.erf(z / sympy.sqrt(2))) / 2
    second = cdf - z * phi

    def at(expr, point):
        if point in (sympy.oo, -sympy.oo):
            return sympy.limit(expr, z, point)
        return expr.subs(z, point)

    cases, table = [], {}
    for atom in structure.atoms:
        mass = sum(at(cdf, b) - at(cdf, a) for a, b in atom.intervals)
        moment = sum(at(second, b) - at(second, a) for a, b in atom.intervals)
        value = sympy.simplify(1 - mass / moment)
        cases.append((value, sympy.Eq(Y, atom.value)))
        table[float(atom.value)] = float(value)
    if not structure.branches:
        cases.append((sympy.nan, True))
    return sympy.Piecewise(*cases), table


def _with_atoms(on_atoms, elsewhere):
    def transform(y):
        atom = on_atoms(y)
        return np.where(np.isnan(atom), elsewhere(y), atom)
    return transform


def _lookup(table):
    values = np.array(sorted(table))
    outputs = np.array([table[v] for v in values])

    def transform(y):
        index = np.clip(np.searchsorted(values, y), 0, len(values) - 1)
        # the nearest tabulated label (labels of a discrete link are exact values)
        left = np.clip(index - 1, 0, len(values) - 1)
        nearer = np.where(np.abs(values[left] - y) < np.abs(values[index] - y), left, index)
        result = outputs[nearer]
        return np.where(np.abs(values[nearer] - y) <= 1e-9 * np.maximum(1, np.abs(y)),
                        result, np.nan)
    return transform


def _even_injective_expression(form):
    """The positive root z(y) of sigma(z) = y, when sigma is injective on z > 0."""
    z = form.variable
    half = level_set_structure(form, even=True)
    if half.atoms or len(half.branches) != 1:
        return None
    branch = half.branches[0]
    positive = sympy.Symbol("t", positive=True)
    try:
        roots = sympy.solve(sympy.Eq(branch.expr.subs(z, positive), Y), positive)
    except (NotImplementedError, ValueError):
        return None
    if len(roots) != 1:
        return None
    return sympy.expand(1 - 1 / roots[0] ** 2)


# --- numeric cases -------------------------------------------------------------------------


def _numpy(expr, z):
    return sympy.lambdify(z, expr, modules=["numpy", "scipy"])


def _level_set_second_moment(structure):
    """A vectorised y -> E[z^2 | y] from the monotone branches of a continuous link."""
    z = structure.variable
    inverses = []
    for branch in structure.branches:
        lower = max(float(branch.lower), -Z_MAX) if branch.lower != -sympy.oo else -Z_MAX
        upper = min(float(branch.upper), Z_MAX) if branch.upper != sympy.oo else Z_MAX
        if upper <= lower:
            continue
        f = _numpy(branch.expr, z)
        df = _numpy(sympy.diff(branch.expr, z), z)
        grid = np.linspace(lower, upper, 4097)
        values = np.broadcast_to(np.asarray(f(grid), dtype=float), grid.shape)
        if not branch.increasing:
            grid, values = grid[::-1], values[::-1]
        inverses.append((grid, np.array(values), f, df,
                         float(mpmath.mpf(branch.image_lower)), float(mpmath.mpf(branch.image_upper))))

    def moment(y):
        y = np.asarray(y, dtype=float)
        numerator = np.zeros_like(y)
        denominator = np.zeros_like(y)
        for grid, values, f, df, low, high in inverses:
            inside = (y > low) & (y < high) & (y >= values[0]) & (y <= values[-1])
            if not inside.any():
                continue
            yy = y[inside]
            root = np.interp(yy, values, grid)
            for _ in range(2):  # Newton polish, kept inside the branch
                slope = np.asarray(df(root), dtype=float)
                step = np.where(slope != 0, (np.asarray(f(root), dtype=float) - yy) / slope, 0.0)
                root = np.clip(root - step, grid.min(), grid.max())
            slope = np.abs(np.broadcast_to(np.asarray(df(root), dtype=float), root.shape))
            with np.errstate(divide="ignore", invalid="ignore"):
                weight = np.exp(-root**2 / 2) / slope
            weight = np.where(np.isfinite(weight), weight, 0.0)
            numerator[inside] += root**2 * weight
            denominator[inside] += weight
        with np.errstate(divide="ignore", invalid="ignore"):
            return numerator / denominator
    return moment


def _noisy_second_moment(form, noise: float):
    """y -> E[z^2 | y] for y = sigma(z) + sqrt(noise) xi, by a trapezoid rule in z."""
    z = form.variable
    pieces = [(p, _numpy(p.expr, z)) for p in form.pieces]
    # the Gaussian in y must be resolved: spacing well below sqrt(noise) / max|sigma'|
    grid = np.linspace(-Z_MAX, Z_MAX, 24001)
    sigma = np.empty_like(grid)
    for piece, f in pieces:
        lo = -np.inf if piece.lower == -sympy.oo else float(piece.lower)
        hi = np.inf if piece.upper == sympy.oo else float(piece.upper)
        mask = (grid >= lo) & (grid <= hi)
        sigma[mask] = np.broadcast_to(np.asarray(f(grid[mask]), dtype=float), grid[mask].shape)
    slope = np.max(np.abs(np.diff(sigma))) / (grid[1] - grid[0])
    if slope * (grid[1] - grid[0]) > np.sqrt(noise) / 4:
        raise DeriveError("label noise too small for the quadrature of E[z^2 | y]; "
                          "use the noiseless target")
    prior = np.exp(-grid**2 / 2)

    def direct(flat):
        out = np.empty_like(flat)
        for start in range(0, flat.size, 256):
            block = flat[start:start + 256, None]
            log_like = -(block - sigma[None, :]) ** 2 / (2 * noise)
            log_like -= log_like.max(axis=1, keepdims=True)
            weight = prior[None, :] * np.exp(log_like)
            out[start:start + 256] = (weight * grid**2).sum(axis=1) / weight.sum(axis=1)
        return out

    def moment(y):
        y = np.asarray(y, dtype=float)
        flat = y.reshape(-1)
        # E[z^2|y] is smooth on the scale sqrt(noise) (a Gaussian convolution): tabulate it
        # with spacing sqrt(noise)/40 and interpolate when that is cheaper than every label
        if flat.size:
            nodes = np.arange(flat.min(), flat.max() + np.sqrt(noise) / 40, np.sqrt(noise) / 40)
            if 2 <= nodes.size < flat.size:
                return np.interp(flat, nodes, direct(nodes)).reshape(y.shape)
        return direct(flat).reshape(y.shape)
    return moment


def optimal_preprocessing_matrix(analysis) -> Callable[[np.ndarray], np.ndarray]:
    """y -> T*(y) = I - E[z z^T | y]^{-1}, an r x r matrix per label (in the order of the
    target's variables), for the first weak-recovery step of a multi-index target.

    The matrix analogue of T*(y) = 1 - 1/E[z^2 | y] (Mondelli & Montanari 2018,
    arXiv:1708.05932): T* = G (I + G)^{-1} with G(y) = E[z z^T - I | y], the matrix of
    THEORY.md §5 (Troiani et al. AISTATS 2025, arXiv:2405.15480). Available where the
    threshold engine computes G(y) pointwise: noisy targets (r <= 3), structured noiseless
    r = 3 targets and the affine two-index ones (derive.thresholds_structured,
    derive.thresholds_affine); for r = 1 the scalar T* as a 1 x 1 matrix.

    >>> from derive import analyze
    >>> T = optimal_preprocessing_matrix(analyze("z1**2 + z2**2 + z3**2"))
    >>> np.round(T(6.0), 8).tolist()[0]          # E[z z^T | y] = (y/3) I
    [0.5, 0.0, 0.0]
    """
    if analysis.target.is_single_index:
        scalar = optimal_preprocessing(analysis)

        def one_by_one(y):
            values = np.asarray(scalar(np.atleast_1d(np.asarray(y, dtype=float))), dtype=float)
            out = values.reshape(-1, 1, 1)
            return out[0] if np.ndim(y) == 0 else out

        return one_by_one
    recovery = analysis.recovery()
    matrix = getattr(recovery, "preprocessing_matrix", None)
    if matrix is None:
        raise DeriveError(
            f"'{analysis.target.text}': no matrix preprocessing: "
            + ("the first step is trivial, none is needed" if recovery is not None
               and recovery.klass == "trivial" else
               "G(y) is not computed pointwise for this target"))
    return matrix


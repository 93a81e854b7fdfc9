"""Learning-rate phase diagrams: sample complexity T = d^{e(kappa)} for a rate eta = d^{-kappa}.

Framework (Tsiolis, Mousavi-Hosseini, Erdogdu, NeurIPS 2025, arXiv:2510.21020; THEORY.md §6).
A single-index target y = sigma*(a) (+ noise), a = <x, theta*>, is learned by a spherical
student w with updates w <- w + gamma psi_eta(y, b) P_w^perp x, b = <x, w>, where the inner
learning rate eta enters the update function psi_eta and gamma is the outer step size. From
a random start the overlap m = <w, theta*> ~ d^{-1/2} grows with drift sum_i mu_i(eta) m^{i-1},

    mu_i(eta) = E[psi_eta(sigma*(a), b) He_i(a) He_{i-1}(b)],   a, b independent N(0, 1)

(probabilists' Hermite polynomials), and with the best gamma the number of samples is

    T(eta) = min_i mu_i(eta)^{-2} d^{max(i - 1, 1)}    (a log d factor when the minimiser is i = 2,
                                                        as for online SGD, Ben Arous et al. 2021).

Writing psi_eta = sum_j eta^j sum_l f_jl(y) g_jl(b), each mu_i is a polynomial in eta whose
coefficients factor into Hermite coefficients, E[f(sigma*(a)) He_i(a)] E[g(b) He_{i-1}(b)],
computed (with zero certificates) by derive.hermite. If the lowest power of eta in mu_i is
j_i, then with eta = d^{-kappa}

    e(kappa) = min_i [ max(i - 1, 1) + 2 kappa j_i ],

a piecewise-linear function of kappa (a sympy Min of lines, also given as a Piecewise with
its transition points).

The two update rules implemented, and which statement each encodes:

- ``alternating`` (layer-wise SGD; THEORY.md §6 as stated from the paper): the second layer
  takes a step of size eta on the sample before the first layer's step,
  psi_eta(y, b) = y sigma'(b) + eta y^2 sigma(b) sigma'(b) (second-layer weight 1 at start).
  The y-term has information exponent p = IE(sigma*), the y^2-term p_2 = IE(sigma*^2), so
  e(kappa) = min(max(p - 1, 1), 2 kappa + max(p_2 - 1, 1)); for He_3: min(2, 1 + 2 kappa),
  the transition at eta ~ d^{-1/2} quoted in THEORY.md from the paper's experiment.
- ``batch-reuse`` (two gradient steps on the same sample, correlation loss -y sigma(b); the
  mechanism of Lee, Oko, Suzuki, Wu 2024 and Dandi et al. 2024). The first step, of size
  eta, moves the student's field by eta ||x||^2 y sigma'(b) ~ eta d y sigma'(b), so the second
  step sees psi(y, b) = y sigma'(b + theta y sigma'(b)) with theta = eta d, i.e.
  sum_j theta^j / j! y^{j+1} sigma^{(j+1)}(b) sigma'(b)^j. Hence for eta = d^{-kappa} the
  j-th term costs 2 j (kappa - 1): e(kappa) = min_j [max(p_{j+1} - 1, 1) + 2 j (kappa - 1)]
  with p_m = IE(sigma*^m) (for the student's Hermite coefficients that do not vanish), and
  the generative regime is reached at eta ~ 1/d, as THEORY.md §6 states. For kappa < 1
  (theta = eta d > 1) the expansion no longer applies; e is reported as its value at
  kappa = 1 there and the result says so. This is the paper's Algorithm 1 instance of its
  Theorem 3.3 as a public summary of the paper quotes them (the paper's own text was not
  available to read): psi_eta(y, z) = y sigma'(z) + sum_{k>=2} (eta d)^{k-1}/(k-1)!
  sigma^{(k)}(z) sigma'(z)^{k-1} y^k (the expansion above with k = j + 1), the information
  regime kept for eta <= d^{(A_j - A_i)/(2(j - i)) - 1} with A_k = max(p_k - 1, 1) (the
  crossing points of the lines below), online SGD recovered for eta <~ d^{-(p+1)/2}, and the
  generative regime at eta ~ 1/d. Checked in tests/test_lr_phase.py; the result's domain
  note says the statement was taken from that summary.

Only finitely many (i, j) are examined (i <= max_order, j <= max_power); the result states the
range of kappa on which the unexamined terms provably cannot lower e(kappa).

>>> from derive import analyze
>>> phase = learning_rate_phase(analyze("He3(z)"), "alternating")
>>> phase.exponent
Min(2, 2*kappa + 1)
>>> phase.transitions
(1/2,)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import sympy

from .errors import DeriveError
from .hermite import hermite_expansion

KAPPA = sympy.Symbol("kappa", nonnegative=True)
ALGORITHMS = ("alternating", "batch-reuse")
SOURCE = "Tsiolis2025"
_B = sympy.Symbol("b", real=True)


@dataclass(frozen=True)
class RateTerm:
    """One term eta^power * E[label(y) He_i(a)] E[student(b) He_{i-1}(b)] of mu_i(eta)."""

    order: int  # i
    power: int  # j, the power of the inner learning-rate parameter
    label_factor: str  # f(y)
    student_factor: str  # g(b)
    status: str  # "nonzero" | "zero" | "undetermined"
    value: float | None  # the product of the two expectations (times 1/j!), when known
    why: str

    @property
    def cost(self) -> sympy.Expr:
        """The kappa-independent part max(i - 1, 1) of this term's line; the line itself is
        cost + 2 j s(kappa), with s(kappa) from :func:`_scale`."""
        return sympy.Integer(max(self.order - 1, 1))

    def to_dict(self) -> dict:
        return {"order": self.order, "power": self.power, "label": self.label_factor,
                "student": self.student_factor, "status": self.status, "value": self.value,
                "why": self.why}


@dataclass(frozen=True)
class LearningRatePhase:
    """e(kappa) with T = d^{e(kappa)} samples at inner learning rate eta = d^{-kappa}."""

    target: str
    algorithm: str
    student: str
    rate_parameter: str  # how the expansion parameter depends on eta (eta, or eta*d)
    exponent: sympy.Expr | None  # Min(...) of lines in KAPPA, None when undetermined
    piecewise: sympy.Expr | None
    transitions: tuple[sympy.Rational, ...]
    #: kappa-intervals (start, end) where T carries a log d factor (the i = 2 line is active)
    log_intervals: tuple
    #: (low, high): e(kappa) is exact for low <= kappa <= high; None: nowhere certified
    valid_range: tuple | None
    domain_note: str
    terms: tuple[RateTerm, ...]
    reason: str
    source: str = SOURCE

    def at(self, kappa) -> sympy.Expr:
        if self.exponent is None:
            raise DeriveError(f"e(kappa) is undetermined: {self.reason}")
        return self.piecewise.subs(KAPPA, sympy.nsimplify(kappa))

    def leading_terms(self) -> tuple[RateTerm, ...]:
        """The non-zero term of lowest power for every order i."""
        best: dict[int, RateTerm] = {}
        for term in self.terms:
            if term.status == "nonzero" and (term.order not in best
                                             or term.power < best[term.order].power):
                best[term.order] = term
        return tuple(best[i] for i in sorted(best))

    def to_dict(self) -> dict:
        return {
            "algorithm": self.algorithm,
            "target": self.target,
            "student": self.student,
            "learning_rate": "eta = d^(-kappa)",
            "rate_parameter": self.rate_parameter,
            "exponent": None if self.exponent is None else str(self.exponent),
            "piecewise": None if self.piecewise is None else str(self.piecewise),
            "transitions": [str(t) for t in self.transitions],
            "log_factor_kappa_intervals": [[str(a), str(b)] for a, b in self.log_intervals],
            "valid_kappa_range": (None if self.valid_range is None
                                  else [str(v) for v in self.valid_range]),
            "domain_note": self.domain_note,
            "terms": [t.to_dict() for t in self.leading_terms()],
            "why": self.reason,
            "source": self.source,
        }


def _student_expression(analysis, student: str | None):
    from .target import parse_target

    if student is None:
        expr, variable = analysis.hermite.expression, analysis.hermite.variable
        text = analysis.target.text
    else:
        parsed = parse_target(student)
        if not parsed.is_single_index:
            raise DeriveError(f"--student must be a function of z, got '{student}'")
        expr, variable, text = parsed.expression, parsed.variables[0], parsed.text
    return expr.subs(variable, _B), text


def _smooth_derivative(expr, order: int):
    derivative = sympy.diff(expr, _B, order)
    if derivative.has(sympy.DiracDelta) or derivative.has(sympy.Heaviside) and order > 1:
        raise DeriveError(
            "the student activation must be smooth for this update rule (its derivatives "
            "enter the expansion); pass a smooth --student such as 'tanh(z)' or 'He3(z)'"
        )
    return derivative


def _update_terms(algorithm: str, student, max_power: int):
    """psi as a list of (j, m, g(b), weight): eta^j * weight * y^m * g(b)."""
    d1 = _smooth_derivative(student, 1)
    if algorithm == "alternating":
        return [(0, 1, d1, sympy.Integer(1)), (1, 2, student * d1, sympy.Integer(1))]
    terms = []
    for j in range(max_power + 1):
        g = _smooth_derivative(student, j + 1) * d1**j
        terms.append((j, j + 1, sympy.expand(g), sympy.Rational(1, math.factorial(j))))
    return terms


def _label_moment_expansions(analysis, powers, max_order: int):
    """Hermite expansions of E[y^m | a] = E[(sigma*(a) + sqrt(Delta) xi)^m | a] for each m."""
    sigma, variable = analysis.hermite.expression, analysis.hermite.variable
    noise = analysis.target.noise
    out = {}
    for m in sorted(set(powers)):
        # E[xi^k] = (k-1)!! for even k: the label noise only adds lower powers of sigma*
        moment = sum(sympy.binomial(m, k) * noise ** sympy.Rational(k, 2)
                     * sympy.factorial2(k - 1) * sigma ** (m - k)
                     for k in range(0, m + 1, 2))
        moment = sympy.expand(moment) if moment.is_polynomial(variable) else moment
        out[m] = (hermite_expansion(moment, max_order=max_order, digits=20)
                  if moment.has(variable) else None)
    return out


def _status(a, b) -> tuple[str, str]:
    if a is None or b is None or a.is_zero or b.is_zero:
        which = "label" if (a is None or a.is_zero) else "student"
        return "zero", f"{which} coefficient is 0"
    if a.is_nonzero and b.is_nonzero:
        return "nonzero", "both coefficients non-zero"
    return "undetermined", "a coefficient is not resolved from 0"


def learning_rate_phase(analysis, algorithm: str, student: str | None = None,
                        max_order: int = 8, max_power: int = 3) -> LearningRatePhase:
    """e(kappa) for ``algorithm`` in ALGORITHMS on a single-index analysis."""
    if algorithm not in ALGORITHMS:
        raise DeriveError(f"unknown algorithm '{algorithm}' (choose {', '.join(ALGORITHMS)})")
    target = analysis.target
    if not target.is_single_index:
        raise DeriveError(f"'{target.text}': learning-rate phase diagrams are for single-index "
                          f"targets (Tsiolis et al. 2025)")
    if not 2 <= max_order <= 30:
        raise DeriveError(f"--max-order must be between 2 and 30, got {max_order}")
    student_expr, student_text = _student_expression(analysis, student)
    update = _update_terms(algorithm, student_expr, max_power)
    labels = _label_moment_expansions(analysis, [m for _, m, _, _ in update], max_order)
    terms: list[RateTerm] = []
    for j, m, g, weight in update:
        g_expansion = (hermite_expansion(g.subs(_B, sympy.Symbol("z", real=True)),
                                         max_order=max_order, digits=20)
                       if g.has(_B) else None)
        for i in range(1, max_order + 1):
            a = labels[m].coefficient(i) if labels[m] is not None else None
            b = g_expansion.coefficient(i - 1) if g_expansion is not None else None
            if g_expansion is None and i == 1 and g != 0:
                b = _constant_coefficient(g)
            status, why = _status(a, b)
            value = None
            if status == "nonzero":
                value = float(a.value * math.factorial(i) * b.value * math.factorial(i - 1)
                              * weight)
            terms.append(RateTerm(i, j, "y" if m == 1 else f"y^{m}", str(g), status, value, why))
    return _assemble(analysis, algorithm, student_text, terms, max_order, max_power)


@dataclass(frozen=True)
class _Constant:
    value: float
    is_zero: bool = False
    is_nonzero: bool = True


def _constant_coefficient(g):
    value = float(g)
    return _Constant(value, value == 0, value != 0)


def _scale(algorithm: str) -> sympy.Expr:
    """Exponent s(kappa) with (rate parameter) = d^{-s(kappa)}."""
    return KAPPA if algorithm == "alternating" else KAPPA - 1


def _assemble(analysis, algorithm, student_text, terms, max_order, max_power):
    scale = _scale(algorithm)
    lower = sympy.Integer(0) if algorithm == "alternating" else sympy.Integer(1)
    lines = {}
    for term in terms:
        if term.status == "nonzero":
            line = term.cost + 2 * term.power * scale
            key = (term.order, term.power)
            lines[key] = line
    undetermined = [t for t in terms if t.status == "undetermined"]
    rate = "eta" if algorithm == "alternating" else "eta * d (the first step's shift of <x,w>)"
    note = ("eta = d^-kappa, kappa >= 0" if algorithm == "alternating" else
            "kappa >= 1 (eta d <= 1); for kappa < 1 the inner step is not small and e is "
            "reported as e(1), the generative regime (Algorithm 1 / Theorem 3.3 of Tsiolis "
            "et al. 2025 as a public summary quotes them; not read in the paper itself)")
    if not lines:
        return LearningRatePhase(analysis.target.text, algorithm, student_text, rate, None,
                                 None, (), (), None, note, tuple(terms),
                                 f"no non-zero mu_i(eta) term up to order {max_order}")
    exponent = sympy.Min(*lines.values())
    # a term not decided could undercut the envelope: then say so instead of guessing
    for term in undetermined:
        line = term.cost + 2 * term.power * scale
        if _undercuts(line, exponent, lower):
            return LearningRatePhase(
                analysis.target.text, algorithm, student_text, rate, None, None, (), (),
                None, note, tuple(terms),
                f"mu_{term.order} term of power {term.power} is not resolved from 0 "
                f"({term.why}) and could lower e(kappa)")
    pieces = _pieces(exponent, lower)
    transitions = tuple(end for _, end in pieces[:-1])
    valid = _validity(exponent, lower, scale, transitions, max_order, max_power, algorithm)
    log_from = _log_region(lines, transitions, lower)
    if algorithm == "batch-reuse":
        pieces = [(exponent.subs(KAPPA, 1), lower), *pieces]
    piecewise = _to_piecewise(pieces)
    return LearningRatePhase(
        analysis.target.text, algorithm, student_text, rate, exponent, piecewise,
        transitions, log_from, valid, note, tuple(terms),
        "T(eta) = min_i mu_i(eta)^-2 d^max(i-1,1); the leading power of eta in each mu_i "
        "gives one line of e(kappa)")


def _undercuts(line, envelope, lower) -> bool:
    # both are piecewise linear: compare at the ends of the domain and at the breakpoints
    points = {lower, lower + 10}
    for piece in envelope.args if isinstance(envelope, sympy.Min) else (envelope,):
        for other in envelope.args if isinstance(envelope, sympy.Min) else (envelope,):
            if piece != other:
                for root in sympy.solve(sympy.Eq(piece, other), KAPPA):
                    if root.is_real and root >= lower:
                        points.add(root)
        for root in sympy.solve(sympy.Eq(piece, line), KAPPA):
            if root.is_real and root >= lower:
                points.add(root)
    return any(line.subs(KAPPA, p) < envelope.subs(KAPPA, p) for p in points)


def _pieces(exponent, lower):
    """The Min of lines as consecutive (line, upper end or None) over kappa >= lower."""
    lines = list(exponent.args) if isinstance(exponent, sympy.Min) else [exponent]
    candidates = {lower}
    for p in lines:
        for q in lines:
            if p != q:
                for root in sympy.solve(sympy.Eq(p, q), KAPPA):
                    if root.is_real and root > lower:
                        candidates.add(sympy.nsimplify(root))
    points = sorted(candidates)
    pieces: list[list] = []
    for index, start in enumerate(points):
        end = points[index + 1] if index + 1 < len(points) else start + 1
        middle = (start + end) / 2
        active = min(lines, key=lambda line: line.subs(KAPPA, middle))
        if pieces and pieces[-1][0] == active:
            continue
        if pieces:
            pieces[-1][1] = start
        pieces.append([active, None])
    return [tuple(p) for p in pieces]


def _to_piecewise(pieces) -> sympy.Expr:
    merged: list[list] = []
    for expr, end in pieces:
        if merged and merged[-1][0] == expr:
            merged[-1][1] = end
        else:
            merged.append([expr, end])
    if len(merged) == 1:
        return merged[0][0]
    return sympy.Piecewise(*[(expr, True if end is None else KAPPA < end)
                             for expr, end in merged])


def _validity(exponent, lower, scale, transitions, max_order, max_power, algorithm):
    """The kappa-interval on which no unexamined term (i > K or j > J) can lower e(kappa).

    Terms of order i > K cost at least K - 1; for batch reuse, terms of power j > J cost at
    least 1 + 2 (J + 1)(kappa - 1) (the alternating update has no power of eta above 1).
    Every function involved is piecewise linear, so checking between consecutive
    breakpoints is exact.
    """
    lines = list(exponent.args) if isinstance(exponent, sympy.Min) else [exponent]
    bounds = [sympy.Integer(max_order - 1)]
    if algorithm != "alternating":
        bounds.append(1 + 2 * (max_power + 1) * scale)
    far = lower + 1000
    points = {lower, far, *transitions}
    for line in lines:
        for bound in bounds:
            for root in sympy.solve(sympy.Eq(line, bound), KAPPA):
                if root.is_real and lower <= root <= far:
                    points.add(sympy.nsimplify(root))
    points = sorted(points)

    def ok(k):
        value = exponent.subs(KAPPA, k)
        return value <= max_order - 1 and all(b.subs(KAPPA, k) >= value for b in bounds[1:])

    start = end = None
    for left, right in pairwise(points):
        good = ok((left + right) / 2)
        if good and start is None:
            start = left
        if not good and start is not None:
            end = left
            break
    if start is None:
        return None
    return (start, sympy.oo if end is None else end)


def _log_region(lines, transitions, lower) -> tuple:
    """kappa-intervals where the minimum is attained only by i = 2 lines (d log d there).

    With i = 2 the drift is linear in m and the escape from m ~ d^{-1/2} carries the log d
    of online SGD with information exponent 2 (Ben Arous et al. 2021).
    """
    points = [lower, *transitions, sympy.oo]
    intervals: list[list] = []
    for start, end in pairwise(points):
        middle = start + 1 if end == sympy.oo else (start + end) / 2
        minimum = min(line.subs(KAPPA, middle) for line in lines.values())
        active = {order for (order, _), line in lines.items()
                  if line.subs(KAPPA, middle) == minimum}
        if active == {2}:
            if intervals and intervals[-1][1] == start:
                intervals[-1][1] = end
            else:
                intervals.append([start, end])
    return tuple(tuple(i) for i in intervals)

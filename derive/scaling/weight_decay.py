"""Phase diagram of the excess risk of diagonal (LASSO) and quadratic (nuclear-norm) networks
trained with weight decay on a power-law teacher.

Source: Defilippis, Xu, Girardin, Troiani, Erba, Zdeborova, Loureiro, Krzakala, ICLR 2026
(arXiv:2509.24882). What could be read of it (abstract, introduction): diagonal networks with
weight decay are LASSO on theta = a * w / sqrt(d), quadratic networks are nuclear-norm
matrix sensing, and the excess-risk exponent has a phase diagram in (sample complexity,
weight decay) with crossovers, plateaus and a link to the weight spectra. The phase rates
and boundaries were NOT reachable in the paper text; they are derived here and agree with
the project digest (THEORY.md section 7) except below the diagonal noise line for n_eff << d
(the 'interpolation' phase Delta/log(d/n_eff), below). The quadratic case (n_eff = n/d) is derived
separately (_quadratic_diagram) from the large-d limit of the nuclear-norm state evolution
(derive/scaling/nuclear.py): it confirms the slow, shrinkage, fast and parametric rates and
adds an interpolation phase (n_eff/d)^(2/5) from the semicircle bulk's hard edge; each phase
is checked numerically (tests/test_scaling_quadratic_phases.py).

Derivation (diagonal; conventions of solvers/lasso_se.py: penalty lambda sqrt(d) |theta|_1,
teacher theta*_k = k^-gamma, k = 1..d, noise Delta > 0 fixed, n_eff = n). At the
state-evolution fixed point each coordinate is soft-thresholded at t = lambda sqrt(d)/n_eff
under Gaussian noise of level s = tau / sqrt(n_eff), tau^2 = Delta + R. Coordinates above
max(t, s) are kept (cost t^2 + s^2 each), those below are killed (cost theta*_k^2), and when
t < s the coordinates below the noise leak s^2 each unless the l1 active-set constraint
(active set <= n when n < d) raises the effective threshold to ~ s sqrt(2 log(d/n)). With
K = number kept, the risk is the larger of

    tail  sum_{k > K} k^(-2 gamma)   ~ K^(1 - 2 gamma)            (integral test, sympy)
    head  K (t^2 + s^2)
    leak  (d - K) s^2                (only when t < s and n_eff > d)

Writing n_eff = d^a, lambda = d^b, every term is a power of d and the exponent of the risk is
piecewise linear in (a, b), computed below with sympy. Log factors (the
sqrt(2 log(d/n)) threshold) are flagged, never folded into exponents.

Below the noise line (t << s, n_eff << d) the fast rate does NOT hold: the l1 constraint pins
the threshold at alpha_min s with 2 Phi(-alpha_min) = n/d (alpha_min ~ sqrt(2 log(d/n))), the
noise coordinates just below it leak, and the fixed point tends to the minimum-l1
interpolator's R0 = Delta m/(n/d - m) ~ Delta/log(d/n_eff) (Wang, Donhauser, Yang 2022,
arXiv:2111.05987): the 'interpolation' phase, d-exponent 0 with a log factor. The fast rate
is reached only on the noise line, t ~ s sqrt(2 log(d/n)) (measured with
solvers/lasso_se_limit.py up to d = 1e40; DIAGONAL_CHECKS).

>>> diagram = phase_diagram("diagonal", 1, noise=1)
>>> [p.name for p in diagram.phases]
['plateau', 'slow', 'shrinkage', 'fast', 'interpolation', 'parametric']
>>> diagram.phase("fast").rate_text
'n_eff^(-1/2)'
>>> diagram.locate(sympy.Rational(1, 2), -1).rate_text
'Delta / log(d/n_eff)'
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sympy

from ..errors import DeriveError
from .sources import law, short
from .sums import head_order, tail_order

A = sympy.Symbol("a", real=True)          # n_eff = d^a
B = sympy.Symbol("b", real=True)          # lambda = d^b
N_EFF = sympy.Symbol("n_eff", positive=True)
LAM = sympy.Symbol("lambda", positive=True)
D = sympy.Symbol("d", positive=True)
DELTA = sympy.Symbol("Delta", positive=True)

MODELS = ("diagonal", "quadratic")


@dataclass(frozen=True)
class Phase:
    """One phase: its rate (risk ~ rate, a sympy expression in n_eff, lambda, d), the
    exponent of d of the risk in the (a, b) plane, and the region as inequalities in a, b."""

    name: str
    rate: sympy.Expr
    rate_text: str
    exponent: sympy.Expr                  # exponent of d of the risk, linear in a, b
    region: tuple[sympy.Expr, ...]        # relations in a, b that all hold in the phase
    region_text: str
    log_factor: bool
    description: str
    status: str
    source: str
    spectrum: str = ""

    def contains(self, a, b) -> bool:
        values = {A: sympy.nsimplify(a), B: sympy.nsimplify(b)}
        return all(bool(rel.subs(values)) for rel in self.region)

    def to_dict(self) -> dict:
        return {"name": self.name, "rate": self.rate_text, "sympy_rate": str(self.rate),
                "region": self.region_text,
                "d_exponent": str(self.exponent),
                "region_inequalities": [str(r) for r in self.region],
                "log_factor": self.log_factor, "description": self.description,
                "status": self.status, "source": self.source, "spectrum": self.spectrum}


@dataclass(frozen=True)
class PhaseDiagram:
    model: str
    gamma: sympy.Rational
    noise: sympy.Rational
    n_eff: str
    phases: tuple[Phase, ...]
    notes: tuple[str, ...]

    def phase(self, name: str) -> Phase:
        for p in self.phases:
            if p.name == name:
                return p
        raise KeyError(name)

    def locate(self, a, b) -> Phase | None:
        """The phase containing n_eff = d^a, lambda = d^b (None on a boundary)."""
        found = [p for p in self.phases if p.contains(a, b)]
        return found[0] if len(found) == 1 else None

    def exponent_at(self, a, b):
        phase = self.locate(a, b)
        return None if phase is None else phase.exponent.subs({A: a, B: b})

    def to_dict(self) -> dict:
        key = "weight-decay-diagonal" if self.model == "diagonal" else "weight-decay-quadratic"
        return {"model": self.model, "gamma": str(self.gamma), "noise": str(self.noise),
                "n_eff": self.n_eff,
                "conventions": ("teacher theta*_k = k^-gamma (diagonal) or eigenvalues k^-gamma "
                                "(quadratic); penalty lambda sqrt(d) |theta|_1 (diagonal); "
                                "exponents: n_eff = d^a, lambda = d^b, risk = d^d_exponent"),
                "phases": [p.to_dict() for p in self.phases],
                "law": law(key).to_dict(), "notes": list(self.notes)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _positive(value, what: str) -> sympy.Rational:
    try:
        v = sympy.nsimplify(sympy.Rational(str(value)))
    except (TypeError, ValueError, SyntaxError):
        raise DeriveError(f"{what} must be a number, got '{value}'") from None
    return v


def phase_diagram(model: str, gamma, noise=1) -> PhaseDiagram:
    """Phases of the excess risk in (n_eff, lambda) for gamma > 1/2 and noise Delta >= 0.

    >>> pd = phase_diagram("diagonal", sympy.Rational(3, 4), noise=sympy.Rational(1, 2))
    >>> pd.phase("slow").rate_text
    '(lambda sqrt(d)/n_eff)^(2/3)'
    >>> pd.locate(sympy.Rational(1, 2), -1).name
    'interpolation'
    >>> pd.locate(sympy.Rational(1, 2), sympy.Rational(-1, 4)).name
    'fast'
    """
    if model not in MODELS:
        raise DeriveError(f"--model must be one of {', '.join(MODELS)}, got '{model}'")
    gamma = _positive(gamma, "--gamma")
    noise = _positive(noise, "--noise")
    if not gamma > sympy.Rational(1, 2):
        raise DeriveError(f"--gamma must exceed 1/2 (a square-summable teacher), got {gamma}")
    if noise < 0:
        raise DeriveError(f"--noise must be >= 0, got {noise}")
    if model == "quadratic":
        return _quadratic_diagram(gamma, noise)
    source = short("Defilippis2025Scaling")
    status = "derived"
    noisy = noise > 0

    # exponents of d of the threshold t, the noise level s and the kept count K
    e_t = B + sympy.Rational(1, 2) - A
    tail = tail_order(2 * gamma).exponent                # sum_{k>K} k^-2gamma ~ K^tail
    e_k_slow = -e_t / gamma                               # K_t = t^(-1/gamma)
    slow = sympy.simplify(sympy.expand(sympy.Max(tail * e_k_slow, e_k_slow + 2 * e_t)))
    shrink = sympy.expand(1 + 2 * e_t)                    # all d kept: d t^2
    r = sympy.Symbol("r")
    if noisy:
        e_s = -A / 2                                      # s^2 = Delta / n_eff
        e_k_fast = -e_s / gamma                           # K_s = s^(-1/gamma)
        fast = sympy.expand(sympy.Max(tail * e_k_fast, e_k_fast + 2 * e_s))
        parametric = sympy.expand(1 + 2 * e_s)            # d s^2
        below_noise = (e_t <= e_s,)
        above_noise = (e_t > e_s,)
    else:
        # Delta = 0: s^2 = R / n_eff, and R ~ K_s s^2 ~ s^(2 - 1/gamma) solved for R = d^r
        fast = sympy.expand(sympy.solve(sympy.Eq(r, (1 - 1 / (2 * gamma)) * (r - A)), r)[0])
        e_s = (fast - A) / 2
        below_noise = (e_t <= e_s,)
        # for n_eff > d the noiseless fixed point has s = 0 (exact fit): no lower bound
        above_noise = (sympy.Or(e_t > e_s, A > 1),)

    t_text = "lambda sqrt(d)/n_eff"
    floor = ("sqrt(Delta n_eff / d)" if noisy else
             "n_eff^(1 - gamma) / sqrt(d) (for n_eff < d; no floor for n_eff > d)")
    phases = [
        Phase("plateau", sympy.Integer(1), "1", sympy.Integer(0), (e_t >= 0,),
              "lambda >~ n_eff / sqrt(d)", False,
              "every coordinate is thresholded away: the risk is |theta*|^2 (a plateau)",
              status, source),
        Phase("slow", (LAM * sympy.sqrt(D) / N_EFF) ** (2 - 1 / gamma),
              f"({t_text})^({2 - 1 / gamma})", slow,
              (e_t < 0, e_t > -gamma) + above_noise,
              (f"{floor} << lambda << n_eff / sqrt(d), lambda >> n_eff d^(-gamma-1/2)"),
              False,
              "regularisation-limited: the K ~ t^(-1/gamma) coordinates above t = lambda "
              "sqrt(d)/n_eff are kept and shrunk by t; the rest are killed", status, source),
        Phase("shrinkage", LAM**2 * D**2 / N_EFF**2, "lambda^2 d^2 / n_eff^2", shrink,
              (e_t <= -gamma,) + above_noise,
              f"{floor} << lambda <~ n_eff d^(-gamma-1/2) (needs n_eff >> d^(2 gamma))",
              False, "all d coordinates are kept; each is shrunk by t: risk d t^2", status, source),
    ]
    if noisy:
        phases.append(Phase(
            "fast", N_EFF ** (-(1 - 1 / (2 * gamma))), f"n_eff^(-{1 - 1 / (2 * gamma)})", fast,
            (sympy.Eq(e_t, e_s), A < 1),
            "on the noise line only: lambda ~ sqrt(Delta n_eff / d) sqrt(2 log(d/n_eff)), "
            "n_eff << d (the tuned lambda)", True,
            "noise-limited: the threshold sits at t ~ s sqrt(2 log(d/n)), s = "
            "sqrt(Delta/n_eff), just above the largest of the d noise coordinates; the "
            "coordinates above it are learned, risk n_eff^(-(1 - 1/(2 gamma))) up to log "
            "factors. The optimal lambda lies on this line (measured: t_opt / (s sqrt(2 "
            "log(d/n))) = 1.0-1.4); a constant factor below it (t = s) already gives the "
            "interpolation phase's risk", status, source))
        leak, leak_exponent = interpolation_leak(noise)
        phases.append(Phase(
            "interpolation", leak, "Delta / log(d/n_eff)",
            leak_exponent, (e_t < e_s, A < 1),
            "lambda << sqrt(Delta n_eff / d) and n_eff << d", True,
            "minimum-l1 interpolation of the noise: the l1 constraint (at most n active "
            "coordinates) pins the threshold at alpha_min s, 2 Phi(-alpha_min) = n/d, and the "
            "noise leaks through it: R -> Delta m/(n/d - m), m = 2((1 + alpha^2) Phi(-alpha) "
            "- alpha phi(alpha)), ~ Delta/log(d/n_eff) (basis pursuit / min-l1 "
            "interpolation: Wang, Donhauser, Yang, arXiv:2111.05987, Thm 1; the LASSO state "
            "evolution at lambda -> 0, Bayati-Montanari arXiv:1008.2581). The risk decays "
            "only logarithmically (d-exponent 0); the signal part s^(2 - 1/gamma) up to "
            "logs dominates until d is very large when n_eff is a small power of d",
            status, source + "; Wang, Donhauser, Yang 2022, arXiv:2111.05987"))
        phases.append(Phase(
            "parametric", D / N_EFF, "d / n_eff", parametric, below_noise + (A > 1,),
            "lambda <~ sqrt(Delta n_eff / d) and n_eff >> d", False,
            "every coordinate is fitted with noise s^2: Delta d / (n_eff - d) as lambda -> 0, "
            "with the interpolation peak at n_eff = d; for d < n_eff < d^(2 gamma) the risk "
            "jumps at t ~ s sqrt(2 log(d/K)) from d/n_eff to the fast rate, reached on that "
            "line only", status, source))
    else:
        phases.append(Phase(
            "fast", N_EFF ** (-(2 * gamma - 1)), f"n_eff^(-{2 * gamma - 1})", fast,
            below_noise + (A < 1,),
            "lambda <~ n_eff^(1 - gamma) / sqrt(d) and n_eff << d (noiseless)", True,
            "noiseless: the best K ~ n_eff-term approximation, risk ~ n_eff^(1 - 2 gamma)",
            status, source))
    notes = [
        ("exponents derived from the soft-threshold decomposition of the state-evolution "
         "fixed point (module docstring); the paper's own phase boundaries were not readable"),
        ("boundaries are up to constants and log factors; across a boundary the adjacent "
         "rates agree except at n_eff = d (interpolation peak; exact recovery without noise) "
         "and at the noise level for d < n_eff < d^(2 gamma), where the risk jumps "
         "(checked in tests/test_scaling_weight_decay.py)"),
    ]
    if noisy:
        notes += [
            ("differs from the earlier diagonal table and from THEORY.md section 7's summary: "
             "below the noise line (lambda << sqrt(Delta n_eff/d), n_eff << d) the risk is "
             "the min-l1 interpolator's Delta/log(d/n_eff) (phase 'interpolation', d-exponent "
             "0), not n_eff^(-(1 - 1/(2 gamma))); the fast rate holds only on the noise line "
             "with t ~ s sqrt(2 log(d/n_eff)), where the tuned lambda sits"),
        ]
        notes += ["checked (gamma = 1, Delta = 1): " + c for c in DIAGONAL_CHECKS]
    else:
        notes.append(
            "checked (large-d LASSO state evolution, lambda = 0, Delta = 0): the noiseless fast "
            "rate holds below the line (min-l1 recovery of the compressible teacher); local "
            "slopes in d at d = 1e16-1e20: -0.476 (gamma = 1, a = 0.5) vs -1/2, -0.951 (gamma = "
            "3/2, a = 0.5) vs -1, -1.352 (gamma = 3/2, a = 0.7) vs -7/5, approaching from above "
            "(log factors)")
    return PhaseDiagram(model, gamma, noise, "n", tuple(phases), tuple(notes))


def interpolation_leak(noise) -> tuple[sympy.Expr, sympy.Expr]:
    """Rate and d-exponent of the diagonal network below the noise line, derived with sympy.

    At lambda -> 0 with n < d the l1 constraint fills the active set: 2 Phi(-alpha) = delta
    = n/d (Bayati, Montanari 2012, arXiv:1008.2581, calibration at lambda = 0; alpha =
    threshold / noise level). The zero coordinates then leak
    m(alpha) = E[eta(Z; alpha)^2] = 2((1 + alpha^2) Phi(-alpha) - alpha phi(alpha)) each, and
    the fixed point tau^2 = Delta + tau^2 m/delta gives R0 = Delta m/(delta - m): the
    minimum-l1 interpolator's risk (Wang, Donhauser, Yang 2022, arXiv:2111.05987, Thm 1:
    sigma^2/log(d/n)). Two limits at alpha -> oo (Gruntz): alpha^2 m/delta -> 2 (so
    R0 ~ 2 Delta/alpha^2) and delta alpha e^(alpha^2/2) -> sqrt(2/pi) (so alpha^2/2 =
    log(1/delta) - log(alpha) + O(1) ~ log(d/n)); hence R0 ~ Delta/log(d/n_eff), and its
    exponent of d at n_eff = d^a (a < 1) is lim log(R0)/log(d) = 0 (a log, not a power).

    >>> interpolation_leak(1)
    (1/log(d/n_eff), 0)
    """
    alpha = sympy.Symbol("alpha", positive=True)
    upper_tail = sympy.erfc(alpha / sympy.sqrt(2)) / 2                     # Phi(-alpha)
    density = sympy.exp(-alpha**2 / 2) / sympy.sqrt(2 * sympy.pi)         # phi(alpha)
    delta = 2 * upper_tail
    m = 2 * ((1 + alpha**2) * upper_tail - alpha * density)
    leak_constant = sympy.limit(alpha**2 * m / delta, alpha, sympy.oo)     # R0 alpha^2/Delta
    mills = sympy.limit(delta * alpha * sympy.exp(alpha**2 / 2), alpha, sympy.oo)
    log_ratio = sympy.limit((alpha**2 / 2 + sympy.log(alpha) - sympy.log(mills)) / (alpha**2 / 2),
                            alpha, sympy.oo)                              # log(1/delta)/(alpha^2/2)
    rate = sympy.nsimplify(noise) * leak_constant * log_ratio / (2 * sympy.log(D / N_EFF))
    dd = sympy.Symbol("dd", positive=True)
    a = sympy.Rational(1, 2)                # any 0 < a < 1: the limit does not depend on it
    exponent = sympy.limit(sympy.log(rate.subs({N_EFF: dd**a, D: dd})) / sympy.log(dd),
                           dd, sympy.oo)
    return rate, exponent


#: what the LASSO state evolution measured below the noise line (solvers/lasso_se_limit.py,
#: gamma = 1, Delta = 1, n_eff = d^a, lambda = d^b; tests/test_scaling_diagonal_phases.py
#: asserts each at smaller sizes)
DIAGONAL_CHECKS = (
    ("large-d evaluation = finite-d state evolution to 6e-9 relative (d = 2000, 5000); at "
     "d = 20000, lambda = 0: R = 0.773, 0.543, 0.812 at n = 200, 1000, 5000"),
    ("below the line, t = s d^(-1/4) (b = a/2 - 3/4) and lambda = 0 give the same risks to 3 "
     "digits; local slopes of log R in log d at a = 0.5: -0.18, -0.17, -0.15, -0.12, -0.10 "
     "(d = 1e5 ... 1e10), then -0.059, -0.028, -0.018, -0.013 (d = 1e10 ... 1e40) -> 0, vs "
     "the earlier table's -1/4; a = 0.7: -0.13 ... -0.05, then -0.037 ... -0.013 vs -0.35; "
     "a = 0.3: -0.08 ... -0.13, then -0.12, -0.08, -0.035, -0.014 vs -0.15"),
    ("R / R0(n/d) with R0 = Delta m/(n/d - m) the pure-noise min-l1 value: a = 0.5: 1.35, "
     "1.04, 1.003, 1.000 (d = 1e10, 1e15, 1e20, 1e30); a = 0.7: 1.017, 1.001, 1.000; "
     "a = 0.3: 7.4, 2.9, 1.5, 1.03, 1.001 (d = 1e10 ... 1e40: the signal part dominates "
     "first); R log(d/n_eff) -> 1.02-1.03"),
    ("on the line t = s: same log behaviour (a = 0.5, local slopes -0.19 ... -0.11, "
     "d = 1e5 ... 1e10); optimal lambda (risk minimised over lambda at each d, d = 1e6 ... "
     "1e20): slopes -0.137, -0.232, -0.330 at a = 0.3, 0.5, 0.7 vs the fast exponents "
     "-0.15, -0.25, -0.35 (the sqrt(log) factor adds ~ +1/(2 ln d)); t_opt / (s sqrt(2 "
     "log(d/n))) = 1.0-1.4"),
    ("above the line the slow phase holds: t = s d^c, slopes in d (d = 1e20 ... 1e40) "
     "-0.200, -0.150 at a = 0.5, c = 0.05, 0.1 and -0.300, -0.250, -0.100 at a = 0.7, "
     "c = 0.05, 0.1, 0.25 vs the slow exponent b + 1/2 - a = c - a/2; 0 (plateau) for "
     "c - a/2 > 0"),
    ("other gamma (a = 0.5, t = s d^(-1/4)): R / R0 = 3.26, 1.11, 1.004, 1.000 (gamma = 3/4) "
     "and 1.027, 1.000, 1.000, 1.000 (gamma = 2) at d = 1e10, 1e20, 1e30, 1e40"),
)


#: what the finite-d and large-d state evolutions and the simulation measured, phase by
#: phase (gamma = 1 unless said, Delta = 1; tests/test_scaling_quadratic_phases.py and
#: tests/test_scaling_matrix_sensing.py assert each, at smaller sizes where needed)
QUADRATIC_CHECKS = (
    "plateau: R = 2 sum_k k^(-2 gamma) exactly (finite-d state evolution, d = 10)",
    "parametric: R = Delta D/(n - D), D = d(d+1)/2, exactly (least-squares limit, d = 20)",
    ("slow: slope of R in lambda 0.999-0.995 (large-d limit, d = 1e12, n_eff = d^0.6) vs "
    "2 - 1/gamma = 1; at d = 60, n_eff = 40 both the finite-d state evolution and the limit "
    "give 0.86 (risks within 1%): the bend is finite d, not another exponent"),
    ("shrinkage: slope of R in lambda 1.966 (finite-d, d = 16, n_eff = 1e5) vs "
    "2 t^2/(t^2 + s^2) -> 2; all 16 eigenvalues kept; R = 2 (d t^2 + |noise|^2) within 1.1%"),
    ("fast: slope in n_eff -0.736 to -0.740 (large-d limit, gamma = 2, d = 1e20, n_eff "
    "1e2-1e5, lambda -> 0) vs -3/4; on the line t = 2.5 s: -0.4995 (limit, d = 1e12) vs "
    "-1/2, -0.446 (finite-d, d = 80, n_eff 2-32; the limit at d = 80: -0.450, risks within 5%)"),
    ("interpolation: slope in n_eff 0.404, 0.420, 0.470 (large-d limit, gamma = 2, d = 1e12, "
    "n_eff = d^0.55 ... d^0.85, lambda -> 0; corrections O((n_eff/d)^(2/5))) vs 2/5; finite-d "
    "state evolution / limit 0.85-0.97 at d = 100 (n_eff 2-32) and 0.90 at d = 60, with the "
    "same number of surviving eigenvalues (37.75 vs 37.6)"),
    ("simulation (proximal gradient, Gaussian design, d = 20, 4 seeds, slow phase t = 3 s and "
    "6 s at n = 2D, t = 3 s at n = 4D): risk / state evolution 0.97, 1.04, 1.01; nonzero "
    "eigenvalues 4,4,4,3 / 1,1,1,1 / 5,6,4,6 vs kept outliers predicted 3 / 1 / 5"),
)


def _quadratic_diagram(gamma, noise) -> PhaseDiagram:
    """The quadratic network's phases, derived from the large-d limit of the nuclear-norm
    state evolution (derive.scaling.nuclear): threshold t = lambda sqrt(d)/(2 n_eff) and noise
    level s = sqrt((Delta + R)/(4 n_eff)) in units of the teacher's eigenvalues k^-gamma;
    outliers above the BBP threshold s play the LASSO coordinates' role, the semicircle bulk
    of radius 2 s the noise's, and the bulk's hard edge replaces the LASSO's
    s sqrt(2 log(d/n)) threshold, which gives the interpolation phase (n_eff/d)^(2/5).

    >>> pd = phase_diagram("quadratic", 1, noise=1)
    >>> [p.name for p in pd.phases]
    ['plateau', 'slow', 'shrinkage', 'fast', 'interpolation', 'parametric']
    >>> pd.locate(sympy.Rational(3, 4), -2).rate_text
    '(n_eff/d)^(2/5)'
    """
    from .nuclear import fast_exponent, interpolation_exponent, interpolation_onset

    source = short("Defilippis2025Scaling")
    status = "derived"
    e_t = B + sympy.Rational(1, 2) - A
    tail = tail_order(2 * gamma).exponent
    e_k_slow = -e_t / gamma
    slow = sympy.expand(sympy.Max(tail * e_k_slow, e_k_slow + 2 * e_t))
    shrink = sympy.expand(1 + 2 * e_t)
    noisy = noise > 0
    if noisy:
        e_s = -A / 2
        fast = fast_exponent(gamma)
        onset = interpolation_onset(gamma)
    else:
        r = sympy.Symbol("r")
        fast = sympy.expand(sympy.solve(sympy.Eq(r, (1 - 1 / (2 * gamma)) * (r - A)), r)[0])
        e_s = (fast - A) / 2
    below, above = (e_t <= e_s,), ((e_t > e_s,) if noisy else (sympy.Or(e_t > e_s, A > 1),))
    t_text = "lambda sqrt(d)/n_eff"
    floor = "sqrt(n_eff/d)" if noisy else "n_eff^(1 - gamma)/sqrt(d) (n_eff < d)"
    phases = [
        Phase("plateau", sympy.Integer(1), "1", sympy.Integer(0), (e_t >= 0,),
              "lambda >~ n_eff / sqrt(d)", False,
              "the threshold exceeds the top outlier 1 + s^2: the estimate is 0, R = 2 sum_k "
              "k^(-2 gamma)", status, source,
              "no eigenvalue survives (rank 0)"),
        Phase("slow", (LAM * sympy.sqrt(D) / N_EFF) ** (2 - 1 / gamma),
              f"({t_text})^({2 - 1 / gamma})", slow, (e_t < 0, e_t > -gamma) + above,
              f"{floor} << lambda << n_eff / sqrt(d), lambda >> n_eff d^(-gamma-1/2)", False,
              "regularisation-limited: the threshold t = lambda sqrt(d)/(2 n_eff) lies above "
              "the bulk edge 2 s; the K ~ t^(-1/gamma) outliers above it are kept and shrunk "
              "by t (cost t^2 + 2 s^2 each), the teacher eigenvalues below it are lost",
              status, source,
              "only the outliers above t survive (rank ~ t^(-1/gamma)); the whole bulk and "
              "the outliers between 2 s and t are thresholded away"),
        Phase("shrinkage", LAM**2 * D**2 / N_EFF**2, "lambda^2 d^2 / n_eff^2", shrink,
              (e_t <= -gamma,) + above,
              f"{floor} << lambda <~ n_eff d^(-gamma-1/2) (needs n_eff >> d^(2 gamma))", False,
              "s < d^-gamma: every teacher eigenvalue stands above the noise and above t; "
              "eta(Y) = Y - t I, risk 2 d (t^2 + s^2) ~ d t^2", status, source,
              "all d eigenvalues survive (full rank), each shifted down by t"),
    ]
    if noisy:
        phases.append(Phase(
            "fast", N_EFF ** (-(1 - 1 / (2 * gamma))), f"n_eff^(-{1 - 1 / (2 * gamma)})", fast,
            below + (A < onset,),
            f"lambda <~ sqrt(n_eff/d) and n_eff << d^({onset})", False,
            "noise-limited: the threshold sits at the bulk edge 2 s (pinned there by "
            "E[div eta] = n when lambda -> 0); the K ~ s^(-1/gamma) outliers are kept, the "
            "eigenvalues below the BBP threshold s are hidden in the bulk and lost; "
            "both cost s^(2 - 1/gamma)", status, source,
            "the outliers above the BBP threshold survive (rank ~ n_eff^(1/(2 gamma))) plus "
            "an edge sliver of the bulk that carries a smaller share of the risk"))
        phases.append(Phase(
            "interpolation", (N_EFF / D) ** sympy.Rational(2, 5), "(n_eff/d)^(2/5)",
            interpolation_exponent(), below + (A >= onset, A < 1),
            f"lambda <~ sqrt(n_eff/d) and d^({onset}) <~ n_eff << d", False,
            "bulk leak of the near-interpolating estimator: E[div eta] = n pins the "
            "threshold at 2 - delta (units of s) with (8/(15 pi)) d delta^(5/2) = n_eff; the "
            "bulk eigenvalues above it cost (32/(105 pi)) d s^2 delta^(7/2) ~ (n_eff/d)^(2/5), "
            "more than the outliers' s^(2 - 1/gamma); it rises to the interpolation peak at "
            "n = d(d+1)/2. The fast rate is reached only on the line t ~ 2 s", status, source,
            "the outliers plus the bulk's edge: ~ d^(2/5) n_eff^(3/5) pure-noise eigenvalues "
            "survive and carry the risk"))
        phases.append(Phase(
            "parametric", D / N_EFF, "d / n_eff", sympy.expand(1 - A), below + (A > 1,),
            "lambda <~ sqrt(n_eff/d) and n_eff >> d", False,
            "n > d(d+1)/2: the threshold can sit deep in the bulk; the whole noise matrix is "
            "kept, R = Delta D/(n - D) (D = d(d+1)/2) as lambda -> 0, the interpolation peak "
            "at n = D. For d < n_eff < d^(2 gamma) the risk falls from d/n_eff to the fast "
            "rate as t crosses the bulk edge 2 s (a jump in the exponent on that line)",
            status, source,
            "every eigenvalue survives (full rank): the semicircle bulk and the outliers"))
    else:
        phases.append(Phase(
            "fast", N_EFF ** (-(2 * gamma - 1)), f"n_eff^(-{2 * gamma - 1})", fast,
            below + (A < 1,),
            "lambda <~ n_eff^(1 - gamma) / sqrt(d) and n_eff << d (noiseless)", False,
            "noiseless: s^2 = R/(4 n_eff) and R ~ s^(2 - 1/gamma) give R ~ n_eff^(1 - 2 gamma); "
            "the bulk leak is smaller by (n_eff/d)^(2/5)", status, source,
            "the outliers above s survive (rank ~ n_eff)"))
    notes = [
        ("quadratic conventions: target y = sum_k k^-gamma He_2(v_k . x) + sqrt(Delta) xi "
         "(probabilists' He_2; eigenvalues sqrt(d) k^-gamma of the network's matrix), "
         "penalty lambda d |S|_* in these units (lambda sqrt(d) |S|_* in the solvers' units "
         "S* = diag(k^-gamma), label noise Delta/d, risk x d), n_eff = n/d; risk in units "
         "where the zero predictor's is 2 sum_k k^(-2 gamma)"),
        ("derived from the large-d limit of the nuclear-norm state evolution "
         "(derive/scaling/nuclear.py, solvers/matrix_sensing_limit.py): semicircle bulk of "
         "radius 2 s, BBP outliers theta + s^2/theta, hidden eigenvalues below s; the "
         "paper's own phase statements were not readable"),
        ("differs from the earlier analogy with the diagonal table: for lambda below the "
         "noise line and d^(a_c) < n_eff < d, a_c = 4 gamma/(14 gamma - 5) "
         f"(= {onset if noisy else '-'} here), the risk is (n_eff/d)^(2/5), not "
         "n_eff^(-(1 - 1/(2 gamma))); the threshold sits at the bulk's hard edge, so no "
         "log factor"),
        ("boundaries up to constants; the exponent jumps across t ~ 2 s (fast rate on the "
         "line, interpolation or parametric rate below it)"),
    ]
    notes += ["checked: " + c for c in QUADRATIC_CHECKS]
    return PhaseDiagram("quadratic", gamma, noise, "n/d", tuple(phases), tuple(notes))


def _check_head_tail_agree(gamma) -> bool:
    """Identity behind the slow phase: kept cost K t^2 and tail K^(1-2 gamma) have the same
    order when K = t^(-1/gamma) (both t^(2 - 1/gamma)).

    >>> _check_head_tail_agree(sympy.Rational(3, 4))
    True
    """
    t = sympy.Symbol("t", positive=True)
    kept = sympy.expand_power_base(t ** (-1 / gamma) * t**2)
    killed = sympy.expand_power_base((t ** (-1 / gamma)) ** tail_order(2 * gamma).exponent)
    return sympy.simplify(kept / killed) == 1 and head_order(0).exponent == 1

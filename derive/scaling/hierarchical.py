"""Scaling laws of hierarchical multi-index targets y = sum_k lambda_k sigma(z_k) (+ noise).

Sources (derive/data/scaling.toml): Defilippis, Krzakala, Loureiro, Maillard 2026
(arXiv:2602.05846) for the spectral estimator and its Bayes-optimal rate; Ren, Nichani, Wu,
Lee 2025 (arXiv:2504.19983) for online SGD. Only the abstracts and introductions of these
papers were reachable; the exponents are the project's digest (THEORY.md section 7),
re-derived here. What the engine derives beyond the digest is marked ``derived`` in the
output, with the argument in the docstrings below.

Setting: z_k = <v_k, x>, v_k orthonormal, x ~ N(0, I_d), lambda_k = k^-gamma, k = 1..P,
n samples, alpha = n/d. Hermite polynomials are the probabilists' ones (He_2 = z^2 - 1).

**Per-direction threshold** (the spectral order j*). For large k, lambda_k is small and the
other directions plus the label noise act on direction k as an independent smooth noise with
density q: p(y | z_k) = q(y - lambda_k sigma(z_k)). Expanding in lambda_k,

    E[He_2(z_k) | y] = sum_{j >= 1} (-lambda_k)^j / j! E[He_2(z) sigma(z)^j] q^(j)(y) / q(y) + ...

so the weak-recovery functional of a second-moment (spectral) method,
E_y[E[z_k^2 - 1 | y]^2], is Theta(lambda_k^(2 j*)) with

    j* = min{ j >= 1 : E[He_2(z) sigma(z)^j] != 0 } = min{ j : c_2(sigma^j) != 0 },

and the threshold n/d ~ 1/E_y[...] (THEORY.md section 5, single index) is Theta(lambda_k^(-2 j*))
= Theta(k^(2 gamma j*)). The engine computes j* from the Hermite coefficient c_2 of sigma^j
with its certificate (derive.hermite). For sigma with c_2 != 0 (He_2, relu, |z|) j* = 1 and
the threshold is the digest's n/d >~ k^(2 gamma); j* > 1 (odd links: tanh, He_3) is derived
here, not read in the paper. The linear component c_1 adds one aggregate direction
sum_k lambda_k v_k (E[x y] = c_1 sum_k lambda_k v_k), not the individual ones.

**Cascade.** k*(alpha) solves alpha = k^(2 gamma j*); the excess risk is the tail
sum_{k > k*} lambda_k^2 plus the cost of the learned directions, sum_{k <= k*}
lambda_k^2 (1 - m_k^2) with 1 - m_k^2 ~ alpha_k / alpha above threshold. Both sums are taken
by the integral test (derive.scaling.sums) and have the same order.

>>> s = hierarchical_scaling("He2(z)", 1)
>>> str(s.error_exponent), str(s.directions_learned_exponent), str(s.threshold_exponent)
('-1/2', '1/2', '2')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sympy

from ..errors import DeriveError
from .sources import law, short
from .sums import head_order, tail_order

ALPHA = sympy.Symbol("alpha", positive=True)   # n / d
K = sympy.Symbol("K", positive=True)
P = sympy.Symbol("P", positive=True)           # number of directions
#: highest power of sigma tried when looking for j*
MAX_SPECTRAL_ORDER = 6


@dataclass(frozen=True)
class Regime:
    """One regime of the learning curve: where it holds, the error's exponent of n/d."""

    name: str
    region: str
    error_exponent: sympy.Expr | None
    log_factor: bool
    description: str
    status: str          # "paper" (digest of the paper), "derived" (by the engine)
    source: str

    def to_dict(self) -> dict:
        return {"name": self.name, "region": self.region,
                "error_exponent": None if self.error_exponent is None
                else str(self.error_exponent),
                "log_factor": self.log_factor, "description": self.description,
                "status": self.status, "source": self.source}


@dataclass(frozen=True)
class SpectralOrder:
    """j* = min{j : c_2(sigma^j) != 0} with the evidence for every j tried."""

    value: int | None
    evidence: tuple[tuple[int, str, str], ...]    # (j, status of c_2(sigma^j), certificate)
    reason: str


@dataclass(frozen=True)
class OnlineSGDScaling:
    applies: bool
    why: str
    d_exponent: sympy.Expr | None          # samples scale as d^e times (n/d^e)
    directions_learned_exponent: sympy.Expr | None
    error_exponent: sympy.Expr | None
    source: str

    def to_dict(self) -> dict:
        def text(value):
            return None if value is None else str(value)
        return {"applies": self.applies, "why": self.why,
                "sample_scale": None if self.d_exponent is None else f"n / d^{self.d_exponent}",
                "directions_learned_exponent": text(self.directions_learned_exponent),
                "error_exponent": text(self.error_exponent), "source": self.source,
                "status": "derived from the digest n_p ~ d^(IE-1) / lambda_p"}


@dataclass(frozen=True)
class HierarchicalScaling:
    """Derived scaling laws of y = sum_k k^-gamma sigma(z_k) (+ noise).

    Exponents are sympy Rationals: ``threshold_exponent`` t (direction k is recovered at
    n/d ~ k^t), ``directions_learned_exponent`` (k* ~ (n/d)^that) and ``error_exponent``
    (excess risk ~ (n/d)^that) in the cascade regime; None where gamma <= 1/2 (no power
    law in n/d, see ``regimes``).
    """

    sigma: str
    gamma: sympy.Rational
    noise: sympy.Expr
    information_exponent: int | None
    generative_exponent: int | None
    hermite: tuple[tuple[int, float, str], ...]
    spectral_order: SpectralOrder
    threshold_exponent: sympy.Expr | None
    directions_learned_exponent: sympy.Expr | None
    error_exponent: sympy.Expr | None
    regimes: tuple[Regime, ...]
    online_sgd: OnlineSGDScaling
    source: str
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        def text(value):
            return None if value is None else str(value)
        return {
            "sigma": self.sigma, "gamma": str(self.gamma), "noise": str(self.noise),
            "convention": "probabilists' Hermite polynomials; lambda_k = k^-gamma; alpha = n/d",
            "information_exponent": self.information_exponent,
            "generative_exponent": self.generative_exponent,
            "hermite": [{"order": k, "value": v, "status": s} for k, v, s in self.hermite],
            "spectral_order": {"value": self.spectral_order.value,
                               "definition": "min j with E[He_2(z) sigma(z)^j] != 0",
                               "evidence": [{"j": j, "c2_status": st, "certificate": c}
                                            for j, st, c in self.spectral_order.evidence],
                               "reason": self.spectral_order.reason},
            "threshold_exponent": text(self.threshold_exponent),
            "threshold_meaning": "direction k is recovered once n/d >~ k^threshold_exponent",
            "directions_learned_exponent": text(self.directions_learned_exponent),
            "error_exponent": text(self.error_exponent),
            "regimes": [r.to_dict() for r in self.regimes],
            "online_sgd": self.online_sgd.to_dict(),
            "source": self.source,
            "laws": [law("hierarchical-spectral").to_dict(),
                     law("hierarchical-online-sgd").to_dict()],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _parse_gamma(gamma) -> sympy.Rational:
    try:
        value = sympy.nsimplify(sympy.Rational(str(gamma)))
    except (TypeError, ValueError, SyntaxError):
        raise DeriveError(f"--gamma must be a positive number, got '{gamma}'") from None
    if not value > 0:
        raise DeriveError(f"--gamma must be positive, got {value}")
    return value


def spectral_order(target, max_power: int = MAX_SPECTRAL_ORDER) -> SpectralOrder:
    """j* = min{j >= 1 : c_2(sigma^j) != 0}, c_2 the probabilists' Hermite coefficient.

    >>> from derive.target import parse_target
    >>> spectral_order(parse_target("He3(z)")).value     # E[He_2 He_3] = 0, E[He_2 He_3^2] != 0
    2
    """
    from ..hermite import hermite_expansion
    from ..target import Target

    evidence = []
    z = target.variables[0]
    for j in range(1, max_power + 1):
        power = Target(expression=sympy.expand(target.expression**j) if
                       target.expression.is_polynomial(z) else target.expression**j,
                       variables=(z,), text=f"({target.text})**{j}")
        c2 = hermite_expansion(power, max_order=2).coefficient(2)
        evidence.append((j, c2.status, c2.certificate.label))
        if c2.is_nonzero:
            return SpectralOrder(j, tuple(evidence), f"c_2(sigma^{j}) != 0 "
                                 f"({c2.certificate.label})")
        if not c2.is_zero:
            return SpectralOrder(None, tuple(evidence),
                                 f"c_2(sigma^{j}) undetermined ({c2.certificate.reason})")
    return SpectralOrder(None, tuple(evidence),
                         f"c_2(sigma^j) = 0 for j <= {max_power}: no second-moment signal found")


def cascade_exponents(gamma, j_star: int):
    """(threshold, directions-learned, error) exponents of the cascade, gamma > 1/2.

    Derived with sympy: k*(alpha) solves alpha = K^(2 gamma j*); the error is the larger
    of the tail sum_{k > K} k^(-2 gamma) and the learned-direction cost
    sum_{k <= K} k^(-2 gamma) k^(2 gamma j*) / alpha, both by the integral test.

    >>> cascade_exponents(sympy.Integer(1), 1)
    (2, 1/2, -1/2)
    >>> cascade_exponents(sympy.Rational(3, 2), 2)
    (6, 1/6, -1/3)
    """
    gamma = sympy.nsimplify(gamma)
    threshold = 2 * gamma * j_star                       # alpha_k ~ lambda_k^(-2 j*)
    # solved in logarithms: sympy.solve(K**t = alpha) stalls for fractional t (t = 14/3)
    k_star = sympy.solve(sympy.Eq(threshold * sympy.log(K), sympy.log(ALPHA)), K)[0]
    learned = sympy.nsimplify(sympy.simplify(
        sympy.expand_log(sympy.log(k_star), force=True) / sympy.log(ALPHA)))
    tail = tail_order(2 * gamma)                          # sum_{k>K} lambda_k^2
    head = head_order(2 * gamma - threshold)              # sum_{k<=K} lambda_k^2 alpha_k
    tail_in_alpha = tail.exponent * learned
    head_in_alpha = head.exponent * learned - 1           # divided by alpha
    error = sympy.Max(tail_in_alpha, head_in_alpha)
    return threshold, learned, sympy.nsimplify(error)


def _flat_spectrum_exponent(gamma, j_star: int):
    """gamma < 1/2, normalised sum_{k <= P} lambda_k^2 = 1 (Ren et al.'s normalisation):
    the scale of n/d on which the directions are learned, as a power of P."""
    normaliser = head_order(2 * gamma)                    # Z_P ~ P^(1 - 2 gamma)
    # threshold of direction k: (k^(2 gamma) Z_P)^j*; the last one, k = P:
    last = sympy.nsimplify(j_star * (2 * gamma + normaliser.exponent))
    first = sympy.nsimplify(j_star * normaliser.exponent)
    return first, last, normaliser.log_factor


def online_sgd_scaling(gamma, information_exponent: int | None, even: bool) -> OnlineSGDScaling:
    """Ren, Nichani, Wu, Lee 2025 (arXiv:2504.19983): even sigma with IE = k > 2.

    With the digest's transition sample size n_p ~ d^(k-1) / lambda_p = d^(k-1) p^gamma,
    k*_SGD ~ (n / d^(k-1))^(1/gamma) and the loss, the tail sum_{p > k*} p^(-2 gamma), is
    (n / d^(k-1))^(-(2 gamma - 1)/gamma) (sympy, integral test).

    >>> str(online_sgd_scaling(sympy.Integer(1), 4, True).error_exponent)
    '-1'
    """
    source = short("Ren2025")
    if information_exponent is None or information_exponent <= 2 or not even:
        why = ("the theorem assumes an even link with information exponent > 2; this link "
               + ("is not even" if not even else f"has IE = {information_exponent}"))
        return OnlineSGDScaling(False, why, None, None, None, source)
    if not gamma > sympy.Rational(1, 2):
        return OnlineSGDScaling(False, "gamma <= 1/2: no power law in the sample size",
                                None, None, None, source)
    learned = 1 / gamma
    error = tail_order(2 * gamma).exponent * learned
    return OnlineSGDScaling(True, f"even link, IE = {information_exponent} > 2",
                            sympy.Integer(information_exponent - 1), sympy.nsimplify(learned),
                            sympy.nsimplify(error), source)


def hierarchical_scaling(sigma, gamma, noise=None) -> HierarchicalScaling:
    """Scaling laws of y = sum_k k^-gamma sigma(z_k) (+ sqrt(noise) xi) for a link sigma in z.

    ``sigma`` is anything :func:`derive.analyze` accepts (expression, catalog name, Target).

    >>> s = hierarchical_scaling("relu(z)", sympy.Rational(3, 4))
    >>> s.spectral_order.value, str(s.error_exponent)
    (1, '-1/3')
    """
    from ..analysis import analyze

    gamma = _parse_gamma(gamma)
    analysis = analyze(sigma, noise=noise)
    target = analysis.target
    if not target.is_single_index:
        raise DeriveError(f"'{target.text}': the link sigma must be a function of z only "
                          f"(the directions z_k are added by the hierarchical model)")
    hermite = tuple((c.order, float(c.value), c.status) for c in analysis.hermite.coefficients
                    if c.order <= 6)
    order = spectral_order(target)
    ie = analysis.information_exponent.value
    ge = analysis.generative_exponent.value
    even = analysis.hermite.parity == 0          # derive.hermite: 0 even, 1 odd
    spectral = short("Defilippis2026")
    notes = []
    regimes = []
    threshold = learned = error = None
    if order.value is None:
        notes.append(f"spectral order undetermined: {order.reason}; no exponent is claimed")
    j_star = order.value
    status = "paper" if j_star == 1 else "derived"
    if j_star is not None and gamma > sympy.Rational(1, 2):
        threshold, learned, error = cascade_exponents(gamma, j_star)
        regimes.append(Regime(
            "plateau", "n/d below the first direction's threshold", sympy.Integer(0), False,
            "no direction recovered: the excess risk is E[y^2] minus what the aggregate linear "
            "component explains", "derived", spectral))
        regimes.append(Regime(
            "cascade", f"1 << n/d << P^{threshold}", error, False,
            f"direction k is recovered at n/d ~ k^{threshold}; k* ~ (n/d)^{learned} "
            f"directions learned; each recovery is a phase transition, their envelope the "
            f"power law (n/d)^({error})", status, spectral))
        # all P directions learned: error ~ sum_{k <= P} lambda_k^2 alpha_k / alpha
        regimes.append(Regime(
            "saturation", f"n/d >> P^{threshold}", sympy.Integer(-1), False,
            "all P directions recovered; the residual overlap error and the readout's "
            "estimation error decay as (n/d)^-1 (prefactor growing with P)",
            "derived", spectral))
    elif j_star is not None:
        first, last, log = _flat_spectrum_exponent(gamma, j_star)
        notes.append("gamma <= 1/2: sum lambda_k^2 diverges; with the normalisation "
                     "sum_{k<=P} lambda_k^2 = 1 (Ren et al. 2025) there is no power law in n/d "
                     "as P grows")
        regimes.append(Regime(
            "flat spectrum", f"gamma = {gamma} <= 1/2", None, log,
            f"the first direction needs n/d ~ P^{first}, the last n/d ~ P^{last}"
            + (" (times log P factors)" if log else "") + "; in between the error is "
            f"1 - (k*/P)^(1 - 2 gamma), a function of n/d / P^{last} only", "derived", spectral))
    if j_star is not None and j_star > 1:
        notes.append(f"j* = {j_star}: sigma has no He_2 component; directions are separated "
                     f"only at order lambda_k^{j_star} (derived by the engine, not read in the "
                     f"paper; whether the spectral rate is then Bayes-optimal is undetermined)")
    if ie == 1:
        notes.append("IE = 1: the linear component recovers one aggregate direction "
                     "sum_k lambda_k v_k at n/d = O(1), not the individual directions")
    notes.append("generative exponent of sigma alone: " + (str(ge) if ge is not None else
                 "undetermined") + "; for large k the other directions act as smooth noise on "
                 "z_k, so the per-direction order is j*, not GE (derived)")
    if noise is not None and sympy.nsimplify(str(noise)) != 0:
        notes.append("label noise changes prefactors, not the exponents (it is part of the "
                     "smooth noise q acting on each direction)")
    return HierarchicalScaling(
        sigma=target.text, gamma=gamma, noise=target.noise, information_exponent=ie,
        generative_exponent=ge, hermite=hermite, spectral_order=order,
        threshold_exponent=threshold, directions_learned_exponent=learned,
        error_exponent=error, regimes=tuple(regimes),
        online_sgd=online_sgd_scaling(gamma, ie, even),
        source=f"{spectral}; {short('Ren2025')} (online SGD)", notes=tuple(notes))

"""The literature's theorems as data (derive/data/claims.toml), applied to a target.

Each claim reads one structural quantity of the target (information or generative exponent,
information or generative leap, the batch exponent of one giant step, whether the
linear-batch staircase completes, the weak-recovery class) and returns the predicted sample
complexity n ~ d^e with e a sympy Rational and the log factor as a separate flag. A claim
that does not apply says why. Adding a theorem is adding an entry to the data file.

>>> from derive import analyze
>>> [(p.key, str(p.d_exponent), p.log_factor) for p in predict(analyze("He3(z)"))][:2]
[('online-sgd', '2', False), ('csq-smoothed-sgd', '3/2', True)]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import sympy

from .errors import DeriveError

K = sympy.Symbol("k", positive=True, integer=True)


@dataclass(frozen=True)
class Claim:
    key: str
    algorithm: str
    quantity: str
    d_exponent: sympy.Expr
    log_factor: bool
    log_when: tuple[int, ...]
    applies: str
    statement: str
    source: str


@dataclass(frozen=True)
class Prediction:
    key: str
    algorithm: str
    d_exponent: sympy.Expr | None
    log_factor: bool
    source: str
    applies: bool
    why: str
    quantity_value: int | None = None

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "algorithm": self.algorithm,
            "d_exponent": None if self.d_exponent is None else str(self.d_exponent),
            "log_factor": self.log_factor,
            "source": self.source,
            "applies": self.applies,
            "why": self.why,
        }


@lru_cache(maxsize=1)
def _data() -> dict:
    text = resources.files("derive").joinpath("data/claims.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def claims() -> tuple[Claim, ...]:
    out = []
    for item in _data()["claim"]:
        # package data written by the developers, not user text
        exponent = sympy.sympify(item["d_exponent"], locals={"k": K, "Max": sympy.Max})
        out.append(Claim(
            key=item["key"], algorithm=item["algorithm"], quantity=item["quantity"],
            d_exponent=exponent, log_factor=bool(item.get("log_factor", False)),
            log_when=tuple(item.get("log_when", ())), applies=item["applies"],
            statement=item["statement"], source=item["source"],
        ))
    return tuple(out)


def bibliography() -> dict[str, dict]:
    """BibTeX entries and short citations keyed by BibTeX key."""
    return dict(_data()["bib"])


def short_source(source: str) -> str:
    bib = bibliography()
    return "; ".join(bib[key.strip()]["short"] if key.strip() in bib else key.strip()
                     for key in source.split(";"))


def _quantity(analysis, quantity: str) -> tuple[int | None, str]:
    """The value a claim needs, or None with the reason it is missing."""
    single = analysis.multi_index is None
    m = analysis.multi_index
    if quantity == "information_exponent":
        result = analysis.information_exponent
        return result.value, result.summary
    if quantity == "generative_exponent":
        result = analysis.generative_exponent
        return result.value, result.summary
    if quantity in ("information_leap", "generative_leap"):
        if single:
            result = (analysis.information_exponent if quantity == "information_leap"
                      else analysis.generative_exponent)
            return result.value, "single-index: leap = exponent"
        filtration = m.information if quantity == "information_leap" else m.generative
        reason = filtration.undetermined or filtration.stopped or ""
        return filtration.leap, reason or "filtration complete"
    if quantity == "one_step_batch_exponent":
        if single:
            value = analysis.information_exponent.value
            return value, "one step with n = d^IE learns the direction"
        for step in m.one_step:
            if step.dimension_learned == m.effective_dimension:
                return step.batch_exponent, f"batch d^{step.batch_exponent} learns all directions"
        return None, "no batch exponent up to the order computed learns every direction"
    if quantity == "linear_staircase":
        if single:
            ok = analysis.information_exponent.value == 1
            return (1 if ok else None), ("IE = 1" if ok else
                                         "the first step needs order > 1 (IE > 1)")
        f = m.linear_giant_steps
        if f.complete:
            return 1, f"{len(f.steps)} steps of batch O(d) learn all {f.effective_dimension} directions"
        return None, f.stopped or f.undetermined or "the staircase does not complete"
    if quantity == "weak_recovery":
        recovery = analysis.recovery()
        if recovery is None:
            return None, "weak-recovery threshold not computed for this target"
        if recovery.klass in ("trivial", "easy"):
            return 1, f"{recovery.klass}: alpha_c = {recovery.alpha_c_text}"
        return None, f"{recovery.klass}: {recovery.reason}"
    if quantity == "learning_rate_phase_alternating":
        from .lr_phase import learning_rate_phase

        try:
            phase = learning_rate_phase(analysis, "alternating")
        except DeriveError as exc:
            return None, str(exc)
        if phase.exponent is None or phase.valid_range is None or phase.valid_range[0] > 0:
            return None, phase.reason if phase.exponent is None else "e(0) not certified"
        value = int(phase.at(0))
        log = any(a <= 0 < b for a, b in phase.log_intervals)
        return value, f"e(kappa = 0) = {value} from e(kappa) = {phase.exponent}", log
    raise ValueError(f"unknown quantity {quantity}")


def predict(analysis) -> tuple[Prediction, ...]:
    """Apply every claim of the registry to an analysis."""
    out = []
    single = analysis.multi_index is None
    for claim in claims():
        source = short_source(claim.source)
        if claim.applies == "single-index" and not single and claim.quantity != "weak_recovery":
            out.append(Prediction(claim.key, claim.algorithm, None, claim.log_factor, source,
                                  False, "stated for single-index targets"))
            continue
        found = _quantity(analysis, claim.quantity)
        value, reason = found[0], found[1]
        if value is None:
            out.append(Prediction(claim.key, claim.algorithm, None, claim.log_factor, source,
                                  False, f"does not apply: {reason}"))
            continue
        exponent = sympy.nsimplify(claim.d_exponent.subs(K, value))
        log = claim.log_factor or value in claim.log_when or (len(found) > 2 and found[2])
        if claim.quantity in ("weak_recovery", "linear_staircase", "one_step_batch_exponent",
                              "learning_rate_phase_alternating"):
            why = f"{reason}; {claim.statement}"
        else:
            why = f"{claim.quantity.replace('_', ' ')} = {value}; {claim.statement}"
        out.append(Prediction(claim.key, claim.algorithm, exponent, log, source, True, why, value))
    return tuple(out)

"""The analysis of a target: the value every later stage (reports, predictions) reads.

>>> a = analyze("He3(z)")
>>> a.information_exponent.value, a.generative_exponent.value
(3, 1)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache

import sympy

from . import __version__
from .errors import DeriveError
from .exponents import (
    ConditionalMoment,
    ExponentResult,
    OrderEvidence,
    conditional_moments,
    generative_exponent,
    information_exponent,
)
from .multiindex import MultiIndexAnalysis, analyze_multi_index
from .thresholds import WeakRecovery, weak_recovery
from .hermite import DEFAULT_DIGITS, DEFAULT_ORDER, HermiteExpansion, hermite_expansion
from .piecewise import decompose
from .target import Target, parse_target


@dataclass(frozen=True)
class Analysis:
    """Hermite expansion and exponents of a target, with their certificates."""

    target: Target
    hermite: HermiteExpansion | None
    information_exponent: ExponentResult | None
    generative_exponent: ExponentResult | None
    notes: tuple[str, ...] = ()
    multi_index: MultiIndexAnalysis | None = None
    #: lambda_k^2 = E[E[h_k(z) | y]^2], k = 1..K, when asked for (single-index)
    conditional: tuple[ConditionalMoment, ...] | None = None
    #: weak-recovery class and threshold of optimal first-order methods (single-index)
    weak_recovery: WeakRecovery | None = None

    def recovery(self):
        """Weak-recovery analysis: single-index (computed with the analysis) or, for a
        polynomial target in two variables, the first step of the multi-index one (computed
        on demand, it costs seconds)."""
        if self.weak_recovery is not None:
            return self.weak_recovery
        inner = _monotone_inner(self.target)
        if inner is not None:
            found = inner[0].recovery()
            if found is not None:
                return _relabelled(found, *inner[1:])
        found = _two_index_recovery(self.target)
        if found is None:
            found = self._recovery_from_leap()
        return found

    def _recovery_from_leap(self):
        """Noiseless multi-index targets no threshold engine covers: the classes of the
        staircase steps from the generative filtration (:mod:`derive.thresholds_leap`)."""
        if self.multi_index is None or float(self.target.noise) > 0:
            return None
        from .thresholds_leap import recovery_from_leap

        return _with_radial_threshold(self.target,
                                      recovery_from_leap(self.target, self.multi_index))

    def grand_staircase(self):
        """Thresholds of every weak-recovery step (:mod:`derive.grand_staircase`), or None."""
        return _grand_staircase(self)

    @property
    def predictions(self):
        """Every claim of the registry applied to this target (:mod:`derive.claims`)."""
        from .claims import predict

        return predict(self)

    def weak_recovery_record(self) -> dict:
        """The ``weak_recovery`` JSON field (issue-4 format): the first step's class and
        alpha_c with every staircase step (``steps``, ``grand_staircase``); used by
        ``derive analyze --json`` and ``derive threshold --json``."""
        recovery = self.recovery()
        if recovery is None:
            return {
                "class": "undetermined", "alpha_c": None, "steps": [],
                "why": "weak-recovery thresholds are implemented for r = 1, for noisy targets "
                       "with r <= 3, for noiseless targets in two variables that are "
                       "polynomials of degree <= 2 in one variable, affine in one variable or "
                       "positively homogeneous, and for noiseless r = 3 quadratic forms, "
                       "monomials z1*z2*z3 and a*zi + (even rest); other noiseless continuous "
                       "targets with r <= 3 get the class of each step from their generative "
                       "filtration and the first easy step's alpha_c from level sets along "
                       "rays; both are undetermined here"}
        record = recovery.to_dict()
        staircase = self.grand_staircase()
        if staircase is not None:
            record["steps"] = [
                {"alpha_c": step.alpha_c, "dimension_added": step.dimension_added,
                 "error_bound": step.error_bound}
                for step in staircase.steps if step.klass in ("trivial", "easy")]
            record["grand_staircase"] = staircase.to_dict()
        return record

    def to_dict(self) -> dict:
        target = self.target.to_dict()
        out = {
            "target": target,
            "hermite": None if self.hermite is None else self.hermite.to_dict(),
            "information_exponent": _exponent_dict(self.information_exponent),
            "generative_exponent": _exponent_dict(self.generative_exponent),
        }
        if self.multi_index is not None:
            m = self.multi_index
            out["hermite"] = m.hermite_dict()
            target["effective_dimension"] = m.effective_dimension
            target["effective_basis"] = [[str(x) for x in v] for v in m.effective_basis]
            out["information_leap"] = m.information.to_dict()
            out["generative_leap"] = m.generative.to_dict()
            out["giant_step"] = m.giant_step_dict()
            out["coordinate_leap"] = m.coordinate.to_dict()
        else:
            target["effective_dimension"] = 1
            out.update(_single_index_leaps(self.information_exponent, self.generative_exponent))
        if self.conditional is not None:
            out["conditional_moments"] = [m.to_dict() for m in self.conditional]
        out["weak_recovery"] = self.weak_recovery_record()
        out["predictions"] = [p.to_dict() for p in self.predictions]
        out["notes"] = list(self.notes)
        out["version"] = __version__
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_latex(self) -> str:
        """A LaTeX fragment (paragraph, Hermite table, exponents, leaps) for documents."""
        from .latex import analysis_latex

        return analysis_latex(self)

    def plot_hermite(self):
        """Share of E[g^2] per probabilists' Hermite order (matplotlib Figure, as in reports)."""
        from .figures import hermite_figure

        return hermite_figure(self)

    def plot_link(self):
        """The link g(z), its Hermite sum and the Gaussian density (single-index targets)."""
        from .figures import link_figure

        return link_figure(self)

    def plot_lr_phase(self, algorithm: str = "alternating", student: str | None = None):
        """e(kappa) against kappa for eta = d^-kappa (:mod:`derive.lr_phase`), as in reports."""
        from .lr_phase import learning_rate_phase
        from .lr_phase_figure import learning_rate_phase_figure

        return learning_rate_phase_figure(learning_rate_phase(self, algorithm, student))

    def report(self, directory=None, pdf: bool = True):
        """Write (and compile) the LaTeX report of this analysis: :func:`derive.report.report`."""
        from .report import report

        return report(self, directory, pdf=pdf)

    def _repr_latex_(self) -> str:
        """One line of math for Jupyter (MathJax renders math mode, not tables)."""
        def show(result):
            return r"\text{undet.}" if result.value is None else str(result.value)

        return (f"$y = {sympy.latex(self.target.expression)}:\\quad "
                f"\\mathrm{{IE}} = {show(self.information_exponent)},\\ "
                f"\\mathrm{{GE}} = {show(self.generative_exponent)}$")


def _grand_staircase(analysis):
    from .grand_staircase import grand_staircase

    if analysis.target.is_single_index:
        return grand_staircase(analysis)
    inner = _monotone_inner(analysis.target)
    if inner is not None:
        found = inner[0].grand_staircase()
        if found is not None:
            return replace(found, target=str(analysis.target.expression),
                           reason=f"{_monotone_note(*inner[1:])}; {found.reason}")
    found = _two_index_staircase(analysis.target)
    if found is None:
        recovery = analysis._recovery_from_leap()
        if recovery is not None:
            from .thresholds_leap import staircase_from_leap

            found = staircase_from_leap(analysis.target, recovery)
            first = found.steps[0]
            if first.alpha_c is not None and first.error_bound != recovery.error_bound:
                # the first step's alpha_c came with an error bound (radial engine)
                found = replace(found, steps=(replace(first, error_bound=recovery.error_bound),
                                              *found.steps[1:]))
            steps = found.steps
            if (not found.complete and all(s.klass in ("trivial", "easy") and s.alpha_c is not None
                                           for s in steps)
                    and sum(s.dimension_added for s in steps) == len(found.variables)):
                if recovery.error_bound <= 1e-4 * recovery.alpha_c:
                    found = replace(found, complete=True,
                                    reason="every step's alpha_c is known (the easy first "
                                           "step's from the radial level-set engine)")
                else:
                    # top eigenvalues of F within the (wide) error count as one eigenspace:
                    # the directions of the first step are not resolved
                    found = replace(found, reason="the first step's alpha_c is known to "
                                    f"+- {recovery.error_bound:.1e} only, too coarse to resolve "
                                    "which directions it learns")
    return found


@lru_cache(maxsize=32)
def _monotone_inner(target: Target):
    """(analysis of h, h, phi in words) when a noiseless multi-index target is phi(h) with
    phi strictly monotone (:mod:`derive.monotone`: y has the level sets of h, so every
    weak-recovery step and threshold is h's), else None."""
    if target.is_single_index or float(target.noise) > 0:
        return None
    from .monotone import strip_monotone

    found = strip_monotone(target.expression)
    if found is None:
        return None
    inner, phi = found
    inner_target = replace(target, expression=inner, text=str(inner), name=None,
                           latex_name=None)
    return analyze(inner_target), inner, phi


def _monotone_note(inner, phi) -> str:
    return (f"y = phi(h) with h = {inner} and phi = {phi} strictly monotone: y has the level "
            "sets of h, so its thresholds are h's (derive.monotone)")


def _relabelled(recovery, inner, phi):
    """h's recovery as that of phi(h): the same classes, thresholds and directions; the
    optimal preprocessing is h's composed with phi^-1 (its callable is dropped)."""
    return replace(recovery, reason=f"{_monotone_note(inner, phi)}; {recovery.reason}",
                   preprocessing_matrix=None,
                   preprocessing=f"that of h at h = phi^-1(y): {recovery.preprocessing}")


@lru_cache(maxsize=32)
def _two_index_staircase(target: Target):
    from .grand_staircase import staircase_from_recovery

    recovery = _two_index_recovery(target)
    return None if recovery is None else staircase_from_recovery(target, recovery)


@lru_cache(maxsize=64)
def _two_index_recovery(target: Target):
    from .tensors import as_polynomial
    from .thresholds import weak_recovery_two_index

    used = tuple(v for v in target.variables if v in target.expression.free_symbols)
    noise = float(target.noise)
    if noise > 0 and 2 <= len(used) <= 3:
        from .thresholds_noisy import weak_recovery_noisy

        return weak_recovery_noisy(target.expression, used, noise)
    if noise > 0 or not 2 <= len(used) <= 3:
        return None
    if len(used) == 3:
        from .thresholds_structured import structured_recovery

        structured = structured_recovery(target.expression, used)
        if structured is not None:
            return structured
    poly = as_polynomial(sympy.expand(target.expression), used)
    if poly is None and len(used) == 2:
        from .thresholds_affine import affine_recovery

        affine = affine_recovery(target.expression, used)
        if affine is not None:
            return affine
        from .thresholds_homogeneous import homogeneous_recovery

        homogeneous = homogeneous_recovery(target.expression, used)
        if homogeneous is not None:
            return homogeneous
    if poly is None:
        from .thresholds_discrete import weak_recovery_discrete

        return weak_recovery_discrete(target.expression, used)
    if len(used) != 2:
        return None
    if poly is None or min(poly.degree(v) for v in used) > 2:
        return None
    return weak_recovery_two_index(target.expression, used)


@lru_cache(maxsize=64)
def _radial_recovery(target: Target, conditional_mean_zero: bool):
    """The first step by one-dimensional convolutions for products of one-variable factors
    (derive.thresholds_factored), else by level sets along rays (derive.thresholds_radial,
    or derive.thresholds_clipped when an outer clip gives the label atoms): noiseless
    continuous targets in 2 or 3 variables; None otherwise."""
    from .thresholds_clipped import clipped_recovery
    from .thresholds_factored import factored_recovery
    from .thresholds_radial import radial_recovery

    used = tuple(v for v in target.variables if v in target.expression.free_symbols)
    if float(target.noise) > 0 or not 2 <= len(used) <= 3:
        return None
    # a product of one-variable factors (clipped at 0): one-dimensional convolutions, to
    # ~1e-13 in well under a second (derive.thresholds_factored)
    factored = factored_recovery(target.expression, used,
                                 conditional_mean_zero=conditional_mean_zero)
    if factored is not None:
        return factored
    # an outer clip (relu, max/min with a constant) gives the label atoms, which the plain
    # radial engine does not integrate (derive.thresholds_clipped)
    clipped = clipped_recovery(target.expression, used,
                               conditional_mean_zero=conditional_mean_zero)
    if clipped is not None:
        return clipped
    return radial_recovery(target.expression, used,
                           conditional_mean_zero=conditional_mean_zero)


def _with_radial_threshold(target: Target, recovery):
    """The generative filtration's first step (``recovery``, or None) with alpha_c filled in
    by the radial level-set engine where that step is easy (or the filtration gave nothing).
    Trivial and hard first steps keep the filtration's certified class and skip the
    (seconds to a minute of) quadrature; a numeric class that contradicts the filtration's is
    not used, and the reason says so."""
    if recovery is not None and (recovery.klass != "easy" or recovery.alpha_c is not None):
        return recovery
    # an easy class from the filtration certifies E[z|y] = 0 (no order-1 label transform)
    radial = _radial_recovery(target, recovery is not None)
    if radial is None:
        return recovery
    if recovery is None:
        return radial
    if radial.klass != "easy":
        return replace(recovery, reason=f"{recovery.reason}; the radial level-set engine "
                                        f"gives no alpha_c here: {radial.reason}")
    reason = f"class from the generative filtration; {radial.reason}"
    if radial.error_bound > 1e-4 * radial.alpha_c:
        # too coarse to tell which eigenvalues of F tie: keep the filtration's directions
        return replace(recovery, alpha_c=radial.alpha_c, error_bound=radial.error_bound,
                       reason=reason + "; directions from the filtration (top eigenspace of "
                                       "F not resolved)", certificate=radial.certificate)
    following = recovery.following
    if radial.easy_dimension < recovery.easy_dimension:
        # the top eigenspace of F is a proper subspace of the filtration's easy step: the rest
        # of that step is learned later, conditioned on the label and the directions found
        # (its alpha_c from derive.grand_staircase_general / _pairs when they apply)
        from .certificates import Certificate
        from .grand_staircase import RecoveryStep

        rest = recovery.easy_dimension - radial.easy_dimension
        why = (f"the rest of the generative filtration's first easy step ({rest} of its "
               f"{recovery.easy_dimension} directions): the top eigenspace of F at the first "
               "threshold is smaller")
        following = (RecoveryStep("easy", None, 0.0, rest, (), Certificate("undetermined", why),
                                  why), *following)
    return replace(recovery, alpha_c=radial.alpha_c, error_bound=radial.error_bound,
                   easy_dimension=radial.easy_dimension, directions=radial.directions,
                   reason=reason, certificate=radial.certificate, following=following)


def _single_index_leaps(information: ExponentResult, generative: ExponentResult) -> dict:
    """For r = 1 the filtrations have one step: information leap = IE, generative leap = GE."""

    def leap(result: ExponentResult) -> dict:
        if result.value is None:
            return {"value": None, "steps": [], "undetermined": result.summary}
        return {"value": result.value, "steps": [{
            "order": result.value, "dimension_added": 1, "basis": [["1"]],
            "certificate": result.certificate, "why": result.summary}],
            "undetermined": None}

    ie = information.value
    one_step = []
    if ie is not None:
        one_step = [{"batch_exponent": ell, "dimension_learned": int(ell >= ie)}
                    for ell in range(1, ie + 1)]
    return {
        "information_leap": leap(information),
        "generative_leap": leap(generative),
        "giant_step": {
            "one_step": one_step,
            "multi_step_linear_batch": [{"step": 1, "dimension_learned": 1}] if ie == 1 else [],
            "source": "Dandi, Krzakala, Loureiro, Pesce, Stephan, JMLR 2024 (arXiv:2305.18270)",
        },
    }


def _multi_exponent(name: str, filtration) -> ExponentResult:
    """The first step's order of a filtration: the multi-index analogue of IE / GE."""
    if not filtration.steps:
        summary = filtration.undetermined or "no direction is revealed"
        return ExponentResult(name, None, 0, (), "undetermined: " + summary)
    step = filtration.steps[0]
    evidence = (OrderEvidence(step.order, "nonzero", step.certificate),)
    return ExponentResult(
        name, step.order, step.order, evidence,
        f"first directions revealed at order {step.order} ({step.dimension_added} "
        f"direction(s)); lower orders vanish",
    )


def _exponent_dict(result: ExponentResult | None) -> dict:
    if result is None:
        return {"value": None, "certificate": "undetermined", "reason": "not computed"}
    return result.to_dict()


def analyze(
    target: str | Target,
    max_order: int = DEFAULT_ORDER,
    noise: object | None = None,
    digits: int = DEFAULT_DIGITS,
    conditional: bool = False,
) -> Analysis:
    """Analyse a target given as text (``"relu(z)"``), a catalog name or a :class:`Target`.

    >>> analyze("relu(z)").information_exponent.value
    1
    """
    if isinstance(target, str):
        from .catalog import resolve

        target = resolve(target)
    if noise is not None:
        target = parse_target(target.text, noise=noise, name=target.name,
                              latex_name=target.latex_name, notes=target.notes)
    if not target.is_single_index:
        multi = analyze_multi_index(target, max_order=min(max_order, 8))
        return Analysis(
            target, None,
            _multi_exponent("information exponent", multi.information),
            _multi_exponent("generative exponent", multi.generative),
            (), multi,
        )
    z = target.variables[0]
    form = decompose(target.expression, z)
    expansion = hermite_expansion(target, max_order, digits, form=form)
    information = information_exponent(expansion)
    generative = generative_exponent(expansion, form, max_order, noise=target.noise)
    notes = []
    if (
        information.value is not None
        and generative.value is not None
        and generative.value > information.value
    ):  # pragma: no cover - a violated theorem means a bug, never a result to print
        raise AssertionError("generative exponent exceeds information exponent")
    if target.noise != 0:
        notes.append(
            f"label noise variance {target.noise}: Hermite coefficients are those of g "
            f"(E[xi He_k(z)] = 0); exponents are unchanged"
        )
    moments = None
    if conditional:
        moments = conditional_moments(expansion, form, max_order, noise=float(target.noise))
    analysis = Analysis(target, expansion, information, generative, tuple(notes), None, moments)
    return replace(analysis, weak_recovery=weak_recovery(analysis))


__all__ = ["Analysis", "analyze", "DeriveError", "sympy"]

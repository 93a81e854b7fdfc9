"""Weak-recovery classes from the generative filtration, where no threshold engine applies.

The grand staircase of Troiani et al. (AISTATS 2025, arXiv:2405.15480; THEORY.md §5)
conditions each step on the label and on the directions already learned, which is the
conditioning of the generative filtration (Damian, Lee, Bruna 2025, arXiv:2506.05500,
Def. 5; THEORY.md §4). The order k of a generative step fixes the class of the matching
recovery step:

- k = 1: E[T(y, z_S) z_perp] != 0 for some label transform T, so E[z_perp | y, z_S] is not
  identically 0: the directions are learned trivially (alpha_c = 0 for this step);
- k = 2: every order-1 moment vanishes for every T (the filtration's zero certificate), and
  E[T(y, z_S) He_2(z_perp)] != 0 for some T, i.e. G = E[z z^T - I | y, z_S] restricted to
  the perpendicular directions is not identically 0, so nu_1 = sup_M E[<M, G M G>] > 0 and
  the step is easy with a finite alpha_c = 1/nu_1, computed (noiseless, r <= 3) when the
  step leaves one direction, by derive.grand_staircase_general;
- k >= 3: E[z | .] = 0 and G = 0 identically (both certified): the step is hard, nothing
  more is learned at alpha = O(1).

Used for noiseless targets that none of the threshold engines of derive.thresholds*
covers (e.g. the staircase z1 + z1 z2 + z1 z2 z3, whose directions are all trivial,
max(z1, z2^2), trivial along e1 and then easy with alpha_c = 0.5070873, or
tanh(z1) tanh(z1 + z2), easy with alpha_c not computed: a first step). The certificates are
those of the filtration's steps; where the level-set computation of a later easy step
disagrees with the filtration's class, that step is undetermined.

>>> from derive.analysis import analyze
>>> analyze("z1 + z1*z2 + z1*z2*z3").recovery().klass
'trivial'
"""

from __future__ import annotations

from .certificates import UNDETERMINED, Certificate
from .grand_staircase import GrandStaircase, RecoveryStep
from .grand_staircase_general import fill_later_thresholds
from .thresholds import MultiWeakRecovery

_CLASS = {1: "trivial", 2: "easy"}


def _class(order: int) -> str:
    return _CLASS.get(order, "hard")


def _why(order: int) -> str:
    if order == 1:
        return ("E[z | y, z_S] is not identically 0, S the directions already learned "
                "(generative step of order 1): learned at any alpha > 0")
    if order == 2:
        return ("order 1 vanishes for every label transform and E[z z^T - I | y, z_S] does "
                "not, S the directions already learned (generative step of order 2): easy, "
                "alpha_c = 1/nu_1 finite; its value is not computed for this target class")
    return (f"orders 1 and 2 vanish for every label transform (generative step of order "
            f"{order}): hard, nothing more is learned at alpha = O(1)")


def _floats(basis) -> tuple:
    return tuple(tuple(float(x) for x in v) for v in basis)


def _steps(generative) -> tuple[RecoveryStep, ...]:
    steps = []
    for step in generative.steps:
        klass = _class(step.order)
        if klass == "hard":  # nothing is learned: the step's directions need order >= 3
            steps.append(RecoveryStep(klass, None, 0.0, 0, (), step.certificate,
                                      _why(step.order)))
            break
        steps.append(RecoveryStep(klass, 0.0 if klass == "trivial" else None, 0.0,
                                  step.dimension_added, _floats(step.basis), step.certificate,
                                  _why(step.order)))
    if generative.undetermined is not None and (not steps or steps[-1].klass != "hard"):
        steps.append(RecoveryStep("undetermined", None, 0.0, 0, (),
                                  Certificate(UNDETERMINED, generative.undetermined),
                                  f"the generative filtration is undetermined here: "
                                  f"{generative.undetermined}"))
    return tuple(steps)


def recovery_from_leap(target, multi) -> MultiWeakRecovery | None:
    """The first recovery step's class (and the later steps in ``following``) from the
    generative filtration of ``multi`` (a derive.multiindex.MultiIndexAnalysis); None
    when the filtration has no step to read."""
    steps = _steps(multi.generative)
    if not steps or steps[0].klass == "undetermined":
        return None
    first = steps[0]
    trivial = first.dimension_added if first.klass == "trivial" else 0
    easy = first.dimension_added if first.klass == "easy" else 0
    return MultiWeakRecovery(
        first.klass, first.alpha_c, 0.0, trivial, easy,
        first.why + " (class from the generative filtration)",
        first.directions, tuple(target.variables), following=steps[1:],
        certificate=first.certificate)


def staircase_from_leap(target, recovery: MultiWeakRecovery) -> GrandStaircase:
    """The grand staircase of classes, with alpha_c of every easy later step that leaves one
    direction (derive.grand_staircase_general); complete when every direction is learned by
    a trivial step or an easy step with its alpha_c."""
    steps = (RecoveryStep(recovery.klass, recovery.alpha_c, 0.0,
                          recovery.trivial_dimension + recovery.easy_dimension,
                          recovery.directions, recovery.certificate, recovery.reason),
             *recovery.following)
    steps = fill_later_thresholds(target, steps, "the generative filtration (order 2)")
    if all(s.klass == "trivial" for s in steps):
        return GrandStaircase(target.text, tuple(target.variables), steps, True,
                              "every step is trivial (generative steps of order 1)")
    blocked = next((s for s in steps if s.klass not in ("trivial", "easy")
                    or s.alpha_c is None), None)
    if blocked is None:
        learned = sum(s.dimension_added for s in steps)
        return GrandStaircase(target.text, tuple(target.variables), steps,
                              learned == len(target.variables),
                              "classes from the generative filtration; the easy later step's "
                              "alpha_c from the level sets of the augmented label")
    reason = {"easy": "an easy step's alpha_c is not computed for this target class",
              "hard": "a hard step: nothing more is learned at alpha = O(1)"}.get(
        blocked.klass, "the generative filtration is undetermined"
        if "generative filtration is undetermined" in blocked.why else blocked.why)
    return GrandStaircase(target.text, tuple(target.variables), steps, False, reason)

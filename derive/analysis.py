"""The analysis of a target: the value every later stage (reports, predictions) reads.

>>> a = analyze("He3(z)")
>>> a.information_exponent.value, a.generative_exponent.value
(3, 1)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sympy

from . import __version__
from .errors import DeriveError
from .exponents import ExponentResult, generative_exponent, information_exponent
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

    def to_dict(self) -> dict:
        target = self.target.to_dict()
        return {
            "target": target,
            "hermite": None if self.hermite is None else self.hermite.to_dict(),
            "information_exponent": _exponent_dict(self.information_exponent),
            "generative_exponent": _exponent_dict(self.generative_exponent),
            "notes": list(self.notes),
            "version": __version__,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def _repr_latex_(self) -> str:
        from .latex import analysis_latex

        return analysis_latex(self)


def _exponent_dict(result: ExponentResult | None) -> dict:
    if result is None:
        return {"value": None, "certificate": "undetermined", "reason": "not computed"}
    return result.to_dict()


def analyze(
    target: str | Target,
    max_order: int = DEFAULT_ORDER,
    noise: object | None = None,
    digits: int = DEFAULT_DIGITS,
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
        raise DeriveError(
            f"'{target.text}' is a multi-index target (r = {target.index_dimension}); its "
            f"Hermite tensors and leap filtrations are not implemented yet"
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
    return Analysis(target, expansion, information, generative, tuple(notes))


__all__ = ["Analysis", "analyze", "sympy"]

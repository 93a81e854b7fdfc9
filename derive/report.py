r"""The derivation of a target, written up as a LaTeX report and compiled to PDF.

``derive report TARGET`` writes ``report.tex``, ``refs.bib``, ``figures/*.pdf`` and (with a
TeX distribution) ``report.pdf``; ``derive report --catalog`` puts every catalog target in
one document, side by side. The document is assembled from sections; each section is

- one **partial template** in ``templates/latex/section_<name>.tex.j2`` (jinja2 with the
  LaTeX-safe delimiters ``((* *))``, ``((( )))``, ``((= =))``, :func:`derive.resources.
  latex_environment`), and
- one **data provider**: a function ``provide(context) -> dict | None`` that reads the
  :class:`~derive.analysis.Analysis` in ``context.analysis`` and returns the partial's
  variables, already LaTeX (numbers formatted, user text through
  :func:`derive.latex_text.literal`), or ``None`` when its data do not exist for this
  target. A ``None`` section is left out of the document: there is never a placeholder
  saying "not available".

The base document ``base.tex.j2`` (preamble, title, bibliography) is extended by
``report.tex.j2`` (one target) and ``catalog.tex.j2`` (every catalog target); both receive
the sections already rendered. Rendering checks that the variables a partial uses are
exactly the keys its provider returned (plus ``level``, the heading level), so a typo in
either fails loudly (``StrictUndefined`` catches the missing ones, the check the unused ones).

**Adding a section** (e.g. the learning-rate phase diagram, simulation evidence, solver
trajectories, scaling laws):

1. write ``templates/latex/section_<name>.tex.j2``; start with
   ``\((( level )))section{...}`` so it nests under a target in the catalog, cite with
   ``\citet{key}`` / ``\citep{key}`` (keys of ``derive/data/claims.toml``, add the BibTeX
   entry there), include figures with ``\includegraphics{((( figure )))}``;
2. write ``def _my_section(context) -> dict | None`` below: return None when the analysis
   (or the extra results in ``context.extras``, e.g. simulation evidence) has nothing to
   say; register figures with ``context.figure("name", callable_returning_a_Figure)``,
   which returns the path to put in the template, and record citations with
   ``context.cite("key")``;
3. add ``Section("<name>", _my_section)`` to :data:`SECTIONS` where it belongs in the order.

Output is deterministic: the same target gives a byte-identical ``report.tex`` (no dates,
sorted data, fixed number formats); figures are written without creation dates.

>>> from derive import analyze
>>> source = render_report(analyze("He3(z)"))
>>> [s.name for s in source.sections]
['target', 'hermite', 'exponents', 'thresholds', 'lr_phase', 'solver', 'predictions']
>>> "\\citet{BenArous2021}" in source.tex
True
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.meta
import sympy

from . import __version__
from .certificates import EXACT, SYMMETRY
from .errors import DeriveError
from .latex_text import display_math, figure_file, literal, math_name, prose
from .resources import latex_environment, template_root

#: at most this many non-zero multi-index coefficients are tabulated (all are in the JSON)
MAX_COEFFICIENT_ROWS = 30
#: an exact value longer than this (characters of LaTeX) is shown numerically in tables
MAX_EXACT_LENGTH = 60


# --------------------------------------------------------------------------- the pattern


@dataclass
class SectionContext:
    """What a data provider sees: the analysis, and where figures and citations go."""

    analysis: object
    #: prefix of figure file names (the catalog puts every target in one folder)
    prefix: str = ""
    #: results other stages computed for the report (simulation evidence, ...), by name
    extras: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    citations: list = field(default_factory=list)

    def figure(self, name: str, build: Callable) -> str:
        """Register a figure; returns its path relative to the report (``figures/x.pdf``)."""
        path = f"figures/{figure_file(self.prefix + name)}"
        self.figures[path] = build
        return path

    def cite(self, key: str) -> str:
        if key not in self.citations:
            self.citations.append(key)
        return key


@dataclass(frozen=True)
class Section:
    name: str
    provide: Callable[[SectionContext], dict | None]

    @property
    def template(self) -> str:
        return f"section_{self.name}.tex.j2"


@dataclass(frozen=True)
class RenderedSection:
    name: str
    tex: str


@dataclass(frozen=True)
class ReportSource:
    """Everything a report consists of before it is written: text, bibliography, figures."""

    tex: str
    bib: str
    figures: dict  # relative path -> callable returning a matplotlib Figure
    sections: tuple[RenderedSection, ...]
    stem: str = "report"


# --------------------------------------------------------------------------- formatting


def number(x, digits: int = 6) -> str:
    r"""A float as math-mode LaTeX: ``0.398942``, ``1.2\times 10^{-5}``.

    >>> number(0.3989422804), number(1.25e-7), number(0)
    ('0.398942', '1.25\\times 10^{-7}', '0')
    """
    x = float(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return r"\infty" if x > 0 else r"-\infty"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}g}"
    mantissa, exponent = f"{x:.{max(digits - 4, 2)}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else f"{mantissa}\\times {power}"


def _exact(value) -> str | None:
    if value is None:
        return None
    text = sympy.latex(value)
    return text if len(text) <= MAX_EXACT_LENGTH else None


def _certificate(label: str) -> str:
    return literal(label)


def _vector(v) -> str:
    """A basis vector as a combination of e_1 ... e_r."""
    def entry(x):
        x = sympy.sympify(x)
        return x.evalf(6) if x.has(sympy.Float) else x

    combination = sum((entry(x) * sympy.Symbol(f"e_{i + 1}") for i, x in enumerate(v)),
                      sympy.Integer(0))
    return sympy.latex(combination, full_prec=False)


# --------------------------------------------------------------------------- providers


def _target(context: SectionContext) -> dict:
    analysis = context.analysis
    target = analysis.target
    rows = []
    literature = dict(target.literature or {})
    checks = (
        ("information_exponent", "information exponent", analysis.information_exponent.value
         if analysis.multi_index is None else None),
        ("generative_exponent", "generative exponent", analysis.generative_exponent.value
         if analysis.multi_index is None else None),
        ("information_leap", "information leap",
         analysis.multi_index.information.leap if analysis.multi_index else None),
        ("generative_leap", "generative leap",
         analysis.multi_index.generative.leap if analysis.multi_index else None),
    )
    for key, label, derived in checks:
        if key in literature:
            rows.append({"quantity": label, "literature": str(literature[key]),
                         "derived": "undetermined" if derived is None else str(derived),
                         "agrees": derived == literature[key]})
    if "alpha_c" in literature:
        recovery = analysis.recovery()
        derived = None if recovery is None else recovery.alpha_c
        agrees = derived is not None and abs(derived - float(literature["alpha_c"])) <= \
            1e-4 * max(1.0, abs(float(literature["alpha_c"])))
        rows.append({"quantity": r"weak-recovery threshold $\alpha_c$",
                     "literature": number(literature["alpha_c"]),
                     "derived": "undetermined" if derived is None else number(derived),
                     "agrees": agrees})
    sources = []
    for key in str(literature.get("source", "")).split(";"):
        key = key.strip()
        if key and key in _bib():
            sources.append(context.cite(key))
    r = target.index_dimension
    return {
        "name": literal(target.name) if target.name else None,
        "display": display_math(target.expression, "y" if r > 1 else "g(z)"),
        "math_name": math_name(target.latex_name),
        "text": literal(target.text),
        "variables": (", ".join(sympy.latex(v) for v in target.variables) if r <= 4
                      else f"z_{{1}}, z_{{2}}, \\dots, z_{{{r}}}"),
        "r": r,
        "noise": None if target.noise == 0 else sympy.latex(target.noise),
        "notes": literal(target.notes) if target.notes else None,
        "literature": rows,
        "sources": sources,
    }


def _hermite(context: SectionContext) -> dict | None:
    analysis = context.analysis
    expansion = analysis.hermite
    if expansion is None:
        return None
    from .figures import hermite_figure, link_figure

    rows = []
    terms = []
    for c in expansion.coefficients:
        exact = _exact(c.exact)
        energy = math.factorial(c.order) * float(c.value) ** 2
        rows.append({
            "k": c.order,
            "exact": exact if exact is not None else (
                None if c.exact is None else r"\text{long; see JSON}"),
            "value": number(c.value, 10),
            "error": None if not c.error_bound else number(c.error_bound, 2),
            "energy": number(energy, 6) if c.status == "nonzero" else "0",
            "status": c.status,
            "certificate": _certificate(c.certificate.label),
        })
        if c.status == "nonzero":
            value = exact if exact is not None else number(c.value, 8)
            terms.append((value, c.order))
    shown = terms[:6]
    pieces = []
    for value, k in shown:
        negative = value.startswith("-")
        magnitude = value[1:].strip() if negative else value
        factor = "" if magnitude == "1" else magnitude + r"\,"
        sign = "- " if negative else ("+ " if pieces else "")
        pieces.append(f"{sign}{factor}\\He_{{{k}}}(z)")
    lines = [" ".join(pieces[i:i + 3]) for i in range(0, len(pieces), 3)] or ["0"]
    exact_norm = _exact(expansion.norm_squared_exact)
    residual_exact = expansion.parseval_residual_exact
    complete = residual_exact is not None and residual_exact == 0
    return {
        "max_order": expansion.max_order,
        "expansion": lines,
        "more_terms": len(terms) > len(shown) or not complete,
        "rows": rows,
        "method": literal(expansion.method),
        "parity": {1: "odd", 0: "even"}.get(expansion.parity),
        "norm": exact_norm if exact_norm is not None else number(expansion.norm_squared, 10),
        "norm_numeric": number(expansion.norm_squared, 10),
        "partial_sum": number(expansion.parseval_sum, 10),
        "residual": (_exact(residual_exact) if _exact(residual_exact) is not None
                     else number(expansion.parseval_residual, 3)),
        "residual_exact": _exact(residual_exact) is not None,
        "residual_numeric": number(expansion.parseval_residual, 3),
        "label": re.sub(r"[^A-Za-z0-9]", "", context.prefix) + "hermite",
        "complete": complete,
        "figure_hermite": context.figure("hermite", lambda: hermite_figure(analysis)),
        "figure_link": context.figure("link", lambda: link_figure(analysis)),
    }


def _hermite_multi(context: SectionContext) -> dict | None:
    analysis = context.analysis
    m = analysis.multi_index
    if m is None:
        return None
    from .figures import hermite_figure

    bounds = m.bounds or {}
    rows = []
    ordered = sorted(m.coefficients.items(), key=lambda item: (sum(item[0]), item[0]))
    for alpha, value in ordered[:MAX_COEFFICIENT_ROWS]:
        exact = None if alpha in bounds else _exact(value)
        rows.append({
            "alpha": "(" + ", ".join(map(str, alpha)) + ")",
            "order": sum(alpha),
            "exact": exact,
            "value": number(value, 8),
            "certificate": _certificate(f"numeric(bound={bounds[alpha]:.1g})" if alpha in bounds
                                        else EXACT),
        })
    rotation = None
    if m.rotation is not None:
        rotation = sympy.latex(m.rotation)
    return {
        "rows": rows,
        "omitted": max(0, len(ordered) - MAX_COEFFICIENT_ROWS),
        "total": len(ordered),
        "truncated": m.truncated,
        "max_order": m.max_order,
        "r": analysis.target.index_dimension,
        "rotation": rotation,
        "figure_hermite": context.figure("hermite", lambda: hermite_figure(analysis)),
    }


def _information_step(c, expansion) -> dict:
    """One order of the information-exponent derivation: the equation and why."""
    certificate = c.certificate
    k = c.order
    if c.status == "zero":
        if certificate.kind == SYMMETRY:
            parity = "odd" if expansion.parity == 1 else "even"
            other = "even" if parity == "odd" else "odd"
            why = (f"$g$ is {parity} and $\\mathrm{{He}}_{{{k}}}$ is {other}, so "
                   f"$g\\,\\mathrm{{He}}_{{{k}}}$ is odd and its Gaussian mean vanishes")
            return {"k": k, "equation": f"c_{{{k}}} = 0", "why": why,
                    "certificate": "symmetry"}
        if certificate.kind == EXACT:
            if "polynomial" in certificate.reason:
                why = (f"the basis change from monomials to Hermite polynomials leaves no "
                       f"$\\mathrm{{He}}_{{{k}}}$ term")
            else:
                why = (f"the closed form of $\\mathbb{{E}}[g(z)\\mathrm{{He}}_{{{k}}}(z)]/{k}!$ "
                       f"is identically $0$")
            return {"k": k, "equation": f"c_{{{k}}} = 0", "why": why,
                    "certificate": "exact-symbolic"}
        return {"k": k, "equation": f"\\lvert c_{{{k}}}\\rvert \\leq {number(certificate.bound or 0, 2)}",
                "why": "high-precision quadrature split at every kink of $g$, error-bounded",
                "certificate": _certificate(certificate.label)}
    if c.status == "nonzero":
        exact = _exact(c.exact)
        if exact is not None:
            return {"k": k, "equation": f"c_{{{k}}} = {exact} \\neq 0",
                    "why": "closed form", "certificate": "exact-symbolic"}
        return {"k": k, "equation": f"c_{{{k}}} = {number(c.value, 8)} \\neq 0",
                "why": f"quadrature, error ${number(c.error_bound, 2)}$ smaller than the value",
                "certificate": _certificate(certificate.label)}
    return {"k": k, "equation": f"c_{{{k}}} \\overset{{?}}{{=}} 0", "why": prose(certificate.reason),
            "certificate": "undetermined"}


_FLOAT = r"[-+]?(?:[0-9.]+(?:e[-+]?[0-9]+)?|inf)"


def _generative_step(evidence, expansion) -> dict:
    """One order of the generative-exponent derivation: the equation and why."""
    certificate = evidence.certificate
    k = evidence.order
    reason = certificate.reason
    lam = f"\\lambda_{{{k}}}^2"
    if evidence.status == "zero":
        if certificate.kind == SYMMETRY:
            why = (f"$g$ is even: $z\\mapsto -z$ leaves $y$ unchanged while $h_{{{k}}}$ "
                   f"changes sign, so $\\mathbb{{E}}[h_{{{k}}}(z)\\mid y] = 0$")
            return {"k": k, "equation": f"{lam} = 0", "why": why, "certificate": "symmetry"}
        if certificate.kind == EXACT:
            why = (f"$y$ takes finitely many values and "
                   f"$\\mathbb{{E}}[\\mathrm{{He}}_{{{k}}}(z)\\,\\mathbf{{1}}\\{{y = v\\}}] = 0$ "
                   f"exactly for each value $v$")
            return {"k": k, "equation": f"{lam} = 0", "why": why, "certificate": "exact-symbolic"}
        return {"k": k, "equation": f"\\lvert {lam}\\rvert \\leq {number(certificate.bound or 0, 2)}",
                "why": ("level-set formula integrated branch by branch in high precision, "
                        "split at the critical values of $g$"),
                "certificate": _certificate(certificate.label)}
    if evidence.status != "nonzero":
        return {"k": k, "equation": f"{lam} \\overset{{?}}{{=}} 0", "why": prose(reason),
                "certificate": "undetermined"}
    match = re.match(r"lambda_\d+\^2 >= \d+! c_\d+\^2 / E\[y\^2\] > 0", reason)
    if match:
        c = expansion.coefficients[k]
        value = _exact(c.exact) or number(c.value, 8)
        return {"k": k, "equation": (f"{lam} \\geq \\frac{{{k}!\\,c_{{{k}}}^2}}"
                                     f"{{\\mathbb{{E}}[y^2]}} > 0"),
                "why": (f"Cauchy--Schwarz with the test function $T(y) = y$, and "
                        f"$c_{{{k}}} = {value} \\neq 0$"),
                "certificate": _certificate(certificate.label)}
    match = re.match(rf"y determines z for labels in \(({_FLOAT}), ({_FLOAT})\)", reason)
    if match:
        low, high = (number(float(x)) for x in match.groups())
        return {"k": k, "equation": f"{lam} > 0",
                "why": (f"for labels in $({low}, {high})$, a set of positive probability, $y$ "
                        f"determines $z$, so $\\mathbb{{E}}[h_{{{k}}}(z)\\mid y] = h_{{{k}}}(z)$ "
                        f"there"),
                "certificate": _certificate(certificate.label)}
    match = re.match(r"lambda_\d+\^2 >= E\[y\^(\d+) h_\d+\]\^2", reason)
    if match:
        j = int(match.group(1))
        return {"k": k, "equation": (f"{lam} \\geq \\frac{{\\mathbb{{E}}[y^{j} h_{{{k}}}(z)]^2}}"
                                     f"{{\\mathbb{{E}}[y^{{{2 * j}}}]}} > 0"),
                "why": (f"Cauchy--Schwarz with $T(y) = y^{j}$, whose "
                        f"$\\mathrm{{He}}_{{{k}}}$ coefficient is non-zero"),
                "certificate": _certificate(certificate.label)}
    return {"k": k, "equation": f"{lam} > 0", "why": prose(reason),
            "certificate": _certificate(certificate.label)}


def _exponents(context: SectionContext) -> dict | None:
    analysis = context.analysis
    if analysis.multi_index is not None or analysis.hermite is None:
        return None
    expansion = analysis.hermite
    information = analysis.information_exponent
    generative = analysis.generative_exponent
    return {
        "ie": "\\text{undetermined}" if information.value is None else str(information.value),
        "ge": "\\text{undetermined}" if generative.value is None else str(generative.value),
        "ie_steps": [_information_step(expansion.coefficients[e.order], expansion)
                     for e in information.evidence],
        "ge_steps": [_generative_step(e, expansion) for e in generative.evidence],
        "ie_summary": prose(information.summary),
        "ge_summary": prose(generative.summary),
        "max_order": expansion.max_order,
        "noise": None if analysis.target.noise == 0 else sympy.latex(analysis.target.noise),
        "cite_ie": context.cite("BenArous2021"),
        "cite_ge": context.cite("Damian2024"),
    }


_FILTRATION_TEXT = {
    "information": ("Information leap (correlational queries, online SGD)",
                    r"$\tilde\zeta_{k,S}(z_S) = \mathbb{E}[y\,h_k(z_{S^\perp})\mid z_S]$"),
    "generative": ("Generative leap (statistical queries, batch reuse)",
                   r"$\zeta_{k,S} = \mathbb{E}[h_k(z_{S^\perp})\mid y, z_S]$"),
    "giant": ("Giant steps with batch $n = \\Theta(d)$",
              r"$\mathbb{E}[y\,z_{S^\perp}\mid z_S]$ (order 1 only)"),
}


def _filtration(f, kind: str) -> dict:
    title, quantity = _FILTRATION_TEXT[kind]
    steps = []
    for i, step in enumerate(f.steps, start=1):
        steps.append({
            "i": i,
            "order": step.order,
            "directions": ", ".join(_vector(v) for v in step.basis),
            "certificate": _certificate(step.certificate.label),
            "why": prose(step.certificate.reason),
        })
    if f.leap is not None:
        outcome = f"leap ${f.leap}$: all {f.effective_dimension} directions are learned"
    elif f.stopped:
        outcome = "stops short of the index space: " + prose(f.stopped)
    else:
        outcome = "undetermined: " + prose(f.undetermined or "")
    return {"title": title, "quantity": quantity, "steps": steps, "outcome": outcome,
            "learned": f.learned_dimension}


def _filtrations(context: SectionContext) -> dict | None:
    analysis = context.analysis
    m = analysis.multi_index
    if m is None:
        return None
    from .staircase import staircase_graph, to_tikz

    graph = staircase_graph({"correlational": m.information, "generative": m.generative,
                             "giant-step": m.linear_giant_steps},
                            analysis.target.index_dimension)
    one_step = [{"ell": s.batch_exponent, "learned": s.dimension_learned} for s in m.one_step]
    return {
        "effective_dimension": m.effective_dimension,
        "effective_basis": ", ".join(_vector(v) for v in m.effective_basis),
        "filtrations": [_filtration(m.information, "information"),
                        _filtration(m.generative, "generative"),
                        _filtration(m.linear_giant_steps, "giant")],
        "one_step": one_step,
        "coordinate_leap": None if m.coordinate.value is None else str(m.coordinate.value),
        "tikz": to_tikz(graph),
        "cite_dlb": context.cite("DamianLeeBruna2025"),
        "cite_abbe": context.cite("Abbe2023"),
        "cite_dandi": context.cite("Dandi2024"),
    }


def _thresholds(context: SectionContext) -> dict | None:
    analysis = context.analysis
    recovery = analysis.recovery()
    if recovery is None:
        return None
    from .thresholds import WeakRecovery

    single = isinstance(recovery, WeakRecovery)
    if recovery.klass == "trivial":
        alpha = "0"
    elif recovery.alpha_c is None:
        alpha = None
    elif getattr(recovery, "alpha_c_exact", None) is not None:
        alpha = sympy.latex(recovery.alpha_c_exact)
    else:
        alpha = (f"{number(recovery.alpha_c, 8)} \\pm {number(recovery.error_bound, 2)}"
                 if recovery.error_bound else number(recovery.alpha_c, 8))
    return {
        "single": single,
        "klass": recovery.klass,
        "alpha": alpha,
        "certificate": _certificate(recovery.certificate.label) if single else None,
        "evidence": prose(recovery.certificate.reason) if single else None,
        "reason": prose(recovery.reason),
        "preprocessing": prose(recovery.preprocessing) if single else None,
        "dimension": None if single else (recovery.trivial_dimension
                                          if recovery.klass == "trivial"
                                          else recovery.easy_dimension),
        "cite_troiani": context.cite("Troiani2025"),
        "cite_mondelli": context.cite("Mondelli2018"),
        "staircase": None if single else _staircase_rows(analysis),
    }


def _snapped(vector) -> tuple:
    """Float entries that are integers up to rounding, as integers (1.0 e_2 -> e_2)."""
    return tuple(int(round(float(x))) if abs(float(x) - round(float(x))) < 1e-9 else x
                 for x in vector)


def _staircase_rows(analysis) -> dict | None:
    """The grand staircase: one row per step (derive.grand_staircase)."""
    staircase = analysis.grand_staircase()
    if staircase is None or len(staircase.steps) < 2 and staircase.complete:
        return None
    rows = []
    for number_, step in enumerate(staircase.steps, 1):
        if step.alpha_c is None:
            alpha = "none"
        elif step.klass == "trivial":
            alpha = "$0$"
        else:
            alpha = f"${number(step.alpha_c, 8)}"
            alpha += f" \\pm {number(step.error_bound, 2)}$" if step.error_bound else "$"
        rows.append({"step": number_, "klass": step.klass, "alpha": alpha,
                     "directions": ", ".join(f"${_vector(_snapped(v))}$"
                                             for v in step.directions) or "--",
                     "why": prose(step.why)})
    return {"rows": rows, "complete": staircase.complete,
            "reason": prose(staircase.reason)}


_RATE_RULES = (
    ("alternating", "Alternating layer-wise SGD",
     r"The second layer takes a step of size $\eta$ on the sample before the first layer's step: "
     r"$\psi_\eta(y, b) = y\,\sigma'(b) + \eta\, y^2 \sigma(b)\sigma'(b)$, so the "
     r"$y^2$-term reaches the information exponent of $\sigma^{*2}$ at the price $\eta^2$."),
    ("batch-reuse", "Two steps on the same sample (batch reuse)",
     r"The first step, of size $\eta$, moves $\langle x, w\rangle$ by "
     r"$\eta \lVert x\rVert^2 y\,\sigma'(b) \approx \eta d\, y\,\sigma'(b)$; the second "
     r"step sees $\psi(y, b) = y\,\sigma'(b + \eta d\, y \sigma'(b))$, whose $j$-th term "
     r"$y^{j+1}$ costs $(\eta d)^{2j}$. This rule is derived from the framework; for "
     r"$\kappa < 1$ ($\eta d > 1$) the expansion does not apply and $e(1)$ is shown."),
)


def _interval_list(points) -> str:
    return ",\\ ".join(f"\\kappa = {sympy.latex(p)}" for p in points)


def _lr_phase(context: SectionContext) -> dict | None:
    """Learning-rate phase diagrams (derive.lr_phase) for single-index targets."""
    analysis = context.analysis
    if not analysis.target.is_single_index:
        return None
    from .lr_phase import learning_rate_phase
    from .lr_phase_figure import learning_rate_phase_figure

    rules, student = [], None
    for algorithm, title, description in _RATE_RULES:
        try:
            phase = learning_rate_phase(analysis, algorithm)
        except DeriveError:
            continue
        if phase.piecewise is None:
            continue
        student = phase.student
        if phase.valid_range is None:
            validity = "No range of $\\kappa$ is certified: orders not examined could lower $e$."
        else:
            low, high = phase.valid_range
            upper = "" if high == sympy.oo else f" \\le {sympy.latex(high)}"
            validity = (f"Certified for ${sympy.latex(low)} \\le \\kappa{upper}$: the orders "
                        f"and powers not examined cannot lower $e$ there.")
        rules.append({
            "title": title,
            "description": description,
            "exponent": sympy.latex(phase.piecewise),
            "transitions": _interval_list(phase.transitions),
            "validity": validity,
            "figure": context.figure(f"lr-phase-{algorithm}",
                                     lambda phase=phase: learning_rate_phase_figure(phase)),
        })
    if not rules:
        return None
    return {"rules": rules, "student": sympy.latex(_student_expression(student)),
            "cite": context.cite("Tsiolis2025")}


def _student_expression(text: str):
    from .target import parse_target

    return parse_target(text).expression


#: settings of the report's ODE run (relu committee with K = r units, random start)
SOLVER_SETTINGS = {"student": "relu", "lr": 0.5, "d": 1000, "time": 60.0, "points": 241}


def _solver(context: SectionContext) -> dict | None:
    """The generated sgd-ode of the target integrated from a random start (polynomial
    targets with r <= 3; derive.codegen)."""
    from .tensors import as_polynomial

    analysis = context.analysis
    target = analysis.target
    used = tuple(v for v in target.variables if v in target.expression.free_symbols)
    if not 1 <= len(used) <= 3 or as_polynomial(sympy.expand(target.expression), used) is None:
        return None
    if used != target.variables:
        return None
    from .codegen.generate import generate_solver, load_solver

    settings = SOLVER_SETTINGS
    width = len(used)
    try:
        source = generate_solver(target, "sgd-ode", settings["student"], width)
    except Exception:  # noqa: BLE001 - no closed form or unsupported: the section is left out
        return None
    module = load_solver(source, name="derive_generated_sgd_ode")
    result = module.integrate(lr=settings["lr"], time=settings["time"], d=settings["d"],
                              seed=0, points=settings["points"])
    import numpy as np

    times = np.array(result["t"])
    M, Q = np.array(result["M"]), np.array(result["Q"])
    norms = np.sqrt(np.einsum("tkk->tk", Q))
    overlaps = np.max(np.abs(M) / norms[:, :, None], axis=1)  # (t, r)
    rows = []
    for j in range(overlaps.shape[1]):
        crossed = overlaps[:, j] > 0.5
        rows.append({"direction": f"e_{{{j + 1}}}",
                     "time": (f"$t \\approx {times[int(np.argmax(crossed))]:.3g}$" if crossed.any()
                              else f"not within $t \\le {settings['time']:g}$")})

    def figure():
        from .figures import _matplotlib

        _, Figure = _matplotlib()
        fig = Figure(figsize=(5.2, 3.2))
        axis = fig.add_subplot()
        for j in range(overlaps.shape[1]):
            axis.plot(times, overlaps[:, j], label=f"$e_{j + 1}$")
        axis.set_xlabel("$t$ = samples / $d$")
        axis.set_ylabel("overlap")
        axis.set_ylim(0, 1.05)
        right = axis.twinx()
        right.plot(times, result["eps_g"], color="0.5", ls="--", label=r"$\epsilon_g$")
        right.set_ylabel(r"$\epsilon_g$")
        lines = axis.get_legend_handles_labels()
        extra = right.get_legend_handles_labels()
        axis.legend(lines[0] + extra[0], lines[1] + extra[1], fontsize=7, loc="center right")
        fig.tight_layout()
        return fig

    return {"student": r"\mathrm{relu}", "width": width, "lr": settings["lr"],
            "d": settings["d"], "time": f"{settings['time']:g}", "rows": rows,
            "figure": context.figure("sgd-ode", figure), "cite": context.cite("Saad1995"),
            "cite_goldt": context.cite("Goldt2019")}


def _validation(context: SectionContext) -> dict | None:
    """Simulation evidence (derive.validate) passed in ``context.extras["validation"]``."""
    runs = context.extras.get("validation")
    if not runs:
        return None
    from .claims import short_source
    from .validate import plot

    rows, skipped = [], []
    for evidence in runs.get("evidence", ()):
        prediction = evidence.prediction
        exponent = prediction.get("d_exponent")
        if evidence.fit is not None:
            predicted = ("--" if not exponent else "$d$" if sympy.sympify(exponent) == 1
                         else "$d^{" + sympy.latex(sympy.sympify(exponent)) + "}$")
            if prediction.get("log_factor"):
                predicted += " (log)"
            fit = evidence.fit
            measured = (f"$d^{{{fit.exponent:.2f}}}$, $[{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]$"
                        if math.isfinite(fit.exponent) else "no fit")
        else:
            predicted = ("$\\alpha_c = " + number(prediction["alpha_c"], 4) + "$"
                         if prediction.get("alpha_c") is not None else literal(
                             prediction.get("algorithm") or evidence.algorithm))
            measured = "overlaps (figure)"
        ds = sorted({p["d"] for p in evidence.points})
        run = f"$d \\in \\{{{', '.join(str(d) for d in ds)}\\}}$, {evidence.settings.get('replicas', '')} replicas"
        source = prediction.get("source") or ""
        key = evidence.algorithm.replace("_", "-")
        rows.append({
            "algorithm": literal(evidence.algorithm),
            "predicted": predicted,
            "measured": measured,
            "verdict": literal(evidence.verdict),
            "run": run,
            "figure": context.figure(f"validation-{key}", lambda e=evidence: plot(e)),
            "caption": literal(f"{evidence.algorithm} on {evidence.target}: {evidence.quantity}; "
                               f"prediction from {short_source(source) if source else 'the registry'}"),
        })
    for algorithm, reason in runs.get("skipped", ()):
        skipped.append(f"{literal(algorithm)} ({prose(reason)})")
    if not rows and not skipped:
        return None
    return {"rows": rows, "quick": bool(runs.get("quick")), "skipped": "; ".join(skipped)}


def _predictions(context: SectionContext) -> dict | None:
    from .claims import claims

    analysis = context.analysis
    predictions = analysis.predictions
    if not predictions:
        return None
    by_key = {c.key: c for c in claims()}
    quantity_name = {
        "information_exponent": r"\mathrm{IE}", "generative_exponent": r"\mathrm{GE}",
        "information_leap": r"\text{info.\ leap}", "generative_leap": r"\text{gen.\ leap}",
        "one_step_batch_exponent": r"\ell", "linear_staircase": None, "weak_recovery": None,
        "learning_rate_phase_alternating": r"e(\kappa{=}0)",
    }
    applied, skipped = [], []
    for p in predictions:
        claim = by_key[p.key]
        keys = [context.cite(k.strip()) for k in claim.source.split(";") if k.strip() in _bib()]
        cite = ", ".join(keys)
        if p.applies:
            name = quantity_name.get(claim.quantity)
            exponent = sympy.latex(p.d_exponent, fold_short_frac=True)
            applied.append({
                "algorithm": prose(p.algorithm),
                "quantity": (f"${name} = {p.quantity_value}$" if name else
                             ("$\\alpha > \\alpha_c$" if claim.quantity == "weak_recovery"
                              else "staircase completes")),
                "samples": f"d^{{{exponent}}}" if exponent != "1" else "d",
                "log": p.log_factor,
                "cite": cite,
            })
        else:
            skipped.append({"algorithm": prose(p.algorithm), "why": prose(p.why),
                            "cite": cite})
    return {"applied": applied, "skipped": skipped}


#: the sections of a report, in order (see the module docstring to add one)
SECTIONS: tuple[Section, ...] = (
    Section("target", _target),
    Section("hermite", _hermite),
    Section("hermite_multi", _hermite_multi),
    Section("exponents", _exponents),
    Section("filtrations", _filtrations),
    Section("thresholds", _thresholds),
    Section("lr_phase", _lr_phase),
    Section("solver", _solver),
    Section("predictions", _predictions),
    Section("validation", _validation),
)


# --------------------------------------------------------------------------- rendering


def _bib() -> dict:
    from .claims import bibliography

    return bibliography()


def bibtex() -> str:
    """``refs.bib``: every entry of the claims registry, sorted by key."""
    entries = _bib()
    return "\n\n".join(entries[key]["bibtex"].strip() for key in sorted(entries)) + "\n"


_RESERVED = {"level"}


def _environment() -> jinja2.Environment:
    return latex_environment()


def render_section(section: Section, data: dict, level: str = "") -> str:
    """Render one partial, checking that it uses exactly the provider's variables."""
    env = _environment()
    source = (template_root() / "latex" / section.template).read_text(encoding="utf-8")
    used = jinja2.meta.find_undeclared_variables(env.parse(source)) - set(env.globals)
    if used != set(data) | _RESERVED:
        raise AssertionError(  # a template and its provider disagree: a bug
            f"{section.template}: variables {sorted(used - set(data) - _RESERVED)} missing "
            f"from the provider, {sorted(set(data) - used)} unused")
    return env.get_template(section.template).render(**data, level=level)


def _sections(context: SectionContext, level: str = "") -> tuple[RenderedSection, ...]:
    out = []
    for section in SECTIONS:
        data = section.provide(context)
        if data is not None:
            out.append(RenderedSection(section.name, render_section(section, data, level)))
    return tuple(out)


def _title(target) -> str:
    name = math_name(target.latex_name)
    if name is not None:
        return f"${name}$"
    if target.name:
        return literal(target.name)
    return f"${sympy.latex(target.expression)}$"


def render_report(analysis, extras: dict | None = None) -> ReportSource:
    """The LaTeX source of the report of one analysis (nothing is written)."""
    context = SectionContext(analysis, extras=dict(extras or {}))
    sections = _sections(context)
    template = _environment().get_template("report.tex.j2")
    tex = template.render(title=_title(analysis.target), version=literal(__version__),
                          sections=[s.tex for s in sections])
    return ReportSource(tex, bibtex(), dict(context.figures), sections)


def _catalog_row(entry, analysis) -> dict:
    single = analysis.multi_index is None
    m = analysis.multi_index

    def show(value):
        return "--" if value is None else str(value)

    recovery = analysis.recovery()
    if recovery is None or (recovery.alpha_c is None and recovery.klass != "trivial"):
        alpha = "--" if recovery is None else recovery.klass
    elif recovery.klass == "trivial":
        alpha = "$0$"
    else:
        alpha = f"${number(recovery.alpha_c, 5)}$"
    return {
        "name": literal(entry.name),
        "target": f"${math_name(entry.target.latex_name) or sympy.latex(entry.target.expression)}$",
        "r": entry.target.index_dimension,
        "ie": show(analysis.information_exponent.value if single else m.information.leap),
        "ge": show(analysis.generative_exponent.value if single else m.generative.leap),
        "alpha": alpha,
        "samples": [(("$d$" if p.d_exponent == 1 else
                      "$d^{" + sympy.latex(p.d_exponent, fold_short_frac=True) + "}$")
                     + ("*" if p.log_factor else ""))
                    if p.applies else "--" for p in analysis.predictions],
    }


def render_catalog(max_order: int = 12) -> ReportSource:
    """One document with every catalog target: comparison tables, then each derivation."""
    import sys

    from tqdm import tqdm

    from .analysis import analyze
    from .catalog import entries
    from .claims import claims

    rows, blocks, figures = [], [], {}
    citations: list[str] = []
    for entry in tqdm(entries(), desc="catalog", unit="target", leave=False,
                      disable=not sys.stderr.isatty()):
        analysis = analyze(entry.target, max_order=max_order)
        rows.append(_catalog_row(entry, analysis))
        context = SectionContext(analysis, prefix=entry.name + "-", citations=citations)
        sections = _sections(context, level="sub")
        figures.update(context.figures)
        blocks.append({"name": literal(entry.name), "label": re.sub(r"[^A-Za-z0-9]", "", entry.name),
                       "sections": [s.tex for s in sections]})
    algorithms = [{"name": prose(c.algorithm), "key": c.key,
                   "cite": ", ".join(k.strip() for k in c.source.split(";"))} for c in claims()]
    template = _environment().get_template("catalog.tex.j2")
    tex = template.render(version=literal(__version__), rows=rows, targets=blocks,
                          algorithms=algorithms)
    return ReportSource(tex, bibtex(), figures, ())


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class ReportResult:
    directory: Path
    tex: Path
    pdf: Path | None
    compiled: bool
    tex_available: bool
    message: str
    excerpt: str = ""
    overfull: tuple[str, ...] = ()
    timings: dict = field(default_factory=dict)


def default_directory(target) -> Path:
    """``reports/<name>/``: the target's name, or a file-system-safe form of its expression
    (``He3(z)`` -> ``He3``, ``sign(z1*z2)`` -> ``sign_z1_z2``).

    >>> from derive.target import parse_target
    >>> str(default_directory(parse_target("He3(z)")))
    'reports/He3'
    """
    name = target.name or re.sub(r"\(z\)", "", target.text or str(target.expression))
    slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:60]
    return Path("reports") / (slug or "target")


def _replace(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, destination)


def write_report(source: ReportSource, directory, pdf: bool = True) -> ReportResult:
    """Write the .tex, refs.bib and figures to ``directory`` and compile when asked.

    Everything is produced in a build folder inside ``directory`` and moved into place one
    file at a time with :func:`os.replace`, so no output file is ever half-written.
    """
    import time

    from . import latexmk
    from .figures import save_pdf

    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DeriveError(f"cannot create output folder {directory}: {exc.strerror}")
    timings = {}
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=directory))
    try:
        stem = source.stem
        (build / f"{stem}.tex").write_text(source.tex, encoding="utf-8")
        (build / "refs.bib").write_text(source.bib, encoding="utf-8")
        (build / "figures").mkdir()
        start = time.perf_counter()
        for path in sorted(source.figures):
            save_pdf(source.figures[path](), build / path)
        timings["figures"] = time.perf_counter() - start
        tool = latexmk.available() if pdf else None
        compiled, excerpt, overfull, message = False, "", (), ""
        if pdf and tool is None:
            message = latexmk.how_to_compile(f"{stem}.tex")
        elif pdf:
            start = time.perf_counter()
            result = latexmk.compile_pdf(build, stem)
            timings["latex"] = time.perf_counter() - start
            compiled, excerpt, overfull = result.ok, result.excerpt, result.overfull
            if not compiled and (build / f"{stem}.log").exists():
                _replace(build / f"{stem}.log", directory / f"{stem}.log")  # for the user
        outputs = [f"{stem}.tex", "refs.bib"] + sorted(source.figures)
        if compiled:
            outputs.append(f"{stem}.pdf")
        for name in outputs:
            _replace(build / name, directory / name)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return ReportResult(directory, directory / f"{stem}.tex",
                        directory / f"{stem}.pdf" if compiled else None, compiled,
                        tool is not None, message, excerpt, tuple(overfull), timings)


class _PrerenderedFigure:
    """A figure already rendered to PDF bytes (the scaling-law figures), saved as is."""

    def __init__(self, data: bytes):
        self.data = data

    def savefig(self, path, **_options) -> None:
        Path(path).write_bytes(self.data)


def render_scaling_report(spec) -> ReportSource:
    """The report of a scaling-law file (:mod:`derive.scaling.targets`): one section per case."""
    from .scaling.sources import bibliography as scaling_bibliography
    from .scaling.targets import report_sections

    with tempfile.TemporaryDirectory() as folder:
        cases = report_sections(spec, folder, latex_prefix="figures/")
        figures = {}
        for case in cases:
            for name in case["figures"]:
                data = (Path(folder) / name).read_bytes()
                figures[f"figures/{name}"] = lambda data=data: _PrerenderedFigure(data)
    entries = dict(_bib())
    entries.update(scaling_bibliography())
    keys = sorted(scaling_bibliography())
    sections = [RenderedSection(f"scaling-{i + 1}", case["latex"]) for i, case in enumerate(cases)]
    template = _environment().get_template("scaling_report.tex.j2")
    tex = template.render(version=literal(__version__), keys=",".join(keys),
                          sections=[{"title": literal(case["title"]), "latex": case["latex"]}
                                    for case in cases])
    bib = "\n\n".join(entries[key]["bibtex"].strip() for key in sorted(entries)) + "\n"
    return ReportSource(tex, bib, figures, tuple(sections))


def is_scaling_file(path) -> bool:
    """A .toml file with [[hierarchical]] or [[weight_decay]] tables (a scaling-law file)."""
    import tomllib

    path = Path(path)
    if path.suffix.lower() != ".toml" or not path.is_file():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return "hierarchical" in data or "weight_decay" in data


def run_validations(analysis, quick: bool = True, seed: int = 0) -> dict:
    """Simulate the predictions that apply to ``analysis`` (for ``derive report --validate``).

    Single-index targets: online SGD and batch reuse; multi-index targets: repeated giant
    steps with batch 4d (as many steps as the linear staircase has). ``quick`` uses small d
    and few replicas (seconds to a minute); otherwise d up to 256 and 8 replicas.
    """
    from .validate import validate

    evidence, skipped = [], []
    if analysis.target.is_single_index:
        plans = [("online-sgd", {}), ("batch-reuse", {})]
        ds = (32, 64, 128) if quick else (32, 64, 128, 256)
    else:
        steps = max(1, len(analysis.multi_index.linear_giant_steps.steps)) \
            if analysis.multi_index is not None else 2
        plans = [("giant-step", {"steps": steps})]
        ds = (64, 128) if quick else (64, 128, 256)
    replicas = 4 if quick else 8
    applies = {p.key: p for p in analysis.predictions}
    from .validate import CLAIM_OF

    for algorithm, options in plans:
        claim = applies.get(CLAIM_OF[algorithm])
        if claim is None or not claim.applies:
            skipped.append((algorithm, claim.why if claim else "no registry entry"))
            continue
        try:
            evidence.append(validate(analysis, algorithm, ds=ds, replicas=replicas, seed=seed,
                                     **options))
        except DeriveError as exc:
            skipped.append((algorithm, str(exc)))
    return {"evidence": evidence, "skipped": skipped, "quick": quick}


def report(target, directory=None, pdf: bool = True, max_order: int = 12) -> ReportResult:
    """Analyse a target (text, catalog name, .toml file or :class:`~derive.target.Target`),
    write its report to ``directory`` (default ``reports/<name>/``) and compile it."""
    from .analysis import Analysis, analyze

    analysis = target if isinstance(target, Analysis) else analyze(target, max_order=max_order)
    directory = default_directory(analysis.target) if directory is None else Path(directory)
    return write_report(render_report(analysis), directory, pdf=pdf)

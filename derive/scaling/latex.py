"""LaTeX fragments of the scaling-law results (for ``--latex`` and the report engine).

User text is escaped (derive.latex.escape); sympy values go through sympy.latex; figure
paths (derive.latex_text.figure_file) are passed verbatim.

>>> from derive.scaling.hierarchical import hierarchical_scaling
>>> text = hierarchical_latex(hierarchical_scaling("He2(z)", 1))
>>> "(n/d)^{- \\\\frac{1}{2}}" in text
True
"""

from __future__ import annotations

import sympy

from ..latex import escape as _escape
from ..resources import latex_environment


def escape(text: str) -> str:
    r"""derive.latex.escape (which also prints < and > correctly in the OT1 encoding).

    >>> escape("1 << n")
    '1 \\textless{}\\textless{} n'
    """
    return _escape(text)


def _exponent(value) -> str:
    return "undetermined" if value is None else sympy.latex(value)


def hierarchical_latex(scaling, figure: str | None = None) -> str:
    """Fragment for one :class:`~derive.scaling.hierarchical.HierarchicalScaling`."""
    from ..target import parse_target

    regimes = [{"name": escape(r.name), "region": escape(r.region),
                "rate": ("$(n/d)^{" + sympy.latex(r.error_exponent) + "}$"
                         if r.error_exponent is not None else escape(r.description))}
               for r in scaling.regimes]
    sgd = scaling.online_sgd
    sgd_text = (f"loss $\\asymp (n/d^{{{sgd.d_exponent}}})^{{{sympy.latex(sgd.error_exponent)}}}$"
                f" ({escape(sgd.source)})" if sgd.applies else escape("not covered: " + sgd.why))
    fields = {
        "gamma": sympy.latex(scaling.gamma), "noise": sympy.latex(scaling.noise),
        "noisy": scaling.noise != 0,
        "sigma": sympy.latex(parse_target(scaling.sigma).expression),
        "ie": scaling.information_exponent if scaling.information_exponent is not None
        else "undetermined",
        "ge": scaling.generative_exponent if scaling.generative_exponent is not None
        else "undetermined",
        "j_star": scaling.spectral_order.value if scaling.spectral_order.value is not None
        else r"\text{undetermined}",
        "threshold": None if scaling.threshold_exponent is None
        else sympy.latex(scaling.threshold_exponent),
        "learned": _exponent(scaling.directions_learned_exponent),
        "error": _exponent(scaling.error_exponent),
        "status": "as stated in the source" if scaling.spectral_order.value == 1
        else "derived by the engine",
        "regimes": regimes, "sgd": sgd_text,
        "notes": [escape(n) for n in scaling.notes],
        "figure": figure,
        "source": escape(scaling.source),
    }
    return latex_environment().get_template("scaling_hierarchical.tex.j2").render(**fields)


def weight_decay_latex(diagram, figure: str | None = None) -> str:
    """Fragment for one :class:`~derive.scaling.weight_decay.PhaseDiagram`.

    >>> from derive.scaling.weight_decay import phase_diagram
    >>> "parametric" in weight_decay_latex(phase_diagram("diagonal", 1, 1))
    True
    """
    phases = [{"name": escape(p.name), "rate": sympy.latex(p.rate),
               "exponent": sympy.latex(p.exponent), "region": escape(p.region_text),
               "spectrum": escape(p.spectrum)}
              for p in diagram.phases]
    fields = {
        "model": escape(diagram.model.capitalize()), "gamma": sympy.latex(diagram.gamma),
        "noise": sympy.latex(diagram.noise),
        "n_eff": "n" if diagram.n_eff == "n" else "n/d",
        "status": "derived by the engine" if diagram.model == "diagonal"
        else "derived by the engine from the large-d nuclear-norm state evolution",
        "phases": phases, "notes": [escape(n) for n in diagram.notes],
        "spectra": any(p.spectrum for p in diagram.phases),
        "figure": figure,
        "source": escape(diagram.phases[0].source),
    }
    return latex_environment().get_template("scaling_weight_decay.tex.j2").render(**fields)

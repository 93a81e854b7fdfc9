"""TOML files of scaling-law cases, and the report sections they produce.

Format (see examples/hierarchical.toml): any number of ``[[hierarchical]]`` tables with
``sigma`` and ``gamma`` (optional ``name``, ``noise``, ``validate``, ``d``, ``directions``,
``seed``) and ``[[weight_decay]]`` tables with ``model``, ``gamma`` (optional ``noise``).
:func:`report_sections` turns a file into LaTeX fragments and the PDF figures they include,
for the report engine.

>>> spec = parse_scaling_text('[[weight_decay]]\\nmodel = "diagonal"\\ngamma = 1\\n')
>>> spec.weight_decay[0].model
'diagonal'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import DeriveError


@dataclass(frozen=True)
class HierarchicalCase:
    sigma: str
    gamma: str
    name: str | None = None
    noise: str | None = None
    validate: bool = False
    d: int = 400
    directions: int = 20
    seed: int = 0


@dataclass(frozen=True)
class WeightDecayCase:
    model: str
    gamma: str
    noise: str = "1"
    name: str | None = None


@dataclass(frozen=True)
class ScalingFile:
    hierarchical: tuple[HierarchicalCase, ...]
    weight_decay: tuple[WeightDecayCase, ...]


_H_KEYS = {"sigma", "gamma", "name", "noise", "validate", "d", "directions", "seed"}
_W_KEYS = {"model", "gamma", "noise", "name"}


def _case(cls, table: dict, allowed: set, where: str):
    unknown = set(table) - allowed
    if unknown:
        raise DeriveError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    missing = [k for k in ("gamma", "sigma" if cls is HierarchicalCase else "model")
               if k not in table]
    if missing:
        raise DeriveError(f"{where}: missing key(s) {', '.join(missing)}")
    values = {k: (str(v) if k in ("gamma", "noise") else v) for k, v in table.items()}
    return cls(**values)


def parse_scaling_text(text: str, origin: str = "scaling file") -> ScalingFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeriveError(f"{origin}: not valid TOML ({exc})") from None
    unknown = set(data) - {"hierarchical", "weight_decay"}
    if unknown:
        raise DeriveError(f"{origin}: unknown table(s) {', '.join(sorted(unknown))}")
    hier = tuple(_case(HierarchicalCase, t, _H_KEYS, f"{origin} [[hierarchical]] {i + 1}")
                 for i, t in enumerate(data.get("hierarchical", [])))
    wd = tuple(_case(WeightDecayCase, t, _W_KEYS, f"{origin} [[weight_decay]] {i + 1}")
               for i, t in enumerate(data.get("weight_decay", [])))
    if not hier and not wd:
        raise DeriveError(f"{origin}: no [[hierarchical]] or [[weight_decay]] table")
    return ScalingFile(hier, wd)


def load_scaling_file(path: str | Path) -> ScalingFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DeriveError(f"cannot read {path}: {exc.strerror}") from None
    return parse_scaling_text(text, origin=path.name)


def report_sections(spec: ScalingFile, figure_dir: str | Path,
                    latex_prefix: str = "") -> list[dict]:
    """One section per case: ``{"title", "latex", "figures": [file names], "data"}``.

    Figures are written (vector PDF) into ``figure_dir``; the LaTeX includes them as
    ``latex_prefix + name`` (the report puts them in ``figures/``).
    """
    from ..latex_text import figure_file
    from .figures import phase_diagram_pdf
    from .hierarchical import hierarchical_scaling
    from .latex import hierarchical_latex, weight_decay_latex
    from .weight_decay import phase_diagram

    figure_dir = Path(figure_dir)
    sections = []
    for i, case in enumerate(spec.hierarchical):
        scaling = hierarchical_scaling(case.sigma, case.gamma, noise=case.noise)
        figures = []
        data = scaling.to_dict()
        if case.validate:
            from .validate import validate_hierarchical

            validation = validate_hierarchical(scaling, d=case.d, directions=case.directions,
                                               seed=case.seed)
            name = figure_file(f"hierarchical-{i + 1}-risk")
            (figure_dir / name).write_bytes(validation.figure_pdf())
            figures.append(name)
            data["validation"] = validation.to_dict()
        latex = hierarchical_latex(scaling, figure=latex_prefix + figures[0]
                                   if figures else None)
        if case.validate:
            from ..latex_text import literal

            verdict = {True: "agrees", False: "disagrees", None: "undecided"}[validation.agrees]
            latex += ("\n\\paragraph{Simulation.} " + literal(
                f"d = {case.d}, P = {case.directions}, seed {case.seed}; verdict on the "
                f"exponent: {verdict}; {validation.reason}") + "\n")
        sections.append({"title": case.name or f"Hierarchical target {case.sigma}",
                         "latex": latex, "figures": figures, "data": data})
    for i, case in enumerate(spec.weight_decay):
        diagram = phase_diagram(case.model, case.gamma, noise=case.noise)
        name = figure_file(f"weight-decay-{i + 1}-{case.model}-phases")
        (figure_dir / name).write_bytes(phase_diagram_pdf(diagram))
        sections.append({"title": case.name or f"{case.model.capitalize()} network, weight decay",
                         "latex": weight_decay_latex(diagram, figure=latex_prefix + name),
                         "figures": [name], "data": diagram.to_dict()})
    return sections

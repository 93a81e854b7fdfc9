"""Running LaTeX on a generated document, safely, and reading its log.

``latexmk -pdf -interaction=nonstopmode -no-shell-escape`` when latexmk is installed;
otherwise the same runs by hand (pdflatex, bibtex, pdflatex twice). Shell escape is off and
kpathsea is told to open files only below the build folder (``openin_any=p``,
``openout_any=p``), so even a document that tried ``\\input{/etc/passwd}`` or ``\\write18``
could not read or run anything outside it. A failed run is summarised by the lines of the
log that say what went wrong (:func:`log_excerpt`), not the whole log.

>>> log_excerpt("This is pdfTeX\\n! Undefined control sequence.\\nl.12 \\\\foo\\n\\nOutput")
'! Undefined control sequence.\\nl.12 \\\\foo'
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: the command of the issue; -no-shell-escape is passed on to pdflatex by latexmk
LATEXMK = ["latexmk", "-pdf", "-interaction=nonstopmode", "-no-shell-escape"]
PDFLATEX = ["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "-halt-on-error"]
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class CompileResult:
    ok: bool
    pdf: Path | None
    command: str
    log: str
    excerpt: str
    overfull: tuple[str, ...]


def available() -> str | None:
    """``"latexmk"``, ``"pdflatex"`` (with bibtex) or None when no TeX is installed."""
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return "latexmk"
    if shutil.which("pdflatex") and shutil.which("bibtex"):
        return "pdflatex"
    return None


def how_to_compile(tex_name: str = "report.tex") -> str:
    """The one line a user without TeX is told."""
    return (f"no TeX found: install a TeX distribution (e.g. texlive-latex-recommended, "
            f"texlive-pictures, latexmk) and run 'latexmk -pdf -interaction=nonstopmode "
            f"-no-shell-escape {tex_name}' in the output folder")


def _environment() -> dict:
    env = dict(os.environ)
    env["openin_any"] = "p"
    env["openout_any"] = "p"
    env["shell_escape"] = "f"
    env.pop("TEXINPUTS", None)
    return env


def compile_pdf(folder: Path, stem: str = "report") -> CompileResult:
    """Compile ``folder/stem.tex`` in ``folder``; the result says whether a PDF came out."""
    folder = Path(folder)
    tool = available()
    if tool is None:
        raise FileNotFoundError("no TeX distribution found")
    env = _environment()
    if tool == "latexmk":
        runs = [LATEXMK + [f"{stem}.tex"]]
    else:
        runs = [PDFLATEX + [f"{stem}.tex"], ["bibtex", stem],
                PDFLATEX + [f"{stem}.tex"], PDFLATEX + [f"{stem}.tex"]]
    failed = False
    for run in runs:
        try:
            done = subprocess.run(run, check=False, cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            failed = True
            break
        # bibtex warns (exit 1) about harmless things; a missing PDF is what counts
        if done.returncode != 0 and run[0] != "bibtex":
            failed = True
            break
    log_path = folder / f"{stem}.log"
    log = log_path.read_text(encoding="latin-1") if log_path.exists() else ""
    pdf = folder / f"{stem}.pdf"
    ok = not failed and pdf.exists()
    return CompileResult(ok, pdf if ok else None, " ".join(runs[0]), log,
                         "" if ok else (log_excerpt(log) or "LaTeX stopped without a log"),
                         tuple(overfull_boxes(log)))


_ERROR_START = re.compile(r"^(! |.*LaTeX Error|.*Emergency stop|.*Fatal error|"
                          r"! ==> Fatal|.*not found\.|.*File `.*' not found)")


def log_excerpt(log: str, context: int = 2, limit: int = 40) -> str:
    """The error lines of a TeX log with the lines that locate them (``l.<n> ...``)."""
    lines = log.splitlines()
    keep: list[int] = []
    for i, line in enumerate(lines):
        if _ERROR_START.match(line):
            for j in range(i, min(len(lines), i + 1 + context)):
                if lines[j].strip() == "" and j > i:
                    break
                keep.append(j)
        elif re.match(r"^l\.\d+ ", line):
            keep.append(i)
    seen: list[int] = []
    for i in keep:
        if i not in seen:
            seen.append(i)
    return "\n".join(lines[i] for i in sorted(seen)[:limit])


def overfull_boxes(log: str) -> list[str]:
    r"""The ``Overfull \hbox`` warnings of a log, one line each.

    >>> overfull_boxes("Overfull \\hbox (12.0pt too wide) in paragraph at lines 3--4\nx")
    ['Overfull \\hbox (12.0pt too wide) in paragraph at lines 3--4']
    """
    return [line for line in log.splitlines() if line.startswith("Overfull \\hbox")]

"""LaTeX reports: sections, escaping of user text, determinism, compilation to PDF."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest
from conftest import ROOT, analysis_of, run_cli

from derive import analyze
from derive.latex_text import literal, math_name, prose
from derive.latexmk import log_excerpt
from derive.report import SECTIONS, SectionContext, render_report, render_section

HAVE_TEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None
needs_tex = pytest.mark.skipif(not HAVE_TEX, reason="pdflatex and pdftotext are not installed")


def pdf_text(path) -> str:
    """The PDF's text, NFC-normalised (accents set by TeX come out as combining marks)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------- sections


def test_single_index_sections_and_citations():
    source = render_report(analysis_of("He3(z)"))
    assert [s.name for s in source.sections] == [
        "target", "hermite", "exponents", "thresholds", "lr_phase", "solver", "predictions"]
    # the learning-rate phase diagram: e(kappa) = min(2, 1 + 2 kappa) for alternating SGD
    # on He_3, transition at kappa = 1/2 (Tsiolis et al. 2025, THEORY.md §6)
    assert r"2 \kappa + 1 & \text{for}\: \kappa < \frac{1}{2}" in source.tex
    assert "Tsiolis2025" in source.tex
    # every \cite key is a registry entry with BibTeX
    for key in ("BenArous2021", "Damian2024", "Troiani2025", "Lee2024"):
        assert key in source.tex and "@" in source.bib and f"{{{key}," in source.bib
    # IE = 3 and GE = 1 for He_3 (Ben Arous et al. 2021; Damian et al. 2024, THEORY.md §2-3)
    assert r"\min\{k\geq 1 : c_k \neq 0\} = 3" in source.tex
    assert r"\min\{k\geq 1 : \lambda_k^2 > 0\} = 1" in source.tex


def test_multi_index_sections_have_staircase_and_no_single_index_parts():
    source = render_report(analysis_of("z1 + z1*z2 + z1*z2*z3"))
    names = [s.name for s in source.sections]
    # the threshold section carries the class from the generative filtration (trivial in
    # all three directions, derive.thresholds_leap)
    assert names == ["target", "hermite_multi", "filtrations", "thresholds", "solver",
                     "predictions"]
    assert r"\begin{tikzpicture}" in source.tex
    assert "not available" not in source.tex
    # staircase: information leap 1 with three order-1 steps (Abbe et al. 2022; THEORY.md §4)
    assert source.tex.count("leap $1$: all 3 directions are learned") >= 2


def test_grand_staircase_rows():
    # z1^2 + 2 z2^2: z2 at alpha_c = 0.61572, then z1 at 1/2 (y and z2 fix z1^2)
    source = render_report(analysis_of("z1**2 + 2*z2**2"))
    assert "Grand staircase" in source.tex
    first, second = analysis_of("z1**2 + 2*z2**2").grand_staircase().steps
    assert f"{first.alpha_c:.7g}" in source.tex and "0.5" in source.tex  # values: test_grand_staircase


def test_two_index_threshold_section():
    # z1*z2: alpha_c ~ 0.59375 (Defilippis et al. 2025, THEORY.md §5)
    source = render_report(analysis_of("z1*z2"))
    assert "thresholds" in [s.name for s in source.sections]
    assert r"\alpha_c = 0.59375" in source.tex


def test_every_partial_uses_exactly_its_providers_variables():
    analysis = analysis_of("relu(z)")
    for section in SECTIONS:
        data = section.provide(SectionContext(analysis))
        if data is None:
            continue
        render_section(section, data)  # raises on a mismatch
        with pytest.raises(AssertionError, match="unused"):
            render_section(section, {**data, "unexpected": 1})


def test_report_tex_is_deterministic():
    first = render_report(analyze("sign(z)")).tex
    second = render_report(analyze("sign(z)")).tex
    assert first == second


# --------------------------------------------------------------------------- escaping


NASTY = r"\input{/etc/passwd} \write18{touch pwned} 100% a_b & c #1 ^~ café α <x>|"


def test_literal_prints_characters_not_commands():
    tex = literal(NASTY)
    assert r"\input" not in tex and r"\write18" not in tex
    assert "%" not in tex.replace(r"\%", "")
    assert math_name(r"\input{/etc/passwd}") is None
    assert math_name(r"\mathrm{He}_3") == r"\mathrm{He}_3"


def test_log_excerpt_keeps_only_the_error_lines():
    log = "\n".join(["This is pdfTeX"] + ["(some/file.sty)"] * 50 + [
        "! Undefined control sequence.", "l.42 \\foo", "", "Output written"])
    assert log_excerpt(log) == "! Undefined control sequence.\nl.42 \\foo"


@needs_tex
def test_user_text_is_escaped_and_shown_literally(tmp_path):
    name = r"\input{/etc/passwd} 50% a_b & #1 café α"
    notes = r"\write18{touch pwned} 100% x_y & z #2 ~^ über é"
    target = tmp_path / "nasty.toml"
    target.write_text(
        "expression = \"He3(z)\"\n"
        f"name = '''{name}'''\n"
        f"notes = '''{notes}'''\n"
        "latex_name = '\\input{/etc/passwd}'\n", encoding="utf-8")
    out = tmp_path / "out"
    done = run_cli("report", str(target), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "pwned").exists()
    text = " ".join(pdf_text(out / "report.pdf").split())
    assert name in text
    assert notes in text
    assert "root:" not in text  # /etc/passwd was not read


# --------------------------------------------------------------------------- compilation


@needs_tex
def test_pdf_contains_exponents_and_predictions_table(tmp_path):
    done = run_cli("report", "He3", "-o", str(tmp_path / "he3"))
    assert done.returncode == 0, done.stderr
    for name in ("report.tex", "report.pdf", "refs.bib", "figures/hermite.pdf",
                 "figures/link.pdf"):
        assert (tmp_path / "he3" / name).is_file(), name
    assert not list((tmp_path / "he3").glob(".build-*"))  # build folder removed
    text = pdf_text(tmp_path / "he3" / "report.pdf")
    flat = " ".join(text.split())
    # He_3: IE = 3, GE = 1 (THEORY.md §2-3); online SGD d^{IE-1} = d^2 (Ben Arous et al. 2021)
    assert re.search(r"IE = min\{k ≥ 1 : ck \S{0,2}= 0\} = 3", flat)
    assert re.search(r"GE = min\{k ≥ 1 : λ(2k|k2) > 0\} = 1", flat)
    assert "Predicted sample complexity" in flat
    assert "Ben Arous et al. (2021)" in flat and "References" in flat
    assert "online SGD, spherical single-index student IE = 3 d" in flat


@needs_tex
def test_same_target_gives_byte_identical_tex(tmp_path):
    for folder in ("a", "b"):
        assert run_cli("report", "sign(z1*z2)", "--no-pdf", "-o",
                       str(tmp_path / folder)).returncode == 0
    assert (tmp_path / "a" / "report.tex").read_bytes() == \
        (tmp_path / "b" / "report.tex").read_bytes()
    assert not (tmp_path / "a" / "report.pdf").exists()  # --no-pdf


def test_without_tex_writes_the_tex_and_says_how_to_compile(tmp_path):
    env = dict(os.environ)
    env["PATH"] = str(tmp_path / "empty")  # no pdflatex, no latexmk
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-m", "derive", "report", "He2", "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "report.tex").is_file()
    assert not (tmp_path / "out" / "report.pdf").exists()
    lines = [line for line in done.stdout.splitlines() if "latexmk" in line]
    assert len(lines) == 1 and "no TeX found" in lines[0]


@needs_tex
def test_latex_failure_shows_the_log_lines(tmp_path, monkeypatch):
    from derive import report as report_module

    source = render_report(analysis_of("He3(z)"))
    broken = report_module.ReportSource(source.tex.replace(r"\maketitle", r"\maketitle\nosuch"),
                                        source.bib, source.figures, source.sections)
    result = report_module.write_report(broken, tmp_path / "broken")
    assert not result.compiled and result.tex_available
    assert "Undefined control sequence" in result.excerpt
    assert len(result.excerpt.splitlines()) < 10
    assert (tmp_path / "broken" / "report.tex").is_file()


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    done = run_cli("report", "foo(z)", "-o", str(tmp_path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    done = run_cli("report")
    assert done.returncode == 2 and "TARGET or --catalog" in done.stderr


def test_plot_methods_return_figures():
    analysis = analysis_of("relu(z)")
    assert len(analysis.plot_hermite().axes) == 1
    assert len(analysis.plot_link().axes) == 1
    from derive.errors import DeriveError

    with pytest.raises(DeriveError):
        analysis_of("z1*z2").plot_link()


@pytest.mark.slow
@needs_tex
def test_catalog_report_compiles(tmp_path):
    done = run_cli("report", "--catalog", "-o", str(tmp_path / "catalog"))
    assert done.returncode == 0, done.stderr
    flat = " ".join(pdf_text(tmp_path / "catalog" / "report.pdf").split())
    # z1*z2: alpha_c ~ 0.59375 (Defilippis et al. 2025); annulus GE = IE = 4 (engine README)
    assert "product2 z1 z2 2 2 2 0.59375" in flat
    assert "annulus" in flat and "parity3" in flat


@needs_tex
def test_arbitrary_text_compiles(tmp_path):
    """literal() and prose() of random text (every ASCII character, some unicode) compile."""
    import random

    generator = random.Random(7)
    alphabet = [chr(c) for c in range(32, 127)] + list("éüßαΩ→≤ 😀\t")
    words = ["lambda_2^2", "E[z|y]", "c_k", "!=", ">=", "^", "_", "x^", "a_", "1e-5", "He_3",
             "sqrt(2)/pi", "|", "~", "\\", "{", "}", "%", "$", "#", "&"]
    texts = []
    for _ in range(300):
        pieces = [generator.choice(words) if generator.random() < 0.5 else
                  "".join(generator.choice(alphabet) for _ in range(generator.randint(1, 8)))
                  for _ in range(generator.randint(1, 8))]
        texts.append(" ".join(pieces))
    body = "\n\n".join(f"{literal(t)}\n\n{prose(t)}" for t in texts)
    (tmp_path / "t.tex").write_text(
        "\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}\n"
        f"{body}\n\\end{{document}}\n", encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "-no-shell-escape", "t.tex"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, log_excerpt(done.stdout)


@needs_tex
def test_scaling_file_report(tmp_path):
    """derive report on a scaling-law file: one section per case, its figures, the scaling
    sources in the bibliography, and a PDF (issue: 'derive report hierarchical.toml'; the
    figure paths once went through the text escaper and LaTeX could not read them)."""
    from derive.report import is_scaling_file, render_scaling_report, write_report
    from derive.scaling.targets import load_scaling_file

    path = ROOT / "examples" / "hierarchical.toml"
    assert is_scaling_file(path)
    source = render_scaling_report(load_scaling_file(path))
    assert source.tex.count("\\section{") == 4
    assert any(name.endswith("-phases.pdf") for name in source.figures)
    assert "@article{Defilippis2026," in source.bib or "{Defilippis2026," in source.bib
    result = write_report(source, tmp_path, pdf=True)
    assert result.tex.exists() and result.pdf is not None and result.pdf.exists()
    assert all((tmp_path / name).exists() for name in source.figures)


@pytest.mark.slow
def test_report_with_quick_validation(tmp_path):
    """derive report He3 --validate --quick: a simulation-evidence section with the
    online-SGD (d^2, Ben Arous et al. 2021) and batch-reuse (d, Lee et al. 2024) rows, their
    verdicts and their figures."""
    result = run_cli("report", "He3", "--validate", "--quick", "-o", str(tmp_path), "--no-pdf")
    assert result.returncode == 0, result.stderr
    tex = (tmp_path / "report.tex").read_text(encoding="utf-8")
    assert "Simulation evidence" in tex
    assert "online-sgd" in tex and "batch-reuse" in tex
    assert (tmp_path / "figures" / "validation-online-sgd.pdf").exists()
    assert any(v in tex for v in ("consistent", "inconclusive"))
    bad = run_cli("report", "He3", "--quick", "-o", str(tmp_path / "x"), "--no-pdf")
    assert bad.returncode == 2 and "--validate" in bad.stderr


def test_solver_section_shows_the_plateau():
    """He2 (information exponent 2) with a relu unit: from overlaps ~ d^-1/2 the ODE sits on
    the plateau M = 0 (a linearly unstable saddle) for a time ~ log d before escaping
    (Ben Arous et al. 2021: d log d samples); the section reports the escape time."""
    source = render_report(analysis_of("He2(z)"))
    assert "solver" in [s.name for s in source.sections]
    tex = next(s.tex for s in source.sections if s.name == "solver")
    assert r"t \approx" in tex and "Saad1995" in tex

"""The built-in catalog: every sourced literature value is recomputed by the engine."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest
import sympy

from derive.catalog import entries, resolve
from derive.target import Z

from conftest import ROOT, analysis_of

SINGLE = [e for e in entries() if e.target.is_single_index]


def test_catalog_size_and_names_unique():
    names = [e.name for e in entries()]
    assert len(names) >= 15
    assert len(set(n.lower() for n in names)) == len(names)


@pytest.mark.parametrize("entry", SINGLE, ids=lambda e: e.name)
def test_literature_exponents(entry):
    literature = entry.literature
    analysis = analysis_of(entry.name)
    if "information_exponent" in literature:
        assert analysis.information_exponent.value == literature["information_exponent"]
    if "generative_exponent" in literature:
        assert analysis.generative_exponent.value == literature["generative_exponent"]
    for order, text in literature.get("hermite", {}).items():
        expected = sympy.sympify(text)  # catalog data written by us, not user input
        c = analysis.hermite.coefficient(int(order))
        assert abs(float(c.value) - float(expected)) < 1e-25
        if c.exact is not None:
            assert sympy.simplify(c.exact - expected) == 0


MULTI = [e for e in entries() if not e.target.is_single_index]


def test_multi_index_entries_present():
    assert {e.name for e in MULTI} >= {"staircase3", "product2", "product3", "parity3"}
    assert resolve("product3").index_dimension == 3


@pytest.mark.parametrize("entry", MULTI, ids=lambda e: e.name)
def test_literature_leaps(entry):
    """Information and generative leaps recorded in the catalog (THEORY.md §4 sources)."""
    analysis = analysis_of(entry.name)
    m = analysis.multi_index
    if "information_leap" in entry.literature:
        assert m.information.leap == entry.literature["information_leap"]
    if "generative_leap" in entry.literature:
        assert m.generative.leap == entry.literature["generative_leap"]


def test_resolve_prefers_catalog_then_file_then_expression(tmp_path):
    assert resolve("He3").expression == Z**3 - 3 * Z
    assert resolve("he3").expression == Z**3 - 3 * Z
    assert resolve("z**2").expression == Z**2


@pytest.mark.slow
def test_wheel_ships_templates_and_catalog(tmp_path):
    """`pip install .` builds a wheel; it must carry the templates and the catalog data."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
         "-w", str(tmp_path), "-q"],
        check=True, capture_output=True, timeout=600,
    )
    (wheel,) = tmp_path.glob("derive-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "derive/templates/latex/analysis_summary.tex.j2" in names
    assert "derive/data/catalog.toml" in names
    assert "solvers/__init__.py" in names
    # the installed copy (not the checkout) finds its templates and catalog
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target),
         str(wheel), "-q"],
        check=True, capture_output=True, timeout=600,
    )
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import derive; "
        "assert derive.__file__.startswith(sys.argv[1]), derive.__file__; "
        "from derive.cli import main; sys.exit(main(['analyze', 'abs', '--latex']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(target)], capture_output=True, text=True,
        cwd=tmp_path, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "\\begin{tabular}" in result.stdout


@pytest.mark.parametrize("entry", [e for e in entries() if "alpha_c" in e.literature],
                         ids=lambda e: e.name)
def test_literature_thresholds(entry):
    """alpha_c recorded in the catalog: z^2 -> 1/2 (Mondelli-Montanari 2018), z1 z2 -> 0.59375
    (Defilippis et al. 2025)."""
    recovery = analysis_of(entry.name).recovery()
    assert recovery.alpha_c == pytest.approx(entry.literature["alpha_c"], abs=1e-4)


def test_catalog_names_are_not_expressions():
    """A name must never shadow an expression a user could mean (e.g. 'z2' the variable)."""
    from derive import DeriveError, parse_target

    for e in entries():
        with pytest.raises(DeriveError):
            parse_target(e.name)

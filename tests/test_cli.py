"""The command line as a user runs it: a subprocess, its stdout, stderr and exit code."""

from __future__ import annotations

import json

import pytest


def test_analyze_table(cli):
    result = cli("analyze", "He3(z)")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "information exponent: 3" in out
    assert "generative exponent:  1" in out
    assert "probabilists'" in out
    assert "Parseval" in out


def test_analyze_json_schema(cli):
    result = cli("analyze", "relu(z)", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    target = data["target"]
    assert target["expression"] == "relu(z)"
    assert target["variables"] == ["z"]
    assert target["index_dimension"] == 1
    assert target["noise"] == 0.0
    hermite = data["hermite"]
    assert hermite["max_order"] == 12
    coefficients = hermite["coefficients"]
    assert [c["order"] for c in coefficients] == list(range(13))
    for c in coefficients:
        assert set(c) >= {"order", "exact", "value", "error_bound", "certificate"}
        assert isinstance(c["value"], float) and isinstance(c["error_bound"], float)
        assert isinstance(c["certificate"], str)
    # ReLU: c_1 = 1/2, c_3 = 0 (THEORY.md §1)
    assert coefficients[1]["exact"] == "1/2"
    assert coefficients[3]["exact"] == "0" and coefficients[3]["value"] == 0.0
    for key in ("information_exponent", "generative_exponent"):
        assert data[key]["value"] == 1
        assert isinstance(data[key]["certificate"], str)


def test_analyze_catalog_name_and_file(cli, tmp_path):
    assert "information exponent: 3" in cli("analyze", "He3").stdout
    path = tmp_path / "my_target.toml"
    path.write_text('name = "quartic"\nexpression = "He4(z)"\nnoise = 0.1\n', encoding="utf-8")
    result = cli("analyze", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["target"]["noise"] == pytest.approx(0.1)
    assert data["information_exponent"]["value"] == 4
    assert data["generative_exponent"]["value"] == 2


def test_analyze_undetermined_is_null(cli):
    data = json.loads(cli("analyze", "sign(z)**2 + 0*z", "--max-order", "4", "--json").stdout)
    assert data["information_exponent"]["value"] is None
    assert data["generative_exponent"]["value"] is None


def test_catalog(cli):
    result = cli("catalog")
    assert result.returncode == 0
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert sum(1 for line in lines if line.split()[0] in {"He1", "He3", "relu", "annulus", "parity3"}) == 5
    data = json.loads(cli("catalog", "--json").stdout)
    assert len(data) >= 15
    he3 = next(e for e in data if e["name"] == "He3")
    assert he3["literature"]["information_exponent"] == 3


def test_latex_fragment(cli):
    result = cli("analyze", "abs(z)", "--latex")
    assert result.returncode == 0, result.stderr
    assert "\\begin{tabular}" in result.stdout
    assert "Information exponent: 2" in result.stdout


def test_module_and_version(cli):
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("derive ")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("analyze", "foo(z)"), "unknown function 'foo'"),
        (("analyze", "exp(z**2)"), "not square-integrable"),
        (("analyze", "z +"), "syntax error"),
        (("analyze", "__import__('os').system('ls')"), "only plain function names"),
        (("analyze", "He3(z)", "--max-order", "1000"), "too large"),
        (("analyze", "He3(z)", "--max-order", "x"), "invalid int value"),
        (("analyze", "missing_file.toml"), "target file not found"),
        (("analyze", "relu(z)", "--noise", "-1"), "non-negative"),
        (("analyze", "log(z)"), "not real-valued"),
        (("analyze", "tanh(z1*z2*z3*z4*z5)"), "mixes coordinates"),
        (("analyze", "nosuchname"), "neither a catalog name"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, args, fragment):
    result = cli(*args)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


@pytest.mark.parametrize("fmt", ["tikz", "dot", "json"])
def test_staircase_text_formats(cli, fmt):
    result = cli("staircase", "z1 + z1*z2 + z1*z2*z3", "--format", fmt)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    if fmt == "json":
        data = json.loads(out)
        orders = sorted(e["order"] for e in data["edges"] if e["family"] == "correlational")
        assert orders == [1, 1, 1]  # THEORY.md §4: three order-1 steps
    elif fmt == "tikz":
        assert "\\begin{tikzpicture}" in out and "\\end{tikzpicture}" in out
    else:
        assert out.startswith("digraph staircase")


def test_staircase_png_and_atomic_output(cli, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "stairs.png"
    result = cli("staircase", "z1*z2*z3", "--format", "png", "-o", str(path))
    assert result.returncode == 0, result.stderr
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["stairs.png"]  # no temporary left over
    bad = cli("staircase", "z1*z2", "--format", "png")
    assert bad.returncode == 2 and "needs -o" in bad.stderr
    missing = cli("staircase", "z1*z2", "--format", "dot", "-o", str(tmp_path / "no" / "x.dot"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


@pytest.mark.parametrize("target", ["abs(z)", "z1*z2", "sign(z1*z2)", "relu(z1)*z2 + tanh(z3)"])
def test_latex_fragment_compiles(cli, tmp_path, target):
    """The --latex fragment is valid LaTeX for single- and multi-index targets."""
    import shutil
    import subprocess

    result = cli("analyze", target, "--latex")
    assert result.returncode == 0, result.stderr
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    document = tmp_path / "fragment.tex"
    document.write_text("\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}\n"
                        + result.stdout + "\n\\end{document}\n", encoding="utf-8")
    compiled = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
         document.name], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert compiled.returncode == 0, compiled.stdout[-2000:]

"""``derive scaling`` from the command line (issue 8: the commands a user must be able to run)."""

from __future__ import annotations

import json

import pytest


def test_hierarchical_json(cli):
    result = cli("scaling", "hierarchical", "--sigma", "He2", "--gamma", "1.0", "--noise",
                 "0.1", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # THEORY.md section 7: gamma = 1, He_2: error (n/d)^-1/2, k* ~ (n/d)^1/2, threshold k^2
    assert (data["error_exponent"], data["directions_learned_exponent"],
            data["threshold_exponent"]) == ("-1/2", "1/2", "2")
    assert "2602.05846" in data["source"] and data["regimes"]


def test_hierarchical_table_and_latex(cli):
    table = cli("scaling", "hierarchical", "--sigma", "relu(z)", "--gamma", "0.75")
    assert table.returncode == 0 and "(n/d)^-1/3" in table.stdout
    latex = cli("scaling", "hierarchical", "--sigma", "He3", "--gamma", "1", "--latex")
    assert latex.returncode == 0 and "\\begin{tabular}" in latex.stdout


@pytest.mark.parametrize("args, message", [
    (("scaling", "hierarchical", "--sigma", "He2", "--gamma", "-1"), "gamma"),
    (("scaling", "hierarchical", "--sigma", "foo(z)", "--gamma", "1"), "foo"),
    (("scaling", "hierarchical", "--sigma", "He2", "--gamma", "1", "--figure", "x.pdf"),
     "--validate"),
    (("scaling", "weight-decay", "--model", "diagonal", "--gamma", "0.5"), "1/2"),
    (("scaling", "weight-decay", "--model", "quadratic", "--gamma", "1", "--risk-curve",
      "x.pdf", "--d", "500"), "between 4 and 80"),
    (("scaling",), "hierarchical or weight-decay"),
    (("scaling", "hierarchical", "--sigma", "He2", "--gamma", "1", "--validate",
      "--max-alpha", "0"), "--max-alpha"),
    (("scaling", "hierarchical", "--sigma", "He2", "--gamma", "1", "--validate",
      "--min-alpha", "-1"), "--min-alpha"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, message):
    result = cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_weight_decay_json_and_phase_diagram(cli, tmp_path):
    out = tmp_path / "out.pdf"
    result = cli("scaling", "weight-decay", "--model", "quadratic", "--gamma", "1.0",
                 "--phase-diagram", str(out), "--json")
    assert result.returncode == 0, result.stderr
    phases = json.loads(result.stdout)["phases"]
    assert {"name", "rate", "region", "source"} <= set(phases[0])
    assert out.read_bytes()[:5] == b"%PDF-"
    assert not list(tmp_path.glob(".out.pdf.*"))        # nothing half-written left behind


def test_quadratic_risk_curve_from_the_matrix_sensing_state_evolution(cli, tmp_path):
    out = tmp_path / "curve.pdf"
    result = cli("scaling", "weight-decay", "--model", "quadratic", "--gamma", "1",
                 "--noise", "0.1", "--risk-curve", str(out), "--d", "10", "--lam", "0.05")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:5] == b"%PDF-"


def test_weight_decay_missing_folder_is_a_clear_error(cli, tmp_path):
    result = cli("scaling", "weight-decay", "--model", "diagonal", "--gamma", "0.75",
                 "--noise", "0.5", "--phase-diagram", str(tmp_path / "no" / "x.pdf"))
    assert result.returncode == 2 and "does not exist" in result.stderr


@pytest.mark.slow
def test_hierarchical_validate_small(cli):
    result = cli("scaling", "hierarchical", "--sigma", "He2", "--gamma", "1", "--validate",
                 "--d", "60", "--directions", "8", "--points", "6", "--json")
    assert result.returncode == 0, result.stderr
    validation = json.loads(result.stdout)["validation"]
    assert validation["predicted_slope"] == "-1/2"
    assert validation["simulation"]["seed"] == 0 and len(validation["simulation"]["risk"]) == 6


@pytest.mark.slow
def test_weight_spectrum_figure(cli, tmp_path):
    out = tmp_path / "spectrum.pdf"
    result = cli("scaling", "weight-decay", "--model", "quadratic", "--gamma", "1",
                 "--noise", "0.1", "--spectrum", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:5] == b"%PDF-"

"""The claims registry applied to targets (THEORY.md §2-5, issue checks with sources)."""

from __future__ import annotations

import json

import pytest
import sympy

from derive import analyze
from derive.claims import bibliography, claims, predict


def by_key(text):
    return {p.key: p for p in predict(analyze(text))}


@pytest.mark.parametrize(
    "text, exponent, log",
    [
        ("He3(z)", 2, False),  # Ben Arous et al. 2021: d^(IE-1) for IE >= 3
        ("He4(z)", 3, False),
        ("He2(z)", 1, True),   # IE = 2: d log d
        ("relu(z)", 1, False),
    ],
)
def test_online_sgd(text, exponent, log):
    p = by_key(text)["online-sgd"]
    assert p.applies and p.d_exponent == exponent and p.log_factor is log


def test_generative_claims_for_he3():
    """He3: GE = 1, so SQ and batch reuse need n ~ d (DPLB 2024; Lee et al. 2024); CSQ d^(3/2)."""
    p = by_key("He3(z)")
    assert p["sq-partial-trace"].d_exponent == 1
    assert p["batch-reuse-sgd"].d_exponent == 1 and p["batch-reuse-sgd"].log_factor
    assert p["csq-smoothed-sgd"].d_exponent == sympy.Rational(3, 2)
    assert isinstance(p["csq-smoothed-sgd"].d_exponent, sympy.Rational)


def test_multi_index_claims():
    """z1 z2 z3: leap 3 -> SGD d^2 (Abbe et al. 2023); generative leap 2 -> d (DLB 2025);
    one giant step needs n = d^3 (Dandi et al. 2024); single-index claims do not apply."""
    p = by_key("z1*z2*z3")
    assert p["leap-sgd"].d_exponent == 2
    assert p["generative-leap"].d_exponent == 1
    assert p["one-giant-step"].d_exponent == 3
    assert not p["online-sgd"].applies and "single-index" in p["online-sgd"].why
    assert not p["linear-staircase"].applies
    staircase = by_key("z1 + z1*z2 + z1*z2*z3")
    assert staircase["linear-staircase"].applies and staircase["leap-sgd"].d_exponent == 1


def test_registry_entries_have_bibtex():
    bib = bibliography()
    assert len(claims()) >= 9
    for claim in claims():
        for key in claim.source.split(";"):
            entry = bib[key.strip()]
            assert entry["bibtex"].startswith("@") and key.strip() in entry["bibtex"]


def test_predict_cli_json(cli):
    result = cli("predict", "He3(z)", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    rows = {p["key"]: p for p in data["predictions"]}
    assert rows["online-sgd"]["d_exponent"] == "2"
    for row in data["predictions"]:
        assert set(row) >= {"algorithm", "d_exponent", "log_factor", "source", "applies", "why"}
    assert data["weak_recovery"]["class"] == "trivial"


def test_analyze_json_has_predictions(cli):
    data = json.loads(cli("analyze", "He2", "--json").stdout)
    rows = {p["key"]: p for p in data["predictions"]}
    assert rows["online-sgd"]["log_factor"] is True
    assert data["weak_recovery"]["alpha_c"] == 0.5

"""derive validate --algorithm alternating: a sweep over the inner rate eta at one d.

Sources: Tsiolis, Mousavi-Hosseini, Erdogdu, NeurIPS 2025 (arXiv:2510.21020): T(eta) =
min_i mu_i(eta)^-2 d^max(i-1,1) (log d for i = 2), e(kappa) = min(2, 1 + 2 kappa) for He3
(derive.lr_phase), so log T falls with slope -2 in log eta above the transition and is flat
below. The transition follows from equating the i = 2 and i = 3 terms:
d log d / (eta mu_2')^2 = d^2 / mu_3^2, i.e. eta_c = |mu_3| sqrt(log d / d) / mu_2', with
mu_2 = eta mu_2' exactly linear in eta for the layer-wise update (its y^2 term is the only
one with a He_1 student component: E[He3(z)^2 He_2(z)] E[tanh tanh' He_1] != 0).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from derive.errors import DeriveError
from derive.validate import validate
from solvers.alternating import alternating_update, drift_coefficients, tanh_student


def he3(u):
    return u**3 - 3 * u


@pytest.fixture(scope="module")
def evidence():
    from derive import analyze

    return validate(analyze("He3(z)"), "alternating", ds=(64,), replicas=4,
                    etas=(0.002, 0.004, 0.12, 0.6), bootstrap=100)


def test_transition_is_where_the_i2_and_i3_terms_meet(evidence):
    d = 64
    s, ds = tanh_student()
    slope = drift_coefficients(he3, alternating_update(s, ds, 1.0, a0=-1.0)).mu[1]
    mu3 = drift_coefficients(he3, alternating_update(s, ds, 0.0, a0=-1.0)).mu[2]
    expected = abs(mu3) * math.sqrt(math.log(d) / d) / slope
    (found,) = evidence.prediction["transitions_eta"]
    assert found == pytest.approx(expected, rel=0.03)  # the crossing grid's resolution


def test_points_are_keyed_by_eta_and_parts_follow_the_prediction(evidence):
    record = json.loads(evidence.to_json())
    assert record["algorithm"] == "alternating"
    assert [p["eta"] for p in record["points"]] == [0.002, 0.004, 0.12, 0.6]
    assert all(p["d"] == 64 and p["replicas"] == 4 for p in record["points"])
    for key in ("median", "low", "high", "kappa", "predicted_slope", "part", "gamma"):
        assert key in record["points"][0]
    # below the transition (~0.017 at d = 64) the i = 3 term leads: flat (slope 0); at 0.12
    # the i = 2 term leads (slope -2); at 0.6 E[psi^2] is far above its eta = 0 value
    parts = [p["part"] for p in record["points"]]
    slopes = [p["predicted_slope"] for p in record["points"]]
    assert parts[:2] == ["flat", "flat"] and slopes[:2] == [0.0, 0.0]
    assert slopes[2] == -2.0 and parts[3] == "beyond"
    assert record["prediction"]["e_kappa"] == "Min(2, 2*kappa + 1)"
    assert "arXiv:2510.21020" in record["prediction"]["source"]
    # fewer than 3 points in every part: nothing is tested, so nothing is claimed
    assert record["fit"]["flat"] is None and record["fit"]["exponent"] is None
    assert record["verdict"] == "inconclusive"
    assert record["settings"]["a0"] == -1.0 and record["settings"]["simulation"] == "chain"


def test_refuses_several_d_and_bad_grids(analyzed):
    with pytest.raises(DeriveError):
        validate(analyzed("He3(z)"), "alternating", ds=(32, 64))
    with pytest.raises(DeriveError):
        validate(analyzed("He3(z)"), "alternating", ds=(32,), etas="0.1:0.01:3")
    with pytest.raises(DeriveError):
        validate(analyzed("z1*z2"), "alternating", ds=(32,))


def test_full_simulation_and_chain_agree_at_small_d(analyzed):
    # same law (solvers.overlap_chain); medians within a factor 2 with 16 replicas
    kwargs = {"ds": (24,), "replicas": 16, "etas": (0.05, 0.2), "bootstrap": 50}
    chain = validate(analyzed("He3(z)"), "alternating", simulation="chain", **kwargs)
    full = validate(analyzed("He3(z)"), "alternating", simulation="full", **kwargs)
    for a, b in zip(chain.points, full.points):
        assert 0.5 < a["median"] / b["median"] < 2.0


@pytest.mark.parametrize("args", [
    ["He3(z)", "--algorithm", "alternating", "--d", "32,64"],
    ["He3(z)", "--algorithm", "alternating", "--d", "32", "--eta", "abc"],
    ["He3(z)", "--algorithm", "online-sgd", "--d", "32", "--eta", "0.1:1:3"],
    ["He3(z)", "--algorithm", "online-sgd", "--d", "32", "--simulation", "chain"],
])
def test_cli_bad_input_is_one_line_and_exit_2(cli, args):
    result = cli("validate", *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_cli_json(cli, tmp_path):
    result = cli("validate", "He3(z)", "--algorithm", "alternating", "--d", "48", "--eta",
                 "0.05,0.1", "--seeds", "3", "--json", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert set(record["fit"]) >= {"exponent", "ci"}
    assert set(record["prediction"]) >= {"d_exponent", "log_factor", "source"}
    assert record["verdict"] in ("consistent", "inconsistent", "inconclusive")
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".pdf", ".png"]
    assert np.allclose([p["eta"] for p in record["points"]], [0.05, 0.1])

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


# --------------------------------------------- the log and O(1) factor of the theory (C)


@pytest.fixture(scope="module")
def corrected():
    from derive import analyze

    # d = 64: transition at eta_c = 0.042 (above), E[psi^2] = 2 E[psi_0^2] at eta = 0.105
    return validate(analyze("He3(z)"), "alternating", ds=(64,), replicas=6,
                    etas=(0.003, 0.006, 0.012, 0.05, 0.07, 0.095), bootstrap=200)


def test_corrected_fit_divides_by_the_escape_correction(corrected):
    from solvers.alternating import escape_correction, eta_slope

    record = json.loads(corrected.to_json())
    points = record["points"]
    assert [p["part"] for p in points] == ["flat"] * 3 + ["falling"] * 3
    base = drift_coefficients(he3, alternating_update(*tanh_student(), 0.0, a0=-1.0),
                              orders=6).second_moment
    samples = [np.array([np.inf if v is None else v for v in row], dtype=float)
               for row in record["raw"]["per_d"][0]["samples"]]
    for p, rows in zip(points, samples):
        # C = T_esc / T_i from the recorded mu's, second moment and gamma (identity)
        second = p["second_moment_ratio"] * base
        c = escape_correction(p["mu"], second, base, 64, p["gamma"], p["leading_order"],
                              1 / 8, 0.5, orders=record["prediction"]["escape_orders"])
        assert p["correction"] == pytest.approx(c, rel=1e-9)
        assert p["corrected_median"] == pytest.approx(np.median(rows) / c, rel=1e-9)
        assert p["mu_power_ratio"] == pytest.approx(1.0, abs=1e-6)  # mu_2 exactly linear
    assert record["prediction"]["escape_orders"] == [2, 3]
    for fit, chosen in ((record["fit"], slice(3, 6)), (record["fit"]["flat"], slice(0, 3))):
        etas = [p["eta"] for p in points[chosen]]
        corrections = [p["correction"] for p in points[chosen]]
        slope, ci = eta_slope(etas, [s / c for s, c in zip(samples[chosen], corrections)],
                              200, 0)
        raw, raw_ci = eta_slope(etas, samples[chosen], 200, 0)
        def shown(values):                     # JSON writes an unbounded end as null
            return [v if math.isfinite(v) else None for v in values]

        assert fit["exponent"] == pytest.approx(slope) and fit["ci"] == shown(ci)
        assert fit["raw"]["exponent"] == pytest.approx(raw)
        assert fit["raw"]["ci"] == shown(raw_ci)
        assert fit["mean_field_slope"] is not None
        assert fit["mean_field_corrected_slope"] is not None
        assert fit["correction"] == pytest.approx(corrections)
    assert record["fit"]["predicted"] == -2.0 and record["fit"]["flat"]["predicted"] == 0.0
    assert record["fit"]["leading_order"] == 2 and record["fit"]["eta_power"] == 1
    assert "T / C" in record["settings"]["rule"]
    text = __import__("derive.validate", fromlist=["summary_table"]).summary_table(corrected)
    assert "raw T ~ eta^" in text and "T/C ~ eta^" in text


def test_default_grid_spans_the_flat_and_the_falling_part():
    # He3 with tanh: psi = y a0 tanh' + eta y^2 tanh tanh', the cross term vanishes by parity
    # (tanh tanh' odd, tanh' even), so E[psi_eta^2] = E[psi_0^2] (1 + k eta^2) and its log
    # slope 2 k eta^2 / (1 + k eta^2) reaches the limit 1 at eta = 1 / sqrt(k)
    from derive.validate import _eta_grid, _leading_terms

    s, ds = tanh_student()

    def coefficients(eta):
        return drift_coefficients(he3, alternating_update(s, ds, eta, a0=-1.0), orders=6)

    k = coefficients(1.0).second_moment / coefficients(0.0).second_moment - 1

    def slope(eta):
        return 2 * k * eta**2 / (1 + k * eta**2)

    grid = _eta_grid(None, 1024, slope)
    assert len(grid) == 9 and grid[0] == pytest.approx(0.08 / 32)
    assert grid[-1] == pytest.approx(0.95 / math.sqrt(k), rel=0.03)   # the scan's resolution
    orders = [_leading_terms(coefficients(e).mu, 1024)[0] for e in grid]
    assert orders == [3] * 4 + [2] * 5       # >= 3 flat and >= 4 falling points at d = 1024

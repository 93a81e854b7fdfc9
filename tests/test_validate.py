"""derive validate: the Python API, the CLI, its outputs and its errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from derive.errors import DeriveError
from derive.target import parse_target
from derive.validate import numpy_derivative, numpy_link, parse_preprocessing, validate


def test_links_follow_the_conventions():
    z = np.array([-1.0, 0.0, 2.0])
    # H(0) = 1/2 in a target (the engine's step); probabilists' He3 = z^3 - 3z
    assert numpy_link(parse_target("step(z)"))(z[:, None]).tolist() == [0.0, 0.5, 1.0]
    assert numpy_link(parse_target("He3(z)"))(z[:, None]).tolist() == [2.0, 0.0, 2.0]
    # relu'(0) = 0 and sign' = 0 in simulations
    assert numpy_derivative(parse_target("relu(z)"))(z).tolist() == [0.0, 0.0, 1.0]
    assert numpy_derivative(parse_target("sign(z)"))(z).tolist() == [0.0, 0.0, 0.0]
    two = numpy_link(parse_target("z1 + z1*z2"))(np.array([[1.0, 2.0], [3.0, -1.0]]))
    assert two.tolist() == [3.0, 0.0]
    assert numpy_link(parse_target("max(z, 1, -z)"))(z[:, None]).tolist() == [1.0, 1.0, 2.0]


def test_preprocessing_is_parsed_safely():
    assert parse_preprocessing("y - 1")(np.array([3.0])).tolist() == [2.0]
    for bad in ("__import__('os')", "z - 1", "y.real"):
        with pytest.raises(DeriveError):
            parse_preprocessing(bad)


def test_online_sgd_relu_is_linear_in_d(analyzed):
    # relu: IE = 1, so online SGD needs n ~ d (Ben Arous et al. 2021, Thm. 1.3)
    evidence = validate(analyzed("relu(z)"), "online-sgd", ds=(64, 128, 256, 512),
                        replicas=16, lr=0.5)
    assert evidence.prediction["d_exponent"] == "1"
    assert evidence.verdict == "consistent", evidence.fit
    record = json.loads(evidence.to_json())
    assert record["seeds"]["seed"] == 0 and set(record["seeds"]["per_d"]) == {
        "64", "128", "256", "512"}
    assert record["versions"]["numpy"] == np.__version__


def test_validate_refuses_what_it_cannot_simulate(analyzed):
    with pytest.raises(DeriveError):
        validate(analyzed("z1*z2"), "online-sgd", ds=(16,))
    with pytest.raises(DeriveError):
        validate(analyzed("relu(z)"), "no-such-algorithm")
    with pytest.raises(DeriveError):
        validate(analyzed("relu(z)"), "online-sgd", ds=(2,))


def test_cli_json_and_outputs(cli, tmp_path):
    out = tmp_path / "results"
    result = cli("validate", "z1 + z1*z2", "--algorithm", "giant-step", "--steps", "2",
                 "--batch", "4*d", "--d", "128", "--seeds", "2", "--json", "--out", str(out),
                 "--store", str(tmp_path / "store.sqlite"))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["algorithm"] == "giant-step" and record["fit"] is None
    assert record["verdict"] == "consistent"
    assert record["prediction"]["learned_after_step"] == [["e1"], ["e1", "e2"]]
    for key in ("d", "median", "low", "high", "replicas"):
        assert key in record["points"][0]
    files = sorted(p.suffix for p in out.iterdir())
    assert files == [".json", ".pdf", ".png"]
    assert (out / next(p.name for p in out.iterdir() if p.suffix == ".png")).read_bytes()[
        :4] == b"\x89PNG"
    # the store has the point: a rerun reads it back and gives the same record
    again = cli("validate", "z1 + z1*z2", "--algorithm", "giant-step", "--steps", "2",
                "--batch", "4*d", "--d", "128", "--seeds", "2", "--json",
                "--store", str(tmp_path / "store.sqlite"))
    assert json.loads(again.stdout)["points"] == record["points"]


def test_cli_online_json_fields(cli):
    result = cli("validate", "relu(z)", "--algorithm", "online-sgd", "--d", "16,32,64",
                 "--seeds", "8", "--lr", "0.5", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert set(record["fit"]) >= {"exponent", "ci"} and len(record["fit"]["ci"]) == 2
    assert set(record["prediction"]) >= {"d_exponent", "log_factor", "source"}
    assert record["verdict"] in ("consistent", "inconsistent", "inconclusive")
    assert [p["d"] for p in record["points"]] == [16, 32, 64]


@pytest.mark.parametrize("args", [
    ["He3(z)", "--algorithm", "online-sgd", "--d", "32,abc"],
    ["He3(z)", "--algorithm", "online-sgd", "--lr", "-1"],
    ["z**2", "--algorithm", "spectral", "--alpha", "1:0.5:3", "--preprocessing", "y"],
    ["z**2", "--algorithm", "spectral", "--preprocessing", "os.system('x')"],
    ["z1*z2", "--algorithm", "batch-reuse", "--d", "16"],
    ["He3(z)", "--algorithm", "giant-step", "--batch", "4*q", "--d", "16"],
])
def test_cli_bad_input_is_one_line_and_exit_2(cli, args):
    result = cli("validate", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr

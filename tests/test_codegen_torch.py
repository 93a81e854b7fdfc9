"""Generated solvers with ``--backend torch`` against the numpy modules of the same target.

Identity tested: the torch module runs the same IR (the same closed forms, the same common
random numbers, drawn by numpy) with its array code on torch tensors in float64, so its
results equal the numpy module's up to float64 round-off; its Monte Carlo twins agree with
the closed forms within their interval (Isserlis/Stein closed forms, as in
test_codegen_sgd). Skipped without torch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from derive.codegen.generate import generate_solver, load_solver
from derive.codegen.render import verify

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
_PAIRS: dict = {}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(numpy module, torch module) generated for the same target and options."""
    def get(target, kind, student=None, width=None):
        key = (target, kind, student, width)
        if key not in _PAIRS:
            folder = tmp_path_factory.mktemp("backends")
            modules = []
            for backend in ("numpy", "torch"):
                name = f"backend_{len(_PAIRS)}_{backend}"
                source = generate_solver(target, kind, student, width, use_cache=False,
                                         backend=backend)
                modules.append(load_solver(source, folder / f"{name}.py", name))
            _PAIRS[key] = tuple(modules)
        return _PAIRS[key]
    return get


@pytest.mark.parametrize("student", ["erf", "relu"])
def test_sgd_ode_trajectory_on_torch_equals_numpy(pair, student):
    """z1 + z1 z2, width 2: erf has every array in closed form (a deterministic ODE); relu
    has arrays evaluated by common-random-number Monte Carlo (the same numbers on both
    backends). Trajectories agree within 1e-10 in float64."""
    numpy_module, torch_module = pair("z1 + z1*z2", "sgd-ode", student, 2)
    assert torch_module.BACKEND == "torch" and torch_module.DTYPE == torch.float64
    kwargs = {"lr": 0.5, "time": 8.0 if student == "relu" else 20.0, "d": 200, "points": 9}
    expected, found = numpy_module.integrate(**kwargs), torch_module.integrate(**kwargs)
    assert found["backend"] == "torch" and "torch" in found["versions"]
    assert found["rhs_evaluations"] == expected["rhs_evaluations"]
    for key in ("M", "Q", "eps_g"):
        assert np.max(np.abs(np.array(found[key]) - np.array(expected[key]))) < 1e-10, key
    # the overlaps moved: the comparison is not between two constant trajectories
    assert np.max(np.abs(np.array(expected["M"][-1]) - np.array(expected["M"][0]))) > 1e-2


@pytest.mark.parametrize("target,student,width", [("z1 + z1*z2", "relu", 2),
                                                  ("He3(z)", "He3", 1)])
def test_torch_monte_carlo_twins_agree_with_closed_forms(pair, target, student, width):
    """The torch module's Monte Carlo twins: within 5 standard errors of the closed forms
    (100k samples), and equal to the numpy module's twins on the same normals."""
    numpy_module, torch_module = pair(target, "sgd-ode", student, width)
    rng = np.random.default_rng(7)
    W = rng.standard_normal((width, 10)) / np.sqrt(10)
    W[:, :torch_module.TEACHERS] += rng.uniform(-0.5, 0.5, (width, torch_module.TEACHERS))
    Q, M = W @ W.T, W[:, :torch_module.TEACHERS].copy()
    closed = torch_module.closed_form_arrays(Q, M)
    assert closed, "no closed-form array to compare"
    normals = rng.standard_normal((100_000, width + torch_module.TEACHERS))
    means, errors = torch_module.monte_carlo_arrays(Q, M, normals, list(closed))
    reference, _ = numpy_module.monte_carlo_arrays(Q, M, normals, list(closed))
    for name, value in closed.items():
        assert isinstance(means[name], np.ndarray)
        assert np.all(np.abs(means[name] - value) <= 5 * errors[name] + 1e-12), name
        assert np.allclose(means[name], reference[name], rtol=0, atol=1e-10), name


def test_giant_step_on_torch_equals_numpy(pair):
    """Two giant steps of He3 with a He3 student (closed forms): equal within 1e-10."""
    numpy_module, torch_module = pair("He3(z)", "giant-step", "He3", 1)
    kwargs = {"steps": 2, "d": 400, "ell": 3.0}
    expected, found = numpy_module.run(**kwargs), torch_module.run(**kwargs)
    for key in ("M", "Q", "cosine"):
        assert np.max(np.abs(np.array(found[key]) - np.array(expected[key]))) < 1e-10, key


def test_state_evolution_on_torch_equals_numpy(pair):
    """z^2 (label noise 0.01): the state-evolution map E[g_out g_out^T](q) agrees within
    1e-10 on both backends at several overlaps (both inner paths), and the fixed points of a
    short curve within 10 times the iteration tolerance (the iteration stops at tol)."""
    numpy_module, torch_module = pair("z**2; noise = 0.01", "state-evolution")
    channels = [m.Channel(401, 0.01, 256, 0) for m in (numpy_module, torch_module)]
    for q in (0.0, 0.3, 0.9999):
        q = np.array([[q]])
        a = numpy_module.channel_overlap(q, channels[0])
        b = torch_module.channel_overlap(q, channels[1])
        assert abs(a - b).max() < 1e-10 * max(1.0, abs(a).max()), q
    kwargs = {"points": 401, "samples": 256, "tol": 1e-7}
    expected = numpy_module.curve([0.4, 0.9], **kwargs)
    found = torch_module.curve([0.4, 0.9], **kwargs)
    assert found["backend"] == "torch"
    assert np.allclose(found["mean_overlap"], expected["mean_overlap"], rtol=0, atol=1e-6)
    assert expected["mean_overlap"][1] > 0.05  # above alpha_c ~ 0.5: a non-trivial overlap


def test_torch_float32_is_a_setting(pair):
    """set_backend(dtype='float32') runs the array code in float32: the Monte Carlo twin
    changes at the float32 round-off level only (relative 1e-5), and float64 comes back."""
    _, torch_module = pair("He3(z)", "sgd-ode", "He3", 1)
    Q, M = np.array([[0.8]]), np.array([[0.3]])
    normals = np.random.default_rng(1).standard_normal((20_000, 2))
    double, _ = torch_module.monte_carlo_arrays(Q, M, normals, ["Tg"])
    try:
        torch_module.set_backend(dtype="float32")
        assert torch_module.array(1.0).dtype == torch.float32
        single, _ = torch_module.monte_carlo_arrays(Q, M, normals, ["Tg"])
    finally:
        torch_module.set_backend(dtype="float64")
    assert np.allclose(single["Tg"], double["Tg"], rtol=1e-4, atol=1e-5)
    assert torch_module.array(1.0).dtype == torch.float64


def test_torch_module_is_byte_deterministic_and_cli_writes_it(tmp_path, cli):
    """Same input, same bytes across processes (any hash seed); `derive solver --backend
    torch` writes that module, and an unknown backend is refused with exit code 2."""
    code = ("from derive.codegen.generate import generate_solver; import sys;"
            "sys.stdout.write(generate_solver('z1*z2', 'state-evolution', use_cache=False,"
            " backend='torch'))")
    outputs = [subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                              env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT)),
                              timeout=300).stdout for seed in ("1", "2")]
    assert outputs[0] == outputs[1]
    out = tmp_path / "se_torch.py"
    run = cli("solver", "z1*z2", "--kind", "state-evolution", "--backend", "torch", "-o",
              str(out), "--no-cache")
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == outputs[0] and verify(out.read_text())
    bad = cli("solver", "z1*z2", "--kind", "state-evolution", "--backend", "jax", "-o",
              str(tmp_path / "x.py"), "--no-cache")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    assert "Traceback" not in bad.stderr
    # numpy modules stay free of torch
    plain = generate_solver("z1*z2", "state-evolution", use_cache=False)
    assert "import torch" not in plain

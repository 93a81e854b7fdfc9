"""Generated giant-step and state-evolution modules against independent computations:
a direct simulation of large-batch gradient steps, and derive.thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from test_codegen_sgd import load_module

from derive import analyze
from derive.codegen.generate import generate_solver
from derive.target import parse_target
from derive.thresholds import weak_recovery, weak_recovery_two_index


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    folder = tmp_path_factory.mktemp("generated")
    cache = {}

    def get(target, kind, student=None, width=None):
        key = (target, kind, student, width)
        if key not in cache:
            name = f"solver_{len(cache)}_{kind.replace('-', '_')}"
            source = generate_solver(target, kind, student, width, use_cache=False)
            cache[key] = load_module(source, folder / f"{name}.py", name)
        return cache[key]
    return get


def simulate_giant_steps(module, W0, a, eta, n, steps, teachers, replicas, seed, loss):
    """Large-batch GD: w_k <- w_k + eta (1/n) sum_i r_i a_k sigma'(lambda_ik) x_i with
    r = y (correlation loss) or y - f (square loss); teacher = first coordinate vectors."""
    d = W0.shape[1]
    out_M, out_Q = [], []
    for child in np.random.SeedSequence(seed).spawn(replicas):
        rng = np.random.default_rng(child)
        W = W0.copy()
        for _ in range(steps):
            X = rng.standard_normal((n, d))
            lam = X @ W.T
            y = module.target(X[:, :teachers])
            r = y - module.activation(lam) @ a if loss == "square" else y
            grad = ((r[:, None] * module.activation_derivative(lam) * a[None, :]).T @ X) / n
            W = W + eta * grad
        out_M.append(W[:, :teachers])
        out_Q.append(W @ W.T)
    return np.mean(out_M, axis=0), np.mean(out_Q, axis=0), np.std(out_M, axis=0)


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["correlation", "square"])
def test_giant_steps_match_simulation(modules, loss):
    """z1 + z1 z2, one relu unit, n = 2 d, d = 300: two steps learn e1 then e2 (Dandi et al.
    2024, the staircase with n = O(d); an odd activation such as erf cannot take the second
    stair, E[nu_1 sigma'(lambda)] = 0); the recursion's M and Q agree with the average of
    8 simulated runs within 4 standard errors + 0.02 (finite-d corrections)."""
    module = modules("z1 + z1*z2", "giant-step", "relu", 1)
    d, c, steps = 300, 2.0, 2
    a = np.ones(1)
    rng = np.random.default_rng(5)
    W0 = rng.standard_normal((1, d))
    W0 /= np.linalg.norm(W0)
    result = module.run(steps, d=d, ell=1.0, c=c, lr=1.0, M0=W0[:, :2], Q0=W0 @ W0.T, a0=a,
                        loss=loss)
    M_sim, Q_sim, M_sd = simulate_giant_steps(module, W0, a, 1.0, int(c * d), steps, 2, 8, 3,
                                              loss)
    M_rec, Q_rec = np.array(result["M"][-1]), np.array(result["Q"][-1])
    assert np.all(np.abs(M_rec - M_sim) <= 4 * M_sd / np.sqrt(8) + 0.02), (M_rec, M_sim)
    assert np.allclose(Q_rec, Q_sim, rtol=0.05, atol=0.02), (Q_rec, Q_sim)
    # the staircase: step 1 moves the overlap with e1 only, step 2 also the one with e2
    M = np.array(result["M"])[:, 0, :]
    assert M[1, 0] - M[0, 0] > 0.3 and abs(M[1, 1] - M[0, 1]) < 0.05
    assert abs(M[2, 1] - M[1, 1]) > 0.1


def test_giant_step_batch_scaling_he3(modules):
    """He3 (information exponent 3), He3 student, eta = d^((ell-1)/2): one step from a
    random start reaches an overlap that stays of order one as d grows only when
    n = c d^ell with ell >= 3; with ell = 2 it vanishes (Dandi et al. 2024, hard directions
    need n = O(d^ell))."""
    module = modules("He3(z)", "giant-step", "He3", 1)

    def after_one_step(d, ell):
        M0 = np.array([[1 / np.sqrt(d)]])
        return abs(module.run(1, d=d, ell=ell, c=1.0, M0=M0, Q0=np.eye(1))["cosine"][1][0][0])

    for ell in (3.0, 4.0):
        assert after_one_step(10_000, ell) > 0.5 * after_one_step(100, ell) > 0.005
    assert after_one_step(10_000, 2.0) < 0.2 * after_one_step(100, 2.0)


def test_state_evolution_threshold_matches_thresholds_module_single_index(modules):
    """z^2 with label noise 0.01: alpha_c = 1 / E_y[(E[z^2|y] - 1)^2] (Mondelli & Montanari
    2018; Troiani et al. 2025) as computed by derive.thresholds, to 1e-4 relative."""
    module = modules("z**2; noise = 0.01", "state-evolution")
    expected = weak_recovery(analyze("z**2; noise = 0.01")).alpha_c
    found = module.threshold()
    assert found["class"] == "easy"
    assert found["alpha_c"] == pytest.approx(float(expected), rel=1e-4)
    trivial = modules("He3(z)", "state-evolution").threshold()
    assert trivial["class"] == "trivial" and trivial["alpha_c"] == 0.0


@pytest.mark.slow
def test_state_evolution_threshold_two_index(modules):
    """z1 z2: the noisy-channel thresholds (label noise 0.01 and 0.003) extrapolate linearly
    to the noiseless alpha_c of derive.thresholds (0.59375, Defilippis et al. 2025) within
    0.5%."""
    module = modules("z1*z2", "state-evolution")
    high = module.threshold(noise=0.01, points=161)["alpha_c"]
    low = module.threshold(noise=0.003, points=241)["alpha_c"]
    extrapolated = low - (high - low) * 0.003 / 0.007
    target = parse_target("z1*z2")
    expected = float(weak_recovery_two_index(target.expression, target.variables).alpha_c)
    assert expected == pytest.approx(0.59375, rel=1e-3)
    assert extrapolated == pytest.approx(expected, rel=5e-3)
    assert high > low > expected  # noise makes recovery harder


def test_state_evolution_onset_matches_threshold_single_index(modules):
    """z^2 with label noise 0.01 (alpha_c = 0.5021 by the threshold quadrature, 1/2 without
    noise: Mondelli & Montanari 2018, derive.thresholds): the overlap curve, iterated from
    q0 = 1e-3 with warm starts, decays to 0 below alpha_c and grows above it. Stated
    accuracy of the onset: within [0.9, 1.15] alpha_c (the quasi-Monte Carlo outer average
    of 2048 points moves the linear response at q = 0 by a few per cent)."""
    module = modules("z**2; noise = 0.01", "state-evolution")
    alpha_c = module.threshold()["alpha_c"]
    assert alpha_c == pytest.approx(float(weak_recovery(analyze("z**2")).alpha_c), rel=0.01)
    result = module.curve([0.9 * alpha_c, 1.15 * alpha_c, 1.8 * alpha_c])
    below, above, far = result["mean_overlap"]
    assert all(result["converged"])
    assert below < 1e-4 and 3e-3 < above < far  # decays from q0 = 1e-3 / grows
    assert result["log_truncation_bound"] < -30  # dropped likelihood mass < 1e-13
    # warm start and acceleration reach the same fixed points as cold plain iterations
    cold = module.curve([1.15 * alpha_c, 1.8 * alpha_c], warm_start=False, accelerate=False)
    assert cold["mean_overlap"] == pytest.approx([above, far], abs=1e-4)


@pytest.mark.slow
def test_state_evolution_onset_matches_threshold_two_index(modules):
    """z1 z2 with label noise 0.01: alpha_c = 0.6021 by the threshold quadrature, within 2%
    of the noiseless 0.59375 (Defilippis et al. 2025; derive.thresholds); the curve's onset
    lies in [0.9, 1.15] alpha_c (the stated accuracy, as for z^2), and the overlap stays
    isotropic (q = q I up to the outer average's error: the target is symmetric under z1 <-> z2 and, up to y -> -y, under
    z1 -> -z1)."""
    module = modules("z1*z2", "state-evolution")
    alpha_c = module.threshold()["alpha_c"]
    target = parse_target("z1*z2")
    expected = float(weak_recovery_two_index(target.expression, target.variables).alpha_c)
    assert expected < alpha_c < 1.02 * expected
    result = module.curve([0.9 * alpha_c, 1.15 * alpha_c, 2.0 * alpha_c])
    below, above, far = result["mean_overlap"]
    assert below < 1e-4 and 3e-3 < above < far  # decays from q0 = 1e-3 / grows
    q = np.array(result["overlap"][2])
    # within the outer average's error (its reported relative standard error is ~9%)
    error = result["standard_error"][2]
    assert abs(q[0, 1]) < 2 * error * q[0, 0] and q[0, 0] == pytest.approx(q[1, 1], abs=0.02)

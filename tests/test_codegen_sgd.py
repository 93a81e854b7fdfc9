"""Generated sgd-ode modules: closed forms against their Monte Carlo twins, the ODE against
a direct simulation of online SGD at finite d, and sanity identities.

Sources: the ODEs of Saad & Solla (1995) and Goldt et al. (NeurIPS 2019, arXiv:1906.08632),
with the conventions of the project (docs: conventions of the simulation backend).
"""

from __future__ import annotations


import numpy as np
import pytest

from derive.codegen.generate import generate_solver, load_solver


def load_module(source: str, path, name: str):
    """Write ``source`` to ``path`` and import it as a module."""
    return load_solver(source, path, name)


_MODULES: dict = {}


@pytest.fixture(scope="module")
def solver(tmp_path_factory):
    def get(target, student, width, kind="sgd-ode"):
        key = (target, student, width, kind)
        if key not in _MODULES:
            folder = tmp_path_factory.mktemp("solvers")
            name = f"generated_{len(_MODULES)}"
            source = generate_solver(target, kind, student, width, use_cache=False)
            _MODULES[key] = load_module(source, folder / f"{name}.py", name)
        return _MODULES[key]
    return get


def random_overlaps(width, teachers, seed, d=12):
    """Overlaps of random students in a small dimension (a generic, non-degenerate point)."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((width, d)) / np.sqrt(d) * rng.uniform(0.6, 1.3, (width, 1))
    W[:, :teachers] += rng.uniform(-0.6, 0.6, (width, teachers))
    return W @ W.T, W[:, :teachers].copy()


TWINS = [
    ("z1 + z1*z2", "relu", 2),
    ("z1 + z1*z2", "erf", 2),
    ("z1*z2", "He2", 2),
    ("He3(z)", "He3", 1),
    ("z1 + z1*z2*z3", "erf", 3),
    ("He2(z) + 0.5*z", "linear", 2),
]


@pytest.mark.parametrize("target,student,width", TWINS)
def test_closed_forms_agree_with_monte_carlo_twins(solver, target, student, width):
    """Identity: closed form = Monte Carlo average, within 5 standard errors (400k samples)."""
    module = solver(target, student, width)
    Q, M = random_overlaps(width, module.TEACHERS, seed=width + len(target))
    closed = module.closed_form_arrays(Q, M)
    assert closed, "at least some arrays must have closed forms"
    normals = np.random.default_rng(1).standard_normal((400_000, width + module.TEACHERS))
    means, errors = module.monte_carlo_arrays(Q, M, normals, list(closed))
    for name, value in closed.items():
        deviation = np.abs(value - means[name])
        bound = 5 * errors[name] + 1e-9
        assert np.all(deviation <= bound), (name, value, means[name], errors[name])


def test_relu_arrays_without_closed_form_are_declared(solver):
    """relu expectations over three distinct units need orthant probabilities in dimension
    >= 3 (no closed form in the engine): with K = 3 the lr^2 arrays fall back, with K = 2
    everything is closed."""
    module = solver("z1 + z1*z2", "relu", 3)
    fallback = {name for name, (_, _, closed) in module.ARRAYS.items() if not closed}
    assert fallback == {"Xg", "Xs"}
    module = solver("z1 + z1*z2", "relu", 2)
    assert all(closed for _, _, closed in module.ARRAYS.values())


def test_linear_student_linear_target_closed_form(solver):
    """g = z, sigma = identity, K = 1: eps_g = (1 - 2 a M + a^2 Q)/2 exactly."""
    module = solver("z", "linear", 1)
    Q, M, a = np.array([[0.7]]), np.array([[0.3]]), np.array([0.8])
    A, _, _, _, eps = module.moments(Q, M, a, noise=0.0)
    assert eps == pytest.approx(0.5 * (1 - 2 * 0.8 * 0.3 + 0.64 * 0.7))
    # dM/dt / lr = a (E[g nu] - a E[lambda nu]) = a (1 - a M)
    assert A[0, 0] == pytest.approx(0.8 * (1 - 0.8 * 0.3))


def simulate_committee(g, sigma, dsigma, W0, a, lr, time, teachers, replicas, seed, noise=0.0):
    """Direct online SGD with the project's conventions, replicas batched.

    w_k <- w_k + (lr/d) (y - f) a_k sigma'(lambda_k) x, one fresh x ~ N(0, I_d) per step,
    teacher W* = the first ``teachers`` coordinate vectors, t = steps / d.
    Returns the times and the replica-averaged M (times, K, R) and Q (times, K, K).
    """
    d = W0.shape[1]
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(replicas)]
    W = np.repeat(W0[None], replicas, axis=0)
    steps = round(time * d)
    record = max(1, d // 4)
    times, Ms, Qs = [], [], []
    for step in range(steps + 1):
        if step % record == 0:
            times.append(step / d)
            Ms.append(W[:, :, :teachers].mean(axis=0))
            Qs.append(np.einsum("bkd,bld->kl", W, W) / replicas)
        if step == steps:
            break
        x = np.stack([r.standard_normal(d) for r in rngs])
        lam = np.einsum("bkd,bd->bk", W, x)
        y = g(x[:, :teachers]) + np.sqrt(noise) * np.stack([r.standard_normal() for r in rngs])
        err = y - sigma(lam) @ a
        W += (lr / d) * (err[:, None] * a[None, :] * dsigma(lam))[:, :, None] * x[:, None, :]
    return np.array(times), np.array(Ms), np.array(Qs)


@pytest.mark.slow
@pytest.mark.parametrize("student", ["relu", "erf"])
def test_ode_matches_simulation_at_finite_d(solver, student):
    """z1 + z1 z2, K = 2, d = 400, 24 replicas, t <= 8: the replica-averaged overlaps follow
    the ODE within 0.06 (fluctuations O(1/sqrt(d)) per replica, averaged)."""
    module = solver("z1 + z1*z2", student, 2)
    d, lr = 400, 0.5
    rng = np.random.default_rng(3)
    W0 = rng.standard_normal((2, d))
    W0 /= np.linalg.norm(W0, axis=1, keepdims=True)
    W0[:, 0] += np.array([0.2, 0.1])  # a visible initial overlap: skip the random-start plateau
    a = np.full(2, 0.5)
    g = lambda nu: nu[:, 0] + nu[:, 0] * nu[:, 1]
    times, Ms, Qs = simulate_committee(g, module.activation, module.activation_derivative, W0,
                                       a, lr, 8.0, 2, replicas=24, seed=11)
    result = module.integrate(lr=lr, time=8.0, M0=W0[:, :2], Q0=W0 @ W0.T, a0=a,
                              points=len(times))
    M_ode, Q_ode = np.array(result["M"]), np.array(result["Q"])
    assert np.allclose(result["t"], times)
    assert np.max(np.abs(M_ode - Ms)) < 0.06
    assert np.max(np.abs(Q_ode - Qs)) < 0.1
    # and the dynamics did something: the overlap with z1 grew by more than the tolerance
    assert np.max(M_ode[-1, :, 0] - M_ode[0, :, 0]) > 0.3


def test_escape_time_grows_like_log_of_initial_overlap(solver):
    """He2 target (information exponent 2), relu student: M = 0 is a linearly unstable saddle,
    so the plateau lasts ~ log(1/M0) / rate; each factor 100 in M0 adds the same time
    (the d log d sample complexity of Ben Arous, Gheissari, Jagannath 2021 with M0 ~ d^-1/2).
    """
    module = solver("He2(z)", "relu", 1)
    escapes = []
    for m0 in (1e-2, 1e-4, 1e-6):
        result = module.integrate(lr=0.5, time=60.0, M0=[[m0]], Q0=[[1.0]], a0=[1.0],
                                  points=1201)
        M = np.array(result["M"])[:, 0, 0]
        Q = np.array(result["Q"])[:, 0, 0]
        crossed = np.abs(M / np.sqrt(Q)) > 0.5
        assert crossed.any()
        escapes.append(result["t"][int(np.argmax(crossed))])
        # on the plateau the error stays at its initial value
        assert result["eps_g"][int(np.argmax(crossed)) // 2] == pytest.approx(
            result["eps_g"][0], rel=0.1)
    first, second = escapes[1] - escapes[0], escapes[2] - escapes[1]
    assert first > 10
    assert second == pytest.approx(first, abs=0.5)


@pytest.mark.slow
@pytest.mark.parametrize("student", ["erf", "relu"])
def test_ode_matches_the_simulation_backend(solver, student):
    """Issue 6 item 6: the generated ODE against solvers.committee.committee_sgd (the
    simulation backend, same conventions) for z1 + z1 z2 with K = 2 from a random start, at
    d = 400 with 32 replicas: the replica-averaged M and Q follow the ODE started from the
    averaged initial overlaps within 0.06 and 0.1 (fluctuations O(1/sqrt d) per replica)."""
    from solvers.committee import committee_sgd

    module = solver("z1 + z1*z2", student, 2)
    times = np.linspace(0.0, 6.0, 13)
    run = committee_sgd(lambda nu: nu[..., 0] + nu[..., 0] * nu[..., 1], 2, 2, 400, times,
                        activation=student, lr=0.5, replicas=32, seed=5)
    result = module.integrate(lr=0.5, time=6.0, M0=run.M[0], Q0=run.Q[0], a0=run.a[0],
                              points=len(times))
    M_ode, Q_ode = np.array(result["M"]), np.array(result["Q"])
    assert np.allclose(result["t"], times)
    assert np.max(np.abs(M_ode - run.M)) < 0.06
    assert np.max(np.abs(Q_ode - run.Q)) < 0.1
    assert np.max(np.abs(run.M[-1] - run.M[0])) > 0.3  # the overlaps did move

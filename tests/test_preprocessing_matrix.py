"""Matrix-valued optimal preprocessing T*(y) = I - E[z z^T | y]^{-1} (r > 1) and the block
spectral estimator that uses it.

Identities: for |z|^2 (r = 3) rotation invariance gives E[z z^T | y] = (y/3) I, so
T*(y) = (1 - 3/y) I; with label noise, rotation invariance still makes T*(y) a multiple of
I; for r = 1 the matrix is the scalar T* of Mondelli & Montanari (arXiv:1708.05932) as 1 x 1.
The spectral check is a fixed-seed simulation far above and far below alpha_c of
tanh(z1) z2 (about 0.59, derive.thresholds_affine), not a threshold measurement.
"""

from __future__ import annotations

import numpy as np
import pytest

import derive
from derive.errors import DeriveError
from derive.preprocessing import optimal_preprocessing, optimal_preprocessing_matrix
from solvers.spectral import block_spectral_overlaps


def test_chi_square_matrix():
    T = optimal_preprocessing_matrix(derive.analyze("z1**2 + z2**2 + z3**2"))
    ys = np.array([0.5, 3.0, 9.0])
    expected = (1 - 3 / ys)[:, None, None] * np.eye(3)
    assert np.allclose(T(ys), expected, atol=1e-9)


def test_single_index_is_the_scalar_preprocessing():
    analysis = derive.analyze("z**2")
    ys = np.array([0.5, 2.0])
    assert np.allclose(optimal_preprocessing_matrix(analysis)(ys)[:, 0, 0],
                       optimal_preprocessing(analysis)(ys))


def test_noisy_matrix_is_isotropic_for_the_norm():
    T = optimal_preprocessing_matrix(derive.analyze("z1**2 + z2**2; noise = 0.5"))
    for matrix in T(np.array([0.3, 2.0, 5.0])):
        assert abs(matrix[0, 1]) < 1e-8 and matrix[0, 0] == pytest.approx(matrix[1, 1], abs=1e-8)


def test_trivial_first_step_has_no_matrix():
    with pytest.raises(DeriveError, match="trivial"):
        optimal_preprocessing_matrix(derive.analyze("exp(z1)*z2"))


def test_block_spectral_estimator_recovers_above_threshold():
    T = optimal_preprocessing_matrix(derive.analyze("tanh(z1)*z2"))
    run = block_spectral_overlaps(lambda nu: np.tanh(nu[:, 0]) * nu[:, 1], T, d=120,
                                  alphas=[0.15, 6.0], replicas=2, seed=3, r=2)
    assert run.overlaps[1].min() > 0.7
    assert run.overlaps[0].mean() < run.overlaps[1].mean() - 0.3

"""Ridge readout on learned features: the test error a trained first layer supports.

After the first layer W (p x d) is trained (e.g. by giant steps, :mod:`solvers.giant_step`),
the second layer is fitted by ridge regression on the features sigma(W x) of fresh samples,
and the test error E[(y - a.sigma(W x) - b)^2] / 2 is measured on other fresh samples (Dandi
et al., JMLR 2024, arXiv:2305.18270, Sect. 3: "the second layer is then trained by ridge
regression"). The ridge solver is scikit-learn's :class:`sklearn.linear_model.Ridge`
(an optional extra: ``pip install 'derive[sklearn]'``).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> features = rng.standard_normal((200, 3))
>>> y = features @ np.array([1.0, -2.0, 0.5])
>>> ridge_test_error(features[:100], y[:100], features[100:], y[100:], penalty=1e-8) < 1e-10
True
"""

from __future__ import annotations

import numpy as np


def ridge_test_error(features_train: np.ndarray, y_train: np.ndarray, features_test: np.ndarray,
                     y_test: np.ndarray, penalty: float = 1e-3) -> float:
    """Half the mean squared test error of a ridge fit (with intercept) of y on the features."""
    try:
        from sklearn.linear_model import Ridge
    except ImportError as exc:  # optional extra
        raise ValueError("ridge readouts need scikit-learn: pip install 'derive[sklearn]'") \
            from exc
    model = Ridge(alpha=float(penalty) * len(y_train)).fit(features_train, y_train)
    residual = y_test - model.predict(features_test)
    return float(np.mean(residual**2) / 2)

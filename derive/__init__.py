"""derive: derivations for feature learning in shallow networks on Gaussian data.

Write a target, get its probabilists' Hermite expansion and its information and generative
exponents, each zero backed by a certificate.

>>> import derive
>>> a = derive.analyze("tanh(z)")
>>> a.information_exponent.value, a.generative_exponent.value
(1, 1)
"""

__version__ = "0.1.0"

from .analysis import Analysis, analyze  # noqa: E402
from .errors import DeriveError  # noqa: E402
from .exponents import generative_exponent, information_exponent  # noqa: E402
from .hermite import HermiteExpansion, hermite_expansion  # noqa: E402
from .target import Target, load_target_file, parse_target  # noqa: E402

__all__ = [
    "Analysis",
    "DeriveError",
    "HermiteExpansion",
    "Target",
    "analyze",
    "generative_exponent",
    "hermite_expansion",
    "information_exponent",
    "load_target_file",
    "parse_target",
]

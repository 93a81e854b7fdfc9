"""Certificates: why the engine believes a value is zero or non-zero.

A zero is a claim. Every ``c_k = 0`` or ``lambda_k^2 = 0`` the engine reports carries one of

- ``exact-symbolic``: the quantity was computed in closed form and is identically 0;
- ``symmetry``: a parity argument (e.g. an even link has no odd Hermite coefficient);
- ``numeric``: evaluated to high precision with ``|value| <= bound``.

Non-zeros carry the same kinds (an exact non-zero value, or a numeric value whose error
bound is smaller than its size), plus ``inequality`` for lower bounds such as
``lambda_k^2 >= k! c_k^2 / E[y^2]``, and ``monte-carlo`` (the last resort, non-zeros only:
a sample mean more than five standard errors from 0, never a zero) and ``quadrature``
(non-zeros only: a nested-quadrature value more than ten times its a-posteriori error
estimate from 0, see :mod:`derive.cubature`).
"""

from __future__ import annotations

from dataclasses import dataclass

EXACT = "exact-symbolic"
SYMMETRY = "symmetry"
NUMERIC = "numeric"
INEQUALITY = "inequality"
STATISTICAL = "monte-carlo"
#: nested quadrature with an a-posteriori error estimate (derive.cubature): non-zeros only
QUADRATURE = "quadrature"
UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class Certificate:
    """Evidence for a (non-)zero claim.

    >>> Certificate(EXACT, "c_2 = 0 by basis change").label
    'exact-symbolic'
    >>> Certificate(NUMERIC, "quadrature", bound=1e-30).label
    'numeric(bound=1e-30)'
    """

    kind: str
    reason: str
    bound: float | None = None

    @property
    def label(self) -> str:
        if self.kind == NUMERIC and self.bound is not None:
            return f"numeric(bound={self.bound:.1g})"
        if self.kind == QUADRATURE and self.bound is not None:
            return f"quadrature(err={self.bound:.1g})"
        if self.kind == STATISTICAL and self.bound is not None:
            return f"monte-carlo(se={self.bound:.1g})"
        return self.kind

    def __str__(self) -> str:
        return f"{self.label}: {self.reason}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "bound": self.bound, "reason": self.reason}

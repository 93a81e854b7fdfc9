"""Errors a user can cause.

Every error that bad input can provoke is a :class:`DeriveError`; the CLI prints its
message as one line on stderr and exits with code 2. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations


class DeriveError(ValueError):
    """A problem with the user's input, explained in one line.

    >>> str(DeriveError("unknown function 'foo' at column 1"))
    "unknown function 'foo' at column 1"
    """

    exit_code = 2


class TargetSyntaxError(DeriveError):
    """The target expression cannot be parsed or uses something not allowed."""


class NotSquareIntegrableError(DeriveError):
    """The target is not in L^2 of the standard Gaussian measure."""


class OrderTooLargeError(DeriveError):
    """A requested expansion order exceeds what the engine supports."""

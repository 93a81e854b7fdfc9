"""SymPy printers for generated solver code.

SymPy 1.14 cannot print ``hermite_prob``, and its Heaviside printing leaves the value at 0
to the backend; both printers here print probabilists' Hermite polynomials He_n as their
expanded polynomial and the Heaviside step with the stated convention H(0) = 1/2 (the
engine's ``step``; relu'(0) = H(0) is irrelevant on a set of measure zero).

* :class:`VectorPrinter` (a :class:`sympy.printing.numpy.SciPyPrinter`) prints numpy code
  for arrays of samples: the target and the activations of the Monte Carlo twins;
* :class:`ScalarPrinter` (a :class:`sympy.printing.numpy.NumPyPrinter` that maps the
  elementary functions to :mod:`math`) prints the closed forms, evaluated on scalars at
  every right-hand side call, where ``math`` is an order of magnitude faster than numpy;
* :class:`TorchVectorPrinter` (a :class:`sympy.printing.pytorch.TorchPrinter`) prints the
  same elementwise code for torch tensors (``derive solver --backend torch``). SymPy's
  printer passes Python numbers to torch functions (``torch.sqrt(2)``, ``torch.max(0, u)``,
  ``torch.heaviside(u, 1/2)``), which torch rejects; here numeric subexpressions are printed
  as float literals, Max/Min as ``torch.clamp`` (a number against a tensor) or
  ``torch.maximum``/``torch.minimum`` (two tensors), and H(u) as
  ``torch.heaviside(u, torch.full_like(u, 0.5))``.

>>> import sympy
>>> x = sympy.Symbol("x")
>>> VectorPrinter().doprint(sympy.hermite_prob(3, x))
'x**3 - 3*x'
>>> VectorPrinter().doprint(sympy.Heaviside(x))
'numpy.heaviside(x, 0.5)'
>>> ScalarPrinter().doprint(sympy.asin(x) + sympy.sqrt(x))
'math.sqrt(x) + math.asin(x)'
>>> TorchVectorPrinter().doprint(sympy.Max(0, x) + sympy.sqrt(2) * sympy.hermite_prob(2, x))
'1.4142135623730951*(torch.pow(x, 2) - 1) + torch.clamp(x, min=0.0)'
"""

from __future__ import annotations

import sympy
from sympy.printing.numpy import NumPyPrinter, SciPyPrinter
from sympy.printing.pytorch import TorchPrinter

#: Value of the Heaviside step at 0 in every generated module.
HEAVISIDE_AT_ZERO = 0.5


def _expanded_hermite(printer, expr):
    n, x = expr.args
    if not n.is_Integer or n < 0:
        raise ValueError(f"cannot print {expr}: the order must be a non-negative integer")
    return printer._print(sympy.expand(sympy.hermite_prob(int(n), x)))


class VectorPrinter(SciPyPrinter):
    """numpy/scipy code acting elementwise on arrays."""

    def __init__(self, settings=None):
        super().__init__({"fully_qualified_modules": True, **(settings or {})})

    def _print_hermite_prob(self, expr):
        return _expanded_hermite(self, expr)

    def _print_Heaviside(self, expr):
        return f"numpy.heaviside({self._print(expr.args[0])}, {HEAVISIDE_AT_ZERO})"

    def _fold(self, function: str, expr) -> str:
        """numpy.maximum / numpy.minimum of two arguments, folded over all of them."""
        args = [self._print(a) for a in expr.args]
        out = args[0]
        for a in args[1:]:
            out = f"numpy.{function}({out}, {a})"
        return out

    def _print_Max(self, expr):
        return self._fold("maximum", expr)

    def _print_Min(self, expr):
        return self._fold("minimum", expr)

    def _print_sign(self, expr):
        return f"numpy.sign({self._print(expr.args[0])})"


class ScalarPrinter(NumPyPrinter):
    """Python code on floats: elementary functions from :mod:`math`."""

    def __init__(self, settings=None):
        super().__init__({"fully_qualified_modules": True, **(settings or {})})

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        if exp == sympy.Rational(1, 2):
            return f"math.sqrt({self._print(base)})"
        if exp == -sympy.Rational(1, 2):
            return f"1/math.sqrt({self._print(base)})"
        if exp.is_Rational and not exp.is_Integer:
            return f"{self.parenthesize(base, 1e9)}**({float(exp)!r})"
        return super()._print_Pow(expr, rational=rational)

    def _print_hermite_prob(self, expr):
        return _expanded_hermite(self, expr)

    def _print_Function(self, expr):
        name = expr.func.__name__
        if name.startswith("kernel_"):  # a kernel the generated module defines itself
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"
        return super()._print_Function(expr)

    def _print_Heaviside(self, expr):
        x = self._print(expr.args[0])
        return f"(0.5 if {x} == 0 else float({x} > 0))"

    def _print_Pi(self, expr):
        return "math.pi"

    def _print_asin(self, expr):
        return f"math.asin({self._print(expr.args[0])})"

    def _print_exp(self, expr):
        return f"math.exp({self._print(expr.args[0])})"

    def _print_erf(self, expr):
        return f"math.erf({self._print(expr.args[0])})"

    def _print_log(self, expr):
        return f"math.log({self._print(expr.args[0])})"


class TorchVectorPrinter(TorchPrinter):
    """torch code acting elementwise on tensors (see the module docstring)."""

    def _print(self, expr, **kwargs):
        if isinstance(expr, sympy.Basic) and expr.is_number and not expr.is_Rational:
            return repr(float(expr))
        return super()._print(expr, **kwargs)

    def _print_hermite_prob(self, expr):
        return _expanded_hermite(self, expr)

    def _print_Heaviside(self, expr):
        x = self._print(expr.args[0])
        return f"torch.heaviside({x}, torch.full_like({x}, {HEAVISIDE_AT_ZERO}))"

    def _fold(self, name: str, bound: str, expr) -> str:
        numbers = [a for a in expr.args if a.is_number]
        tensors = [self._print(a) for a in expr.args if not a.is_number]
        out = tensors[0]
        for a in tensors[1:]:
            out = f"torch.{name}({out}, {a})"
        if numbers:
            out = f"torch.clamp({out}, {bound}={float(expr.func(*numbers))!r})"
        return out

    def _print_Max(self, expr):
        return self._fold("maximum", "min", expr)

    def _print_Min(self, expr):
        return self._fold("minimum", "max", expr)

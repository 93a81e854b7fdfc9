"""Generated solvers: the dynamics of a target derived symbolically, emitted as standalone code.

Stages (one idea per module): :mod:`~derive.codegen.expectations` (Gaussian expectations of
the local fields: Stein/Isserlis reduction, closed-form erf and relu kernels),
:mod:`~derive.codegen.committee` (the expectation arrays of a committee),
:mod:`~derive.codegen.ir` (the intermediate representation, after CSE),
:mod:`~derive.codegen.printers` (SymPy printers with probabilists' Hermite polynomials and
H(0) = 1/2), :mod:`~derive.codegen.render` (jinja2 templates in templates/code),
:mod:`~derive.codegen.generate` (the pipeline) and :mod:`~derive.codegen.cache`.

>>> from derive.codegen import generate_solver
>>> source = generate_solver("z1*z2", "state-evolution", use_cache=False)
>>> "def threshold(" in source
True
"""

from .generate import KINDS, build_ir, generate_solver, load_solver, render_ir

__all__ = ["KINDS", "build_ir", "generate_solver", "load_solver", "render_ir"]

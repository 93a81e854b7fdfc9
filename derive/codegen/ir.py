"""The intermediate representation between derivation and rendering.

A generator (:mod:`derive.codegen.sgd_ode`, ...) produces a :class:`SolverIR`: plain frozen
dataclasses holding sympy expressions after common-subexpression elimination, the arrays
they fill, the kernel functions they call, and the options that produced them. The renderer
(:mod:`derive.codegen.render`) prints it; nothing else passes between the two stages.

>>> import sympy
>>> x = sympy.Symbol("Q_0_0")
>>> block = eliminate_common_subexpressions({("Vs", (0, 0)): sympy.sqrt(x) + 1 / sympy.sqrt(x)})
>>> [str(t.value) for t in block.temporaries], str(block.outputs[0].value)
(['sqrt(Q_0_0)'], 'x0 + 1/x0')
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy


@dataclass(frozen=True)
class Temporary:
    """``name = value``: one common subexpression."""

    name: str
    value: sympy.Expr


@dataclass(frozen=True)
class ArrayEntry:
    """``array[index] = value``; ``value`` refers to temporaries and input symbols."""

    array: str
    index: tuple[int, ...]
    value: sympy.Expr


@dataclass(frozen=True)
class ExpressionBlock:
    """Straight-line code: the inputs it reads, its temporaries, the entries it fills."""

    inputs: tuple[str, ...]
    temporaries: tuple[Temporary, ...]
    outputs: tuple[ArrayEntry, ...]


@dataclass(frozen=True)
class KernelDefinition:
    """A closed-form activation kernel: a function of covariance entries."""

    name: str
    parameters: tuple[str, ...]
    block: ExpressionBlock


@dataclass(frozen=True)
class ArraySpec:
    """An array of expectations: its name, shape, meaning, and how it is evaluated.

    ``closed_form`` is False where the expectation engine has no closed form; the generated
    module then evaluates the array by Monte Carlo with common random numbers.
    """

    name: str
    shape: tuple[int, ...]
    meaning: str
    closed_form: bool
    reason: str = ""


@dataclass(frozen=True)
class SolverIR:
    """Everything the renderer needs for one generated module."""

    kind: str
    target: str
    target_expression: sympy.Expr
    teacher_symbols: tuple[sympy.Symbol, ...]
    student: str
    width: int
    teachers: int
    noise: float
    arrays: tuple[ArraySpec, ...]
    block: ExpressionBlock | None
    kernels: tuple[KernelDefinition, ...]
    options: tuple[tuple[str, object], ...]


def eliminate_common_subexpressions(entries: dict) -> ExpressionBlock:
    """CSE over ``{(array, index): expr}`` in a fixed order (deterministic output)."""
    keys = sorted(entries)
    exprs = [entries[k] for k in keys]
    replacements, reduced = sympy.cse(exprs, symbols=sympy.numbered_symbols("x"), order="canonical")
    inputs = sorted({s.name for e in exprs for s in e.free_symbols})
    return ExpressionBlock(
        inputs=tuple(inputs),
        temporaries=tuple(Temporary(str(s), v) for s, v in replacements),
        outputs=tuple(ArrayEntry(a, i, v) for (a, i), v in zip(keys, reduced)),
    )

"""The target language: a safe parser from user text to a sympy expression.

A target is written in ``z`` (single-index) or ``z1 ... zr`` (multi-index). User text is
never passed to ``eval`` or ``sympify``: it is parsed with :mod:`ast`, every node is
checked against a whitelist, and the sympy expression is built node by node.

Hermite polynomials are the probabilists' ones: ``He(k, z)`` and ``He0`` ... ``He12``
stand for He_k with E[He_j He_k] = k! delta_jk.

>>> t = parse_target("He3(z)")
>>> t.expression
z**3 - 3*z
>>> parse_target("relu(z); noise = 0.1").noise
1/10
>>> parse_target("z1*z2").variables
(z1, z2)
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import sympy

from .errors import DeriveError, TargetSyntaxError

#: H(0) for ``step``; any value gives the same Gaussian integrals (a null set), but labels
#: of a discrete link at exactly 0 are stated rather than left implicit.
HEAVISIDE_AT_ZERO = sympy.Rational(1, 2)

MAX_TEXT_LENGTH = 4000
MAX_DEPTH = 64
MAX_POWER = 64  # largest |exponent| of a power; polynomials beyond degree 64 are refused
MAX_HERMITE_ORDER = 64
MAX_INDEX_DIMENSION = 16

Z = sympy.Symbol("z", real=True)


def index_variables(r: int) -> tuple[sympy.Symbol, ...]:
    """The multi-index variables ``z1 ... zr`` (real symbols).

    >>> index_variables(2)
    (z1, z2)
    """
    return tuple(sympy.Symbol(f"z{i}", real=True) for i in range(1, r + 1))


def _relu(u):
    return sympy.Max(u, 0)


def _step(u):
    return sympy.Heaviside(u, HEAVISIDE_AT_ZERO)


def _sigmoid(u):
    return 1 / (1 + sympy.exp(-u))


def _softplus(u):
    return sympy.log(1 + sympy.exp(u))


def _gelu(u):
    return u * (1 + sympy.erf(u / sympy.sqrt(2))) / 2


def _hermite(k, u):
    return sympy.expand(sympy.hermite_prob(k, u))


# name -> (builder, number of arguments or None for "two or more")
_FUNCTIONS: dict[str, tuple[object, int | None]] = {
    "relu": (_relu, 1),
    "sign": (sympy.sign, 1),
    "abs": (sympy.Abs, 1),
    "step": (_step, 1),
    "heaviside": (_step, 1),
    "tanh": (sympy.tanh, 1),
    "erf": (sympy.erf, 1),
    "erfc": (sympy.erfc, 1),
    "exp": (sympy.exp, 1),
    "log": (sympy.log, 1),
    "sin": (sympy.sin, 1),
    "cos": (sympy.cos, 1),
    "sinh": (sympy.sinh, 1),
    "cosh": (sympy.cosh, 1),
    "atan": (sympy.atan, 1),
    "sqrt": (sympy.sqrt, 1),
    "sigmoid": (_sigmoid, 1),
    "softplus": (_softplus, 1),
    "gelu": (_gelu, 1),
    "max": (sympy.Max, None),
    "min": (sympy.Min, None),
}
_CONSTANTS = {"pi": sympy.pi, "E": sympy.E}
_HE_NAME = re.compile(r"^He(\d+)$")
_MULTI_VAR = re.compile(r"^z(\d+)$")

#: Names a user may call, for error messages and documentation.
KNOWN_FUNCTIONS = tuple(sorted(_FUNCTIONS)) + ("He(k, z)", "He0 ... He12")


@dataclass(frozen=True)
class Target:
    """A target y = g(z) + sqrt(noise) * xi with z = W x standard Gaussian in R^r.

    ``expression`` is a sympy expression in ``variables`` (``(z,)`` or ``(z1, ..., zr)``);
    ``noise`` is the variance of additive Gaussian label noise (a sympy number).

    >>> Target.from_text("sign(z)").index_dimension
    1
    """

    expression: sympy.Expr
    variables: tuple[sympy.Symbol, ...]
    noise: sympy.Expr = sympy.Integer(0)
    text: str = ""
    name: str | None = None
    latex_name: str | None = None
    notes: str | None = None
    literature: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def index_dimension(self) -> int:
        """Number of variables the target is written in (r)."""
        return len(self.variables)

    @property
    def is_single_index(self) -> bool:
        return self.index_dimension == 1

    @classmethod
    def from_text(cls, text: str, **kwargs) -> "Target":
        return parse_target(text, **kwargs)

    def to_dict(self) -> dict:
        return {
            "expression": self.text or str(self.expression),
            "sympy": str(self.expression),
            "variables": [str(v) for v in self.variables],
            "index_dimension": self.index_dimension,
            "noise": float(self.noise),
            "name": self.name,
        }

    def _repr_latex_(self) -> str:
        return f"$y = {sympy.latex(self.expression)}$"


def _where(node: ast.AST) -> str:
    col = getattr(node, "col_offset", None)
    return f" at column {col + 1}" if col is not None else ""


class _Builder:
    """Walks a whitelisted Python AST and builds the sympy expression."""

    def __init__(self, text: str):
        self.text = text
        self.single = False
        self.multi: set[int] = set()

    def build(self, node: ast.AST, depth: int = 0) -> sympy.Expr:
        if depth > MAX_DEPTH:
            raise TargetSyntaxError(f"expression nested deeper than {MAX_DEPTH} levels")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise TargetSyntaxError(
                f"{_describe(node)} is not allowed in a target{_where(node)}"
            )
        return method(node, depth + 1)

    def _Expression(self, node, depth):
        return self.build(node.body, depth)

    def _Constant(self, node, depth):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TargetSyntaxError(f"constant {value!r} is not a real number{_where(node)}")
        if isinstance(value, int):
            return sympy.Integer(value)
        # Exact decimal: 0.1 means 1/10, not the binary float nearest to it.
        segment = ast.get_source_segment(self.text, node) or repr(value)
        try:
            return sympy.Rational(segment.replace("_", ""))
        except (TypeError, ValueError):
            return sympy.Rational(repr(value))

    def _Name(self, node, depth):
        name = node.id
        if name == "z":
            self.single = True
            return Z
        match = _MULTI_VAR.match(name)
        if match:
            index = int(match.group(1))
            if not 1 <= index <= MAX_INDEX_DIMENSION:
                raise TargetSyntaxError(
                    f"variable {name}{_where(node)}: indices run from z1 to "
                    f"z{MAX_INDEX_DIMENSION}"
                )
            self.multi.add(index)
            return sympy.Symbol(name, real=True)
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in _FUNCTIONS or _HE_NAME.match(name) or name == "He":
            raise TargetSyntaxError(f"function '{name}' used without arguments{_where(node)}")
        raise TargetSyntaxError(
            f"unknown name '{name}'{_where(node)}: use z (single-index) or z1, z2, ... "
            f"(multi-index), pi, or a function call"
        )

    def _UnaryOp(self, node, depth):
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise TargetSyntaxError(f"operator {_describe(node.op)} is not allowed{_where(node)}")

    def _BinOp(self, node, depth):
        op = node.op
        if isinstance(op, ast.Pow):
            return self._power(node, depth)
        left = self.build(node.left, depth)
        right = self.build(node.right, depth)
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            if right == 0:
                raise TargetSyntaxError(f"division by zero{_where(node)}")
            return left / right
        raise TargetSyntaxError(f"operator {_describe(op)} is not allowed{_where(node)}")

    def _power(self, node, depth):
        base = self.build(node.left, depth)
        exponent = self.build(node.right, depth)
        if exponent.free_symbols:
            if base.free_symbols or not (base.is_positive is True):
                raise TargetSyntaxError(
                    f"a power with a variable exponent needs a positive constant base"
                    f"{_where(node)}"
                )
            return sympy.exp(exponent * sympy.log(base))
        if not exponent.is_real:
            raise TargetSyntaxError(f"exponent is not a real number{_where(node)}")
        if abs(exponent) > MAX_POWER:
            raise TargetSyntaxError(
                f"exponent {_short(exponent)} too large{_where(node)} (at most {MAX_POWER})"
            )
        if base == 0 and exponent.is_negative:
            raise TargetSyntaxError(f"division by zero{_where(node)}")
        return base**exponent

    def _Call(self, node, depth):
        if not isinstance(node.func, ast.Name):
            raise TargetSyntaxError(
                f"only plain function names can be called{_where(node)} "
                f"(no attributes or computed functions)"
            )
        if node.keywords:
            raise TargetSyntaxError(f"keyword arguments are not allowed{_where(node)}")
        name = node.func.id
        args = node.args
        if any(isinstance(a, ast.Starred) for a in args):
            raise TargetSyntaxError(f"starred arguments are not allowed{_where(node)}")
        he = _HE_NAME.match(name)
        if he:
            order = int(he.group(1))
            if order > MAX_HERMITE_ORDER:
                raise TargetSyntaxError(
                    f"He{order}{_where(node)}: order too large (at most {MAX_HERMITE_ORDER})"
                )
            self._arity(name, args, 1, node)
            return _hermite(order, self.build(args[0], depth))
        if name == "He":
            self._arity(name, args, 2, node)
            order = self.build(args[0], depth)
            if not (order.is_Integer and order >= 0):
                raise TargetSyntaxError(
                    f"He(k, z){_where(node)}: k must be a non-negative integer constant"
                )
            if order > MAX_HERMITE_ORDER:
                raise TargetSyntaxError(
                    f"He({order}, ...){_where(node)}: order too large "
                    f"(at most {MAX_HERMITE_ORDER})"
                )
            return _hermite(int(order), self.build(args[1], depth))
        if name not in _FUNCTIONS:
            raise TargetSyntaxError(
                f"unknown function '{name}'{_where(node)}; known: "
                + ", ".join(KNOWN_FUNCTIONS)
            )
        builder, arity = _FUNCTIONS[name]
        if arity is None:
            if len(args) < 2:
                raise TargetSyntaxError(f"{name}(...){_where(node)} needs at least 2 arguments")
        else:
            self._arity(name, args, arity, node)
        built = [self.build(a, depth) for a in args]
        return builder(*built)

    @staticmethod
    def _arity(name, args, count, node):
        if len(args) != count:
            plural = "argument" if count == 1 else "arguments"
            raise TargetSyntaxError(
                f"{name}(...){_where(node)} takes {count} {plural}, got {len(args)}"
            )


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 20 else text[:17] + "..."


def _describe(node: ast.AST) -> str:
    names = {
        "Attribute": "attribute access",
        "Lambda": "a lambda",
        "Subscript": "subscripting",
        "Compare": "a comparison",
        "BoolOp": "a boolean operator",
        "IfExp": "a conditional expression",
        "ListComp": "a comprehension",
        "GeneratorExp": "a generator",
        "List": "a list",
        "Tuple": "a tuple",
        "Dict": "a dict",
        "Set": "a set",
        "JoinedStr": "an f-string",
        "NamedExpr": "an assignment expression",
        "Await": "await",
        "Starred": "a starred expression",
        "MatMult": "'@'",
        "Mod": "'%'",
        "FloorDiv": "'//'",
        "BitXor": "'^' (use ** for powers)",
        "BitAnd": "'&'",
        "BitOr": "'|'",
        "LShift": "'<<'",
        "RShift": "'>>'",
        "Invert": "'~'",
        "Not": "'not'",
    }
    return names.get(type(node).__name__, type(node).__name__)


def _parse_noise(text: str) -> sympy.Expr:
    value = parse_constant(text, what="noise")
    if value.is_negative:
        raise TargetSyntaxError(f"noise variance must be non-negative, got {text.strip()}")
    return value


def parse_constant(text: str, what: str = "value") -> sympy.Expr:
    """Parse a real constant such as ``0.1``, ``1/4`` or ``2*pi`` (same whitelist).

    >>> parse_constant("1/4")
    1/4
    """
    expr = parse_expression(text)
    if expr.free_symbols:
        raise TargetSyntaxError(f"{what} must be a constant, got '{text.strip()}'")
    if not expr.is_real:
        raise TargetSyntaxError(f"{what} must be a real number, got '{text.strip()}'")
    return expr


def parse_expression(text: str) -> sympy.Expr:
    """Parse one expression (no ``; noise = ...`` part) into sympy.

    >>> parse_expression("relu(z) - 1/2")
    Max(0, z) - 1/2
    """
    if not isinstance(text, str):
        raise TargetSyntaxError("a target must be given as text")
    stripped = text.strip()
    if not stripped:
        raise TargetSyntaxError("empty target expression")
    if len(stripped) > MAX_TEXT_LENGTH:
        raise TargetSyntaxError(f"target text longer than {MAX_TEXT_LENGTH} characters")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise TargetSyntaxError(f"syntax error{col}: {exc.msg} in '{_short_text(stripped)}'")
    except (RecursionError, MemoryError, ValueError):
        raise TargetSyntaxError("expression too deeply nested or too large to parse")
    builder = _Builder(stripped)
    try:
        expr = builder.build(tree)
    except RecursionError:
        raise TargetSyntaxError(f"expression nested deeper than {MAX_DEPTH} levels")
    if builder.single and builder.multi:
        raise TargetSyntaxError(
            "use either z (single-index) or z1, z2, ... (multi-index), not both"
        )
    if not isinstance(expr, sympy.Expr) or expr.has(sympy.zoo, sympy.nan, sympy.oo):
        raise TargetSyntaxError(f"'{_short_text(stripped)}' is not a finite real expression")
    return expr


def _short_text(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def parse_target(
    text: str,
    noise: object | None = None,
    name: str | None = None,
    latex_name: str | None = None,
    notes: str | None = None,
) -> Target:
    """Parse ``"EXPR"`` or ``"EXPR; noise = DELTA"`` into a :class:`Target`.

    >>> parse_target("He2(z) + He3(z)").expression
    z**3 + z**2 - 3*z - 1
    >>> parse_target("abs(z1) * sign(z2)").index_dimension
    2
    """
    if not isinstance(text, str):
        raise TargetSyntaxError("a target must be given as text")
    parts = text.split(";")
    expression_text = parts[0]
    noise_value = sympy.Integer(0)
    for extra in parts[1:]:
        key, sep, value = extra.partition("=")
        if not sep or key.strip() != "noise":
            raise TargetSyntaxError(
                f"after ';' only 'noise = <variance>' is allowed, got '{extra.strip()}'"
            )
        noise_value = _parse_noise(value)
    if noise is not None:
        noise_value = _parse_noise(str(noise)) if not isinstance(noise, sympy.Expr) else noise
    expr = parse_expression(expression_text)
    variables = _variables_of(expr)
    return Target(
        expression=expr,
        variables=variables,
        noise=noise_value,
        text=expression_text.strip(),
        name=name,
        latex_name=latex_name,
        notes=notes,
    )


def _variables_of(expr: sympy.Expr) -> tuple[sympy.Symbol, ...]:
    symbols = expr.free_symbols
    if not symbols:
        raise TargetSyntaxError(
            "the target is a constant: it depends on no direction (write it in z)"
        )
    if Z in symbols:
        return (Z,)
    # Multi-index: the target is written in z1..zr with r the largest index used, so that a
    # target that ignores z2 still says it lives in r = 3 (effective dimension is derived).
    r = max(int(str(s)[1:]) for s in symbols)
    return index_variables(r)


def load_target_file(path: str | Path) -> Target:
    """Read a TOML target file.

    Keys: ``expression`` (required), ``name``, ``noise``, ``latex_name``, ``notes``.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeriveError(f"target file not found: {path}")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeriveError(f"cannot read target file {path}: {exc}")
    except tomllib.TOMLDecodeError as exc:
        raise DeriveError(f"{path}: invalid TOML: {exc}")
    return target_from_mapping(data, origin=str(path))


def target_from_mapping(data: dict, origin: str = "target") -> Target:
    allowed = {"expression", "name", "noise", "latex_name", "notes", "literature"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DeriveError(
            f"{origin}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    if "expression" not in data:
        raise DeriveError(f"{origin}: missing key 'expression'")
    for key in ("expression", "name", "latex_name", "notes"):
        if key in data and not isinstance(data[key], str):
            raise DeriveError(f"{origin}: '{key}' must be a string")
    noise = data.get("noise")
    if isinstance(noise, bool) or (noise is not None and not isinstance(noise, (int, float, str))):
        raise DeriveError(f"{origin}: 'noise' must be a number")
    try:
        target = parse_target(
            data["expression"],
            noise=None if noise is None else str(noise),
            name=data.get("name"),
            latex_name=data.get("latex_name"),
            notes=data.get("notes"),
        )
    except TargetSyntaxError as exc:
        raise TargetSyntaxError(f"{origin}: {exc}")
    literature = data.get("literature", {})
    if not isinstance(literature, dict):
        raise DeriveError(f"{origin}: 'literature' must be a table")
    object.__setattr__(target, "literature", dict(literature))
    return target

"""The target language: what it accepts, and that it refuses hostile or malformed text."""

from __future__ import annotations

import sympy
import pytest
from hypothesis import given, settings, strategies as st

from derive import DeriveError, load_target_file, parse_target
from derive.target import HEAVISIDE_AT_ZERO, Z


def test_probabilists_hermite_names():
    # He_2 = z^2 - 1, He_3 = z^3 - 3z (probabilists', THEORY.md §1)
    assert parse_target("He2(z)").expression == Z**2 - 1
    assert parse_target("He3(z)").expression == Z**3 - 3 * Z
    assert parse_target("He(4, z)").expression == sympy.expand(sympy.hermite_prob(4, Z))
    assert parse_target("He0(z) + He1(z)").expression == Z + 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("relu(z)", sympy.Max(Z, 0)),
        ("abs(z)", sympy.Abs(Z)),
        ("sign(z)", sympy.sign(Z)),
        ("step(z)", sympy.Heaviside(Z, HEAVISIDE_AT_ZERO)),
        ("max(z, 0, z**2 - 1)", sympy.Max(Z, 0, Z**2 - 1)),
        ("min(z, 1)", sympy.Min(Z, 1)),
        ("z**2 * exp(-z**2)", Z**2 * sympy.exp(-Z**2)),
        ("erf(z) + tanh(z) + sin(z) + cos(z)", sympy.erf(Z) + sympy.tanh(Z) + sympy.sin(Z) + sympy.cos(Z)),
        ("sqrt(abs(z)) + log(abs(z))", sympy.sqrt(sympy.Abs(Z)) + sympy.log(sympy.Abs(Z))),
        ("pi * z / 2", sympy.pi * Z / 2),
        ("0.1 * z", sympy.Rational(1, 10) * Z),
        ("2**z", sympy.exp(Z * sympy.log(2))),
    ],
)
def test_accepted_functions(text, expected):
    assert sympy.simplify(parse_target(text).expression - expected) == 0


def test_decimals_are_exact_rationals():
    assert parse_target("0.3 * z").expression == sympy.Rational(3, 10) * Z


def test_noise_syntax_and_keyword():
    assert parse_target("z**2; noise = 0.25").noise == sympy.Rational(1, 4)
    assert parse_target("z**2", noise="1/2").noise == sympy.Rational(1, 2)
    with pytest.raises(DeriveError, match="non-negative"):
        parse_target("z; noise = -1")
    with pytest.raises(DeriveError, match="only 'noise"):
        parse_target("z; import os")


def test_multi_index_variables():
    t = parse_target("z1*z2 + z3")
    assert t.index_dimension == 3
    assert [str(v) for v in t.variables] == ["z1", "z2", "z3"]
    # a variable skipped in the text still counts: the target lives in r = 3
    assert parse_target("z1 * z3").index_dimension == 3
    with pytest.raises(DeriveError, match="either z"):
        parse_target("z + z1")


@pytest.mark.parametrize(
    "hostile, fragment",
    [
        ("__import__('os').system('echo pwned')", "only plain function names"),
        ("__import__('os')", "unknown function '__import__'"),
        ("z.__class__", "attribute access"),
        ("(lambda: 1)()", "only plain function names"),
        ("lambda z: z", "a lambda"),
        ("z**10**10", "too large"),
        ("z**(10**10)", "too large"),
        ("9**9**9**9", "too large"),
        ("[z for z in range(10)]", "comprehension"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("exp.__globals__", "attribute access"),
        ("z if z else 1", "conditional"),
        ("z > 0", "comparison"),
        ("f'{z}'", "f-string"),
        ("z[0]", "subscripting"),
        ("abs(" * 100 + "z" + ")" * 100, "nested"),
        ("(" * 1000 + "z" + ")" * 1000, "syntax error"),
        ("-" * 500 + "z", "nested"),
        ("z" + "+z" * 5000, "longer than"),
        ("relu(z, z)", "takes 1 argument"),
        ("He(z, z)", "non-negative integer"),
        ("He(100, z)", "order too large"),
        ("He99(z)", "order too large"),
        ("foo(z)", "unknown function 'foo'"),
        ("x + 1", "unknown name 'x'"),
        ("", "empty"),
        ("z +", "syntax error"),
        ("1/0", "division by zero"),
        ("3", "constant"),
        ("z ^ 2", "use ** for powers"),
        ("z**z", "positive constant base"),
        ("1j * z", "not a real number"),
        ("z @ z", "'@'"),
        ("True * z", "not a real number"),
        ("'abc'", "not a real number"),
    ],
)
def test_hostile_and_malformed_text_is_refused(hostile, fragment):
    with pytest.raises(DeriveError) as info:
        parse_target(hostile)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_error_messages_say_where():
    with pytest.raises(DeriveError, match="column 11"):
        parse_target("relu(z) + foo(z)")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_escapes(text):
    """Any string either parses to a sympy expression or raises DeriveError: nothing else."""
    try:
        target = parse_target(text)
    except DeriveError:
        return
    assert isinstance(target.expression, sympy.Expr)


def test_toml_target_file(tmp_path):
    path = tmp_path / "my_target.toml"
    path.write_text(
        'name = "cubic"\nexpression = "He3(z)"\nnoise = 0.5\n'
        'latex_name = "\\\\mathrm{He}_3"\nnotes = "a note"\n',
        encoding="utf-8",
    )
    target = load_target_file(path)
    assert target.name == "cubic"
    assert target.expression == Z**3 - 3 * Z
    assert target.noise == sympy.Rational(1, 2)
    assert target.notes == "a note"


@pytest.mark.parametrize(
    "content, fragment",
    [
        ('expression = "z"\ncolour = "red"\n', "unknown key"),
        ('name = "x"\n', "missing key 'expression'"),
        ('expression = "foo(z)"\n', "unknown function"),
        ('expression = = "z"\n', "invalid TOML"),
        ('expression = 3\n', "must be a string"),
    ],
)
def test_bad_toml_files(tmp_path, content, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DeriveError, match=fragment):
        load_target_file(path)

r"""Text and formulas made safe for a LaTeX document that pdflatex compiles with plain fonts.

Three kinds of text reach a report:

- **user text** (a target's name and notes): :func:`literal` makes it print exactly as
  typed; every character TeX would interpret (``\ { } $ & # % _ ^ ~``, and the ``< > |``
  that OT1 fonts would turn into other glyphs) becomes a glyph, unicode letters become
  accent commands, Greek letters math symbols, anything else a visible code point
  ``[U+XXXX]``. Nothing the user writes can run a TeX command (``\input``, ``\write18``);
- **engine notes** (certificate reasons such as ``lambda_2^2 >= 2! c_2^2 / E[y^2] > 0``):
  :func:`prose` sets the formula-like words in math mode and escapes the rest;
- **formulas** from sympy: :func:`display_math` breaks a long sum across lines.

Only the fonts of texlive-latex-base are assumed (OT1 Computer Modern, Type 1): the
typewriter font's ASCII glyphs print ``_ ~ ^`` so that ``pdftotext`` reads them back.

>>> literal(r"\input{/etc/passwd} 50% a_b")
'\\textbackslash{}input\\{/\\allowbreak{}etc/\\allowbreak{}passwd\\} 50\\% a{\\ttfamily\\char95}\\allowbreak{}b'
>>> prose("c_2 = 0 and lambda_1^2 > 0")
'$c_{2} = 0$ and $\\lambda_{1}^{2} > 0$'
"""

from __future__ import annotations

import re
import unicodedata

import sympy

#: ASCII characters that TeX (or the OT1 encoding) would not print as themselves
_ASCII = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"{\ttfamily\char95}\allowbreak{}",
    "^": r"{\ttfamily\char94}",
    "~": r"{\ttfamily\char126}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "/": r"/\allowbreak{}",
    # break TeX's ligatures -- ``  '' !` ?` so that the characters print as typed
    "-": "-{}",
    "`": "`{}",
    "'": "'{}",
    "!": "!{}",
    "?": "?{}",
    '"': r"{\ttfamily\char34}",
}

_COMBINING = {  # combining mark -> OT1 accent command
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0308": '"',
    "\u030a": "r", "\u0327": "c", "\u030c": "v", "\u0304": "=", "\u0306": "u",
    "\u0307": ".", "\u030b": "H",
}

_SPECIAL_LETTERS = {
    "ß": r"\ss{}", "æ": r"\ae{}", "Æ": r"\AE{}", "ø": r"\o{}", "Ø": r"\O{}",
    "œ": r"\oe{}", "Œ": r"\OE{}", "ł": r"\l{}", "Ł": r"\L{}", "ı": r"\i{}",
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''",
    "…": r"\ldots{}", "×": r"$\times$", "±": r"$\pm$", "≤": r"$\leq$", "≥": r"$\geq$",
    "≠": r"$\neq$", "→": r"$\to$", "←": r"$\leftarrow$", "∞": r"$\infty$", "·": r"$\cdot$",
    "°": r"$^\circ$", "√": r"$\surd$", "∈": r"$\in$", "≈": r"$\approx$", "−": "-{}",
    "§": r"\S{}", "¶": r"\P{}", "©": r"\copyright{}", "£": r"\pounds{}",
    "\u00a0": "~",
}

_GREEK_CAPITALS = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon",
                   "Phi", "Psi", "Omega"}


def _unicode(ch: str) -> str:
    if ch in _SPECIAL_LETTERS:
        return _SPECIAL_LETTERS[ch]
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK SMALL LETTER ") and " " not in name[19:]:
        letter = name[19:].lower()
        letter = {"lamda": "lambda", "omicron": "o"}.get(letter, letter)
        if letter == "o":
            return "o"
        return f"$\\{letter}$"
    if name.startswith("GREEK CAPITAL LETTER ") and " " not in name[21:]:
        letter = name[21:].capitalize()
        letter = {"Lamda": "Lambda"}.get(letter, letter)
        if letter in _GREEK_CAPITALS:
            return f"$\\{letter}$"
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if base.isascii() and base.isalpha() and marks and all(m in _COMBINING for m in marks):
        out = "\\i" if base == "i" else base  # dotless i under an accent
        for mark in marks:
            out = f"\\{_COMBINING[mark]}{{{out}}}"
        return out
    return rf"\texttt{{[U+{ord(ch):04X}]}}"


def literal(text: str) -> str:
    r"""User text as LaTeX that prints exactly these characters (whitespace collapsed).

    >>> literal("café α → x")
    "caf\\'{e} $\\alpha$ $\\to$ x"
    >>> literal("\\write18{rm -rf ~}")
    '\\textbackslash{}write18\\{rm -{}rf {\\ttfamily\\char126}\\}'
    """
    out = []
    for ch in " ".join(str(text).split()):
        if ch.isascii():
            out.append(_ASCII.get(ch, ch) if ch.isprintable() else " ")
        else:
            out.append(_unicode(ch))
    return "".join(out)


# --------------------------------------------------------------------------- engine notes

#: a word that reads as a formula: subscripts, powers, brackets, relations, numbers
_MATHY = re.compile(r"[_^\[\]=<>|]|^[~*+/-]$|^\+-$|^-?[0-9.]+(e-?[0-9]+)?[,;:]?$|^[a-zA-Z]$"
                    r"|^[-+0-9a-z()*/.!]*[0-9][-+0-9a-z()*/.!]*$|^[A-Z]\(.*\)$")
_OPERATORS = {"!=": r"\neq ", ">=": r"\geq ", "<=": r"\leq ", "->": r"\to ", "+-": r"\pm ",
              "**": "^", "*": r"\, ", "..": r"\ldots ", "~": r"\sim ", " | ": r"\mid ",
              "|": r"\vert "}
_NAMES = {"lambda": r"\lambda", "nu": r"\nu", "alpha": r"\alpha", "zeta": r"\zeta",
          "sigma": r"\sigma", "xi": r"\xi", "delta": r"\delta", "phi": r"\phi",
          "sqrt": r"\sqrt", "pi": r"\pi", "Theta": r"\Theta", "perp": r"\perp",
          "inf": r"\infty", "log": r"\log", "max": r"\max", "min": r"\min", "exp": r"\exp"}
_SAFE_MATH = re.compile(r"^[A-Za-z0-9 +\-=()\[\],.!/<>|*_^~]*$")


def _math_word(word: str) -> str | None:
    """A formula-like word in LaTeX math, or None when it is not safe to set as math."""
    if not _SAFE_MATH.match(word):
        return None
    if word == "|":
        return r"\mid"
    text = word
    for op, tex in _OPERATORS.items():
        text = text.replace(op, f" {tex} " if op not in ("**",) else tex)
    text = re.sub(r"(?<![A-Za-z])E\[", r"\\mathbb{E}[", text)
    text = re.sub(r"(?<![A-Za-z])He_?(\d+|[a-z]+)", r"\\mathrm{He}_\1", text)
    text = re.sub(r"(?<![A-Za-z\\])(" + "|".join(_NAMES) + r")(?![A-Za-z])",
                  lambda m: _NAMES[m.group(1)] + " ", text)
    text = re.sub(r"(\\[A-Za-z]+) ([_^])", r"\1\2", text)
    text = re.sub(r"(\d(?:\.\d+)?)e(-?)0*(\d+)", r"\1\\times 10^{\2\3}", text)
    text = re.sub(r"\\sqrt \(([^()]*)\)", r"\\sqrt{\1}", text)
    text = re.sub(r"_(\\?[A-Za-z]+ ?|\d+)", lambda m: "_{" + m.group(1).strip() + "}", text)
    text = re.sub(r"\^\(([^()]*)\)", r"^{\1}", text)
    text = re.sub(r"\^([A-Za-z0-9]+)", r"^{\1}", text)
    text = text.replace("<", " < ").replace(">", " > ")
    if (word[0] in "^_" or re.search(r"[\^_](?!\{)", text)
            or text.count("{") != text.count("}")
            or re.search(r"\^\{[^{}]*\}\s*'*\^|_\{[^{}]*\}\s*_", text)):
        return None  # not a formula TeX would accept: print the word as it is
    return " ".join(text.split())


def prose(text: str) -> str:
    r"""An engine note (ASCII, formula-like words) as LaTeX: formulas in math, words escaped.

    >>> prose("E[z | y] != 0 (generative exponent 1)")
    '$\\mathbb{E}[z \\mid y] \\neq 0$ (generative exponent $1$)'
    """
    pieces: list[list] = []  # [is_math, text, glue_to_previous]
    for word in str(text).split(" "):
        core, head, tail = word, "", ""
        while core and (core[-1] in ",;:" or (core[-1] == ")"
                                             and core.count("(") < core.count(")"))):
            core, tail = core[:-1], core[-1] + tail
        while core and core[0] == "(" and core.count("(") > core.count(")"):
            core, head = core[1:], head + "("
        mathy = core in _NAMES or bool(_MATHY.search(core))
        converted = _math_word(core) if core and mathy and not _plain(core) else None
        if converted is None:
            pieces.append([False, literal(word), False])
            continue
        if head:
            pieces.append([False, literal(head), False])
        pieces.append([True, converted, bool(head)])
        if tail:
            pieces.append([False, literal(tail), True])
    out = ""
    previous_math = False
    for i, (is_math, piece, glue) in enumerate(pieces):
        if is_math and previous_math:
            out = out[:-1] + " " + piece + "$"
        elif is_math:
            out += ("" if glue or i == 0 else " ") + "$" + piece + "$"
        else:
            out += ("" if glue or i == 0 else " ") + piece
        previous_math = is_math
    return out


def _plain(word: str) -> bool:
    """Ordinary words that the formula pattern would otherwise catch."""
    if word in _NAMES and word not in ("log", "max", "min", "exp", "inf"):
        return False
    return word in {"a", "i", "A"} or (word.isalpha() and len(word) > 1)


# --------------------------------------------------------------------------- names and formulas

_ALLOWED_COMMANDS = {
    "mathrm", "mathbf", "mathit", "mathsf", "mathcal", "mathbb", "operatorname", "tanh",
    "sinh", "cosh", "sin", "cos", "exp", "log", "ln", "erf", "max", "min", "sqrt", "frac",
    "left", "right", "cdot", "times", "mid", "lvert", "rvert", "vert", "{", "}", "|", ",",
    ";", "!", " ", "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Sigma", "Phi", "Psi", "Omega", "ell",
    "infty", "le", "ge", "leq", "geq", "lt", "gt", "pm", "mp", "prod", "sum", "tilde", "hat",
    "bar", "quad", "text",
}


def math_name(latex_name: str | None) -> str | None:
    r"""A target's ``latex_name`` when it is plain math (letters, sub/superscripts and a
    whitelist of commands such as ``\mathrm``, ``\tanh``), else None.

    >>> math_name(r"\mathrm{He}_3")
    '\\mathrm{He}_3'
    >>> math_name(r"\input{/etc/passwd}") is None
    True
    """
    if not latex_name or len(latex_name) > 200:
        return None
    if not re.fullmatch(r"[A-Za-z0-9 _^{}()\[\]+\-*/=<>|,.;!'\\]*", latex_name):
        return None
    for command in re.findall(r"\\([A-Za-z]+|.)", latex_name):
        if command not in _ALLOWED_COMMANDS:
            return None
    depth = 0
    for ch in re.sub(r"\\[{}]", "", latex_name):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return None
    if depth != 0 or "\\text" in latex_name:
        return None
    return latex_name


def figure_file(name: str) -> str:
    r"""The file name of a report figure: ``name`` with every character outside
    [A-Za-z0-9-] replaced by '-', plus ``.pdf``. It reaches ``\includegraphics`` verbatim,
    so it must not contain what :func:`literal` would escape.

    >>> figure_file("weight_decay 1/diagonal")
    'weight-decay-1-diagonal.pdf'
    """
    return re.sub(r"[^A-Za-z0-9-]", "-", name) + ".pdf"


def display_math(expr: sympy.Expr, lhs: str, width: int = 70) -> str:
    r"""``lhs = expr`` as a display: ``\[...\]`` or, when long, a ``multline*`` broken
    between the terms of the sum (``width`` counts characters of LaTeX source).

    >>> display_math(sympy.Symbol("z") ** 3, "y")
    '\\[ y = z^{3} \\]'
    """
    body = sympy.latex(expr)
    if len(body) <= width or not isinstance(expr, sympy.Add):
        return f"\\[ {lhs} = {body} \\]"
    terms = sympy.Add.make_args(expr)
    ordered = [t for t in sympy.Add._from_args(terms).as_ordered_terms()]
    lines, current = [], ""
    for i, term in enumerate(ordered):
        piece = sympy.latex(term)
        if i > 0:
            piece = ("- " + sympy.latex(-term)) if piece.startswith("-") else "+ " + piece
        if current and len(current) + len(piece) > width:
            lines.append(current)
            current = piece
        else:
            current = (current + " " + piece).strip()
    lines.append(current)
    return ("\\begin{multline*}\n" + f"{lhs} = " + " \\\\\n".join(lines)
            + "\n\\end{multline*}")

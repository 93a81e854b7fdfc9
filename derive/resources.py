"""Where the jinja2 templates live: inside the installed wheel, or at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

import jinja2


def template_root() -> Path:
    """The templates folder (``derive/templates`` when installed, ``templates/`` in a checkout).

    The wheel maps the top-level ``templates/`` folder to ``derive/templates`` (see
    pyproject.toml), so an installed copy finds it next to this module.
    """
    package = Path(__file__).resolve().parent
    for root in (package / "templates", package.parent / "templates"):
        if (root / "latex").is_dir():
            return root
    raise FileNotFoundError("derive templates are missing from this installation")


def latex_environment() -> jinja2.Environment:
    """Jinja2 with LaTeX-safe delimiters (DESIGN.md): blocks ``((* *))``, values ``((( )))``."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_root() / "latex")),
        block_start_string="((*",
        block_end_string="*))",
        variable_start_string="(((",
        variable_end_string=")))",
        comment_start_string="((=",
        comment_end_string="=))",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,
    )

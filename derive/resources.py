"""Where the jinja2 templates live: inside the installed wheel, or at the top of a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2


def template_root() -> Path:
    """The templates folder (``derive/templates`` when installed, ``templates/`` in a checkout)."""
    try:
        root = Path(str(resources.files("derive.templates")))
        if (root / "latex").is_dir():
            return root
    except ModuleNotFoundError:
        pass
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if checkout.is_dir():
        return checkout
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

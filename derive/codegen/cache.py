"""Cache of generated solver modules, keyed by the hash of everything that determines them.

The key is the sha256 of the options (kind, target, noise, student, width, derive version)
and of the template sources, so a changed template or version never serves a stale file.
The folder is ``$DERIVE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/derive/solvers``, else
``~/.cache/derive/solvers``. A cached file whose content hash does not match its body is
ignored and regenerated.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .render import TEMPLATES, template_source, verify


def cache_dir() -> Path:
    """Where generated modules are cached (see the module docstring)."""
    if os.environ.get("DERIVE_CACHE_DIR"):
        return Path(os.environ["DERIVE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "derive" / "solvers"


def cache_key(options: dict) -> str:
    """sha256 of the options and the template of their kind."""
    text = json.dumps(options, sort_keys=True) + template_source(options["kind"])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _path(options: dict) -> Path:
    assert options["kind"] in TEMPLATES
    return cache_dir() / f"{cache_key(options)}.py"


def cached_source(options: dict) -> str | None:
    """The cached module for ``options``, or None (absent or altered)."""
    path = _path(options)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        return None
    return source if verify(source) else None


def store(options: dict, source: str) -> None:
    """Write ``source`` to the cache atomically; a cache that cannot be written is skipped."""
    path = _path(options)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".solver.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(source)
        os.replace(tmp, path)
    except OSError:
        return

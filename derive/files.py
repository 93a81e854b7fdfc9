"""Atomic output files: written beside their destination and renamed, never half-written."""

from __future__ import annotations

from .errors import DeriveError


def write_atomically(path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename: never a half-written file."""
    import os
    import tempfile
    from pathlib import Path

    path = Path(path)
    if path.parent and not path.parent.exists():
        raise DeriveError(f"output folder does not exist: {path.parent}")
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp creates 0600; give the file the mode an ordinary open() would (0666 & ~umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

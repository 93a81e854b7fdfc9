"""derive.files.write_atomically: whole files only, with an ordinary file's permissions."""

from __future__ import annotations

import os
import stat

import pytest

from derive.errors import DeriveError
from derive.files import write_atomically


def test_written_whole_with_umask_mode(tmp_path):
    target = tmp_path / "out.txt"
    write_atomically(target, b"first")
    write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    umask = os.umask(0)
    os.umask(umask)
    # as open(path, "w") would create it (mkstemp alone gives 0600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary left


def test_missing_folder_is_one_clear_error(tmp_path):
    with pytest.raises(DeriveError, match="output folder does not exist"):
        write_atomically(tmp_path / "nowhere" / "out.txt", b"x")

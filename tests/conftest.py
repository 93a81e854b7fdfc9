"""Shared fixtures: analyses are cached per target so identity tests stay fast."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

import derive

ROOT = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=None)
def analysis_of(text: str, max_order: int = 12):
    return derive.analyze(text, max_order=max_order)


@pytest.fixture
def analyzed():
    return analysis_of


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m derive ARGS`` as a user would, capturing output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "derive", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=600,
    )


@pytest.fixture
def cli():
    return run_cli

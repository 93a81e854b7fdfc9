"""The scaling-law registry (derive/data/scaling.toml), loaded like the claims registry.

Each law says what was read in the paper (``verified``) and what the engine derives
(``derived``), so that JSON and reports can carry both.

>>> law("hierarchical-spectral").source
'Defilippis2026'
>>> short("Ren2025")
'Ren, Nichani, Wu, Lee, NeurIPS 2025 (arXiv:2504.19983)'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Law:
    key: str
    family: str
    algorithm: str
    statement: str
    verified: str
    derived: str
    equations: str
    source: str

    def to_dict(self) -> dict:
        return {"key": self.key, "algorithm": self.algorithm, "statement": self.statement,
                "verified": self.verified, "derived": self.derived,
                "equations": self.equations, "source": short(self.source)}


@lru_cache(maxsize=1)
def _data() -> dict:
    text = resources.files("derive").joinpath("data/scaling.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def laws() -> tuple[Law, ...]:
    fields = Law.__dataclass_fields__
    return tuple(Law(**{name: item[name] for name in fields}) for item in _data()["law"])


def law(key: str) -> Law:
    for item in laws():
        if item.key == key:
            return item
    raise KeyError(key)


def bibliography() -> dict[str, dict]:
    """BibTeX entries and short citations keyed by BibTeX key."""
    return dict(_data()["bib"])


def short(key: str) -> str:
    return bibliography()[key]["short"]

"""Built-in targets with the literature values the engine is checked against.

>>> names()[:3]
['He1', 'He2', 'He3']
>>> resolve("He3").expression
z**3 - 3*z
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import DeriveError
from .target import Target, load_target_file, parse_target, target_from_mapping


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    target: Target
    literature: dict


@lru_cache(maxsize=1)
def entries() -> tuple[CatalogEntry, ...]:
    text = resources.files("derive").joinpath("data/catalog.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    out = []
    for item in data["target"]:
        target = target_from_mapping(item, origin=f"catalog entry {item.get('name')}")
        out.append(CatalogEntry(item["name"], target, dict(item.get("literature", {}))))
    return tuple(out)


def names() -> list[str]:
    return [e.name for e in entries()]


def entry(name: str) -> CatalogEntry | None:
    for e in entries():
        if e.name == name:
            return e
    lowered = name.lower()
    for e in entries():
        if e.name.lower() == lowered:
            return e
    return None


def resolve(text: str) -> Target:
    """A catalog name, a path to a ``.toml`` target file, or an expression."""
    stripped = text.strip()
    found = entry(stripped)
    if found is not None:
        return found.target
    if stripped.endswith(".toml") or (len(stripped) < 4096 and _is_file(stripped)):
        return load_target_file(stripped)
    try:
        return parse_target(stripped)
    except DeriveError as exc:
        if stripped.isidentifier() and not stripped.startswith("z"):
            raise DeriveError(
                f"'{stripped}' is neither a catalog name (see 'derive catalog') nor a valid "
                f"expression: {exc}"
            )
        raise


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False

"""An embedded SQLite store of finished sweep points, keyed by a content hash of their parameters.

Every point of a sweep is a plain JSON-able dict of parameters (algorithm, target, d, seed,
learning rate, backend, ...). Its key is the SHA-256 of the canonical JSON of those
parameters (sorted keys, no whitespace) together with :data:`FORMAT`; the result (a JSON-able
dict) is written and committed the moment the point finishes, so an interrupted sweep loses
nothing it finished, and a rerun with the same parameters reads the point back instead of
recomputing it. Changing any parameter (or the format) changes the key.

>>> import tempfile, os
>>> folder = tempfile.mkdtemp()
>>> store = ResultStore(os.path.join(folder, "results.sqlite"))
>>> store.get({"d": 32, "seed": 1}) is None
True
>>> store.put({"d": 32, "seed": 1}, {"samples": [10, 12]})
>>> store.get({"seed": 1, "d": 32})
{'samples': [10, 12]}
>>> len(store)
1
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

#: Bumped when the meaning of a stored result changes, so old rows are not reused.
FORMAT = "derive-sweep-1"


def point_key(params: dict) -> str:
    """SHA-256 of the canonical JSON of ``params`` (and :data:`FORMAT`).

    >>> point_key({"a": 1, "b": 2}) == point_key({"b": 2, "a": 1})
    True
    """
    text = json.dumps({"format": FORMAT, "params": params}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResultStore:
    """Finished points in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS points (key TEXT PRIMARY KEY, "
                       "params TEXT NOT NULL, result TEXT NOT NULL, finished REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    def get(self, params: dict) -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT result FROM points WHERE key = ?",
                             (point_key(params),)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, params: dict, result: dict) -> None:
        """Store one finished point and commit at once."""
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?)",
                       (point_key(params), json.dumps(params, sort_keys=True),
                        json.dumps(result), time.time()))

    def __len__(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM points").fetchone()[0])

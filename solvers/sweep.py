"""Sweeps over points (d, seed, ...): in process, on a local process pool, or on Dask.

:func:`run_sweep` takes a list of plain parameter dicts and a picklable function
``compute(params) -> dict`` and returns the results in the order of the points. With a
:class:`~solvers.store.ResultStore` (or a path to one), points already stored are read back,
and each point is stored as soon as it finishes, so an interrupted sweep resumes where it
stopped. ``workers > 1`` runs the points on a local process pool
(:class:`concurrent.futures.ProcessPoolExecutor`); ``scheduler`` is the address of a Dask
distributed scheduler (``dask.distributed.Client(address)``, an optional extra) for users
with a cluster. A tqdm progress bar counts the points; it is shown only when stderr is a
terminal, unless ``progress`` says otherwise.

>>> run_sweep([{"x": 1}, {"x": 2}], _square, progress=False)
[{'y': 1}, {'y': 4}]
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from .store import ResultStore


def _square(params: dict) -> dict:
    return {"y": params["x"] ** 2}


def run_sweep(points: list[dict], compute: Callable[[dict], dict],
              store: ResultStore | str | Path | None = None, workers: int = 1,
              scheduler: str | None = None, progress: bool | None = None) -> list[dict]:
    """Results of ``compute`` on every point (module docstring)."""
    if store is not None and not isinstance(store, ResultStore):
        store = ResultStore(store)
    results: list[dict | None] = [None] * len(points)
    pending = []
    for i, params in enumerate(points):
        stored = store.get(params) if store is not None else None
        if stored is None:
            pending.append(i)
        else:
            results[i] = stored
    if progress is None:
        progress = sys.stderr.isatty()
    from tqdm import tqdm

    bar = tqdm(total=len(pending), disable=not progress, desc="sweep", unit="point",
               file=sys.stderr)

    def finish(i, result):
        results[i] = result
        if store is not None:
            store.put(points[i], result)
        bar.update(1)

    try:
        if not pending:
            pass
        elif scheduler:
            _run_dask(points, pending, compute, scheduler, finish)
        elif workers > 1 and len(pending) > 1:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = {pool.submit(compute, points[i]): i for i in pending}
                for future in as_completed(futures):
                    finish(futures[future], future.result())
        else:
            for i in pending:
                finish(i, compute(points[i]))
    finally:
        bar.close()
    return results


def _run_dask(points, pending, compute, scheduler, finish) -> None:
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:  # optional extra
        raise ValueError("--scheduler needs dask.distributed: pip install 'derive[dask]'") \
            from exc
    with Client(scheduler) as client:
        futures = [client.submit(compute, points[i], pure=False) for i in pending]
        index = {future.key: i for future, i in zip(futures, pending)}
        for future in dask_completed(futures):
            finish(index[future.key], future.result())

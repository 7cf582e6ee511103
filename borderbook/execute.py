"""Execute the chapters that need it, in parallel, into Jupyter Book's execution cache.

MyST-NB executes notebooks one after the other while Sphinx reads them. Before a build,
this runs the chapters whose cached outputs are missing or stale side by side, over the
machine's cores, and stores the results in the same cache, read and executed exactly
as MyST-NB would: the build then finds every chapter cached. A chapter that fails here
is left to the build, which executes it again and reports the error in its usual way.
"""

import os
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from pathlib import Path

import yaml

from borderbook import freshness, kernels, paths, reproduce

CONFIG = paths.ROOT / "_config.yml"


def settings() -> dict:
    """The execution settings of ``_config.yml``: one place for the cache path and timeout."""
    execute = yaml.safe_load(CONFIG.read_text(encoding="utf-8")).get("execute", {})
    return {"cache": paths.ROOT / execute.get("cache", "_build/.jupyter_cache"),
            "timeout": execute.get("timeout", 300)}


def pending(cache_path: Path) -> list[Path]:
    """The chapters of the book that the cache cannot serve, after forgetting stale ones.

    Records of chapters that no longer run leave the register first (:func:`publish.prune`).
    A chapter is served if the cache holds a record for it and it is not stale: its recorded
    inputs, code cells included, still hold, and it has published at all
    (:mod:`borderbook.freshness`). When nothing is stale, this answers without loading
    jupyter-cache or MyST-NB: it runs before every build that has something to do.
    """
    chapters = reproduce.chapters()
    running = {path.stem for path in chapters}
    if freshness.publishing_chapters(freshness.register()) - running:
        from borderbook import publish  # pandas and matplotlib: only when there is something to drop

        for chapter in publish.prune(running):
            print(f"[borderbook] {chapter} no longer runs: its numbers and figures leave figures/")
    freshness.forget_stale(cache_path)
    cached = _cached_stems(cache_path)
    return [path for path in chapters if path.stem not in cached]


def _cached_stems(cache_path: Path) -> set[str]:
    """Names of the notebooks the cache holds, read straight from its SQLite index
    (jupyter-cache's table ``nbcache``), without importing jupyter-cache."""
    database = cache_path / "global.db"
    if not database.exists():
        return set()
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        try:
            return {Path(uri).stem for (uri,) in connection.execute("SELECT uri FROM nbcache")}
        except sqlite3.Error:
            return set()


def run(log) -> list[Path]:
    """Execute the pending chapters in parallel; write MyST-NB-like lines to ``log``.
    Return the chapters that failed, which the build will execute (and report) again."""
    config = settings()
    chapters = pending(config["cache"])
    if not chapters:
        return []
    failed = []
    jobs = min(len(chapters), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for path, seconds, error in pool.map(_execute, chapters, [config] * len(chapters)):
            if error:
                failed.append(path)
                log(f"{path}: pre-execution failed ({error}); the build will execute it again\n")
            else:
                log(f"{path}: Executed notebook in {seconds:.2f} seconds [borderbook, in parallel]\n")
    return failed


def _read(path: Path):
    """The notebook exactly as MyST-NB reads it, so that its cache record matches."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text("utf8"), add_source_map=True, path=str(path))


def _execute(path: Path, config: dict) -> tuple[Path, float, str | None]:
    """Run one chapter in a fresh kernel, as MyST-NB does, and cache it (in a worker process)."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = _read(path)
    started = time.perf_counter()
    try:
        result = kernels.run(lambda: single_nb_execution(
            notebook, cwd=str(path.parent), allow_errors=False, timeout=config["timeout"],
            meta_override=True))
    except Exception as error:  # the build executes it again and reports the error
        return path, 0.0, f"{type(error).__name__}: {error}"
    if result.err is not None:
        return path, 0.0, type(result.err).__name__
    get_cache(config["cache"]).cache_notebook_bundle(
        CacheBundleIn(notebook, str(path), data={"execution_seconds": result.time}),
        check_validity=False, overwrite=True)
    return path, time.perf_counter() - started, None

"""Jupyter Book's execution cache, as the freshness rule needs it: which run each entry serves.

jupyter-cache keys an executed notebook by its code only. Each chapter leaves the digest of
its run in its outputs (:data:`borderbook.freshness.RECORD_KEY`), so the entry the cache
would serve for a chapter says which inputs it was made from. This reads the cache's SQLite
index (table ``nbcache``) and notebook files directly: it runs before every build, where
importing jupyter-cache would cost more than the answer. An entry whose notebook file is
missing or unreadable is damaged: it is dropped, with a line saying so, and the chapter
runs again.
"""

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from borderbook import freshness


def served(cache_path: Path, log=print, only: str | None = None) -> dict[str, str | None]:
    """``{chapter: run digest}`` of the execution the cache would serve for each chapter (the
    newest entry of its notebook), or for chapter ``only``; damaged entries are dropped."""
    latest, damaged = {}, []
    if not _readable(cache_path):
        shutil.rmtree(cache_path)
        log(f"[borderbook] the execution cache's index ({cache_path / 'global.db'}) was not a database; "
            "the cache is dropped, and every chapter runs again")
    for pk, hashkey, uri in _entries(cache_path):
        if only and Path(uri).stem != only:
            continue
        notebook = cache_path / "executed" / hashkey / "base.ipynb"
        try:
            outputs = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            damaged.append((pk, hashkey, uri))
            continue
        latest[Path(uri).stem] = _digest(outputs)
    if damaged:
        _remove(cache_path, damaged)
        for _, _, uri in damaged:
            log(f"[borderbook] the execution cache's copy of {Path(uri).name} was damaged; "
                "dropped, the chapter runs again")
    return latest


def notebook(cache_path: Path, chapter: str) -> Path | None:
    """The executed notebook the cache serves for ``chapter`` (its newest entry), if any: the
    one a reader downloads from the chapter's page."""
    found = None
    for _, hashkey, uri in _entries(cache_path):
        if Path(uri).stem == chapter:
            found = cache_path / "executed" / hashkey / "base.ipynb"
    return found if found and found.exists() else None


def drop(cache_path: Path, chapters: set[str]) -> None:
    """Forget every cached execution of ``chapters``."""
    _remove(cache_path, [entry for entry in _entries(cache_path) if Path(entry[2]).stem in chapters])


def _digest(cells: list[dict]) -> str | None:
    """The run digest a chapter glued into its outputs, if any."""
    for cell in cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            if scrapbook.get("name") == freshness.RECORD_KEY:
                return output["data"][scrapbook.get("mime_prefix", "") + "text/plain"].strip("'\"")
    return None


def _readable(cache_path: Path) -> bool:
    """Whether the cache's index, if there is one, is a database jupyter-cache can open."""
    database = cache_path / "global.db"
    if not database.exists():
        return True
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
        except sqlite3.DatabaseError:
            return False
    return True


def _entries(cache_path: Path) -> list[tuple[int, str, str]]:
    """``(pk, hashkey, uri)`` of every cached execution, oldest first."""
    database = cache_path / "global.db"
    if not database.exists():
        return []
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        try:
            return connection.execute("SELECT pk, hashkey, uri FROM nbcache ORDER BY created, pk").fetchall()
        except sqlite3.Error:
            return []


def _remove(cache_path: Path, entries: list[tuple[int, str, str]]) -> None:
    """Delete cache entries, their files first (jupyter-cache refuses to drop an entry whose
    notebook file is gone)."""
    if not entries:
        return
    for _, hashkey, _ in entries:
        shutil.rmtree(cache_path / "executed" / hashkey, ignore_errors=True)
    with closing(sqlite3.connect(cache_path / "global.db")) as connection, connection:
        connection.executemany("DELETE FROM nbcache WHERE pk = ?", [(pk,) for pk, _, _ in entries])

"""Which chapters' published outputs no longer match their inputs.

Jupyter Book's execution cache hashes a notebook's code only: edit a CSV and the
book would keep printing the old numbers. And a cache hit restores a notebook's old
outputs without running it, so it never rewrites what the chapter published. Each
chapter therefore records, when it publishes, the checksum of its own code cells, of
every data file it read and of every borderbook module it imported
(``figures/numbers.json``, key ``chapters``). A chapter whose inputs no longer match
is stale and must be executed again.
"""

import hashlib
import json
import re
from pathlib import Path

from borderbook import paths


def register(path: Path = paths.NUMBERS) -> dict:
    """The published register, or an empty one before the first build."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def publishing_chapters(book: dict) -> set[str]:
    """The chapters a register holds records of: a run, a number or a figure."""
    return set(book.get("chapters", {})) | {item["chapter"] for kind in ("numbers", "figures")
                                            for item in book.get(kind, {}).values()}


_CODE_CELL = re.compile(r"^```\{code-cell\}.*?^```\s*$", re.MULTILINE | re.DOTALL)


def code_checksum(notebook: Path) -> str:
    """Checksum of a MyST notebook's code cells (with their options): what its outputs depend on
    besides data. Prose edits leave it unchanged. A regular expression, not jupytext: this runs
    at the start of every build, where jupytext's import alone would cost a quarter second."""
    cells = _CODE_CELL.findall(notebook.read_text(encoding="utf-8"))
    return hashlib.sha256("\n\x00".join(cells).encode("utf-8")).hexdigest()


def inputs(record: dict) -> dict[str, str]:
    """``{file relative to the root: checksum}`` for everything a chapter's record depends on."""
    files = {read["path"]: read["sha256"] for read in record.get("reads", {}).values()}
    files.update(record.get("code", {}))
    return files


def stale_chapters(book: dict | None = None) -> dict[str, list[str]]:
    """``{chapter: [changed input files]}`` for every chapter whose inputs changed, and for
    every chapter of the book that has no record in the register: whatever the execution
    cache holds for it, its figures and numbers were never published here."""
    # Imported here: chapters import this module, and every borderbook module a chapter
    # imports counts among its inputs; reproduce (and kernels) are not theirs.
    from borderbook import reproduce

    book = register() if book is None else book
    stale = {path.stem: [f"{paths.NUMBERS.relative_to(paths.ROOT)} (not published)"]
             for path in reproduce.chapters() if path.stem not in book.get("chapters", {})}
    for chapter, record in book.get("chapters", {}).items():
        changed = [name for name, recorded in sorted(inputs(record).items())
                   if checksum(paths.ROOT / name) != recorded]
        notebook = record.get("notebook")
        if notebook and (not (paths.ROOT / notebook["path"]).exists()
                         or code_checksum(paths.ROOT / notebook["path"]) != notebook["code"]):
            changed.append(f"{notebook['path']} (code cells)")
        if changed:
            stale[chapter] = changed
    return stale


def checksum(path: Path) -> str | None:
    """SHA-256 of a file, or None when it is missing."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def forget_stale(cache_path: Path) -> dict[str, list[str]]:
    """Drop the execution-cache record of every stale chapter, so that it runs again."""
    stale = stale_chapters()
    if stale:
        from jupyter_cache import get_cache

        cache = get_cache(cache_path)
        for record in cache.list_cache_records():
            if Path(record.uri).stem in stale:
                cache.remove_cache(record.pk)
    return stale

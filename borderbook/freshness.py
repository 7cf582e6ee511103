"""Which chapters' published outputs no longer match their inputs.

Jupyter Book's execution cache hashes a notebook's code only: edit a CSV and the
book would keep printing the old numbers. Each chapter therefore records, when it
publishes, the checksum of every data file it read and of every borderbook module it
imported (``figures/numbers.json``, key ``chapters``). A chapter whose inputs no
longer match is stale and must be executed again.
"""

import hashlib
import json
from pathlib import Path

from borderbook import paths


def register(path: Path = paths.NUMBERS) -> dict:
    """The published register, or an empty one before the first build."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def inputs(record: dict) -> dict[str, str]:
    """``{file relative to the root: checksum}`` for everything a chapter's record depends on."""
    files = {read["path"]: read["sha256"] for read in record.get("reads", {}).values()}
    files.update(record.get("code", {}))
    return files


def stale_chapters(book: dict | None = None) -> dict[str, list[str]]:
    """``{chapter: [changed input files]}`` for every chapter whose inputs changed."""
    book = register() if book is None else book
    stale = {}
    for chapter, record in book.get("chapters", {}).items():
        changed = [name for name, checksum in sorted(inputs(record).items())
                   if _checksum(paths.ROOT / name) != checksum]
        if changed:
            stale[chapter] = changed
    return stale


def _checksum(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None

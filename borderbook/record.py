"""The published register: ``figures/numbers.json``, ``figures/numbers.csv`` and the figure files.

This module is the only one that writes them, and every reader goes through :func:`read`.
The register holds, per chapter, its *run* (what it read, at which checksum: see
:mod:`borderbook.freshness`), and every number and figure it published with their
provenance. Both files are sorted by chapter then name, so their bytes never depend on
which chapters ran, or in what order.

Publication is all or nothing per build. During ``make book`` the chapters run in parallel
with ``BORDERBOOK_STAGING`` set: each chapter's :class:`Part` is staged in that folder, and
the build commits every part at once (:func:`commit`) only when every chapter succeeded.
Outside a build (a bare ``jupyter-book build``, ``make reproduce``) a chapter publishes
straight into its figures folder.
"""

import csv
import fcntl
import io
import json
import os
import pickle
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from borderbook import paths

STAGING = "BORDERBOOK_STAGING"
KINDS = ("numbers", "figures")
COLUMNS = ("chapter", "name", "text", "value", "unit", "bound", "formula", "inputs", "sources", "statements")


@dataclass
class Part:
    """What one chapter publishes: its run, its numbers and figures, and the figure files."""

    chapter: str
    run: dict
    numbers: dict
    figures: dict
    files: dict[str, bytes]


def read(figures_dir: Path = paths.FIGURES) -> dict:
    """The register (empty before the first build): ``chapters``, ``numbers``, ``figures``."""
    path = Path(figures_dir) / "numbers.json"
    book = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {"chapters": book.get("chapters", {}), **{kind: book.get(kind, {}) for kind in KINDS}}


def chapters(book: dict) -> set[str]:
    """The chapters a register holds records of: a run, a number or a figure."""
    return set(book["chapters"]) | {item["chapter"] for kind in KINDS for item in book[kind].values()}


def publish(part: Part, figures_dir: Path) -> Path:
    """Stage ``part`` when a build is collecting parts, else write it into ``figures_dir``."""
    staging = os.environ.get(STAGING)
    if staging:
        Path(staging).mkdir(parents=True, exist_ok=True)
        _write(Path(staging) / f"{part.chapter}.part", pickle.dumps(part))
        return Path(staging)
    return commit([part], figures_dir)


def staged(staging: Path) -> list[Part]:
    """The parts staged in ``staging`` by the chapters of a build."""
    return [pickle.loads(path.read_bytes()) for path in sorted(Path(staging).glob("*.part"))]


def commit(parts: list[Part], figures_dir: Path = paths.FIGURES) -> Path:
    """Replace the records and figure files of the parts' chapters by the parts, at once."""
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    for part in parts:
        for filename, content in sorted(part.files.items()):
            _write(figures_dir / filename, content)

    def replace(book: dict) -> dict:
        book = without(book, {part.chapter for part in parts})
        for part in parts:
            book["chapters"][part.chapter] = part.run
            book["numbers"].update(part.numbers)
            book["figures"].update(part.figures)
        return book

    return _rewrite(figures_dir, replace)


def prune(running: set[str], figures_dir: Path = paths.FIGURES) -> list[str]:
    """Drop the records and figure files of chapters that no longer run (removed from the book,
    or left without code): ``make verify`` would compare against them, and the register would
    list numbers no page prints. Return the chapters dropped."""
    gone = chapters(read(figures_dir)) - running
    if gone:
        _rewrite(Path(figures_dir), lambda book: without(book, gone))
    return sorted(gone)


def without(book: dict, dropped: set[str]) -> dict:
    """The register without the records of the chapters ``dropped``."""
    kept = {kind: {key: item for key, item in book[kind].items() if item["chapter"] not in dropped}
            for kind in KINDS}
    return {"chapters": {name: run for name, run in book["chapters"].items() if name not in dropped},
            **kept}


def as_csv(numbers: dict) -> bytes:
    """The numbers as a flat CSV for spreadsheets, sorted by chapter then name."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for number in sorted(numbers.values(), key=lambda n: (n["chapter"], n["name"])):
        row = {column: number[column] for column in COLUMNS}
        for column in ("inputs", "sources", "statements"):
            row[column] = " ".join(row[column])
        row["value"] = json.dumps(row["value"])
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def as_json(book: dict) -> bytes:
    """The register as JSON, keys sorted: numbers and figures sort by name, runs by chapter."""
    return (json.dumps(book, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


@contextmanager
def locked(figures_dir: Path):
    """Hold the register's lock: chapters outside a build may finish in parallel."""
    with open(Path(figures_dir) / "numbers.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _rewrite(figures_dir: Path, change) -> Path:
    """Replace the register by ``change(register)`` under the lock, deleting the files of the
    figures it no longer holds; the CSV follows the JSON."""
    register = figures_dir / "numbers.json"
    with locked(figures_dir):
        book = read(figures_dir)
        changed = change(book)
        for dropped in set(book["figures"]) - set(changed["figures"]):
            for ext in ("svg", "pdf", "csv"):
                (figures_dir / f"{dropped}.{ext}").unlink(missing_ok=True)
        _write(register.with_suffix(".csv"), as_csv(changed["numbers"]))
        _write(register, as_json(changed))
    return register


def _write(path: Path, content: bytes) -> None:
    """Replace ``path`` in one step, and only if its bytes change."""
    if path.exists() and path.read_bytes() == content:
        return
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)

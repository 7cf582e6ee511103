"""Absolute paths of the project, so that code works from any working directory.

Chapters run with ``chapters/`` as their working directory, tests from the root,
papermill from a scratch directory: every path is derived from this file's location.
"""

import fnmatch
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
DATAPACKAGE = DATA / "datapackage.json"
FIGURES = ROOT / "figures"
NUMBERS = FIGURES / "numbers.json"
CHAPTERS = ROOT / "chapters"
#: How Sphinx names the chapters' documents: ``chapters/03-closed-border``.
CHAPTER_DOCS = "chapters/"
BIBLIOGRAPHY = ROOT / "references.bib"
BUILD = ROOT / "_build"
VERIFY_REPORT = BUILD / "verify" / "report.json"

# What is not a source of the book: environment, builds, history, caches, lock files.
NOT_SOURCES = (".venv", "_build", ".git", "__pycache__", ".pytest_cache", ".ipynb_checkpoints",
               "*.egg-info", "*.lock", ".*.tmp")


def sources(root: Path = ROOT) -> list[Path]:
    """Every file of the project that a build may read, sorted; the rest is in ``NOT_SOURCES``."""
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not _ignored(d))
        found += [Path(folder) / name for name in sorted(files) if not _ignored(name)]
    return found


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in NOT_SOURCES)


def scratch_copy(target: Path) -> Path:
    """Copy the project's sources, data and published figures to ``target`` (for tests and
    benchmarks that must not touch the real tree); environment, builds and history stay out."""
    shutil.copytree(ROOT, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    return target

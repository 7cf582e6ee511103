"""Absolute paths of the project, so that code works from any working directory.

Chapters run with ``chapters/`` as their working directory, tests from the root,
papermill from a scratch directory: every path is derived from this file's location.
"""

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
DATAPACKAGE = DATA / "datapackage.json"
FIGURES = ROOT / "figures"
NUMBERS = FIGURES / "numbers.json"
CHAPTERS = ROOT / "chapters"
BIBLIOGRAPHY = ROOT / "references.bib"
BUILD = ROOT / "_build"


def scratch_copy(target: Path) -> Path:
    """Copy the project's sources, data and published figures to ``target`` (for tests and
    benchmarks that must not touch the real tree); environment, builds and history stay out."""
    shutil.copytree(ROOT, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
        ".venv", "_build", ".git", "__pycache__", ".pytest_cache"))
    return target

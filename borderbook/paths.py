"""Absolute paths of the project, so that code works from any working directory.

Chapters run with ``chapters/`` as their working directory, tests from the root,
papermill from a scratch directory: every path is derived from this file's location.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
DATAPACKAGE = DATA / "datapackage.json"
FIGURES = ROOT / "figures"
NUMBERS = FIGURES / "numbers.json"
CHAPTERS = ROOT / "chapters"
BIBLIOGRAPHY = ROOT / "references.bib"
BUILD = ROOT / "_build"

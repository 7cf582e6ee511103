"""Shared fixtures: where the built book lives, and the published register.

The suite has three layers, each a folder and a marker: ``unit`` (no build, seconds),
``book`` (reads the built book: `make test` runs `make book` first) and ``e2e`` (builds
scratch copies of the project). `pytest -m unit` runs the first alone.
"""

import json
import re

import pytest
import yaml

from borderbook import data, freshness, paths, record

PDF = paths.BUILD / "pdf" / "taliban-at-the-border.pdf"
HTML = paths.BUILD / "html"


def toc_files() -> list[str]:
    """Every document named in _toc.yml, as a path without extension."""
    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    stack = list(toc.get("chapters", [])) + list(toc.get("parts", []))
    while stack:
        entry = stack.pop(0)
        if "file" in entry:
            files.append(entry["file"])
        stack[:0] = entry.get("chapters", []) + entry.get("sections", [])
    return files


def tree_digest(folder) -> dict[str, str]:
    """Checksum of every file under ``folder`` (lock and temporary files aside), to prove it unchanged."""
    return {str(p.relative_to(folder)): freshness.checksum(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith((".lock", ".tmp"))}


def chapter_sources() -> list:
    """The Markdown source of every chapter in the toc."""
    return [paths.ROOT / f"{name}.md" for name in toc_files()]


def pytest_collection_modifyitems(config, items):
    """Each test is marked with its layer, the folder it lives in."""
    for item in items:
        layer = item.path.parent.name
        if layer in ("unit", "book", "e2e"):
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(scope="session")
def register() -> dict:
    """The published register of numbers and figures."""
    return record.read()


@pytest.fixture(scope="session")
def quantity_rows() -> dict:
    """Every row of every quantity table (figures with bound, claimant, kind), by ``resource:id``."""
    descriptor = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    return {f"{resource['name']}:{row_id}": row
            for resource in descriptor["resources"] if resource.get("schema") == "schemas/quantity.json"
            for row_id, row in data.table(resource["name"])[0].iterrows()}


@pytest.fixture(scope="session")
def pdf_text() -> str:
    """The text of the built PDF, whitespace collapsed (hyphenation and line breaks vary)."""
    from pypdf import PdfReader

    if not PDF.exists():
        pytest.fail(f"{PDF} is missing: run `make book` first")
    text = "\n".join(page.extract_text() for page in PdfReader(PDF).pages)
    return re.sub(r"\s+", " ", text).replace("’", "'").replace("“", '"').replace("”", '"')

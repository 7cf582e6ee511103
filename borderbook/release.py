"""The edition's identity (version, date: CITATION.cff is the one place they are written) and
``make release``: one zip that carries the book, its data and how each output was made."""

from pathlib import Path

import yaml

from borderbook import paths

SLUG = "taliban-at-the-border"
CITATION = paths.ROOT / "CITATION.cff"


class ReleaseError(Exception):
    """The tree cannot be released; the message says why and what to do."""


def edition(citation: Path = CITATION) -> dict:
    """Version, date, title and identifier of this edition, from CITATION.cff."""
    cff = yaml.safe_load(citation.read_text(encoding="utf-8"))
    for key in ("version", "date-released"):
        if not cff.get(key):
            raise ReleaseError(f"{citation.name}: field '{key}' is missing; it gives the edition's {key}.")
    version, date = str(cff["version"]), str(cff["date-released"])
    return {"version": version, "date": date, "title": cff["title"], "licence": cff.get("license"),
            "identifier": f"{SLUG}-{version}", "slug": SLUG}

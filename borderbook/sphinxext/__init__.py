"""The book's Sphinx extension: one module per feature, each with its own ``setup``.

- :mod:`.freshness`: chapters execute again, and pages are read again, exactly when the
  one freshness rule (:mod:`borderbook.freshness`) says so; a changed navigation rewrites
  every page.
- :mod:`.checks`: fail-closed checks, each a warning (an error under ``-W``) naming file
  and line: typed quantities, cross-page pastes, undefined footnotes, figures without
  caption or alt text, data rows citing unknown keys, published numbers no page uses.
- :mod:`.directives`: the numbers register, the verification report, the data catalogue.
- :mod:`.latex`: the PDF: its structure, attached data, number links, metadata and typography.
- :mod:`.html`: accessibility repairs of the HTML (one id per pasted number, list roles).
- :mod:`.epub`: what the EPUB needs to be valid EPUB 3.
- :mod:`.citations`: the citation style ``borderbook`` and the pybtex plugins, registered once.
- :mod:`.cells`: the code in the book: anchors of code cells, code out of the PDF and EPUB, each
  chapter's executed notebook for download, the repository's address, "Run it yourself".
- :mod:`.cite`: how to cite this edition, from CITATION.cff; citation and Open Graph meta tags.
"""

import hashlib
from pathlib import Path

from borderbook.sphinxext import (
    cells, checks, citations, cite, directives, epub, freshness, html, latex, pages,
)

FEATURES = (pages, freshness, checks, directives, latex, epub, html, citations, cells, cite)


def setup(app):
    for feature in FEATURES:
        feature.setup(app)
    return {"version": "2", "parallel_read_safe": False, "env_version": env_version()}


def env_version() -> int:
    """Sphinx keeps its environment, and rewrites only the pages it reads again, while every
    extension's env_version stays the same. Ours is a checksum of the package's own files, so
    that an edit to any of them reaches every page."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.parent.rglob("*.py")):
        digest.update(module.read_bytes())
    return int(digest.hexdigest()[:12], 16)

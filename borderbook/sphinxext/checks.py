"""Fail-closed checks: each is a warning (an error under ``-W``) that names file and line.

A quantity typed into prose, a value pasted from another page, a Markdown footnote without
definition, a figure without caption or alt text, a data row whose source is not in
references.bib, a published number that no page uses.
"""

import csv
import json
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

from borderbook import bib, paths, prose, record
from borderbook.sphinxext import pages

logger = logging.getLogger(__name__)


def setup(app):
    app.connect("builder-inited", check_data_sources)
    app.connect("source-read", check_source)
    app.connect("doctree-read", check_figures)
    app.connect("env-check-consistency", check_unused_numbers)


def _warn(message: str, location, subtype: str) -> None:
    logger.warning(message, location=location, type="borderbook", subtype=subtype)


def check_source(app, docname, source):
    """Refuse typed quantities, cross-page pastes and undefined footnotes; remember which glue
    keys the page uses."""
    if not docname.startswith(paths.CHAPTER_DOCS):
        return
    text = source[0]
    for line, content in prose.typed_quantities_in(text):
        _warn(f"quantity typed into prose (glue it from data): {content!r}", (docname, line), "typed-quantity")
    for line, paste in prose.cross_page_pastes(text):
        _warn(f"{paste} pastes a value from another page, which is not rebuilt when it changes: "
              "compute the number in this chapter", (docname, line), "cross-page")
    for line, label in prose.undefined_footnotes(text):
        _warn(f"footnote [^{label}] has no definition", (docname, line), "footnote")
    pages.of(app.env, docname)["glue"] = sorted(prose.glue_keys(text))


def check_figures(app, doctree):
    """Every figure has a caption and every image an alt text."""
    for figure in doctree.findall(nodes.figure):
        images = list(figure.findall(nodes.image))
        if not list(figure.findall(nodes.caption)) or not all(i.get("alt", "").strip() for i in images):
            _warn("figure without caption or alt text", figure, "figure")


def check_unused_numbers(app, env):
    """Every published number must be pasted by some page of the book."""
    used = {key for page in env.borderbook_pages.values() for key in page.get("glue", [])}
    book = record.read()
    for name, item in sorted({**book["numbers"], **book["figures"]}.items()):
        if name not in used and f"{paths.CHAPTER_DOCS}{item['chapter']}" in env.found_docs:
            _warn(f"published number or figure '{name}' (chapter {item['chapter']}) is used by no page: "
                  "paste it or stop publishing it", f"{paths.CHAPTER_DOCS}{item['chapter']}", "unused")


def check_data_sources(app):
    """Every row of every table must cite a key of references.bib (checked even when cached)."""
    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    known = bib.keys()
    for resource in package["resources"]:
        path = paths.DATA / resource["path"]
        if resource.get("format") != "csv" or not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as rows:
            for number, row in enumerate(csv.DictReader(rows), start=2):
                if row.get("source") not in known:
                    # a location string, not (docname, line): Sphinx would add ".rst" to the file
                    _warn(f"source {row.get('source')!r} is not a key of references.bib; add the "
                          "entry or correct the key", f"{Path(path).relative_to(paths.ROOT)}:{number}", "source")

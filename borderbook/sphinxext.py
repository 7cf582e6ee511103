"""The book's Sphinx extension: data-aware execution, fail-closed checks, the numbers register.

- Before reading, chapters whose data or helper code changed since they published
  (see :mod:`borderbook.freshness`) lose their execution-cache record and are re-read,
  so MyST-NB executes them again; pages built from the register are re-read with them.
- While reading, each chapter declares the data files it read as Sphinx dependencies,
  so every builder (HTML, LaTeX) rebuilds it when they change. When the navigation
  changes (a page added, a title edited), every page is written again.
- Fail-closed checks, each a warning (an error under ``-W``) that names file and line:
  a quantity typed into prose, a value pasted from another page, a Markdown footnote
  without definition, a figure without caption or alt text, a data row whose source is
  not in references.bib, a published number that no page uses.
- The citation style ``borderbook`` (:mod:`borderbook.citations`).
- Assets in ``_static`` (provenance tooltips, citation previews) are added by Jupyter Book.
- The ``numbers-register`` directive renders every published number from
  ``figures/numbers.json``; the ``verification-report`` directive, the result of the last
  ``make verify`` on this machine, re-read whenever that report changes; the
  ``data-catalogue`` directive, every table of ``data/`` (:mod:`borderbook.catalogue`).
"""

import csv
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from borderbook import bib, catalogue, freshness, paths, prose

logger = logging.getLogger(__name__)
CHAPTERS = "chapters/"
#: the modules whose code shapes the pages this extension renders (see _env_version)
RENDERING = ("sphinxext.py", "citations.py", "catalogue.py", "prose.py", "bib.py")


def setup(app):
    from pybtex.plugin import register_plugin

    from borderbook.citations import Style

    register_plugin("pybtex.style.formatting", "borderbook", Style)
    # sphinxcontrib-bibtex looks this backend up once per {cite}; found among the entry points
    # it costs ~10 ms each (seconds for the register of numbers), registered here it is free.
    from pybtex.backends.plaintext import Backend

    register_plugin("pybtex.backends", "plaintext", Backend, force=True)
    app.connect("builder-inited", _forget_stale_executions)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("source-read", _check_source)
    app.connect("doctree-read", _after_read)
    app.connect("env-check-consistency", _check_unused_numbers)
    app.connect("env-before-read-docs", _remember_navigation)
    app.connect("env-updated", _rewrite_all_if_navigation_changed)
    app.connect("html-page-context", _repair_bibliography_roles)
    app.add_post_transform(PersianInLatex)
    app.add_post_transform(FootnoteMarkSeparator)
    app.add_directive("numbers-register", NumbersRegister)
    app.add_directive("verification-report", VerificationReport)
    app.add_directive("data-catalogue", DataCatalogue)
    # The theme logs a console error on a first visit, when no colour mode is stored yet.
    app.add_js_file(None, body='document.documentElement.dataset.mode ||= "auto";', priority=900)
    return {"version": "1", "parallel_read_safe": False, "env_version": _env_version()}


def _env_version() -> int:
    """Sphinx keeps its environment, and rewrites only the pages it reads again, while every
    extension's env_version stays the same. Ours is a checksum of the code that renders the
    pages, so that an edit to it reaches every page."""
    digest = hashlib.sha256()
    for module in RENDERING:
        digest.update(Path(__file__).with_name(module).read_bytes())
    return int(digest.hexdigest()[:12], 16)


def _forget_stale_executions(app):
    """Drop the cache record of every stale chapter so that it is executed again."""
    _check_data_sources()
    app.borderbook_stale = freshness.forget_stale(Path(app.srcdir, app.config.nb_execution_cache_path))
    for chapter, changed in sorted(app.borderbook_stale.items()):
        logger.info(f"[borderbook] {chapter}: inputs changed ({', '.join(changed)}); executing again")


def _outdated(app, env, added, changed, removed):
    """Stale chapters and the pages that render the register must be read again, and so
    must a page showing a verification report that has changed since it was read."""
    report = freshness.checksum(paths.VERIFY_REPORT)
    outdated = {doc for doc, seen in getattr(env, "borderbook_verify", {}).items() if seen != report}
    stale = getattr(app, "borderbook_stale", {})
    if stale:
        register = str(paths.NUMBERS)
        outdated |= {doc for doc, deps in env.dependencies.items() if register in {str(d) for d in deps}}
        outdated |= {f"{CHAPTERS}{chapter}" for chapter in stale if f"{CHAPTERS}{chapter}" in env.found_docs}
    return sorted(outdated)


def _navigation(env) -> str:
    """The book's navigation, as every HTML page's sidebar shows it: the tree and the titles."""
    return json.dumps([sorted((doc, list(children)) for doc, children in env.toctree_includes.items()),
                       sorted((doc, title.astext()) for doc, title in env.titles.items())])


def _remember_navigation(app, env, docnames):
    app.borderbook_navigation = _navigation(env)


def _rewrite_all_if_navigation_changed(app, env):
    """Every page must be written again when a page is added or a title changes: Sphinx
    writes only the pages it read again, and the others would keep an outdated sidebar."""
    if app.borderbook_navigation != _navigation(env):
        return sorted(env.found_docs)
    return []


def _purge(app, env, docname):
    getattr(env, "borderbook_glue", {}).pop(docname, None)
    getattr(env, "borderbook_verify", {}).pop(docname, None)


def _check_source(app, docname, source):
    """Refuse typed quantities and undefined footnotes; remember which glue keys a page uses."""
    if not docname.startswith(CHAPTERS):
        return
    text = source[0]
    for line, content in prose.typed_quantities_in(text):
        logger.warning(f"quantity typed into prose (glue it from data): {content!r}",
                       location=(docname, line), type="borderbook", subtype="typed-quantity")
    for line, paste in prose.cross_page_pastes(text):
        logger.warning(f"{paste} pastes a value from another page, which is not rebuilt when it "
                       "changes: compute the number in this chapter", location=(docname, line),
                       type="borderbook", subtype="cross-page")
    for line, label in prose.undefined_footnotes(text):
        logger.warning(f"footnote [^{label}] has no definition", location=(docname, line),
                       type="borderbook", subtype="footnote")
    if not hasattr(app.env, "borderbook_glue"):
        app.env.borderbook_glue = {}
    app.env.borderbook_glue[docname] = prose.glue_keys(text)


def _after_read(app, doctree):
    """Declare a chapter's data as dependencies; check its figures' captions and alt text."""
    env = app.env
    chapter = Path(env.docname).name
    record = freshness.register().get("chapters", {}).get(chapter)
    if record:
        for name in freshness.inputs(record):
            env.note_dependency(str(paths.ROOT / name))
    for figure in doctree.findall(nodes.figure):
        images = list(figure.findall(nodes.image))
        if not list(figure.findall(nodes.caption)) or not all(i.get("alt", "").strip() for i in images):
            logger.warning("figure without caption or alt text", location=figure,
                           type="borderbook", subtype="figure")


def _check_unused_numbers(app, env):
    """Every published number must be pasted by some page of the book."""
    used = set().union(*getattr(env, "borderbook_glue", {}).values())
    book = freshness.register()
    published = {**book.get("numbers", {}), **book.get("figures", {})}
    for name, item in sorted(published.items()):
        if name not in used and f"{CHAPTERS}{item['chapter']}" in env.found_docs:
            logger.warning(f"published number or figure '{name}' (chapter {item['chapter']}) is used "
                           "by no page: paste it or stop publishing it",
                           location=f"{CHAPTERS}{item['chapter']}", type="borderbook", subtype="unused")


def _repair_bibliography_roles(app, pagename, templatename, context, doctree):
    """docutils wraps bibliography entries in a role="list" but gives each the role
    doc-biblioentry, deprecated and not allowed on a div: screen readers and axe then see a
    list without items. The entries become the list's items."""
    if "body" in context:
        context["body"] = context["body"].replace(' role="doc-biblioentry"', ' role="listitem"')


def _check_data_sources():
    """Every row of every table must cite a key of references.bib (checked even when cached)."""
    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    known = bib.keys()
    for resource in package["resources"]:
        if resource.get("format") != "csv":
            continue
        path = paths.DATA / resource["path"]
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as rows:
            for number, row in enumerate(csv.DictReader(rows), start=2):
                if row.get("source") not in known:
                    logger.warning(f"source {row.get('source')!r} is not a key of references.bib",
                                   location=(str(path.relative_to(paths.ROOT)), number),
                                   type="borderbook", subtype="source")


class FootnoteMarkSeparator(SphinxPostTransform):
    """In the PDF, two footnote marks in a row print as one number (10 then 11 reads "1011"):
    a superscript comma goes between them, as in a printed book."""

    builders = ("latex",)
    default_priority = 650   # after Sphinx has made references into footnotes and marks (600)

    def run(self, **kwargs):
        from sphinx.builders.latex.nodes import footnotemark

        marks = (nodes.footnote, footnotemark)
        for mark in list(self.document.findall(lambda node: isinstance(node, marks))):
            if isinstance(mark.next_node(descend=False, siblings=True), marks):
                mark.parent.insert(mark.parent.index(mark) + 1,
                                   nodes.raw("", r"\textsuperscript{,}", format="latex"))


class PersianInLatex(SphinxPostTransform):
    """XeTeX has no font fallback and no automatic bidi: set each run of Arabic script
    (Dari, Persian) in the Persian font, right to left."""

    builders = ("latex",)
    default_priority = 400
    RUN = re.compile(r"[\u0600-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF][\u0600-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF\u200c ]*"
                     r"[\u0600-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF]|[\u0600-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF]")

    def run(self, **kwargs):
        for text in list(self.document.findall(nodes.Text)):
            if not self.RUN.search(text) or isinstance(text.parent, (nodes.raw, nodes.literal_block)):
                continue
            pieces, last = [], 0
            for match in self.RUN.finditer(text):
                pieces.append(nodes.Text(text[last:match.start()]))
                pieces.append(nodes.raw("", f"{{\\persianfont\\beginR {match.group(0)}\\endR}}", format="latex"))
                last = match.end()
            pieces.append(nodes.Text(text[last:]))
            text.parent.replace(text, pieces)


#: A register row lists at most this many inputs, or sources; past it, it counts them (rows
#: by table). A table row taller than a page runs off the PDF's page, and a count reads
#: better than a column of sixty ids. The full lists stay in numbers.csv and numbers.json,
#: and in the provenance the number shows in the text.
LISTED = 12


def _listed_inputs(refs: list[str]) -> str:
    if len(refs) <= LISTED:
        return ", ".join(refs)
    tables = Counter(ref.partition(":")[0] for ref in refs)
    return f"{len(refs)} rows (" + ", ".join(f"{table}: {count}" for table, count in tables.items()) + ")"


def _listed_sources(keys: list[str]) -> str:
    return ", ".join(keys) if len(keys) <= LISTED else f"{len(keys)} sources (listed in numbers.csv)"


class NumbersRegister(SphinxDirective):
    """Render the register of published numbers, grouped by chapter, with an anchor per number."""

    def run(self):
        self.env.note_dependency(str(paths.NUMBERS))
        numbers = freshness.register().get("numbers", {})
        lines = []
        for chapter in sorted({n["chapter"] for n in numbers.values()}):
            title = self.env.titles.get(f"{CHAPTERS}{chapter}")
            # longtable: Sphinx sets a table of fewer than 30 rows in one that cannot break
            # across PDF pages, and a chapter's numbers run longer than a page.
            lines += [f"## {title.astext() if title else chapter}", "", "```{list-table}", ":header-rows: 1",
                      ":widths: 22 18 30 30", ":class: bb-register longtable", "",
                      "* - Number", "  - As printed", "  - Formula and inputs", "  - Sources"]
            for name, number in sorted(numbers.items()):
                if number["chapter"] != chapter:
                    continue
                statements = f" (paper: {', '.join(number['register'])})" if number["register"] else ""
                # Plain text, not code: in the PDF, code does not wrap inside a table cell.
                lines += [f'* - <span id="number-{name}"></span>{_escape(name)}',
                          f"  - {_escape(number['text'])}",
                          f"  - {_escape(number['formula'])}; "
                          f"from {_escape(_listed_inputs(number['inputs']))}",
                          f"  - {_escape(_listed_sources(number['sources']))}{statements}"]
            lines += ["```", ""]
        # Each source once, not once per number: every {cite} costs a lookup at build time.
        keys = sorted({key for number in numbers.values() for key in number["sources"]})
        lines += ["## The sources by key", ""] + [f"- {_escape(key)}: {{cite:t}}`{key}`" for key in keys]
        container = nodes.container(classes=["bb-numbers-register"])
        self.state.nested_parse(StringList(lines, source=str(paths.NUMBERS)), self.content_offset, container)
        return [container]


class VerificationReport(SphinxDirective):
    """One sentence: what the last ``make verify`` on this machine reported, if it ran.

    The report lives in ``_build/``, not in the published register: it belongs to the
    machine that built this copy. Its checksum is kept with the page, which is read again
    when the report changes (a Sphinx dependency on a file that may not exist would
    re-read the page at every build)."""

    def run(self):
        if not hasattr(self.env, "borderbook_verify"):
            self.env.borderbook_verify = {}
        self.env.borderbook_verify[self.env.docname] = freshness.checksum(paths.VERIFY_REPORT)
        if paths.VERIFY_REPORT.exists():
            report = json.loads(paths.VERIFY_REPORT.read_text(encoding="utf-8"))
            summary = "; ".join(f"{part}: {report[part]['count']} compared, "
                                f"{len(report[part]['differences'])} differing"
                                for part in ("numbers", "figures", "data"))
            verdict = "everything identical" if report["identical"] else "differences found"
            text = f"On the machine that built this copy, `make verify` last reported {verdict} ({summary})."
        else:
            text = "`make verify` has not been run on the machine that built this copy."
        paragraph = nodes.paragraph()
        self.state.nested_parse(StringList([text], source=str(paths.VERIFY_REPORT)), self.content_offset,
                                paragraph)
        return paragraph.children


class DataCatalogue(SphinxDirective):
    """One section per table of ``data/``; the page is read again when any of them changes."""

    def run(self):
        try:
            lines, read = catalogue.describe()
        except (OSError, ValueError, KeyError, csv.Error) as error:
            logger.warning(f"the data catalogue cannot read data/: {error!r}", location=self.get_location(),
                           type="borderbook", subtype="data")
            return []
        for path in read:
            self.env.note_dependency(str(path))
        node = nodes.Element()
        nested_parse_with_titles(self.state, StringList(lines, source=str(paths.DATAPACKAGE)), node,
                                 self.content_offset)
        return node.children


def _escape(text: str) -> str:
    """Markdown-safe text for a generated table cell."""
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")

"""Directives that render pages from the project's own records: the register of numbers,
the last verification report, the data catalogue."""

import csv
import json
import re
from collections import Counter

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from borderbook import catalogue, freshness, paths, record
from borderbook.sphinxext import latex, pages

logger = logging.getLogger(__name__)


def setup(app):
    app.add_directive("numbers-register", NumbersRegister)
    app.add_directive("verification-report", VerificationReport)
    app.add_directive("data-catalogue", DataCatalogue)


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
    """Render the register of published numbers, grouped by chapter, with an anchor per number.

    The HTML has the full table, a section per chapter. The PDF has one compact row per
    number, in small type (text, name, chapter, formula, how many input rows and sources),
    so that the register fits a few pages; the full register travels inside the PDF as the
    attachment numbers.csv, which the page's link opens (:mod:`.latex`). Each row of the PDF's
    table is the destination ``number-NAME`` of its number's links in the text."""

    def run(self):
        self.env.note_dependency(str(paths.NUMBERS))
        numbers = record.read()["numbers"]
        # Both forms are read, whatever the builder: one read of the book serves every edition
        # (borderbook.build), and each edition keeps its own form when it is written.
        full, compact = addnodes.only(expr="not latex"), addnodes.only(expr="latex")
        full += self._full(numbers)
        compact += self._compact(numbers)
        return [full, compact]

    def _full(self, numbers: dict) -> list:
        chapters = sorted({n["chapter"] for n in numbers.values()})
        lines = []
        for chapter in chapters:
            title = self.env.titles.get(f"{paths.CHAPTER_DOCS}{chapter}")
            lines += [f"## {title.astext() if title else chapter}", ""]
        lines += ["## The sources by key", ""] + _sources_by_key(numbers)
        container = nodes.container(classes=["bb-numbers-register"])
        self.state.nested_parse(StringList(lines, source=str(paths.NUMBERS)), self.content_offset, container)
        # Headings parsed inside a directive are rubrics: each chapter's table goes after its own.
        for chapter, heading in zip(chapters, list(container.findall(nodes.rubric))):
            rows = []
            for name, number in sorted(numbers.items()):
                if number["chapter"] != chapter:
                    continue
                statements = f" (paper: {', '.join(number['statements'])})" if number["statements"] else ""
                anchor = nodes.raw("", f'<span class="bb-anchor" id="number-{name}"></span>', format="html")
                # Plain text, not code: in the PDF, code does not wrap inside a table cell.
                rows.append([[anchor, nodes.Text(name)], number["text"],
                             f"{number['formula']}; from {_listed_inputs(number['inputs'])}",
                             f"{_listed_sources(number['sources'])}{statements}"])
            # longtable: Sphinx sets a table of fewer than 30 rows in one that cannot break
            # across PDF pages, and a chapter's numbers run longer than a page.
            heading.parent.insert(heading.parent.index(heading) + 1, _table(
                ["Number", "As printed", "Formula and inputs", "Sources"], rows, [22, 18, 30, 30],
                ["bb-register", "longtable"]))
        return [container]

    def _compact(self, numbers: dict) -> list:
        labels = chapter_labels()
        order = {chapter: index for index, chapter in enumerate(labels)}
        ordered = sorted(numbers.values(), key=lambda n: (order.get(n["chapter"], len(order)), n["name"]))
        lines = ["In this PDF each number has one row: the text as printed, the name the chapters use, "
                 "its chapter (by number, by a short name for the afterword, or by the appendix's letter), its formula, and how many data "
                 "rows and sources it was computed from. The rows and the sources themselves, and the "
                 "statements of the paper, are in {download}`numbers.csv <../figures/numbers.csv>`, "
                 "which this PDF carries as an attachment.", ""]
        lines += ["## The sources by key", "", ":::{container} bbcolumns", *_sources_by_key(numbers), ":::"]
        container = nodes.container(classes=["bb-numbers-register"])
        self.state.nested_parse(StringList(lines, source=str(paths.NUMBERS)), self.content_offset, container)
        rows = []
        for number in ordered:
            # Each row is the destination of its number's links in the text (latex.NumberLinks).
            name = [latex.number_row(number["name"])] if latex.DESTINATION.fullmatch(number["name"]) else []
            # a figure and the word after it on one line, as in the text (latex.NumberLinks)
            printed = re.sub(r"(\d\S*) ", "\\1\u00a0", number["text"])
            rows.append([[*name, nodes.Text(printed)], number["name"],
                         labels.get(number["chapter"], number["chapter"]), number["formula"],
                         str(len(number["inputs"])), str(len(number["sources"]))])
        compact = nodes.container("", _table(["As printed", "Name", "Ch.", "Formula", "Rows", "Src."], rows,
                                             [18, 24, 6, 36, 8, 8], ["longtable"]), classes=["bbcompact"])
        container.insert(1, compact)   # after the paragraph that introduces it
        return [container]


def _sources_by_key(numbers: dict) -> list[str]:
    """A Markdown list resolving each source key of ``numbers`` to its reference. Each source
    once, not once per number: every {cite} costs a lookup at build time."""
    keys = sorted({key for number in numbers.values() for key in number["sources"]})
    return [f"- {_escape(key)}: {{cite:t}}`{key}`" for key in keys]


def _table(header: list[str], rows: list[list], widths: list[int], classes: list[str]) -> nodes.table:
    """A table as the list-table directive builds it, from plain text (a cell is a string or a
    list of nodes). Built directly, not parsed from Markdown: the register has a row per
    published number, and parsing them took most of the page's read, in each edition."""
    table = nodes.table(classes=["colwidths-given", *classes])
    group = nodes.tgroup(cols=len(widths))
    table += group
    group += [nodes.colspec(colwidth=width) for width in widths]

    def row(cells):
        return nodes.row("", *(nodes.entry("", nodes.paragraph("", "", *(
            [nodes.Text(cell)] if isinstance(cell, str) else cell))) for cell in cells))

    group += nodes.thead("", row(header))
    group += nodes.tbody("", *(row(cells) for cells in rows))
    return table


def chapter_labels() -> dict[str, str]:
    """Each chapter's label in the PDF, in the order of the book: the paper's sections by
    their number, the edition's own chapters by a short name, the appendices by letter (:class:`borderbook.sphinxext.latex.BookStructure`)."""
    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text(encoding="utf-8"))
    labels, letter = {}, 0
    for entry in toc.get("chapters", []):
        name = entry["file"].removeprefix(paths.CHAPTER_DOCS)
        if name[:2].isdigit() and int(name[:2]) <= latex.PAPER_SECTIONS:
            labels[name] = str(int(name[:2]))
        elif name[:2].isdigit():   # the edition's own, unnumbered chapter: "Aft." for the afterword
            labels[name] = name[3:6].capitalize() + "."
        else:
            labels[name] = chr(ord("A") + letter)
            letter += 1
    return labels


class VerificationReport(SphinxDirective):
    """One sentence: what the last ``make verify`` on this machine reported, if it ran.

    The report lives in ``_build/``, not in the published register: it belongs to the
    machine that built this copy. Its checksum is kept with the page, which is read again
    when the report changes (a Sphinx dependency on a file that may not exist would
    re-read the page at every build)."""

    def run(self):
        pages.of(self.env)["verify"] = freshness.checksum(paths.VERIFY_REPORT)
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

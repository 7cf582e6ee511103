"""How to cite this edition, generated from ``CITATION.cff`` (the one source of truth).

- The record is read by :func:`borderbook.release.cff`.
- :func:`citation_text` and :func:`bibtex` render a CFF record (the edition, or a work in its
  ``references``) as CSL-style (APA) text and as a BibTeX entry; pure functions.
- The ``cite-this-edition`` directive shows both, with the version, the release date and a
  link to the whole book as a PDF; the page is read again when ``CITATION.cff`` changes.
- Every HTML page carries Highwire ``citation_*`` and Open Graph meta tags for indexers and
  link previews.
- ``CITATION.cff``'s ``repository-code`` must be the repository address of ``_config.yml``:
  the build warns when they differ.
"""

import datetime
import html
import os
import re
import unicodedata
from pathlib import Path

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from borderbook import paths, release
from borderbook.sphinxext import cells

logger = logging.getLogger(__name__)
PDF = paths.BUILD / "pdf" / "taliban-at-the-border.pdf"
HTML = paths.BUILD / "html"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def setup(app):
    app.add_directive("cite-this-edition", CiteThisEdition)
    app.connect("config-inited", check_repository_agrees)
    app.connect("html-page-context", meta_tags)


# Reading and rendering (pure) --------------------------------------------------------------

def released(record: dict) -> datetime.date | None:
    """The release date of a record :func:`borderbook.release.cff` read (a work among its
    references may have none)."""
    return record.get("date-released")


def long_date(date: datetime.date) -> str:
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


def _year(record: dict) -> str:
    date = released(record)
    return str(date.year) if date else str(record.get("year", "n.d."))


def _person(author: dict, initials: bool = True) -> str:
    """APA's "Family, G." for a person, the name as it is for an entity."""
    if "family-names" not in author:
        return author.get("name", "")
    given = author.get("given-names", "")
    if initials:
        given = " ".join(f"{part[0]}." for part in given.split())
    return f"{author['family-names']}, {given}".strip(", ")


def _authors(record: dict) -> str:
    names = [_person(author) for author in record.get("authors", [])]
    if len(names) > 1:
        return ", ".join(names[:-1]) + ", & " + names[-1]
    return names[0] if names else ""


def citation_text(record: dict, markup: bool = False) -> str:
    """The recommended citation in APA style (CSL's default): ``*title*`` in Markdown when
    ``markup``, plain otherwise."""
    title = record["title"]
    italic = f"*{_escape(title)}*" if markup else title
    authors = _authors(record)
    parts = [authors if authors.endswith(".") else f"{authors}.", f"({_year(record)}).", italic]
    details = []
    if record.get("version"):
        details.append(f"Version {record['version']}")
    if record.get("collection-title"):
        details.append(f"{record['collection-title']} No. {record['number']}" if record.get("number")
                       else record["collection-title"])
    parts[-1] += f" ({'; '.join(details)})." if details else "."
    institution = (record.get("institution") or {}).get("name")
    if institution:
        parts.append(f"{institution}.")
    url = record.get("repository-code") or record.get("url")
    if url:
        parts.append(url)
    return " ".join(parts)


def _key(record: dict) -> str:
    author = (record.get("authors") or [{}])[0]
    name = author.get("family-names") or next(
        (word for word in author.get("name", "").split() if word.lower() not in ("the", "a", "an")), "anon")
    word = next((w for w in re.findall(r"[A-Za-z]+", record["title"]) if w.lower() not in ("the", "a", "an")), "")
    ascii_only = unicodedata.normalize("NFKD", f"{name}{_year(record)}{word}").encode("ascii", "ignore")
    return re.sub(r"[^a-z0-9]", "", ascii_only.decode().lower())


def bibtex(record: dict) -> str:
    """A BibTeX entry: ``@misc`` for the edition (with version and address), ``@techreport``
    for a report among its references."""
    kind = "techreport" if record.get("type") == "report" else "misc"
    authors = " and ".join(
        f"{a['family-names']}, {a.get('given-names', '')}".strip(", ") if "family-names" in a
        else f"{{{a.get('name', '')}}}" for a in record.get("authors", []))
    fields = [("author", authors), ("title", f"{{{record['title']}}}"), ("year", _year(record))]
    date = released(record)
    month = date.month if date else record.get("month")
    if month:
        fields.append(("month", MONTHS[int(month) - 1][:3].lower()))   # a BibTeX macro: no braces
    if record.get("version"):
        fields.append(("version", str(record["version"])))
        fields.append(("note", f"Version {record['version']}"))
    if record.get("institution"):
        fields.append(("institution", record["institution"]["name"]))
    if record.get("collection-title"):
        fields.append(("type", record["collection-title"]))
    if record.get("number"):
        fields.append(("number", str(record["number"])))
    url = record.get("repository-code") or record.get("url")
    if url:
        fields.append(("url", url))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = " + (value if name == "month" else f"{{{value}}}")
                       for name, value in fields)
    return f"@{kind}{{{_key(record)},\n{body}\n}}"


def _escape(text: str) -> str:
    return re.sub(r"([*_`\[\]])", r"\\\1", text)


def pdf_href(pagename: str) -> str:
    """The published PDF, relative to HTML page ``pagename`` (it is published beside the HTML,
    in ``_build/pdf/``)."""
    return Path(os.path.relpath(PDF, (HTML / pagename).parent)).as_posix()


# In the book --------------------------------------------------------------------------------

class CiteThisEdition(SphinxDirective):
    """The recommended citation of the edition and of the paper it edits, version and date,
    and (in HTML) a link to the PDF."""

    def run(self):
        self.env.note_dependency(str(release.CITATION))
        try:
            record = release.cff()
        except (OSError, release.ReleaseError, yaml.YAMLError) as error:
            logger.warning(f"the citation cannot be generated: {error}", location=self.get_location(),
                           type="borderbook", subtype="citation")
            return []
        lines = [f"This is version {record['version']} of the edition, released on "
                 f"{long_date(released(record))}. Cite it as:", "",
                 f"> {citation_text(record, markup=True)}", "", "```bibtex", bibtex(record), "```", ""]
        for work in record.get("references", [])[:1]:
            lines += ["and the paper it edits as:", "", f"> {citation_text(work, markup=True)}", "",
                      "```bibtex", bibtex(work), "```", ""]
        container = nodes.container(classes=["bb-cite-this-edition"])
        self.state.nested_parse(StringList(lines, source=str(release.CITATION)), self.content_offset, container)
        # In the HTML only (read once for every edition: the builder decides when it writes).
        # A relative address, not a document: the PDF is published beside the HTML.
        link = nodes.reference("", PDF.name, refuri=pdf_href(self.env.docname), classes=["bb-pdf-link"])
        in_html = addnodes.only(expr="builder_html")
        in_html += nodes.paragraph("", "", nodes.Text("The whole book as a PDF: "), link,
                                   nodes.Text(" (built from the same sources as these pages)."))
        container += in_html
        return [container]


def check_repository_agrees(app, config):
    try:
        code = yaml.safe_load(release.CITATION.read_text(encoding="utf-8")).get("repository-code", "")
    except (OSError, yaml.YAMLError):
        return
    url = cells.repository_url(config)
    if url and code != url:
        logger.warning(f"CITATION.cff's repository-code ({code or 'unset'}) is not the repository "
                       f"address of _config.yml ({url}): make them the same", type="borderbook",
                       subtype="citation")


def meta_tags(app, pagename, templatename, context, doctree):
    """Highwire ``citation_*`` tags (Google Scholar, Zotero) and Open Graph tags (link
    previews) on every page."""
    try:
        record = release.cff()
    except (OSError, release.ReleaseError, yaml.YAMLError):
        return
    date = released(record)
    page = re.sub(r"<[^>]+>", "", html.unescape(context.get("title") or ""))
    book = app.config.project or record["title"]
    tags = [("name", "citation_title", record["title"])]
    tags += [("name", "citation_author", _person(a, initials=False)) for a in record.get("authors", [])]
    if date:
        tags.append(("name", "citation_publication_date", date.strftime("%Y/%m/%d")))
    tags += [("name", "citation_pdf_url", pdf_href(pagename)),
             ("name", "citation_language", app.config.language or "en"),
             ("property", "og:title", f"{page} — {book}" if page and page != book else book),
             ("property", "og:type", "book"),
             ("property", "og:site_name", book)]
    if record.get("abstract"):
        tags.append(("property", "og:description", " ".join(str(record["abstract"]).split())))
    if app.config.html_baseurl:
        tags.append(("property", "og:url", app.config.html_baseurl.rstrip("/") + "/"
                     + app.builder.get_target_uri(pagename)))
    markup = "".join(f'<meta {attribute}="{name}" content="{html.escape(value)}" />\n'
                     for attribute, name, value in tags)
    context["metatags"] = context.get("metatags", "") + markup

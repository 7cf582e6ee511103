"""The PDF: its structure (front matter, chapters, lettered appendices), the data it carries
(each figure's CSV as a file attachment its caption opens), each number's link to its row of
the register, its document metadata, and the typography XeLaTeX does not do by itself."""

import datetime
import html
import os
import re
import shutil
import uuid
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from borderbook import paths, release

logger = logging.getLogger(__name__)

#: The heading of the root document's text in the PDF (the HTML shows it under the book's title).
FRONT_MATTER = "About this edition"
#: The paper's sections are the chapters numbered 1 to 7 (chapters/01- to 07-). The edition's
#: own chapters after them (the afterword) are set unnumbered, before the appendices.
PAPER_SECTIONS = 7


def setup(app):
    app.add_post_transform(PersianInLatex)
    app.add_post_transform(FootnoteMarkSeparator)
    app.add_post_transform(BookStructure)
    app.add_post_transform(DataAttachments)
    app.add_post_transform(NumberLinks)
    app.connect("config-inited", document_metadata)
    app.connect("config-inited", number_commands)
    app.connect("config-inited", whole_footnotes)
    app.connect("builder-inited", no_tooltips)


def no_tooltips(app):
    """A citation's hover text is HTML's: the PDF has none, and formatting every entry of the
    bibliography a second time for it was a tenth of the PDF's build after an edit."""
    if app.builder.format == "latex":
        app.config.bibtex_tooltips = False


def document_metadata(app, config):
    """The PDF's language and its XMP metadata (hyperxmp, from hyperref's keys): title,
    author, licence, date and identifier; the version and the date come from CITATION.cff,
    the one place they are written. The PDF's creation, modification and metadata dates are
    the edition's release date too: hyperxmp reads the clock under XeTeX, whatever
    SOURCE_DATE_EPOCH says, and two builds of one edition would differ in their bytes. For
    the same reason the XMP's document and instance ids, random by default, are derived: one
    document id for the book, one instance id per version."""
    edition = release.edition()
    stamp = f"D:{edition['date'].replace('-', '')}000000Z"
    document, instance = (uuid.uuid5(uuid.NAMESPACE_URL, f"urn:borderbook:{name}")
                          for name in (edition["slug"], edition["identifier"]))
    _add_to_preamble(config, (
        # keeppdfinfo: without it, hyperxmp drops the Info dictionary's author and keywords.
        "\\hypersetup{keeppdfinfo, pdflang=%s, pdfversionid={%s}, pdfdate={%s}, pdfidentifier={%s},\n"
        "  pdfcopyright={%s}, pdflicenseurl={%s},\n"
        "  pdfcreationdate={%s}, pdfmoddate={%s}, pdfmetadate={%s},\n"
        "  pdfdocumentid={uuid:%s}, pdfinstanceid={uuid:%s}}\n"
        % (config.language or "en", edition["version"], edition["date"], edition["identifier"],
           _tex(config.copyright), "https://creativecommons.org/licenses/by/4.0/", stamp, stamp, stamp,
           document, instance)))


def release_time() -> float:
    """The edition's release date (midnight, UTC) as a file time: the date an attachment
    carries in the PDF (xdvipdfmx reads it from the file), not the time of the copy."""
    date = datetime.date.fromisoformat(release.edition()["date"])
    return datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.timezone.utc).timestamp()


def number_commands(app, config):
    r"""The two commands of a number's link in the PDF: ``\bbnumber{NAME}{WORD}`` links one
    word of a number's text to the destination ``number-NAME``, which ``\bbnumberrow{NAME}``
    sets in the number's row of the register, a line above the row's first line.

    Each word is its own link annotation, of the size of the word's box (xdvipdfmx's
    ``pdf:ann``), not hyperref's ``\hyperlink``: xdvipdfmx holds one breakable link at a time,
    so a link that another link left open (a citation in a footnote that runs on to the next
    page, a link broken at the foot of a page while the page's footnotes hold links) swallows
    every link that starts before it ends, and the numbers at the top of such a page had no
    link. A word cannot break across pages, so nothing is left open; the line still breaks
    between words. The word takes the colour of the book's other internal links, unboxed; the
    command is robust (a number may sit in a caption) and is the bare word in a bookmark."""
    _add_to_preamble(config, (
        "% A number in the text links to its row of the register (latex.py, NumberLinks).\n"
        "\\makeatletter\n"
        "\\DeclareRobustCommand{\\bbnumber}[2]{\\leavevmode\\begingroup\n"
        "  \\setbox\\z@\\hbox{\\strut\\Hy@colorlink\\@linkcolor#2\\Hy@endcolorlink}%\n"
        "  \\special{pdf:ann width \\the\\wd\\z@\\space height \\the\\ht\\z@\\space depth \\the\\dp\\z@\\space\n"
        "    <</Type/Annot/Subtype/Link/Border[0 0 0]/A<</S/GoTo/D(number-#1)>>>>}%\n"
        "  \\box\\z@\\endgroup}\n"
        "\\makeatother\n"
        # xdvipdfmx sets a destination at the baseline: a reader landing there would see the
        # row's first line cut at the window's top edge. Raised a line, the row shows whole.
        "\\newcommand{\\bbnumberrow}[1]{\\leavevmode\\raisebox{\\baselineskip}[0pt][0pt]{\\hypertarget{number-#1}{}}}\n"
        "\\pdfstringdefDisableCommands{\\def\\bbnumber#1#2{#2}}\n"))


def whole_footnotes(app, config):
    """A footnote is not split across pages. A footnote's citation is one link, and one that
    ran on to the next page stayed open there (xdvipdfmx holds one breakable link at a time):
    the links starting before it ended, such as the footnote marks at the top of that page,
    were lost, and its area covered the page's first lines, numbers included. LaTeX moves
    the line with the mark to the next page instead."""
    _add_to_preamble(config, "\\interfootnotelinepenalty=10000\n")


def _add_to_preamble(config, tex: str) -> None:
    """Append ``tex`` to the LaTeX preamble of ``_config.yml`` (a copy: the config's dict is shared)."""
    elements = dict(config.latex_elements)
    elements["preamble"] = elements.get("preamble", "") + tex
    config.latex_elements = elements


def _tex(text: str) -> str:
    """Text safe in LaTeX's running text and inside a hyperref key's braces."""
    return re.sub(r"([%#&_$])", r"\\\1", text)


class BookStructure(SphinxPostTransform):
    """A book's parts in the PDF: the root document's text is front matter, under its own
    heading and running foot, numbered in roman; the paper's sections are chapters 1 to 7,
    numbered from page 1; the edition's own chapters after them (the afterword) are not
    numbered; the other documents are appendices, lettered, their titles without the
    "Appendix: " the HTML needs."""

    builders = ("latex",)
    default_priority = 300

    def run(self, **kwargs):
        root = self.document.next_node(nodes.section)
        if root is None:
            return
        title = root.next_node(nodes.title)
        heading = FRONT_MATTER
        root.insert(root.index(title) + 1, nodes.raw("", (
            f"\\chapter*{{{heading}}}\\phantomsection\\addcontentsline{{toc}}{{chapter}}{{{heading}}}"
            f"\\markboth{{{heading}}}{{{heading}}}\n"), format="latex"))
        files = [node for node in self.document.findall(addnodes.start_of_file)]
        chapters = [node for node in files if re.match(rf"{paths.CHAPTER_DOCS}\d\d-", node["docname"])]
        if chapters:
            _before(chapters[0], "\\clearpage\\pagenumbering{arabic}")
        own = [node for node in chapters if int(node["docname"].removeprefix(paths.CHAPTER_DOCS)[:2]) > PAPER_SECTIONS]
        if own:
            _before(own[0], "\\edef\\bbsecnumdepth{\\number\\value{secnumdepth}}\\setcounter{secnumdepth}{-1}")
        appendices = [node for node in files if node not in chapters and node["docname"] != self.config.root_doc]
        if appendices:
            _before(appendices[0], ("\\setcounter{secnumdepth}{\\bbsecnumdepth}" if own else "") + "\\appendix")
        renamed = {}
        for letter, appendix in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", appendices):
            heading = appendix.next_node(nodes.title)
            text = heading.astext() if heading else ""
            if text.startswith("Appendix: "):
                rest = text[len("Appendix: "):]
                heading.children = []
                heading += nodes.Text(rest[:1].upper() + rest[1:])
                renamed[text] = f"Appendix {letter} ({rest})"
        # A link that names an appendix by its HTML title names it by its letter.
        for reference in list(self.document.findall(nodes.reference)):
            for text in list(reference.findall(nodes.Text)):
                if str(text) in renamed:
                    text.parent.replace(text, nodes.Text(renamed[str(text)]))


def _before(node, latex: str) -> None:
    node.parent.insert(node.parent.index(node), nodes.raw("", latex + "\n", format="latex"))


class DataAttachments(SphinxPostTransform):
    """A PDF reader has no folder to download from: each link to a CSV (a figure's data, the
    register) becomes a file attachment annotation over the link's text, holding the file
    itself; clicking the text opens it. LaTeX's attachfile2 writes the annotation where the
    text is set, which a post-step on the finished PDF could only guess."""

    builders = ("latex",)
    default_priority = 300

    def run(self, **kwargs):
        outdir, released = Path(self.app.builder.outdir), release_time()
        for node in list(self.document.findall(addnodes.download_reference)):
            target = node.get("reftarget", "")
            if not target.endswith(".csv"):
                continue
            source = Path(self.env.relfn2path(target, node.get("refdoc", self.env.docname))[1])
            if not source.exists():
                continue
            shutil.copyfile(source, outdir / source.name)
            os.utime(outdir / source.name, (released, released))
            description = _tex(f"Data: {source.name}")
            node.replace_self(nodes.raw("", (
                f"\\bbattach{{mimetype=text/csv,description={{{description}}},color=0.216 0.439 0.388}}"
                f"{{{source.name}}}{{{_tex(node.astext())}}}"), format="latex"))


class NumberLinks(SphinxPostTransform):
    r"""In the PDF, as in the HTML, each glued number links to its row of the register.

    Why a post-transform here and not a ``_repr_latex_`` on :class:`borderbook.publishing.Number`:
    MyST-NB pastes an inline ``text/latex`` output as math (``\(…\)``), which would set the
    number's words in math italics without spaces; a new representation would also change every
    executed notebook, and run every chapter again, for a matter of typesetting. So the number
    is pasted as today (``text/plain``), and this transform wraps each of its words in
    ``\bbnumber{NAME}{…}`` (:func:`number_commands`), around the words' own text nodes:
    Sphinx's LaTeX writer escapes them (``%``, ``$``, ``~``) as any text; the space after a
    word with a digit becomes a tie, so that no line ends between a figure and its unit. The name is read from
    the bundle's ``text/html``, the link :meth:`Number._repr_html_` wrote: the ``text/plain``
    alone (the printed text) does not say which number it is. It runs before MyST-NB's
    ``SelectMimeType`` (priority 4) keeps one representation of the bundle and drops the
    others. The HTML and the EPUB (``text/html``) do not change."""

    builders = ("latex",)
    default_priority = 3
    NUMBER = re.compile(r'<a class="bb-number"[^>]*?\sdata-number="([^"]+)"')

    def run(self, **kwargs):
        bundles = self.document.findall(lambda node: isinstance(node, nodes.container)
                                        and node.get("nb_element") == "mime_bundle")
        for bundle in list(bundles):
            outputs = {child.get("mime_type"): child for child in bundle.children}
            html_output, plain = outputs.get("text/html"), outputs.get("text/plain")
            found = self.NUMBER.match(html_output.astext().strip()) if html_output is not None else None
            if found is None or plain is None:
                continue
            name = html.unescape(found.group(1))
            if not DESTINATION.fullmatch(name):
                logger.warning(f"number '{name}' cannot name a PDF destination: a name of letters, digits, "
                               f"'-', '.' and '_' is expected", location=bundle, type="borderbook",
                               subtype="pdf")
                continue
            for text in list(plain.findall(nodes.Text)):
                words, previous = [], ""
                for word in re.split(r"( +)", str(text)):
                    if word.strip():
                        words += [nodes.raw("", f"\\bbnumber{{{name}}}{{", format="latex"), nodes.Text(word),
                                  nodes.raw("", "}", format="latex")]
                        previous = word
                    elif word and any(character.isdigit() for character in previous):
                        # a figure stays on the line of what it counts: "1,344 km", not "1,344" then "km"
                        words.append(nodes.raw("", "~", format="latex"))
                    elif word:
                        words.append(nodes.Text(word))
                text.parent.replace(text, words)


#: What a number's name may hold to name a PDF destination as it is (``number-NAME``).
DESTINATION = re.compile(r"[A-Za-z0-9._-]+")


def number_row(name: str) -> nodes.raw:
    """The destination of a number's links, set in its row of the register
    (:class:`borderbook.sphinxext.directives.NumbersRegister`)."""
    return nodes.raw("", f"\\bbnumberrow{{{name}}}", format="latex")


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

"""The PDF: its structure (front matter, chapters, lettered appendices), the data it carries
(each figure's CSV as a file attachment its caption opens), its document metadata, and the
typography XeLaTeX does not do by itself."""

import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from borderbook import paths, release

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
    app.connect("config-inited", document_metadata)


def document_metadata(app, config):
    """The PDF's language and its XMP metadata (hyperxmp, from hyperref's keys): title,
    author, licence, date and identifier; the version and the date come from CITATION.cff,
    the one place they are written."""
    edition = release.edition()
    elements = dict(config.latex_elements)
    elements["preamble"] = elements.get("preamble", "") + (
        # keeppdfinfo: without it, hyperxmp drops the Info dictionary's author and keywords.
        "\\hypersetup{keeppdfinfo, pdflang=%s, pdfversionid={%s}, pdfdate={%s}, pdfidentifier={%s},\n"
        "  pdfcopyright={%s}, pdflicenseurl={%s}}\n"
        % (config.language or "en", edition["version"], edition["date"], edition["identifier"],
           _tex(config.copyright), "https://creativecommons.org/licenses/by/4.0/"))
    config.latex_elements = elements


def _tex(text: str) -> str:
    """Text safe inside a hyperref key's braces."""
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
        outdir = Path(self.app.builder.outdir)
        for node in list(self.document.findall(addnodes.download_reference)):
            target = node.get("reftarget", "")
            if not target.endswith(".csv"):
                continue
            source = Path(self.env.relfn2path(target, node.get("refdoc", self.env.docname))[1])
            if not source.exists():
                continue
            shutil.copyfile(source, outdir / source.name)
            description = _latex_text(f"Data: {source.name}")
            node.replace_self(nodes.raw("", (
                f"\\bbattach{{mimetype=text/csv,description={{{description}}},color=0.216 0.439 0.388}}"
                f"{{{source.name}}}{{{_latex_text(node.astext())}}}"), format="latex"))


def _latex_text(text: str) -> str:
    return re.sub(r"([%#&_$])", r"\\\1", text)


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

"""Typography of the PDF: what XeLaTeX does not do by itself."""

import re

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform


def setup(app):
    app.add_post_transform(PersianInLatex)
    app.add_post_transform(FootnoteMarkSeparator)


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

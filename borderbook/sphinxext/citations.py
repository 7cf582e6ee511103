"""Citations in the book: the style ``borderbook`` registered with pybtex, with the plugins
the citations look up (registered once, not searched for on every citation); year suffixes
(2021a, 2021b) wherever two works' author-year labels would read alike, in the labels and the
entries alike; each footnote citation linked to the work's entry on the bibliography page."""

import re

from docutils import nodes
from docutils.nodes import make_id
from sphinx.transforms.post_transforms import SphinxPostTransform

from borderbook.citations import Style, labels

BIBLIOGRAPHY = "chapters/bibliography"


#: The pybtex plugins the book's citations look up, by group and name. pybtex finds a plugin by
#: scanning every installed package's entry points (``importlib.metadata``), on every look-up:
#: sphinxcontrib-bibtex makes three or four per ``{footcite}`` (a style's names, labels and
#: sorting, the docutils backend) and one per ``{cite}`` (plaintext), seconds per build in all.
PLUGINS = (
    ("pybtex.backends", "docutils"),
    ("pybtex.backends", "plaintext"),
    ("pybtex.style.names", "plain"),
    ("pybtex.style.names", "last"),
    ("pybtex.style.labels", "number"),
    ("pybtex.style.sorting", "author_year_title"),
)


def setup(app):
    register_plugins()
    # after sphinxcontrib-bibtex has read references.bib (its handler has the default priority)
    app.connect("builder-inited", _suffix_years, priority=800)
    app.add_post_transform(FootnoteToBibliography)


def register_plugins() -> None:
    """Register the style ``borderbook``, and each of :data:`PLUGINS` as the class its installed
    entry point names (the very class a look-up would load), from one scan of the entry points:
    pybtex checks the plugins registered at run time before it scans."""
    from importlib.metadata import entry_points

    from pybtex.plugin import register_plugin

    register_plugin("pybtex.style.formatting", "borderbook", Style)
    installed = entry_points()
    for group, name in PLUGINS:
        for entry_point in installed.select(group=group, name=name):
            register_plugin(group, name, entry_point.load(), force=True)
            break


def _suffix_years(app):
    """Give every entry the year its label shows (idempotent: the environment, and with it the
    parsed bibliography, is kept between builds)."""
    entries = app.env.get_domain("cite").bibdata.data.entries
    for key, year in labels(entries).items():
        fields = entries[key].fields
        fields.setdefault("borderbook-year", fields.get("year", ""))
        fields["year"] = year


class FootnoteToBibliography(SphinxPostTransform):
    """Each footnote citation links to the work's entry in the bibliography: its text up to the
    first address (authors, title, venue, date) becomes a link; the address keeps its own.
    In the PDF, the same text is a hyperlink to the entry."""

    default_priority = 5   # before Sphinx moves footnotes about for LaTeX (LaTeXFootnoteTransform)

    def run(self, **kwargs):
        domain = self.env.get_domain("cite")
        anchors = {citation.key: citation.citation_id for citation in domain.citations
                   if citation.bibliography_key.docname == BIBLIOGRAPHY}
        by_name = {make_id(f"footcite-{key}"): key for key in anchors}
        for footnote in list(self.document.findall(nodes.footnote)):
            key = next((by_name[name] for name in footnote["names"] if name in by_name), None)
            paragraph = next(iter(footnote.findall(nodes.paragraph)), None)
            if key is not None and paragraph is not None:
                self._link(paragraph, anchors[key])

    def _link(self, paragraph, anchor):
        run = []
        for child in paragraph.children:
            if isinstance(child, nodes.reference) or child.next_node(nodes.reference):
                break
            run.append(child)
        for child in run:
            paragraph.remove(child)
        lead_in = []   # "URL: " introduces the address, and spaces end the run: outside the link
        while run and isinstance(run[-1], nodes.Text):
            text = str(run[-1])
            cut = _LEAD_IN.search(text).start()
            if cut == len(text):
                break
            run.pop()
            lead_in.insert(0, nodes.Text(text[cut:]))
            if cut:
                run.append(nodes.Text(text[:cut]))
                break
        if self.app.builder.format == "latex":
            linked = [nodes.raw("", rf"\hyperlink{{cite.{BIBLIOGRAPHY}:{anchor}}}{{", format="latex"),
                      *run, nodes.raw("", "}", format="latex")]
        else:
            uri = self.app.builder.get_relative_uri(self.env.docname, BIBLIOGRAPHY)
            linked = [nodes.reference("", "", *run, internal=True, refuri=f"{uri}#{anchor}",
                                      classes=["bb-bibliography-link"])]
        paragraph[0:0] = [*linked, *lead_in]


_LEAD_IN = re.compile(r"\s*(URL:\s*|Read from a copy at\s*|doi:\s*)?$")

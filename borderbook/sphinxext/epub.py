"""The EPUB: what Sphinx's epub builder needs to make a valid EPUB 3 of this book.

- A number's HTML (:meth:`borderbook.publishing.Number._repr_html_`) links to the register's
  page by its HTML name and marks its provenance ``hidden`` in HTML syntax: in the EPUB the
  link points to the XHTML page, and the attribute is written as XML requires.
- A download link (a figure's CSV, SVG and PDF; a data table) would point to a file an
  e-reader cannot open and that is no part of the publication: it is set as its text, as
  in the PDF. The files themselves ship with the release archive.
- Figures: matplotlib's SVG declares the SVG 1.1 DTD (EPUB 3 forbids external entities) and
  writes an empty glyph (a space) as a path without ``d``: the EPUB's copies are repaired.
- Pages carry no script (an e-reader need not run them, and a scripted page must be
  declared), and leave out MyST-NB's style sheet, written in CSS that EPUB's checker
  cannot parse (``:has``, empty custom properties); the page's own styles stay.
"""

import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from borderbook import release


def setup(app):
    app.add_post_transform(NumbersInEpub)
    app.add_post_transform(DownloadsInEpub)
    app.connect("config-inited", identity)
    app.connect("builder-inited", repair_files)
    app.connect("html-page-context", no_scripts)


def no_scripts(app, pagename, templatename, context, doctree):
    if app.builder.name != "epub":
        return
    context["script_files"] = []
    # sphinx-thebe appends its configuration to each page's body as scripts
    context["body"] = re.sub(r"\s*<script\b.*?</script>", "", context.get("body", ""), flags=re.S)
    context["css_files"] = [css for css in context.get("css_files", []) if "mystnb" not in str(css)]


def repair_files(app):
    """Repair the SVG figures the EPUB copies, and drop MyST-NB's style sheet, before the
    builder lists the publication's files."""
    builder = app.builder
    if builder.name != "epub":
        return
    copy_images, copy_static = builder.copy_image_files, builder.copy_static_files

    def copy_image_files():
        copy_images()
        for svg in (Path(builder.outdir) / builder.imagedir).glob("*.svg"):
            svg.write_text(repair_svg(svg.read_text(encoding="utf-8")), encoding="utf-8")

    def copy_static_files():
        copy_static()
        for css in (Path(builder.outdir) / "_static").glob("mystnb*.css"):
            css.unlink()

    builder.copy_image_files, builder.copy_static_files = copy_image_files, copy_static_files


def repair_svg(text: str) -> str:
    """An SVG without a DOCTYPE, and with a ``d`` on every path."""
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text, count=1)
    return re.sub(r"<path(?![^>]*\sd=)", '<path d="M 0 0"', text)


def identity(app, config):
    """The EPUB's identifier and version, from CITATION.cff (:func:`borderbook.release.edition`).

    Set for every builder, and before Sphinx compares the configuration with the read it keeps:
    these values count as part of the read ('env'), so set for the EPUB alone, after its read
    was loaded, they made every EPUB build read the whole book again. The other editions
    print the version on the cite page."""
    edition = release.edition()
    config.epub_identifier = config.epub_uid = edition["identifier"]   # the NCX's uid is an XML name
    config.epub_scheme = "borderbook"
    config.version = edition["version"]   # not `release`: the PDF would print it in its headers


class NumbersInEpub(SphinxPostTransform):
    builders = ("epub",)
    default_priority = 400
    LINK = re.compile(r'href="numbers\.html#')

    def run(self, **kwargs):
        for raw in list(self.document.findall(nodes.raw)):
            if "html" not in raw.get("format", "").split():
                continue
            text = raw.astext()
            fixed = self.LINK.sub('href="numbers.xhtml#', text)
            fixed = re.sub(r"(<[^>]*\s)hidden(?=[\s>])", r'\1hidden="hidden"', fixed)
            if fixed != text:
                raw.replace_self(nodes.raw("", fixed, format=raw["format"]))


class DownloadsInEpub(SphinxPostTransform):
    builders = ("epub",)
    default_priority = 400

    def run(self, **kwargs):
        for node in list(self.document.findall(addnodes.download_reference)):
            node.replace_self(nodes.inline("", node.astext(), classes=["bb-download"]))

"""Accessibility repairs of the HTML (and the EPUB's XHTML) that the theme, docutils and
MyST-NB leave to do."""

import re
from collections import Counter

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform


def setup(app):
    app.add_post_transform(OneIdPerNumber)
    app.connect("html-page-context", repair_bibliography_roles)
    # The theme logs a console error on a first visit, when no colour mode is stored yet.
    app.add_js_file(None, body='document.documentElement.dataset.mode ||= "auto";', priority=900)


def repair_bibliography_roles(app, pagename, templatename, context, doctree):
    """docutils wraps bibliography entries in a role="list" but gives each the role
    doc-biblioentry, deprecated and not allowed on a div: screen readers and axe then see a
    list without items. The entries become the list's items."""
    if "body" in context:
        context["body"] = context["body"].replace(' role="doc-biblioentry"', ' role="listitem"')


class OneIdPerNumber(SphinxPostTransform):
    """A number pasted twice on a page would repeat the id of its provenance, and both links
    would be described by the first (ids must be unique): each paste after the first gets
    an id of its own, ``provenance-NAME-2``, and its link points to it."""

    formats = ("html",)   # the HTML and the EPUB
    default_priority = 390

    def run(self, **kwargs):
        seen = Counter()
        for raw in list(self.document.findall(nodes.raw)):
            if "html" not in raw.get("format", "").split():
                continue
            text = fixed = raw.astext()
            for name in dict.fromkeys(re.findall(r'id="(provenance-[^"]+)"', text)):
                seen[name] += 1
                if seen[name] > 1:
                    fixed = fixed.replace(f'"{name}"', f'"{name}-{seen[name]}"')
            if fixed != text:
                raw.replace_self(nodes.raw("", fixed, format=raw["format"]))

"""Accessibility repairs of the HTML that the theme and docutils leave to do."""


def setup(app):
    app.connect("html-page-context", repair_bibliography_roles)
    # The theme logs a console error on a first visit, when no colour mode is stored yet.
    app.add_js_file(None, body='document.documentElement.dataset.mode ||= "auto";', priority=900)


def repair_bibliography_roles(app, pagename, templatename, context, doctree):
    """docutils wraps bibliography entries in a role="list" but gives each the role
    doc-biblioentry, deprecated and not allowed on a div: screen readers and axe then see a
    list without items. The entries become the list's items."""
    if "body" in context:
        context["body"] = context["body"].replace(' role="doc-biblioentry"', ' role="listitem"')

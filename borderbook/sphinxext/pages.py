"""What the extension remembers about each page between builds, in one environment collector."""

from sphinx.environment.collectors import EnvironmentCollector


def setup(app):
    app.connect("builder-inited", init, priority=100)
    app.add_env_collector(PageCollector)


def of(env, docname: str | None = None) -> dict:
    """The record of page ``docname`` (default: the page being read): ``glue``, the keys it
    pastes; ``served``, the run digest of the execution it was read from; ``verify``, the
    checksum of the verification report it shows."""
    return env.borderbook_pages.setdefault(docname or env.docname, {})


class PageCollector(EnvironmentCollector):
    def clear_doc(self, app, env, docname):
        env.borderbook_pages.pop(docname, None)

    def merge_other(self, app, env, docnames, other):
        for docname in docnames:
            env.borderbook_pages[docname] = other.borderbook_pages.get(docname, {})

    def process_doc(self, app, doctree):
        of(app.env)


def init(app):
    """Older environments, and new ones, start without the record."""
    if not hasattr(app.env, "borderbook_pages"):
        app.env.borderbook_pages = {}

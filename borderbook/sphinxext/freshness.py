"""Execution and re-reading inside Sphinx, both decided by the one freshness rule.

- Before reading, every chapter that :func:`borderbook.freshness.stale` names loses its
  execution-cache entries, so that MyST-NB executes it (in ``make book`` the build has
  executed them already, and there are none; in a bare ``jupyter-book build`` this is what
  keeps the book from serving an execution made from other inputs).
- A page is read again when the execution the cache serves for it is not the one it was
  read from, or when the verification report it shows has changed; a chapter's page also
  depends on the data files its run read, so that every builder notices them.
- When the navigation changes (a page added, a title edited), every page is written again.
"""

import json
from pathlib import Path

from sphinx.util import logging

from borderbook import cache, execute, freshness, paths, record
from borderbook.sphinxext import pages

logger = logging.getLogger(__name__)


def setup(app):
    app.connect("builder-inited", forget_stale_executions)
    app.connect("env-get-outdated", outdated)
    app.connect("doctree-read", note_inputs)
    app.connect("env-before-read-docs", remember_navigation)
    app.connect("env-updated", rewrite_all_if_navigation_changed)


def _cache_path(app) -> Path:
    return Path(app.srcdir, app.config.nb_execution_cache_path)


def forget_stale_executions(app):
    """Drop the cache entries of every stale chapter, so that MyST-NB executes it again."""
    stale = execute.stale_chapters(log=logger.info)
    cache.drop(_cache_path(app), {path.stem for path in stale})
    for path, reasons in sorted(stale.items()):
        logger.info(f"[borderbook] {path.stem}: {'; '.join(reasons)}; executing again")


def outdated(app, env, added, changed, removed):
    """Pages read from another execution than the one the cache serves now, and pages showing
    a verification report that has changed since."""
    served = cache.served(_cache_path(app), logger.info)
    report = freshness.checksum(paths.VERIFY_REPORT)
    again = []
    for docname, seen in env.borderbook_pages.items():
        if "served" in seen and served.get(Path(docname).name) != seen["served"]:
            again.append(docname)
        if "verify" in seen and seen["verify"] != report:
            again.append(docname)
    return sorted(set(again) & env.found_docs)


def note_inputs(app, doctree):
    """Remember the execution a chapter's page was read from; declare its data as dependencies."""
    chapter = Path(app.env.docname).name
    run = record.read()["chapters"].get(chapter)
    if run is None:
        return
    pages.of(app.env)["served"] = cache.served(_cache_path(app), logger.info, only=chapter).get(chapter)
    for name in run["inputs"]:
        app.env.note_dependency(str(paths.ROOT / name))


def _navigation(env) -> str:
    """The book's navigation, as every HTML page's sidebar shows it: the tree and the titles."""
    return json.dumps([sorted((doc, list(children)) for doc, children in env.toctree_includes.items()),
                       sorted((doc, title.astext()) for doc, title in env.titles.items())])


def remember_navigation(app, env, docnames):
    app.borderbook_navigation = _navigation(env)


def rewrite_all_if_navigation_changed(app, env):
    """Every page must be written again when a page is added or a title changes: Sphinx writes
    only the pages it read again, and the others would keep an outdated sidebar."""
    if app.borderbook_navigation != _navigation(env):
        return sorted(env.found_docs)
    return []

"""Citations cost no search of the installed packages: pybtex finds a plugin by scanning every
package's entry points, on each look-up, and sphinxcontrib-bibtex looks up three or four per
footnote citation (seconds per build). The extension registers them once; no build here."""

import pybtex.plugin
import pytest
from importlib.metadata import entry_points
from pybtex.database import parse_file
from pybtex.plugin import find_plugin
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

from borderbook import paths
from borderbook.sphinxext import citations


@pytest.fixture
def scans(monkeypatch):
    """The entry-point scans pybtex makes from now on (group and name of each)."""
    citations.register_plugins()   # what the extension's setup() does
    made, scan = [], pybtex.plugin.entry_points

    def counted(**selection):
        made.append(selection)
        return scan(**selection)

    monkeypatch.setattr(pybtex.plugin, "entry_points", counted)
    return made


def test_citing_a_work_scans_no_entry_points(scans):
    entries = parse_file(paths.ROOT / "references.bib").entries   # read once per build
    scans.clear()
    for entry in list(entries.values())[:3]:
        # each {footcite}: the style (with its names, labels, sorting), the entry, the backend
        formatted = find_plugin("pybtex.style.formatting", "borderbook")().format_entry(label="", entry=entry)
        assert find_plugin("pybtex.backends", "docutils")().paragraph(formatted).astext()
        # each {cite}: the plaintext backend; the author-year labels' names
        assert formatted.text.render(find_plugin("pybtex.backends", "plaintext")())
        AuthorYearReferenceStyle()
    assert scans == [], f"pybtex searched the installed packages' entry points for {scans}"


def test_the_registered_plugins_are_the_installed_ones(scans):
    """Same classes as the entry points name: the book's citations are unchanged, only cheaper."""
    for group, name in citations.PLUGINS:
        installed = [point.load() for point in entry_points(group=group, name=name)]
        assert installed and find_plugin(group, name) is installed[0], (group, name)

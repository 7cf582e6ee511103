"""How to cite the edition (generated from CITATION.cff), the code cells' numbering, and the one
repository address: pure functions, no build."""

import shutil

import pytest
import yaml

from borderbook import freshness, paths, release
from borderbook.sphinxext import cells, cite


@pytest.fixture
def cff(tmp_path):
    """A scratch copy of CITATION.cff, to edit."""
    copy = tmp_path / "CITATION.cff"
    shutil.copyfile(paths.ROOT / "CITATION.cff", copy)
    return copy


def _edit(path, **fields):
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record.update(fields)
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")


def test_the_citation_is_generated_from_citation_cff(cff):
    record = release.cff(cff)
    text, entry = cite.citation_text(record), cite.bibtex(record)
    assert record["title"] in text and record["title"] in entry
    assert f"Version {record['version']}" in text and f"{{{record['version']}}}" in entry
    assert str(cite.released(record).year) in text
    assert record["repository-code"] in text and record["repository-code"] in entry

    _edit(cff, title="A title changed in CITATION.cff", version="9.9.9", **{"date-released": "2031-02-03"})
    changed = release.cff(cff)
    text, entry = cite.citation_text(changed), cite.bibtex(changed)
    assert "A title changed in CITATION.cff" in text and "(2031)." in text and "Version 9.9.9" in text
    assert "{A title changed in CITATION.cff}" in entry and "month   = feb" in entry
    assert record["title"] not in text


def test_the_paper_it_edits_is_cited_as_a_report_with_its_author():
    paper = release.cff()["references"][0]
    assert cite.citation_text(paper).startswith("Sadozaï, M. (2021). Taliban at the Border")
    entry = cite.bibtex(paper)
    assert entry.startswith("@techreport{sadozai2021taliban,") and "{Sadozaï, Mélanie}" in entry
    assert "number      = {267}" in entry


def test_a_missing_field_is_an_error_naming_file_and_field(cff):
    record = yaml.safe_load(cff.read_text(encoding="utf-8"))
    del record["version"]
    cff.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    with pytest.raises(release.ReleaseError, match=r"CITATION.cff: field 'version'"):
        release.cff(cff)


def test_the_repository_address_is_one_setting_and_citation_cff_agrees():
    config = yaml.safe_load((paths.ROOT / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"]
    assert url.startswith("https://")
    assert config["sphinx"]["config"]["html_theme_options"]["repository_url"] == url
    assert config["sphinx"]["config"]["html_theme_options"]["use_repository_button"] is True
    assert release.cff()["repository-code"] == url
    # written once: the theme's options repeat it by a YAML alias
    assert (paths.ROOT / "_config.yml").read_text(encoding="utf-8").count(url) == 1


def test_the_pdf_link_of_every_page_reaches_the_published_pdf():
    for page in ("index", "chapters/index", "chapters/cite", "a/b/c"):
        assert (paths.BUILD / "html" / page).parent.joinpath(cite.pdf_href(page)).resolve() == cite.PDF


def test_a_code_cell_is_numbered_as_a_published_number_records_it():
    chapter = paths.CHAPTERS / "01-introduction.md"
    code = freshness.code_cells(chapter)
    assert freshness.cell_number(code[2] + "\n", code) == 3
    assert freshness.cell_number("print('not a cell')", code) == 0


def test_the_build_says_when_the_repository_address_is_unset(caplog):
    from types import SimpleNamespace

    caplog.set_level("WARNING", logger="sphinx")
    cells.check_repository(None, SimpleNamespace(html_theme_options={"repository_url": ""}))
    assert "the repository's address is unset: set `repository: url:` in _config.yml" in caplog.text
    caplog.clear()
    cells.check_repository(None, SimpleNamespace(html_theme_options={"repository_url": "https://example.org/a/b"}))
    assert caplog.text == ""


def test_the_build_says_when_citation_cff_names_another_repository(cff, monkeypatch, caplog):
    from types import SimpleNamespace

    caplog.set_level("WARNING", logger="sphinx")
    config = SimpleNamespace(html_theme_options={"repository_url": release.cff()["repository-code"]})
    monkeypatch.setattr(release, "CITATION", cff)
    cite.check_repository_agrees(None, config)
    assert caplog.text == ""
    _edit(cff, **{"repository-code": "https://example.org/someone/else"})
    cite.check_repository_agrees(None, config)
    assert "CITATION.cff's repository-code (https://example.org/someone/else) is not the repository" in caplog.text

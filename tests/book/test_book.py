"""The built book: every toc page and nothing else, no warnings, no re-execution when unchanged."""

import html
import json
import re
import subprocess

from borderbook import freshness, paths

from tests.conftest import HTML, PDF, chapter_sources, toc_files


def test_every_toc_entry_exists():
    missing = [str(p) for p in chapter_sources() if not p.exists()]
    assert missing == []


def test_only_toc_pages_are_built():
    built = {str(p.relative_to(HTML).with_suffix("")) for p in (HTML / "chapters").glob("*.html")}
    assert built == set(toc_files())


def test_both_outputs_exist_and_the_build_logged_no_warning():
    assert (HTML / "index.html").exists() and PDF.exists()
    for log in ("html", "pdf"):
        text = (paths.BUILD / "logs" / f"{log}.log").read_text(encoding="utf-8")
        assert "WARNING:" not in text and "ERROR:" not in text and "build succeeded" in text


def test_a_second_build_executes_no_notebook():
    result = subprocess.run(["make", "-s", "book"], cwd=paths.ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Execut" not in result.stdout + result.stderr  # neither MyST-NB's nor the parallel runner's
    assert "_build/html/index.html" in result.stdout and str(PDF.relative_to(paths.ROOT)) in result.stdout


def test_published_figures_are_the_committed_ones():
    changed = subprocess.run(["git", "status", "--porcelain", "--", "figures"], cwd=paths.ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert changed == "", f"figures/ differs from the commit:\n{changed}"


def test_every_figure_has_its_files_caption_and_alt_text(register):
    assert register["figures"], "no figure published"
    for name, figure in register["figures"].items():
        assert figure["caption"].strip() and figure["alt"].strip()
        for ext in ("svg", "pdf", "csv"):
            assert (paths.FIGURES / f"{name}.{ext}").stat().st_size > 0


def test_every_glued_number_appears_in_the_html_with_its_provenance(register):
    register_page = (HTML / "chapters" / "numbers.html").read_text(encoding="utf-8")
    for name, number in register["numbers"].items():
        page = (HTML / "chapters" / f"{number['chapter']}.html").read_text(encoding="utf-8")
        marks = re.findall(rf'<a class="bb-number" href="numbers\.html#(number-[^"]+)" '
                           rf'data-number="{re.escape(name)}" data-provenance="([^"]*)"[^>]*>([^<]*)</a>', page)
        assert marks, f"{name} is published but not shown in the HTML"
        for anchor, provenance, text in marks:
            provenance = html.unescape(provenance)
            assert html.unescape(text) == number["text"], name
            assert number["formula"] in provenance, f"{name}: formula missing from its provenance"
            assert all(ref in provenance for ref in number["inputs"]), f"{name}: an input is missing"
            assert all(key in provenance for key in number["sources"]), f"{name}: a source is missing"
            assert f'id="{anchor}"' in register_page, f"{name}: no row {anchor} in the register"
        described = re.search(rf'<span class="bb-provenance" id="provenance-{re.escape(name)}" hidden>'
                              r'.*?<code class="bb-code">(.*?)</code></span>', page, re.DOTALL)
        assert described and html.unescape(described.group(1)) == number["code"], \
            f"{name}: the HTML does not show the code that computed it"


def test_no_page_repeats_an_id_and_every_number_is_described_by_its_own_provenance():
    # failed before: a number pasted twice on a page repeated the id of its provenance
    for page in sorted(HTML.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        ids = re.findall(r'\sid="([^"]+)"', text)
        assert sorted({i for i in ids if ids.count(i) > 1}) == [], page.relative_to(HTML)
        for link in re.finditer(r'<a class="bb-number"[^>]*data-number="([^"]+)"[^>]*aria-describedby="([^"]+)"', text):
            name, described = link.groups()
            assert re.fullmatch(rf"provenance-{re.escape(name)}(-\d+)?", described), (page.name, name)
            assert f'id="{described}"' in text, (page.name, described)


def test_every_figure_offers_its_data_and_vector_files_for_download(register):
    for name, figure in register["figures"].items():
        page = (HTML / "chapters" / f"{figure['chapter']}.html").read_text(encoding="utf-8")
        for ext in ("csv", "svg", "pdf"):
            link = re.search(rf'download="" href="\.\./(_downloads/[0-9a-f]+/{name}\.{ext})"', page)
            assert link, f"{figure['chapter']}: no download of {name}.{ext}"
            published = freshness.checksum(paths.FIGURES / f"{name}.{ext}")
            assert freshness.checksum(HTML / link.group(1)) == published, f"{name}.{ext}: download differs"


def test_no_page_shows_markdown_table_syntax_as_text():
    # A table a cell displays as Markdown is parsed as CommonMark unless configured otherwise,
    # and reaches the reader as a paragraph of pipes and dashes. (The code that writes such a
    # table, shown in a code cell's <pre>, may hold pipes and dashes.)
    for page in sorted(HTML.rglob("*.html")):
        html = re.sub(r"<pre\b.*?</pre>", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
        text = re.sub(r"<[^>]+>", "", html)
        assert not re.search(r"\|\s*(---|—|–)\s*\|", text), f"{page.name} shows a Markdown table as text"


def test_the_data_appendix_describes_every_table_with_a_working_download():
    page = (HTML / "chapters" / "data.html").read_text(encoding="utf-8")
    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    for resource in package["resources"]:
        checksum = freshness.checksum(paths.DATA / resource["path"])
        entry = re.search(rf'Table <code[^>]*><span class="pre">{resource["name"]}</span></code>: '
                          r'<a class="reference download internal" download="" href="\.\./([^"]+)">', page)
        assert entry, f"table {resource['name']} is not described"
        assert freshness.checksum(HTML / entry.group(1)) == checksum, f"{resource['name']}: download differs"
        assert checksum[:12] in page, f"{resource['name']}: checksum not shown"


def test_each_glossary_form_is_labelled_and_tagged_with_its_own_language():
    # failed before: the Cyrillic column mixed Tajik and Russian under one label, untagged
    from borderbook import data

    terms, _ = data.table("glossary")
    page = html.unescape((HTML / "chapters" / "glossary.html").read_text(encoding="utf-8"))
    label = {"tg": "Tajik", "ru": "Russian"}
    written = terms.dropna(subset=["cyrillic"])
    assert set(written["cyrillic_language"]) == {"tg", "ru"}
    for row_id, row in written.iterrows():
        tag = row["cyrillic_language"]
        assert f'{label[tag]}: <span lang="{tag}">{row["cyrillic"]}</span>' in page, row_id

"""The three editions are written from one read of the documents (borderbook.build)."""

import re
import subprocess
import zipfile

from tests.e2e.conftest import Project


def _read(project: Project, kind: str) -> list[str]:
    """The documents the ``kind`` build read, from its log."""
    log = (project.root / "_build" / "logs" / f"{kind}.log").read_text(encoding="utf-8")
    return re.findall(r"reading sources\.\.\. .*?\[\s*\d+%\]\s*(?:\x1b\[[0-9;]*m)*([\w/-]+)", log)


def test_the_pdf_and_the_epub_read_nothing_and_still_follow_a_data_edit(tmp_path, built):
    book = built.copy(tmp_path)
    code, output = book.run("build", "html", "pdf", "epub")
    assert code == 0, output[-3000:]
    book.edit("data/raw/border_lengths.csv", ",1300,,approx,", ",1310,,approx,")
    code, output = book.run("build", "html", "pdf", "epub")
    assert code == 0, output[-3000:]
    # The edit changes no page's source: the HTML reads the pages that show the number again
    # (for their data), the PDF and the EPUB take that read and read nothing themselves.
    assert "chapters/01-introduction" in _read(book, "html")
    assert _read(book, "pdf") == [] and _read(book, "epub") == []
    # ... and each edition prints the new value, the EPUB too, though its page's source is
    # older than the page it wrote before.
    with zipfile.ZipFile(tmp_path / "_build" / "epub" / "taliban-at-the-border.epub") as epub:
        page = epub.read("chapters/01-introduction.xhtml").decode()
    assert "about 1,310 km" in page and "about 1,300 km" not in page
    pdf = subprocess.run(["pdftotext", str(tmp_path / "_build" / "pdf" / "taliban-at-the-border.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    assert "about 1,310 km" in pdf and "about 1,300 km" not in pdf

"""A re-executor takes a chapter's executed notebook from the HTML book and runs it again with
papermill, into a folder of their own: the numbers come out as the book publishes them."""

import json
import os
import subprocess
import sys

import nbformat

CHAPTER = "01-introduction"   # small and quick; every chapter's download is checked in tests/book


def test_the_downloaded_notebook_reexecutes_to_the_published_numbers(tmp_path, built):
    notebook = built.root / "_build" / "html" / "_sources" / "chapters" / f"{CHAPTER}.ipynb"
    assert f"_sources/chapters/{CHAPTER}.ipynb" in built.page(CHAPTER)
    node = nbformat.read(notebook, as_version=4)
    nbformat.validate(node)
    assert any(cell.get("outputs") for cell in node.cells if cell.cell_type == "code")

    figures, executed = tmp_path / "figures", tmp_path / f"{CHAPTER}.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "papermill", str(notebook), str(executed), "-p", "figures_dir", str(figures),
         "-k", "python3", "--cwd", str(built.root / "chapters"), "--no-progress-bar"],
        env={**os.environ, "PYTHONPATH": str(built.root)}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    published = json.loads((built.root / "figures" / "numbers.json").read_text(encoding="utf-8"))
    again = json.loads((figures / "numbers.json").read_text(encoding="utf-8"))
    expected = {name: n["value"] for name, n in published["numbers"].items() if n["chapter"] == CHAPTER}
    assert expected
    assert {name: n["value"] for name, n in again["numbers"].items() if n["chapter"] == CHAPTER} == expected
    assert nbformat.read(executed, as_version=4).metadata["papermill"]["parameters"] == {"figures_dir": str(figures)}

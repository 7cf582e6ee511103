"""One scratch project for the end-to-end layer: a small book (the introduction and the
appendices without heavy chapters), built once, copied for each way of breaking it."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from borderbook import paths

TOC = """format: jb-book
root: chapters/index
chapters:
  - file: chapters/01-introduction
  - file: chapters/data
  - file: chapters/numbers
  - file: chapters/glossary
  - file: chapters/reproducibility
  - file: chapters/bibliography
"""
LINK = re.compile(r"\{doc\}`(?:([^`<]*?)\s*<)?([^`<>]+)>?`")


class Project:
    """A scratch copy of the project with its own borderbook, data, figures and _build: a small
    book (TOC) whose links to the chapters it leaves out become plain text."""

    def __init__(self, root: Path, small: bool = True):
        self.root = root
        paths.scratch_copy(root)
        if small:
            (root / "_toc.yml").write_text(TOC)
            kept = {Path(line.split("file: ")[1]).name for line in TOC.splitlines() if "file: " in line}
            for page in (root / "chapters").glob("*.md"):
                text = page.read_text(encoding="utf-8")
                page.write_text(LINK.sub(lambda link: link.group(0) if Path(link.group(2)).name in kept
                                         else link.group(1) or f"`{link.group(2)}`", text), encoding="utf-8")

    def run(self, *arguments, timeout=900):
        """``python -m borderbook …`` in the copy: its exit code and output."""
        result = subprocess.run([sys.executable, "-m", "borderbook", *arguments], cwd=self.root,
                                env={**os.environ, "PYTHONPATH": str(self.root)}, capture_output=True,
                                text=True, timeout=timeout)
        return result.returncode, result.stdout + result.stderr

    def build(self, kind="html"):
        return self.run("build", kind)

    def edit(self, relative, old, new):
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def copy(self, root: Path) -> "Project":
        """A copy of this project as it is (outputs and cache included), to break one way."""
        shutil.copytree(self.root, root, dirs_exist_ok=True)
        copy = Project.__new__(Project)
        copy.root = root
        return copy

    def page(self, name: str) -> str:
        return (self.root / "_build" / "html" / "chapters" / f"{name}.html").read_text(encoding="utf-8")


def executed(output: str) -> set[str]:
    """The chapters a build's output says it executed (the build's lines or MyST-NB's)."""
    return set(re.findall(r"chapters/([\w-]+)\.md: Execut(?:ing|ed) notebook", output))


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Project:
    """The small book, built once successfully."""
    project = Project(tmp_path_factory.mktemp("book"))
    code, output = project.build()
    assert code == 0, output[-3000:]
    return project


@pytest.fixture
def project(tmp_path, built) -> Project:
    """A fresh copy of the built small book."""
    return built.copy(tmp_path)

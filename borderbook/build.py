"""Build the book (HTML or PDF) so that a failed build never replaces what was published.

When no source of the project has changed since the last successful build of the same
kind (:func:`inputs_digest`), there is nothing to do and Sphinx is not started: a no-op
``make book`` costs a checksum of the tree. Otherwise, before the HTML, the chapters that
need executing run in parallel (:mod:`borderbook.execute`). Jupyter Book writes into a
work folder (``_build/work``); only when the build succeeds with no warning are its
outputs copied over ``_build/html`` or ``_build/pdf``. A failed build prints a short
diagnosis — which chapter, what went wrong, what to do — and leaves the previous outputs
as they were.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from borderbook import execute, freshness, paths

WORK = paths.BUILD / "work"
LOGS = paths.BUILD / "logs"
HTML = paths.BUILD / "html"
PDF = paths.BUILD / "pdf" / "taliban-at-the-border.pdf"
FLAGS = ["-n", "-W", "--keep-going"]


class BuildError(Exception):
    """The build failed; the message says why and what to do."""


def build(kind: str) -> Path:
    """Build ``kind`` ("html" or "pdf"), publish it atomically, and return its path."""
    if kind == "pdf" and not shutil.which("xelatex"):
        packages = (paths.ROOT / "apt.txt").read_text().split()
        raise BuildError("xelatex not found: the PDF needs TeX and fonts. On Debian or Ubuntu run\n"
                         f"  sudo apt-get install --no-install-recommends {' '.join(packages)}\n"
                         "(or run `make book` as root, which installs them).")
    published = HTML / "index.html" if kind == "html" else PDF
    stamp = WORK / f"{kind}.inputs"
    if published.exists() and stamp.exists() and stamp.read_text() == inputs_digest():
        print(f"{kind.upper()}: no source changed since the last build; nothing to do.")
        return published   # and the log of that build stays
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(paths.ROOT),
               "--path-output", str(WORK), *FLAGS]
    if kind == "pdf":
        command[3:3] = ["--builder", "pdflatex"]
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{kind}.log"
    with log.open("w", encoding="utf-8") as sink:
        def tee(line: str) -> None:
            sys.stdout.write(line)
            sink.write(line)

        if kind == "html":
            execute.run(tee)
        inputs = inputs_digest()   # after the execution, which publishes into figures/
        process = subprocess.Popen(command, cwd=paths.ROOT, stdout=subprocess.PIPE, env=_environment(),
                                   stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            tee(line)
        process.wait()
    text = log.read_text(encoding="utf-8")
    if process.returncode or re.search(r"(WARNING|ERROR): ", text):
        raise BuildError(diagnose(text) + f"\nThe previous {kind.upper()} is unchanged. Full log: {log}")
    built = WORK / "_build" / kind.replace("pdf", "latex")
    if kind == "html":
        _replace_folder(built, HTML)
    else:
        PDF.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built / "book.pdf", PDF.with_suffix(".tmp"))
        PDF.with_suffix(".tmp").replace(PDF)
    stamp.write_text(inputs)
    return published


def inputs_digest() -> str:
    """A checksum of everything a build reads: every source file of the project (data,
    figures, chapters, code, configuration: :func:`borderbook.paths.sources`), the last
    verification report (read by the Reproducibility appendix), and the Python that runs
    the build. Taken before Sphinx starts, so that a file edited while it runs is seen as
    changed by the next build."""
    digest = hashlib.sha256(sys.version.encode())
    for path in [*paths.sources(), paths.VERIFY_REPORT]:
        if path.exists():
            digest.update(f"\n{path.relative_to(paths.ROOT)}\0{freshness.checksum(path)}".encode())
    return digest.hexdigest()


def _environment() -> dict:
    """Pin the PDF's dates to the last commit, so that a build carries no build date."""
    environment = dict(os.environ)
    commit = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=paths.ROOT, capture_output=True,
                            text=True)
    if commit.returncode == 0 and commit.stdout.strip():
        environment.update(SOURCE_DATE_EPOCH=commit.stdout.strip(), FORCE_SOURCE_DATE="1")
    return environment


def diagnose(log: str) -> str:
    """The few lines of a build log that say what failed, where."""
    clean = re.sub(r"\x1b\[[0-9;]*m", "", log)
    problems = re.findall(r"^.*(?:WARNING|ERROR): .*$", clean, re.MULTILINE)
    failed = re.search(r"An error occurred while executing the following cell:.*?\n(\w*Error\w*: .*?)\n",
                       clean, re.DOTALL)
    lines = ["The book did not build:"]
    lines += [f"  {problem.strip()}" for problem in dict.fromkeys(problems)][:12]
    if failed:
        lines.append(f"  the chapter raised: {failed.group(1).strip()}")
        lines.append("  Fix the chapter or its data (the error names the file, row and field), then rebuild.")
    return "\n".join(lines)


def _replace_folder(source: Path, target: Path) -> None:
    """Swap ``target`` for a copy of ``source`` in one rename (the old copy is removed after)."""
    staging, old = target.with_name(target.name + ".new"), target.with_name(target.name + ".old")
    for leftover in (staging, old):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(source, staging)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)

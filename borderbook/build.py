"""Build the book (HTML, PDF, EPUB) so that a failed build never replaces what was published.

When no source of the project has changed since the last successful build of an output
(:func:`inputs_digest`), there is nothing to do for it and Sphinx is not started: a no-op
``make book`` costs a checksum of the tree. Otherwise the chapters that need executing
run first, in parallel (:mod:`borderbook.execute`); then Jupyter Book builds each output
in its own work folder (``_build/work/html``, ``…/pdf``, ``…/epub``); a first build reads
the documents once for all three (:func:`_build_each`). Only an output whose build
succeeds with no warning is copied over ``_build/html``, ``_build/pdf`` or ``_build/epub``;
the published PDF and EPUB are also copied into the HTML (``_build/html/editions/``),
whose sidebar links them. A failed build prints a short diagnosis — which chapter, what
went wrong, what to do — and leaves the previous output as it was.
"""

import ctypes
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from threading import Event, Lock
from types import MappingProxyType

from borderbook import freshness, paths

WORK = paths.BUILD / "work"
LOGS = paths.BUILD / "logs"
HTML = paths.BUILD / "html"
PDF = paths.BUILD / "pdf" / "taliban-at-the-border.pdf"
EPUB = paths.BUILD / "epub" / "taliban-at-the-border.epub"
PUBLISHED = MappingProxyType({"html": HTML / "index.html", "pdf": PDF, "epub": EPUB})
KINDS = tuple(PUBLISHED)
#: Where the HTML offers the other editions for download (``_templates/book-title.html``).
EDITIONS = HTML / "editions"
#: Jupyter Book's builder options for each kind.
BUILDERS = MappingProxyType({"html": (), "pdf": ("--builder", "pdflatex"),
                             "epub": ("--builder", "custom", "--custom-builder", "epub")})
FLAGS = ("-n", "-W", "--keep-going")
#: The EPUB's scheduling niceness: built beside the HTML and the PDF on a busy machine, it yields
#: the cores to them, whose paths are longer (the PDF's XeLaTeX pass) or awaited (the HTML's).
EPUB_NICENESS = 5
#: The exit code of an interrupted build (a shell's, for SIGINT), and of a Sphinx not started then.
INTERRUPTED = 130
#: Where Jupyter Book writes each kind, inside ``_build`` of its work folder.
OUTPUT = MappingProxyType({"html": "html", "pdf": "latex", "epub": "epub"})


class BuildError(Exception):
    """The build failed; the message says why and what to do."""


def build(kinds: list[str]) -> list[Path]:
    """Build each of ``kinds`` ("html", "pdf", "epub"), publish each atomically; return their paths."""
    if "pdf" in kinds and not shutil.which("xelatex"):
        packages = (paths.ROOT / "apt.txt").read_text().split()
        raise BuildError("xelatex not found: the PDF needs TeX and fonts. On Debian or Ubuntu run\n"
                         f"  sudo apt-get install --no-install-recommends {' '.join(packages)}\n"
                         "(or run `make book` as root, which installs them).")
    digest = inputs_digest()
    todo = [kind for kind in kinds if not _up_to_date(kind, digest)]
    for kind in sorted(set(kinds) - set(todo)):
        print(f"{kind.upper()}: no source changed since the last build; nothing to do.")
    if todo:
        LOGS.mkdir(parents=True, exist_ok=True)
        published = _snapshot(paths.FIGURES)
        try:
            _execute_chapters(published)
            inputs = inputs_digest()   # after the execution, which publishes into figures/
            problems = _build_each(todo)
        except KeyboardInterrupt:
            # Ctrl-C or SIGTERM once the chapters have published into figures/ (while Sphinx
            # runs): their figures and numbers go back, as the interruption's message says.
            _restore_quietly(paths.FIGURES, published)
            raise
        if any(problems.values()):
            # All or nothing: the chapters' new figures and numbers go back, and no output is
            # published; the next build executes the chapters again (their cached runs no
            # longer match the register).
            _restore(paths.FIGURES, published)
            raise BuildError("\n\n".join(problem or f"The {kind.upper()} built, but is not published: a "
                                           "build publishes all its outputs or none."
                                           for kind, problem in problems.items()))
        for kind in todo:
            _publish(kind)
            (WORK / f"{kind}.inputs").write_text(inputs)
        _offer_editions()   # after every build: they publish side by side
    return [PUBLISHED[kind] for kind in kinds]


def _execute_chapters(published: dict[str, bytes]) -> None:
    """Run the chapters that are not fresh (:func:`borderbook.execute.run`); raise
    :class:`BuildError` saying what to do if _toc.yml is wrong, a chapter raises or figures/
    cannot be written (``published``, figures/ as it was, is then put back)."""
    # Imported here, where there is something to do: a no-op build is a checksum of the tree,
    # and the execution's modules (YAML, SQLite, the register) were a third of its time. (A
    # no-op needs no check of _toc.yml either: unchanged since a successful build, it was valid.)
    from borderbook import execute

    try:
        execute.pages()   # a typo in _toc.yml: one line naming it, before any chapter runs
    except execute.TocError as error:
        raise BuildError(f"The book did not build: {error} Nothing was published.") from None
    try:
        execute.run()
    except execute.ChapterError as error:
        raise BuildError(f"The book did not build: a chapter raised.\n{error}\n"
                         "Fix the chapter or the data file the error names, then run `make book` "
                         "again. Nothing was published: figures/, the HTML and the PDF are as they "
                         "were.") from None
    except OSError as error:   # figures/ read-only, a full disk: what was written goes back
        _restore_quietly(paths.FIGURES, published)
        where = Path(error.filename or paths.FIGURES)
        folder = os.path.relpath(where.parent if error.filename else where, paths.ROOT)
        raise BuildError(f"The book did not build: cannot write {os.path.relpath(where, paths.ROOT)} "
                         f"({error.strerror or error}). Make {folder}/ writable (chmod -R u+w "
                         f"{folder}; as root, chattr -R -i {folder}) or free disk space, then run "
                         "`make book` again. Nothing was published: figures/, the HTML and the PDF "
                         "are as they were.") from None


def _snapshot(folder: Path) -> dict[str, bytes]:
    """The bytes of every file of ``folder`` (figures/: a few megabytes)."""
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()} if folder.exists() else {}


def _restore(folder: Path, files: dict[str, bytes]) -> None:
    """Put ``folder`` back as :func:`_snapshot` saw it."""
    for path in folder.iterdir():
        if path.is_file() and path.name not in files:
            path.unlink()
    for name, content in files.items():
        if not (folder / name).exists() or (folder / name).read_bytes() != content:
            (folder / name).write_bytes(content)


def _restore_quietly(folder: Path, files: dict[str, bytes]) -> None:
    """:func:`_restore`, when writing may be what failed: a file it cannot put back stays as is."""
    try:
        _restore(folder, files)
    except OSError:
        pass


def _build_each(kinds: list[str]) -> dict[str, str | None]:
    """Build each of ``kinds``; ``{kind: what failed, or None}``, in the order of ``kinds``.

    Reading the documents is most of a first build. So an edition without a read of its own
    (a first build, outputs removed) waits for the HTML, is given its read (Sphinx's
    environment and doctrees), and is written from it without reading a document again;
    each edition keeps its own form where the forms differ (``only`` nodes, post-transforms).
    When the HTML fails, the editions that wait for it are not built: they would fail the
    same way.

    Once each edition has a read of its own, a build reads only the pages an edit touched,
    and the three build side by side. (Tried: the EPUB waiting for the HTML, to leave the
    cores to the HTML and the PDF at the start. On two cores it saved 0.7 s of a 14 s prose
    edit and cost 2 s of a 32 s data edit, whose EPUB then reads its pages last; three pairs
    each, session 9.)"""
    from concurrent.futures import ThreadPoolExecutor   # not imported by a no-op build

    problems: dict[str, str | None] = {}
    html_built, running = Event(), _Running()

    def edition(kind: str) -> None:
        first = kind != "html" and not _has_read(kind)   # no read of its own: given the HTML's
        if first and "html" in kinds:
            html_built.wait()
            if problems["html"]:
                return
        seeded = first and _has_read("html")
        if seeded:
            _seed(kind)
        try:
            problems[kind] = _build_one(kind, running, seeded)
        finally:
            if kind == "html":
                problems.setdefault("html", "The HTML's build was interrupted.")
                html_built.set()

    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        try:
            list(pool.map(edition, kinds))
        except KeyboardInterrupt:
            running.stop()   # else the pool would wait for them before the interruption ends
            raise
    return {kind: problems[kind] for kind in kinds if kind in problems}


class _Running:
    """The Sphinx processes of one build. An interruption stops them all and starts no other:
    SIGTERM, when ``make`` dies, reaches this process alone (Ctrl-C reaches them all), and each
    Sphinx dies with the thread that started it, which outlives the interruption."""

    def __init__(self):
        self._lock, self._processes, self._stopped = Lock(), [], False

    def start(self, command: list[str], **options) -> subprocess.Popen | None:
        """``subprocess.Popen(command, **options)``, or None once the build is stopping."""
        with self._lock:
            if self._stopped:
                return None
            self._processes.append(subprocess.Popen(command, **options))
            return self._processes[-1]

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for process in self._processes:
                if process.poll() is None:
                    process.kill()


def _has_read(kind: str) -> bool:
    """Whether ``kind``'s work folder holds a read of the documents (Sphinx's environment)."""
    return (WORK / kind / "_build" / ".doctrees" / "environment.pickle").exists()


def _seed(kind: str) -> None:
    """Give ``kind``'s work folder the HTML's read of the documents."""
    doctrees = WORK / kind / "_build" / ".doctrees"
    shutil.rmtree(doctrees, ignore_errors=True)
    shutil.copytree(WORK / "html" / "_build" / ".doctrees", doctrees)
    if kind == "epub":
        # The EPUB builder writes only the pages whose output is older than their source:
        # pages left from an earlier read (its environment gone, its pages not) would keep
        # their old text. (The LaTeX builder writes the whole book each time; its folder
        # keeps the aux files that spare XeLaTeX passes.)
        shutil.rmtree(WORK / kind / "_build" / OUTPUT[kind], ignore_errors=True)


def _build_one(kind: str, running: _Running, seeded: bool = False) -> str | None:
    """Build ``kind`` in its work folder; None if it succeeded with no warning, else what failed."""
    theme, stamp = _theme_digest(), WORK / f"{kind}.theme"
    # Sphinx copies static files and applies templates only when it writes pages, and writes
    # only the pages it read again: a change to _static/ or _templates/ alone rewrites them all
    # (a seeded build writes them all anyway).
    rewrite_all = not seeded and (not stamp.exists() or stamp.read_text() != theme)
    code = _sphinx(kind, running, rewrite_all)
    log = LOGS / f"{kind}.log"
    text = log.read_text(encoding="utf-8")
    if code or re.search(r"(WARNING|ERROR): ", text):
        return diagnose(text) + f"\nThe previous {kind.upper()} is unchanged. Full log: {log}"
    stamp.write_text(theme)
    return None


def _theme_digest() -> str:
    """A checksum of the files that shape every page but no document: _static/ and _templates/."""
    digest = hashlib.sha256()
    for folder in ("_static", "_templates"):
        for path in sorted((paths.ROOT / folder).rglob("*")):
            if path.is_file():
                digest.update(f"{path.relative_to(paths.ROOT)}\0{freshness.checksum(path)}\n".encode())
    return digest.hexdigest()


def _up_to_date(kind: str, digest: str) -> bool:
    """Whether ``kind`` was last built, successfully, from sources with this digest."""
    stamp = WORK / f"{kind}.inputs"
    return PUBLISHED[kind].exists() and stamp.exists() and stamp.read_text() == digest


def _sphinx(kind: str, running: _Running, rewrite_all: bool = False) -> int:
    """Run Jupyter Book for ``kind`` in its work folder (:mod:`borderbook.jupyter_book_cli`);
    log its output, show it prefixed."""
    command = [sys.executable, "-m", "borderbook.jupyter_book_cli", "build", str(paths.ROOT), *BUILDERS[kind],
               "--path-output", str(WORK / kind), *FLAGS, *(["--all"] if rewrite_all else [])]
    with (LOGS / f"{kind}.log").open("w", encoding="utf-8") as log:
        process = running.start(command, cwd=paths.ROOT, stdout=subprocess.PIPE, env=_environment(),
                                stderr=subprocess.STDOUT, text=True,
                                preexec_fn=lambda: _in_child(EPUB_NICENESS if kind == "epub" else 0))
        if process is None:
            return INTERRUPTED
        try:
            for line in process.stdout:
                log.write(line)
                sys.stdout.write(f"[{kind}] {line}")
            return process.wait()
        finally:
            if process.poll() is None:   # interrupted: Sphinx goes down with the build
                process.kill()


def _in_child(niceness: int) -> None:
    """In a child process: receive SIGTERM when the build that started it dies; run at ``niceness``."""
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    os.nice(niceness)


def _publish(kind: str) -> None:
    """Copy a successful build over the published output, in one rename."""
    built = WORK / kind / "_build" / OUTPUT[kind]
    if kind == "html":
        _replace_folder(built, HTML)
    else:
        _copy_atomically(built / {"pdf": "book.pdf", "epub": EPUB.name}[kind], PUBLISHED[kind])


def _offer_editions() -> None:
    """Copy the published PDF and EPUB into the published HTML, which links them."""
    if HTML.exists():
        for edition in (PDF, EPUB):
            if edition.exists():
                EDITIONS.mkdir(exist_ok=True)
                _copy_atomically(edition, EDITIONS / edition.name)


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target.with_suffix(".tmp"))
    target.with_suffix(".tmp").replace(target)


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
    """The few lines of a build log that say what failed, where: Sphinx's warnings and errors,
    TeX's errors with their line, or else the log's last lines."""
    clean = re.sub(r"\x1b\[[0-9;]*m", "", log)
    problems = re.findall(r"^.*(?:WARNING|ERROR): .*$", clean, re.MULTILINE)
    problems += [f"{error} (book.tex, {line})" for error, line in
                 re.findall(r"^(! .*)\n(?:.*\n){0,6}?(l\.\d+)", clean, re.MULTILINE)]
    lines = ["The book did not build:"]
    lines += [f"  {problem.strip()}" for problem in dict.fromkeys(problems)][:12]
    if not problems:
        tail = [line for line in clean.strip().splitlines() if line.strip()][-8:]
        lines += ["  (no warning or error line; the log ends with:)"] + [f"    {line}" for line in tail]
    else:
        lines.append("Fix the file at each place named above (warnings count as errors), then run "
                     "`make book` again.")
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

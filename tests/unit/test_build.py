"""The build without Sphinx: the diagnosis of a failure (where, and what to do), the check of
the table of contents, what a no-op imports, the order in which the editions build, and how
an interruption stops them."""

import pytest

from borderbook import build, execute, paths, record

LOG = """[html] reading sources... [100%] chapters/01-introduction
/book/chapters/01-introduction.md:195: WARNING: footnote [^missing] has no definition
build finished with problems, 1 warning.
"""


def test_a_warning_is_named_with_its_place_and_what_to_do():
    # failed before: the diagnosis named the place but ended without saying what to do
    message = build.diagnose(LOG)
    assert "01-introduction.md:195: WARNING: footnote [^missing] has no definition" in message
    assert message.splitlines()[-1].startswith("Fix the file at each place named above")
    assert "make book" in message.splitlines()[-1]

TOC = "format: jb-book\nroot: chapters/index\nchapters:\n  - file: chapters/01-introduction\n  - file: chapters/glossary\n"


@pytest.mark.parametrize("old, new, message", [
    ("chapters/glossary\n", "chapters/glosary\n",
     "_toc.yml, entry 'chapters/glosary': no file chapters/glosary.md; did you mean 'chapters/glossary'? "
     "correct the name in _toc.yml or add the page, then build again."),
    ("- file: chapters/glossary", "- fiel: chapters/glossary",
     "_toc.yml, entry 'fiel: chapters/glossary': entry does not contain one of {'file', 'glob', 'url'}; "
     "write each entry as '- file: chapters/name'"),
    ("- file: chapters/glossary", "- file: chapters/glossary\n    titel: Glossary",
     "_toc.yml, entry 'file: chapters/glossary, titel: Glossary': Unknown keys found: {'titel'}"),
    ("chapters:", "chapter:", "_toc.yml: Unknown keys found: {'chapter'}"),
    ("  - file: chapters/glossary", "   - file: chapters/glossary", "_toc.yml, line 5: not valid YAML"),
])
def test_a_typo_in_the_toc_is_one_line_naming_the_entry_and_what_to_do(tmp_path, old, new, message):
    # failed before: a misspelt file name ended in Sphinx's warnings, a bad key in a traceback
    for page in ("index", "01-introduction", "glossary"):
        (tmp_path / "chapters").mkdir(exist_ok=True)
        (tmp_path / "chapters" / f"{page}.md").write_text("# A page\n")
    (tmp_path / "_toc.yml").write_text(TOC)
    assert execute.pages(tmp_path) == ["chapters/index", "chapters/01-introduction", "chapters/glossary"]
    (tmp_path / "_toc.yml").write_text(TOC.replace(old, new))
    with pytest.raises(execute.TocError) as error:
        execute.pages(tmp_path)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_a_figures_folder_that_cannot_be_written_stops_the_build_with_what_to_do(tmp_path, monkeypatch):
    # failed before: record.commit's PermissionError ended the build in a traceback
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "numbers.json").write_text("as published\n")

    def publish_half_then_fail(*_):
        (figures / "numbers.json").write_text("half published\n")
        (figures / "fig-new.svg").write_text("<svg/>\n")
        raise PermissionError(1, "Operation not permitted", str(figures / ".numbers.csv.tmp"))

    monkeypatch.setattr(build.paths, "FIGURES", figures)
    monkeypatch.setattr(build, "_up_to_date", lambda kind, digest: False)
    monkeypatch.setattr(execute, "run", publish_half_then_fail)
    with pytest.raises(build.BuildError) as error:
        build.build(["html"])
    message = str(error.value)
    assert "cannot write" in message and ".numbers.csv.tmp (Operation not permitted)" in message
    assert "writable" in message and "Nothing was published" in message
    assert {path.name: path.read_text() for path in figures.iterdir()} == {"numbers.json": "as published\n"}


@pytest.mark.parametrize("arguments, message", [
    (["fx_date"], r"'fx_date': parameters are written name=value; write it as fx_date=value"),
    (["nosuch=1"], r"no chapter declares nosuch; known parameters: .*\. Use one of those, or remove it\."),
])
def test_a_bad_reproduce_parameter_says_what_to_do(tmp_path, arguments, message):
    # failed before (make attack): the message named the parameter but said nothing to do
    from borderbook import reproduce

    with pytest.raises(reproduce.ParameterError, match=message):
        reproduce.run(reproduce.parse(arguments), tmp_path / "out")


def test_a_build_with_nothing_to_do_imports_nothing_slow():
    # A no-op `make book` costs a checksum of the tree: the command line and the build, every
    # output up to date, import none of the libraries of the chapters, the kernels or Sphinx
    # (pandas and frictionless alone took most of a second of every no-op build), nor those of
    # the execution: YAML, SQLite, the register (a third of a 0.23 s no-op, session 9).
    import ast
    import subprocess
    import sys

    code = ("import sys; import borderbook.__main__; from borderbook import build; "
            "build._up_to_date = lambda kind, digest: True; build.build(['html', 'pdf', 'epub']); "
            "print(sorted({name.split('.')[0] for name in sys.modules} | set(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.count("no source changed since the last build; nothing to do") == 3
    loaded = set(ast.literal_eval(run.stdout.splitlines()[-1]))
    slow = {"pandas", "frictionless", "matplotlib", "jupyter_client", "jupyter_cache", "nbclient", "sphinx",
            "myst_nb",
            "asyncio", "concurrent",   # 0.05 s of a 0.23 s no-op (make bench, session 8)
            "yaml", "sqlite3", "dataclasses", "borderbook.execute", "borderbook.record"}
    imported = slow & loaded
    assert not imported, f"imported: {sorted(imported)}"


def test_a_worker_stopped_by_ctrl_c_reports_an_interruption(monkeypatch):
    # Ctrl-C reaches the chapters' workers with the build; in one, nbclient's event loop turned it
    # into asyncio's CancelledError, which the pool handed back to the build: a traceback and
    # exit 1 instead of "Interrupted; nothing published" and 130 (seen once in a clean-clone run).
    import asyncio

    import jupyter_cache.executors.utils

    def interrupted(*args, **kwargs):
        raise asyncio.CancelledError

    monkeypatch.setattr(jupyter_cache.executors.utils, "single_nb_execution", interrupted)
    monkeypatch.setenv(record.STAGING, "")   # the worker sets it: put back after the test
    with pytest.raises(KeyboardInterrupt):
        execute._execute(paths.CHAPTERS / "01-introduction.md", {"timeout": 10, "cache": None, "kernels": ""})


def _editions(monkeypatch, has_read, fail=()):
    """Run build._build_each on fake builds; the order in which they started and ended, and
    which were seeded. The HTML's build ends only once the others have started, when they do
    not wait for it (else it gives up after 10 s and says so)."""
    import threading

    events, seeded, started = [], [], {"pdf": threading.Event(), "epub": threading.Event()}

    def build_one(kind, running, seeded_now=False):
        events.append(f"{kind} starts")
        if kind in started:
            started[kind].set()
        if kind == "html" and has_read("pdf"):
            beside = all(started[other].wait(10) for other in started)
            events.append("the others started during the HTML" if beside else "the others waited")
        events.append(f"{kind} ends")
        return "it failed" if kind in fail else None

    monkeypatch.setattr(build, "_build_one", build_one)
    monkeypatch.setattr(build, "_has_read", has_read)
    monkeypatch.setattr(build, "_seed", seeded.append)
    return build._build_each(["html", "pdf", "epub"]), events, seeded


def test_after_an_edit_the_three_editions_build_side_by_side(monkeypatch):
    problems, events, seeded = _editions(monkeypatch, has_read=lambda kind: True)
    assert problems == {"html": None, "pdf": None, "epub": None}
    assert "the others started during the HTML" in events
    assert not seeded   # each edition reads the edited pages itself


def test_a_first_build_writes_the_pdf_and_the_epub_from_the_html_read(monkeypatch):
    # No edition but the HTML has a read of its own: the others are given the HTML's.
    problems, events, seeded = _editions(monkeypatch, has_read=lambda kind: kind == "html")
    assert problems == {"html": None, "pdf": None, "epub": None}
    assert events.index("html ends") < min(events.index("pdf starts"), events.index("epub starts"))
    assert sorted(seeded) == ["epub", "pdf"]


def test_when_the_html_fails_on_a_first_build_the_others_are_not_built(monkeypatch):
    problems, events, _ = _editions(monkeypatch, has_read=lambda kind: kind == "html", fail={"html"})
    assert problems == {"html": "it failed"}   # they would fail the same way
    assert "pdf starts" not in events and "epub starts" not in events


def test_an_interrupted_build_stops_its_sphinx_processes_and_starts_no_other(monkeypatch):
    # SIGTERM, when make dies, reaches the build alone; each Sphinx dies with the thread that
    # started it, which outlived the interruption: the build waited for the HTML's Sphinx to
    # finish, and then started the PDF's and the EPUB's, which had been waiting for it.
    import os
    import signal
    import threading

    processes = {}

    def build_one(kind, running, seeded=False):
        process = running.start(["sleep", "60"])
        if process is None:
            return "not started"
        processes[kind] = process
        if kind == "html":   # interrupt the build while the HTML's Sphinx runs
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        return None if process.wait() == 0 else "stopped"

    monkeypatch.setattr(build, "_build_one", build_one)
    monkeypatch.setattr(build, "_has_read", lambda kind: kind == "html")   # a first build
    monkeypatch.setattr(build, "_seed", lambda kind: None)
    previous = signal.signal(signal.SIGUSR1, signal.default_int_handler)   # as SIGTERM is (__main__)
    try:
        with pytest.raises(KeyboardInterrupt):
            build._build_each(["html", "pdf", "epub"])
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert list(processes) == ["html"]   # the PDF and the EPUB never started
    assert processes["html"].returncode == -signal.SIGKILL   # stopped, not waited for

"""Execute the chapters that are not fresh, in parallel, into Jupyter Book's execution cache.

MyST-NB executes notebooks one after the other while Sphinx reads them. Before a build,
this runs the chapters that :func:`borderbook.freshness.stale` names side by side over the
machine's cores, each in a warm kernel forked from a process that has imported the heavy
modules once (:mod:`borderbook.warm`), and stores each execution in the same cache, read
exactly as MyST-NB reads it: Sphinx then finds every chapter cached and executes nothing.
The chapters publish into a staging folder; only when every one of them succeeded does the
build commit what they published (:func:`borderbook.record.commit`). A chapter that fails
is reported here, with the cell and the error, and nothing is published.
"""

import difflib
import os
import re
import shutil
import time
from pathlib import Path

import yaml

from borderbook import cache, freshness, paths, record

CONFIG = paths.ROOT / "_config.yml"
STAGING = paths.BUILD / "staging"


class ChapterError(Exception):
    """A chapter raised while executing; the message names it, its cell and the error."""


class TocError(Exception):
    """``_toc.yml`` cannot be read, or lists a page that does not exist; the message (one line)
    names the file, the entry and what to do."""


#: the suffixes of a page Jupyter Book finds for a ``file:`` entry
PAGE_SUFFIXES = (".md", ".ipynb", ".rst")


def chapters() -> list[Path]:
    """The executable chapters, in the order of ``_toc.yml`` (pages with code cells)."""
    files = [paths.ROOT / f"{name}.md" for name in pages()]   # the root first, then in toc order
    return [path for path in files if path.exists() and "```{code-cell}" in path.read_text(encoding="utf-8")]


def pages(root: Path = paths.ROOT) -> list[str]:
    """The pages of ``root/_toc.yml`` (``chapters/name``), the root first; raise :class:`TocError`
    if the file is not valid YAML, is not a table of contents Jupyter Book reads, or lists a
    page that has no file."""
    from sphinx_external_toc.parsing import MalformedError, parse_toc_yaml

    toc = root / "_toc.yml"
    try:
        site = parse_toc_yaml(toc)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or error
        raise TocError(f"_toc.yml{where}: not valid YAML ({problem}); fix the indentation or punctuation "
                       "there: each entry is a line '  - file: chapters/name'.") from None
    except MalformedError as error:
        problem, _, place = str(error).partition(" @ ")
        problem = re.sub(r"\{('[^{}]*')\}",   # sets of keys, in a stable order
                         lambda keys: "{" + ", ".join(sorted(keys.group(1).split(", "))) + "}", problem)
        place = place.strip("'").strip("/")
        if "used multiple times" in problem:
            todo = "list each page once"
        elif not place:
            todo = ("fix its top level: 'format: jb-book', 'root: chapters/index' and 'chapters:', "
                    "a list of entries '- file: chapters/name'")
        else:
            todo = ("write each entry as '- file: chapters/name' "
                    "(its keys: file, title, sections; or url, or glob)")
        entry = f", entry {_entry(toc, place)}" if place else ""
        raise TocError(f"_toc.yml{entry}: {problem}; {todo}.") from None
    except OSError as error:
        raise TocError(f"_toc.yml: cannot be read ({error.strerror}); restore it "
                       "(git checkout -- _toc.yml).") from None
    existing = sorted(str(path.relative_to(root).with_suffix("")) for path in (root / "chapters").glob("*")
                      if path.suffix in PAGE_SUFFIXES)
    for name in site:
        if not any((root / f"{name}{suffix}").exists() for suffix in PAGE_SUFFIXES):
            close = difflib.get_close_matches(name, existing, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise TocError(f"_toc.yml, entry '{name}': no file {name}.md; {hint}correct the name in "
                           f"_toc.yml or add the page, then build again.")
    return list(site)


def _entry(toc: Path, place: str) -> str:
    """The entry of ``toc`` at ``place`` (``/chapters/0``), as written, for a message."""
    try:
        node = yaml.safe_load(toc.read_text(encoding="utf-8"))
        for key in [part for part in place.split("/") if part]:
            node = node[int(key)] if isinstance(node, list) else node[key]
    except (LookupError, ValueError, TypeError, yaml.YAMLError):
        return f"at {place}"
    if isinstance(node, dict):
        return "'" + ", ".join(f"{key}: {value}" for key, value in node.items()
                               if not isinstance(value, list)) + "'"
    return repr(node)


def settings() -> dict:
    """The execution settings of ``_config.yml``: one place for the cache path and timeout."""
    execute = yaml.safe_load(CONFIG.read_text(encoding="utf-8")).get("execute", {})
    return {"cache": paths.ROOT / execute.get("cache", "_build/.jupyter_cache"),
            "timeout": execute.get("timeout", 300)}


def stale_chapters(log=print) -> dict[Path, list[str]]:
    """``{chapter: reasons}`` for every chapter of the book that is not fresh, after dropping
    the records of chapters that no longer run."""
    book_chapters = chapters()
    for gone in record.prune({path.stem for path in book_chapters}):
        log(f"[borderbook] {gone} no longer runs: its numbers and figures leave figures/")
    register = record.read()
    served = cache.served(settings()["cache"], log)
    stale = {}
    for path in book_chapters:
        mine = {kind: {name: item for name, item in register[kind].items() if item["chapter"] == path.stem}
                for kind in record.KINDS}
        stale[path] = freshness.stale(path, register["chapters"].get(path.stem), served.get(path.stem),
                                      freshness.published(mine["numbers"], mine["figures"]))
    return {path: reasons for path, reasons in stale.items() if reasons}


def run(log=print) -> list[Path]:
    """Execute every stale chapter in parallel and publish them all, or raise
    :class:`ChapterError` and publish none. Return the chapters executed."""
    config = settings()
    stale = stale_chapters(log)
    if not stale:
        return []
    for path, reasons in stale.items():
        log(f"[borderbook] {path.relative_to(paths.ROOT)}: executing ({'; '.join(reasons)})")
    shutil.rmtree(STAGING, ignore_errors=True)
    cache.drop(config["cache"], {path.stem for path in stale})
    # Imported here, with asyncio and jupyter_client, not by a build with nothing to run.
    from concurrent.futures import ProcessPoolExecutor

    from borderbook import warm

    jobs = min(len(stale), os.cpu_count() or 1)
    failures = []
    try:
        with warm.server() as kernel_server, ProcessPoolExecutor(max_workers=jobs) as pool:
            config["kernels"] = kernel_server
            for path, seconds, error in pool.map(_execute, stale, [config] * len(stale)):
                if error:
                    failures.append(f"{path.relative_to(paths.ROOT)}: {error}")
                else:
                    log(f"{path}: Executed notebook in {seconds:.2f} seconds [borderbook, in parallel]")
        if failures:
            raise ChapterError("\n".join(failures))
        record.commit(record.staged(STAGING))
    finally:
        shutil.rmtree(STAGING, ignore_errors=True)
    return list(stale)


def _read(path: Path):
    """The notebook exactly as MyST-NB reads it, so that its cache entry matches."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text("utf8"), add_source_map=True, path=str(path))


def _execute(path: Path, config: dict) -> tuple[Path, float, str | None]:
    """Run one chapter in its own kernel, as MyST-NB does, and cache it (in a worker process): a
    kernel forked by the warm-kernel server at ``config["kernels"]``."""
    import asyncio

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    from borderbook import warm

    os.environ[record.STAGING] = str(STAGING)
    notebook = _read(path)
    started = time.perf_counter()
    try:
        # The kernel is stopped at once when the notebook ends: its outputs are all in by then,
        # and a graceful shutdown costs about half a second per chapter.
        result = single_nb_execution(notebook, cwd=str(path.parent), allow_errors=False,
                                     timeout=config["timeout"], meta_override=True,
                                     shutdown_kernel="immediate", **warm.config(config["kernels"]))
    except asyncio.CancelledError:
        # Ctrl-C reached this worker inside nbclient's event loop. The build was interrupted:
        # say so as the build does (the pool hands this back to it), not with a traceback.
        raise KeyboardInterrupt from None
    except Exception as error:   # a kernel that died, a timeout: reported like a failing cell
        return path, 0.0, _explain(error)
    if result.err is not None:
        return path, 0.0, _explain(result.err)
    get_cache(config["cache"]).cache_notebook_bundle(
        CacheBundleIn(notebook, str(path), data={"execution_seconds": result.time}),
        check_validity=False, overwrite=True)
    return path, time.perf_counter() - started, None


def _explain(error: BaseException) -> str:
    """The error a chapter's cell raised, whole (a DataError names the file, row and field),
    without the traceback; or the kernel's failure."""
    if getattr(error, "ename", None):   # nbclient's CellExecutionError
        return f"{error.ename}: {error.evalue}"
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()
    return text.splitlines()[-1] if text else type(error).__name__

"""Re-execute every chapter with papermill, optionally with new parameters.

Each chapter is a MyST notebook: jupytext reads it, papermill injects the parameters
that the chapter's ``parameters`` cell declares, and runs it in a fresh kernel (not a warm
one forked by :mod:`borderbook.warm`, as ``make book`` does: a re-execution starts from a
clean room), in parallel over the machine's cores. Everything lands in an output folder
of its own (executed notebooks, figures, the numbers register): ``figures/`` and
``data/`` are never written.
"""

import ast
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from borderbook import execute, freshness, paths

DEFAULT_OUT = paths.BUILD / "reproduce"
#: the file that marks an output folder as made by this tool, and so safe to empty
MARKER = ".borderbook-reproduce"


class ParameterError(Exception):
    """A parameter that no chapter declares, a malformed ``name=value``, or an output folder
    that this tool may not write into."""


def declared_parameters(path: Path) -> set[str]:
    """Names assigned in the chapter's cell tagged ``parameters``."""
    return set(freshness.declared_parameters(path)) | {"figures_dir"}


def parse(assignments: list[str]) -> dict:
    """``["fx_date=2021-08-25", "n=3"]`` → ``{"fx_date": "2021-08-25", "n": 3}``."""
    parameters = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        if not sep or not name.isidentifier():
            raise ParameterError(f"'{item}': parameters are written name=value; write it as "
                                 f"{name.strip() if name.strip().isidentifier() else 'name'}=value "
                                 "(e.g. fx_date=2021-08-25).")
        try:
            parameters[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parameters[name] = text
    return parameters


def run(parameters: dict, out: Path = DEFAULT_OUT, jobs: int | None = None) -> dict[str, dict]:
    """Execute every chapter into ``out``; return ``{chapter: {"seconds", "parameters"}}``."""
    out = Path(out).resolve()
    plan = {path: declared_parameters(path) for path in execute.chapters()}
    known = set().union(*plan.values())
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ParameterError(f"no chapter declares {', '.join(unknown)}; known parameters: "
                             f"{', '.join(sorted(known))}. Use one of those, or remove it.")
    _prepare(out)
    tasks = [(position, path, {k: v for k, v in parameters.items() if k in declared}, out)
             for position, (path, declared) in enumerate(plan.items())]
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        return dict(pool.map(_execute, tasks))


def _prepare(out: Path) -> None:
    """Make ``out`` an empty output folder, or refuse. A folder is emptied only if this tool
    made it (it holds :data:`MARKER`); the project, a folder holding it, ``figures/`` and
    ``data/`` are never written into, and any other folder must be new or empty."""
    for protected in (paths.FIGURES, paths.DATA):
        if out == protected or protected in out.parents:
            raise ParameterError(f"--out {out}: refusing to write into {protected.name}/, which "
                                 "holds the published book; choose a new folder such as _build/reproduce.")
    if out == paths.ROOT or out in paths.ROOT.parents:
        raise ParameterError(f"--out {out}: that folder holds the project itself; choose a new folder "
                             "such as _build/reproduce.")
    if out.exists():
        if not out.is_dir():
            raise ParameterError(f"--out {out}: a file of that name exists; choose a new folder.")
        if (out / MARKER).exists():
            shutil.rmtree(out)
        elif any(out.iterdir()):
            raise ParameterError(f"--out {out}: that folder exists, is not empty and was not made by "
                                 "`make reproduce`; choose a new folder, or empty it yourself.")
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("Made by `make reproduce`: emptied by its next run into this folder.\n")


def _execute(task) -> tuple[str, dict]:
    """Run one chapter in a fresh kernel (in a worker process). The kernel talks over Unix
    sockets in a folder of its own, not TCP ports, as ``make book``'s do
    (:class:`borderbook.warm.KernelManager` says why)."""
    import jupytext
    import papermill
    from traitlets.config import Config

    position, path, parameters, out = task
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="borderbook-kernel-") as sockets:
        papermill.execute_notebook(
            jupytext.read(path), out / f"{path.stem}.ipynb",
            parameters={**parameters, "figures_dir": str(out / "figures")},
            kernel_name="python3", cwd=str(paths.CHAPTERS),
            progress_bar={"desc": path.stem, "position": position, "leave": True},
            config=Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}}))
    return path.stem, {"seconds": round(time.perf_counter() - started, 1), "parameters": parameters}

"""Re-execute every chapter with papermill, optionally with new parameters.

Each chapter is a MyST notebook: jupytext reads it, papermill injects the parameters
that the chapter's ``parameters`` cell declares, and runs it in a fresh kernel, in
parallel over the machine's cores. Everything lands in an output folder of its own
(executed notebooks, figures, the numbers register): ``figures/`` and ``data/`` are
never written.
"""

import ast
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from borderbook import kernels, paths

DEFAULT_OUT = paths.BUILD / "reproduce"


class ParameterError(Exception):
    """A parameter that no chapter declares, or a malformed ``name=value``."""


def chapters() -> list[Path]:
    """The executable chapters, in the order of ``_toc.yml``."""
    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [paths.ROOT / f"{entry['file']}.md" for entry in toc.get("chapters", []) if "file" in entry]
    return [path for path in files if "```{code-cell}" in path.read_text(encoding="utf-8")]


def declared_parameters(path: Path) -> set[str]:
    """Names assigned in the chapter's cell tagged ``parameters``."""
    import jupytext

    for cell in jupytext.read(path).cells:
        if "parameters" in cell.metadata.get("tags", []):
            return {target.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
                    for target in node.targets if isinstance(target, ast.Name)}
    return set()


def parse(assignments: list[str]) -> dict:
    """``["fx_date=2021-08-25", "n=3"]`` → ``{"fx_date": "2021-08-25", "n": 3}``."""
    parameters = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        if not sep or not name.isidentifier():
            raise ParameterError(f"'{item}': parameters are written name=value.")
        try:
            parameters[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parameters[name] = text
    return parameters


def run(parameters: dict, out: Path = DEFAULT_OUT, jobs: int | None = None) -> dict[str, dict]:
    """Execute every chapter into ``out``; return ``{chapter: {"seconds", "parameters"}}``."""
    out = Path(out).resolve()
    for protected in (paths.FIGURES, paths.DATA):
        if out == protected or protected in out.parents:
            raise ParameterError(f"refusing to write into {protected}: choose another output folder.")
    plan = {path: declared_parameters(path) for path in chapters()}
    known = set().union(*plan.values())
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ParameterError(f"no chapter declares {', '.join(unknown)}; known parameters: "
                             f"{', '.join(sorted(known))}.")
    if out.exists():
        shutil.rmtree(out)
    (out / "figures").mkdir(parents=True)
    tasks = [(position, path, {k: v for k, v in parameters.items() if k in declared}, out)
             for position, (path, declared) in enumerate(plan.items())]
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        return dict(pool.map(_execute, tasks))


def _execute(task) -> tuple[str, dict]:
    """Run one chapter in a fresh kernel (in a worker process)."""
    import jupytext
    import papermill

    position, path, parameters, out = task
    started = time.perf_counter()
    kernels.run(lambda: papermill.execute_notebook(
        jupytext.read(path), out / f"{path.stem}.ipynb",
        parameters={**parameters, "figures_dir": str(out / "figures")},
        kernel_name="python3", cwd=str(paths.CHAPTERS),
        progress_bar={"desc": path.stem, "position": position, "leave": True}))
    return path.stem, {"seconds": round(time.perf_counter() - started, 1), "parameters": parameters}

"""The one freshness rule: is a chapter's published output the one its inputs make today?

When a chapter publishes (:meth:`borderbook.publishing.Chapter.finish`) it records its *run*:
the checksum of its code cells, of every data file, schema and package descriptor it read
and of every borderbook module it imported, and its parameters. The run goes to the
register (``figures/numbers.json``) and its digest into the executed notebook's outputs.

A chapter is fresh if and only if (:func:`stale`) its run in the register matches the tree
as it is now, *and* the execution the cache would serve carries that same run's digest.
The second half matters after a revert: ``git checkout`` restores the register's old run,
which then matches the tree, while the cache still holds the execution of the discarded
edit. Every other decision follows from this one: what to execute, which cache entry may
be served, which pages Sphinx reads again.
"""

import ast
import hashlib
import json
import re
from pathlib import Path

from borderbook import paths

#: the glue key under which a chapter leaves its run's digest in its executed notebook
RECORD_KEY = "borderbook-run"

_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_OPTIONS = re.compile(r"\A(?:---\n.*?\n---\n|(?::[\w-]+:[^\n]*\n)+)\n?", re.DOTALL)


def stale(notebook: Path, run: dict | None, served: str | None, holds: str | None) -> list[str]:
    """Why chapter ``notebook`` must execute again (empty: it is fresh). ``run`` is its record in
    the register (None if it never published); ``served`` the run digest that the execution
    cache would serve for it (None if the cache holds no execution); ``holds`` the checksum
    (:func:`published`) of what the register now holds as its numbers and figures."""
    if run is None:
        return ["never published here"]
    if not {"inputs", "code", "parameters", "published"} <= set(run):
        return ["published by an older version of the book"]
    reasons = [f"{name} changed" for name, recorded in sorted(run["inputs"].items())
               if checksum(paths.ROOT / name) != recorded]
    if not notebook.exists():
        return reasons + [f"{notebook.name} is missing"]
    if code_checksum(notebook) != run["code"]:
        reasons.append(f"{notebook.name} (code cells) changed")
    if declared_parameters(notebook) != run["parameters"]:
        reasons.append("its parameters changed")
    if not reasons and served != digest(run):
        reasons.append("the cached execution was made from other inputs" if served
                       else "no cached execution")
    if not reasons and holds != run["published"]:
        reasons.append("figures/numbers.json does not hold what it published (edited by hand?)")
    return reasons


def digest(run: dict) -> str:
    """A short checksum of a chapter's run record."""
    return hashlib.sha256(json.dumps(run, sort_keys=True).encode()).hexdigest()[:16]


def published(numbers: dict, figures: dict) -> str:
    """A checksum of what a chapter published (its numbers and figures, as the register holds
    them): kept in its run, it tells a register edited by hand from the one the chapter wrote."""
    return digest({"numbers": numbers, "figures": figures})


def code_cells(notebook: Path) -> list[str]:
    """The code of a MyST notebook's code cells, cell options and front matter left out."""
    return [_OPTIONS.sub("", body, count=1) for body in
            _CODE_CELL.findall(notebook.read_text(encoding="utf-8"))]


def cell_number(source: str, cells: list[str]) -> int:
    """The 1-based place of the code cell whose code is ``source`` among ``cells`` (a chapter's
    :func:`code_cells`), 0 if none: the cell a published number records, and the page's anchor
    of it (``cell-N``)."""
    return next((number for number, code in enumerate(cells, start=1) if code.strip() == source.strip()), 0)


def code_checksum(notebook: Path) -> str:
    """Checksum of a MyST notebook's code cells with their options: what its outputs depend on
    besides data. Prose edits leave it unchanged. A regular expression, not jupytext: this
    runs at the start of every build, where jupytext's import alone costs a quarter second."""
    cells = _CODE_CELL.findall(notebook.read_text(encoding="utf-8"))
    return hashlib.sha256("\n\x00".join(cells).encode("utf-8")).hexdigest()


def declared_parameters(notebook: Path) -> dict:
    """The parameters a chapter declares (its cell tagged ``parameters``) with their values as
    the book runs them; ``figures_dir`` says where, not what, and is left out."""
    for block in re.findall(r"^```\{code-cell\}[^\n]*\n(:tags: \[[^\]]*\bparameters\b[^\]]*\]\n.*?)^```",
                            notebook.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL):
        values = {}
        for node in ast.parse(_OPTIONS.sub("", block, count=1)).body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = ast.literal_eval(node.value)
        return comparable(values)
    return {}


def comparable(parameters: dict) -> dict:
    """Parameters as recorded: sorted, ``figures_dir`` left out, values as JSON has them."""
    return json.loads(json.dumps({k: v for k, v in sorted(parameters.items()) if k != "figures_dir"},
                                 default=str))


def checksum(path: Path) -> str | None:
    """SHA-256 of a file, or None when it is missing."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError):
        return None

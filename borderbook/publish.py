"""Publish a chapter's numbers and figures: glue them into the book and record them.

A chapter calls :func:`start` once, then :func:`number` and :func:`figure` as it
computes, and :func:`finish` in its last cell. Nothing reaches ``figures/`` before
:func:`finish`: a chapter that fails half-way leaves the published register and
figures as they were. The register, ``figures/numbers.json``, records for every
number its value, the text the book prints, its unit, formula, inputs (resource
and row ids) and sources, so that a reader and a reviewer can trace it back.
"""

import fcntl
import hashlib
import html
import io
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from myst_nb import glue

from borderbook import bib, data, dates, freshness, paths, style

#: how each kind of bound reads before the number; bounds stay bounds in print
BOUND_WORDS = {
    "exact": "",
    "approx": "about ",
    "almost": "almost ",
    "at_least": "at least ",
    "more_than": "more than ",
    "at_most": "at most ",
    "less_than": "less than ",
    "up_to": "up to ",
    "range": "",
}


class PublishError(Exception):
    """A chapter asked to publish something incomplete or untraceable."""


@dataclass
class Number:
    """A published number: what the book prints and where it comes from."""

    name: str
    value: float | int | list
    text: str
    unit: str
    bound: str
    formula: str
    inputs: list[str]
    sources: list[str]
    register: list[str]
    chapter: str

    def __repr__(self) -> str:
        """The printed text: glue shows it in the PDF and in plain-text outputs."""
        return self.text

    def _repr_html_(self) -> str:
        """In HTML the number links to its row in the register and shows its provenance
        on hover and on keyboard focus (a CSS tooltip: nothing is fetched)."""
        return (f'<a class="bb-number" href="numbers.html#number-{html.escape(self.name)}" '
                f'data-number="{html.escape(self.name)}" '
                f'data-provenance="{html.escape(self.provenance())}">{html.escape(self.text)}</a>')

    def provenance(self) -> str:
        """Formula, inputs and sources in one line, as the reader sees them."""
        return (f"{self.formula} · from {', '.join(self.inputs)} · "
                f"sources: {', '.join(self.sources)}")


@dataclass
class _Chapter:
    """What one chapter has published so far, kept in memory until :func:`finish`."""

    name: str
    figures_dir: Path
    numbers: dict[str, Number] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    figures: dict[str, dict] = field(default_factory=dict)


_current: _Chapter | None = None


def start(chapter: str, figures_dir: str | Path | None = None) -> None:
    """Begin publishing for ``chapter`` into ``figures_dir`` (default: ``figures/``)."""
    global _current
    _current = _Chapter(chapter, Path(figures_dir or paths.FIGURES).resolve())
    data.READS.clear()
    data.ROWS.clear()
    style.apply()


def number(name: str, value: float | int | tuple, fmt: str, unit: str, formula: str,
           inputs: list[str], sources: list[str] = (), bound: str = "exact",
           scale: float = 1, register: list[str] = ()) -> Number:
    """Glue ``value`` under ``name`` and record it for the register.

    ``fmt`` is a format string for the (scaled) value, unit words included, e.g.
    ``"{:,.2f} km"`` or ``"{:.0f} million"`` with ``scale=1e6``. ``bound`` says how
    the value is known (see :data:`BOUND_WORDS`); a ``"range"`` takes a pair.
    ``inputs`` are ``"resource:row-id"`` strings of rows this chapter loaded; the
    sources of those rows are added to ``sources``. ``register`` names the paper's
    statements (``Q001``…) that the number restates or checks; those named on the
    input rows are added.
    """
    chapter = _chapter()
    if name in chapter.numbers:
        raise PublishError(f"number '{name}' is published twice in chapter {chapter.name}.")
    if bound not in BOUND_WORDS:
        raise PublishError(f"number '{name}': bound '{bound}' is not one of {sorted(BOUND_WORDS)}.")
    if not formula or not inputs:
        raise PublishError(f"number '{name}': a formula and at least one input are required.")
    show = lambda v: fmt.format(v / scale if scale != 1 else v)  # noqa: E731  (ints stay ints)
    if bound == "range":
        low, high = (_plain(v) for v in value)
        text = f"{show(low)}–{show(high)}"
        value = [low, high]
    else:
        value = _plain(value)
        text = BOUND_WORDS[bound] + show(value)
    rows = [_row(name, ref) for ref in inputs]
    cited = sorted(set(sources) | {row["source"] for row in rows})
    unknown = [key for key in cited if key not in bib.keys()]
    if unknown:
        raise PublishError(f"number '{name}': sources not in references.bib: {unknown}.")
    statements = sorted(set(register) | {row["register"] for row in rows if row["register"]})
    published = Number(name, value, text, unit, bound, formula, sorted(inputs), cited, statements,
                       chapter.name)
    chapter.numbers[name] = published
    glue(name, published, display=False)
    return published


def stated(name: str, table, row_id: str, fmt: str, **options) -> Number:
    """Publish one row of a quantity table as its source states it: value, unit and bound."""
    row = table.loc[row_id]
    claimant = f" by {row['claimant']}" if "claimant" in row else ""
    options = {"bound": row["bound"], **options}
    return number(name, row["value"], fmt, row["unit"], f"as stated{claimant}",
                  [f"{table.attrs['resource']}:{row_id}"], **options)


def days(name: str, events, first: str, last: str, formula: str | None = None,
         register: list[str] = (), bound: str = "exact") -> Number:
    """Publish the number of days from event ``first`` to event ``last`` of ``events``."""
    count = dates.days_between(events, first, last)
    return number(name, count, "{:d} day" if count == 1 else "{:,d} days", "days",
                  formula or f"date({last}) − date({first})", [f"events:{first}", f"events:{last}"],
                  bound=bound, register=list(register))


def figure(name: str, fig, caption: str, alt: str, table, inputs: list[str],
           sources: list[str] = ()) -> None:
    """Render ``fig`` to SVG and PDF, keep ``table`` as its data CSV, and glue it.

    The glued value is a MyST ``figure`` directive pointing at the published files,
    so the HTML shows the SVG, the PDF embeds the vector PDF, and both carry the
    caption, the alt text and a link to the data.
    """
    import matplotlib.pyplot as plt

    chapter = _chapter()
    if not name.startswith("fig-"):
        raise PublishError(f"figure '{name}': names start with 'fig-'.")
    if not caption.strip() or not alt.strip():
        raise PublishError(f"figure '{name}': a caption and an alt text are both required.")
    cited = sorted(set(sources) | {_row(name, ref)["source"] for ref in inputs})
    for ext, options in {"svg": {"metadata": {"Date": None}},
                         "pdf": {"metadata": {"CreationDate": None, "ModDate": None}}}.items():
        buffer = io.BytesIO()
        fig.savefig(buffer, format=ext, **options)
        chapter.files[f"{name}.{ext}"] = buffer.getvalue()
    plt.close(fig)
    chapter.files[f"{name}.csv"] = table.to_csv(index=False, lineterminator="\n").encode("utf-8")
    chapter.figures[name] = {"caption": caption, "alt": alt, "inputs": sorted(inputs),
                             "sources": cited, "chapter": chapter.name}
    where = os.path.relpath(chapter.figures_dir, Path.cwd())
    directive = (f"```{{figure}} {where}/{name}.*\n:name: {name}\n:alt: {alt}\n\n"
                 f"{caption} Download: {{download}}`data (CSV) <{where}/{name}.csv>`, "
                 f"{{download}}`SVG <{where}/{name}.svg>`, {{download}}`PDF <{where}/{name}.pdf>`.\n```\n")
    from IPython.display import Markdown

    glue(name, Markdown(directive), display=False)


def finish() -> Path:
    """Write this chapter's figures and its part of the register, then forget them."""
    global _current
    chapter = _chapter()
    chapter.figures_dir.mkdir(parents=True, exist_ok=True)
    for filename, content in sorted(chapter.files.items()):
        _write_atomically(chapter.figures_dir / filename, content)

    def replace_own(book: dict) -> dict:
        kept = _without(book, {chapter.name})
        kept["chapters"][chapter.name] = {"reads": dict(sorted(data.READS.items())), "code": _code(),
                                          "notebook": _notebook(chapter.name)}
        kept["figures"].update(chapter.figures)
        kept["numbers"].update({name: asdict(number) for name, number in chapter.numbers.items()})
        return kept

    register = _rewrite_register(chapter.figures_dir, replace_own)
    _current = None
    return register


def prune(running: set[str], figures_dir: Path = paths.FIGURES) -> list[str]:
    """Drop the records and figure files of chapters that no longer run (removed from the
    book, or left without code): ``make verify`` would compare against them, and the
    register would list numbers no page prints. Return the chapters dropped."""
    book = freshness.register(figures_dir / paths.NUMBERS.name)
    gone = freshness.publishing_chapters(book) - running
    if gone:
        _rewrite_register(figures_dir, lambda book: _without(book, gone))
    return sorted(gone)


def _without(book: dict, chapters: set[str]) -> dict:
    """The register without the records of ``chapters``."""
    kept = {kind: {key: item for key, item in book.get(kind, {}).items() if item["chapter"] not in chapters}
            for kind in ("numbers", "figures")}
    kept["chapters"] = {name: run for name, run in book.get("chapters", {}).items() if name not in chapters}
    return kept


def _rewrite_register(figures_dir: Path, change) -> Path:
    """Replace the register by ``change(register)``, under a lock (chapters finish in parallel),
    deleting the files of the figures it no longer holds; the CSV copy follows."""
    register = figures_dir / paths.NUMBERS.name
    with open(register.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        book = json.loads(register.read_text(encoding="utf-8")) if register.exists() else {}
        changed = change(book)
        for dropped in set(book.get("figures", {})) - set(changed["figures"]):
            for ext in ("svg", "pdf", "csv"):
                (figures_dir / f"{dropped}.{ext}").unlink(missing_ok=True)
        text = json.dumps(changed, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        _write_atomically(register, text.encode("utf-8"))
        _write_atomically(register.with_suffix(".csv"), _register_csv(changed["numbers"]))
    return register


def _register_csv(numbers: dict) -> bytes:
    """The register as a flat CSV, for readers who want it in a spreadsheet."""
    import csv

    buffer = io.StringIO()
    columns = ["name", "chapter", "text", "value", "unit", "bound", "formula", "inputs", "sources", "register"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for number in numbers.values():
        row = {column: number[column] for column in columns}
        for column in ("inputs", "sources", "register"):
            row[column] = " ".join(row[column])
        row["value"] = json.dumps(row["value"])
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def _notebook(chapter: str) -> dict | None:
    """Where the chapter's notebook is, and the checksum of its code cells when it published."""
    notebook = paths.CHAPTERS / f"{chapter}.md"
    if not notebook.exists():
        return None
    return {"path": str(notebook.relative_to(paths.ROOT)), "code": freshness.code_checksum(notebook)}


def _code() -> dict[str, str]:
    """Checksums of the borderbook modules this chapter imported: they shape its outputs too."""
    modules = {}
    for name, module in sorted(sys.modules.items()):
        if name.split(".")[0] == "borderbook" and getattr(module, "__file__", None):
            source = Path(module.__file__)
            modules[str(source.relative_to(paths.ROOT))] = hashlib.sha256(source.read_bytes()).hexdigest()
    return modules


def _chapter() -> _Chapter:
    if _current is None:
        raise PublishError("call publish.start(chapter) before publishing.")
    return _current


def _row(name: str, ref: str) -> dict:
    """Source and statement of input row ``resource:row-id``, which must have been loaded."""
    resource, _, row = ref.partition(":")
    try:
        return data.ROWS[resource][row]
    except KeyError:
        raise PublishError(f"'{name}': input '{ref}' is not a row of a table this chapter "
                           "loaded; use 'resource:row-id' after data.load(resource).") from None


def _plain(value) -> float | int:
    """numpy scalars would glue as 'np.float64(…)': publish plain Python numbers."""
    plain = value.item() if hasattr(value, "item") else value
    if not isinstance(plain, (int, float)) or isinstance(plain, bool):
        raise PublishError(f"expected a number, got {value!r}.")
    return plain


def _write_atomically(path: Path, content: bytes) -> None:
    """Replace ``path`` in one step, and only if its bytes change."""
    if path.exists() and path.read_bytes() == content:
        return
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)

"""One chapter's work: the tables it reads, the numbers and figures it publishes.

A chapter notebook makes one :class:`Chapter` (``ch = borderbook.chapter(name, figures_dir)``),
loads its tables through it, publishes with :meth:`Chapter.number`, :meth:`Chapter.stated`,
:meth:`Chapter.days` and :meth:`Chapter.figure`, and calls :meth:`Chapter.finish` in its last
cell. Everything the chapter did lives on the object: which files it read, at which
checksum; which rows it may cite; what it publishes. Nothing reaches ``figures/`` before
``finish``: a chapter that fails half-way publishes nothing (:mod:`borderbook.record`).

A number's inputs are rows of the tables, not strings: a row (``table.loc["id"]``), a
selection of rows (``table.loc[["a", "b"]]`` or a filtered table), or a list of those. The
rows give the number its sources and the paper's statements it bears on, and the code of
the statement that published it is recorded beside it: the provenance a reader sees is
the code that ran.
"""

import ast
import html
import io
import linecache
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from borderbook import bib, bounds, data, dates, freshness, paths, prose, record, style


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
    code: str
    cell: int
    inputs: list[str]
    sources: list[str]
    statements: list[str]
    chapter: str

    def __repr__(self) -> str:
        """The printed text: glue shows it in the PDF and in plain-text outputs."""
        return self.text

    def _repr_html_(self) -> str:
        """In HTML the number links to its row in the register. Its provenance (formula, inputs,
        sources, and the code that computed it) is a real element that describes the link for
        screen readers, and that the page's script shows on hover, focus and tap."""
        name = html.escape(self.name)
        code = f'<code class="bb-code">{html.escape(self.code)}</code>' if self.code else ""
        # the code cell that computed it, on the same page (anchors by borderbook.sphinxext.cells)
        where = f' data-code="#cell-{self.cell}"' if self.cell else ""
        return (f'<a class="bb-number" href="numbers.html#number-{name}" data-number="{name}" '
                f'data-provenance="{html.escape(self.provenance())}" data-cell="{self.cell}"{where} '
                f'aria-describedby="provenance-{name}">{html.escape(self.text)}</a>'
                f'<span class="bb-provenance" id="provenance-{name}" hidden>'
                f'{html.escape(self.provenance())}{code}</span>')

    def provenance(self) -> str:
        """Formula, inputs and sources in one line, as the reader sees them."""
        return f"{self.formula} · from {', '.join(self.inputs)} · sources: {', '.join(self.sources)}"


class Chapter:
    """What one chapter reads and publishes, kept in memory until :meth:`finish`."""

    def __init__(self, name: str, figures_dir: str | Path | None = None):
        self.name = name
        self.figures_dir = Path(figures_dir or paths.FIGURES).resolve()
        self.notebook = paths.CHAPTERS / f"{name}.md"
        # its code cells, read once: each number and figure finds the cell it was published from
        self.cells = freshness.code_cells(self.notebook) if self.notebook.exists() else []
        # The values this run gives the parameters the chapter declares (papermill may change them).
        declared = freshness.declared_parameters(self.notebook) if self.notebook.exists() else {}
        caller = _notebook_frame()
        namespace = caller.f_globals if caller else {}
        self.parameters = freshness.comparable({k: namespace.get(k, v) for k, v in declared.items()})
        self.reads: dict[str, str] = {}       # file relative to the root -> sha256
        self.rows: dict[str, dict[str, dict]] = {}   # resource -> row id -> source, statement
        self.numbers: dict[str, Number] = {}
        self.figures: dict[str, dict] = {}
        self.files: dict[str, bytes] = {}
        style.apply()

    # Reading -------------------------------------------------------------------------------

    def load(self, resource: str) -> pd.DataFrame:
        """Table ``resource`` of ``data/`` (validated and typed, indexed by its row ids); the
        chapter may then cite its rows."""
        frame, reads = data.table(resource)
        self.reads.update(reads)
        statements = frame["statement"] if "statement" in frame else [None] * len(frame)
        self.rows[resource] = {str(row_id): {"source": source, "statement": None if pd.isna(s) else s}
                               for row_id, source, s in zip(frame.index, frame["source"], statements)}
        return frame

    def geometry(self, resource: str) -> dict:
        """GeoJSON resource ``resource`` as ``{id: (properties, shapely geometry)}``; its
        features may be cited as rows with :meth:`feature`."""
        shapes, source, reads = data.geometry(resource)
        self.reads.update(reads)
        self.rows[resource] = {feature_id: {"source": source, "statement": None} for feature_id in shapes}
        return shapes

    @staticmethod
    def feature(resource: str, feature_id: str) -> pd.Series:
        """A feature of a GeoJSON resource as a row that :meth:`number` and :meth:`figure` accept."""
        row = pd.Series({"id": feature_id}, name=feature_id)
        row.attrs["resource"] = resource
        return row

    # Publishing ----------------------------------------------------------------------------

    def number(self, name: str, value, fmt: str, unit: str, formula: str, inputs,
               bound: str = "exact", scale: float = 1, statements=(), sources=()) -> Number:
        """Glue ``value`` under ``name`` and record it for the register.

        ``fmt`` formats the (scaled) value, unit words included: ``"{:,.2f} km"``, or
        ``"{:.0f} million"`` with ``scale=1e6``. ``bound`` says how the value is known
        (:mod:`borderbook.bounds`): a floor is rounded down and a ceiling up at the
        precision ``fmt`` prints; a ``"range"`` takes a pair. ``formula`` is a short gloss
        for the reader; the code that called this is recorded too. ``inputs`` are rows of
        tables this chapter loaded; their sources and the paper's statements they bear on
        join ``sources`` and ``statements``.
        """
        if name in self.numbers:
            raise PublishError(f"number '{name}' is published twice in chapter {self.name}.")
        if bound not in bounds.WORDS:
            raise PublishError(f"number '{name}': bound '{bound}' is not one of {sorted(bounds.WORDS)}.")
        refs = self._refs(name, inputs)
        if not formula or not refs:
            raise PublishError(f"number '{name}': a formula and at least one input row are required.")
        if bound == "range":
            value = [_plain(name, v) for v in value]
            text = "–".join(_format(name, fmt, v / scale if scale != 1 else v) for v in value)
        else:
            value = bounds.rounded(_plain(name, value), bound, fmt, scale)
            text = bounds.WORDS[bound] + _format(name, fmt, value / scale if scale != 1 else value)
        rows = [self.rows[resource][row_id] for resource, row_id in refs]
        cited = sorted(set(sources) | {row["source"] for row in rows})
        unknown = [key for key in cited if key not in bib.keys()]
        if unknown:
            raise PublishError(f"number '{name}': sources not in references.bib: {unknown}.")
        said = sorted(set(statements) | {row["statement"] for row in rows if row["statement"]})
        code, cell = self._caller()
        published = Number(name, value, text, unit, bound, formula, code, cell,
                           sorted(f"{resource}:{row_id}" for resource, row_id in refs), cited, said,
                           self.name)
        self.numbers[name] = published
        _glue(name, published)
        return published

    def stated(self, name: str, row: pd.Series, fmt: str, **options) -> Number:
        """Publish one row of a quantity table as its source states it: value, unit and bound."""
        claimant = f" by {row['claimant']}" if "claimant" in row else ""
        options = {"bound": row["bound"], **options}
        return self.number(name, row["value"], fmt, row["unit"], f"as stated{claimant}", row, **options)

    def days(self, name: str, first: pd.Series, last: pd.Series, formula: str | None = None,
             **options) -> Number:
        """Publish the number of days from event row ``first`` to event row ``last``."""
        count = dates.days_between(first, last)
        return self.number(name, count, "{:d} day" if count == 1 else "{:,d} days", "days",
                           formula or f"date({last.name}) − date({first.name})", [first, last], **options)

    def figure(self, name: str, fig, caption: str, alt: str, table: pd.DataFrame, inputs,
               sources=()) -> None:
        """Render ``fig`` to SVG and PDF, keep ``table`` as its data CSV, and glue it.

        The glued value is a MyST ``figure`` directive pointing at the published files, so
        the HTML shows the SVG, the PDF embeds the vector PDF, and both carry the caption,
        the alt text and a link to the data.
        """
        import matplotlib.pyplot as plt
        from IPython.display import Markdown

        if not name.startswith("fig-"):
            raise PublishError(f"figure '{name}': names start with 'fig-'.")
        if not caption.strip() or not alt.strip():
            raise PublishError(f"figure '{name}': a caption and an alt text are both required.")
        typed = self._typed_in_figure({"caption": caption, "alt text": alt})
        if typed:
            raise PublishError(
                f"figure '{name}' of chapter {self.name}: a quantity typed by hand in its "
                + " and its ".join(f"{what} ({'; '.join(repr(excerpt) for excerpt in excerpts)})"
                                   for what, excerpts in typed.items())
                + ". Glue a number with ch.number() and build the text from it (an f-string of its "
                "result), or compute the text from the data; calendar dates and years may be written.")
        refs = self._refs(name, inputs)
        cited = sorted(set(sources) | {self.rows[resource][row_id]["source"] for resource, row_id in refs})
        for ext, options in {"svg": {"metadata": {"Date": None}},
                             "pdf": {"metadata": {"CreationDate": None, "ModDate": None}}}.items():
            buffer = io.BytesIO()
            fig.savefig(buffer, format=ext, **options)
            self.files[f"{name}.{ext}"] = buffer.getvalue()
        plt.close(fig)
        self.files[f"{name}.csv"] = table.to_csv(index=False, lineterminator="\n").encode("utf-8")
        code, cell = self._caller()
        self.figures[name] = {"caption": caption, "alt": alt, "cell": cell, "code": code,
                              "inputs": sorted(f"{resource}:{row_id}" for resource, row_id in refs),
                              "sources": cited, "chapter": self.name}
        where = os.path.relpath(self.figures_dir, Path.cwd())
        directive = (f"```{{figure}} {where}/{name}.*\n:name: {name}\n:alt: {alt}\n\n"
                     f"{caption} Download: {{download}}`data (CSV) <{where}/{name}.csv>`, "
                     f"{{download}}`SVG <{where}/{name}.svg>`, {{download}}`PDF <{where}/{name}.pdf>`."
                     + (f" {{cell}}`{cell}`" if cell else "") + "\n```\n")
        _glue(name, Markdown(directive))

    def finish(self) -> Path:
        """Publish this chapter's figures and its part of the register (:mod:`borderbook.record`),
        and leave the record of what it read in the notebook's outputs, so that an execution
        is only ever served from the cache with the inputs it was made from."""
        numbers = {name: asdict(n) for name, n in self.numbers.items()}
        run = {"inputs": dict(sorted({**self.reads, **_helper_modules()}.items())),
               "code": freshness.code_checksum(self.notebook) if self.notebook.exists() else None,
               "parameters": self.parameters, "published": freshness.published(numbers, self.figures)}
        part = record.Part(self.name, run, numbers, self.figures, self.files)
        _glue(freshness.RECORD_KEY, freshness.digest(run))
        return record.publish(part, self.figures_dir)

    # Provenance ----------------------------------------------------------------------------

    def _refs(self, name: str, inputs) -> list[tuple[str, str]]:
        """``(resource, row id)`` of every input row, each of a table this chapter loaded."""
        items = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        refs = []
        for item in items:
            if isinstance(item, pd.DataFrame):
                refs += [(item.attrs.get("resource"), str(row_id)) for row_id in item.index]
            elif isinstance(item, pd.Series):
                refs.append((item.attrs.get("resource"), str(item.name)))
            else:
                raise PublishError(f"'{name}': an input must be a row or rows of a loaded table "
                                   f"(table.loc['id'] or table.loc[[...]]), not {type(item).__name__}.")
        for resource, row_id in refs:
            if row_id not in self.rows.get(resource, {}):
                raise PublishError(f"'{name}': input {resource}:{row_id} is not a row of a table this "
                                   "chapter loaded; load the table with ch.load() and pass its rows.")
        return sorted(set(refs))

    def _typed_in_figure(self, texts: dict[str, str]) -> dict[str, list[str]]:
        """The quantities typed by hand into the caption and the alt text of the ``ch.figure``
        call publishing now, by the prose rule (:func:`borderbook.prose.typed_quantities_in_text`).

        Typed means written in the chapter's source: the rule reads the string literals of the
        call's ``caption`` and ``alt`` arguments (the constant parts of an f-string, and the
        literals of a name assigned in the chapter's code), not the text they make, which may
        hold numbers the code computed. Where the call's code cannot be read, or a name in it
        is not assigned in the chapter's code (a function's parameter), the text itself is
        checked: failing closed."""
        frame = _notebook_frame()
        source = "".join(linecache.getlines(frame.f_code.co_filename)) if frame else ""
        literals = prose.figure_literals(source, frame.f_lineno if frame else 0, [source, *self.cells])
        found = {}
        for what, text in texts.items():
            typed_text = (literals or {}).get(what.split()[0])
            typed = prose.typed_quantities_in_text(text if typed_text is None else "\n".join(typed_text))
            if typed:
                found[what] = typed
        return found

    def _caller(self) -> tuple[str, int]:
        """The code of the notebook statement that is publishing (the first frame outside
        borderbook), and the number of the chapter's code cell that holds it (0 if unknown)."""
        frame = _notebook_frame()
        if frame is None:
            return "", 0
        source = "".join(linecache.getlines(frame.f_code.co_filename))
        return _statement(source, frame.f_lineno), freshness.cell_number(source, self.cells)


def _notebook_frame():
    """The innermost frame of the code calling borderbook: a notebook cell, or a test."""
    frame = sys._getframe(1)
    while frame and frame.f_code.co_filename.startswith(str(Path(__file__).parent)):
        frame = frame.f_back
    return frame


def _statement(source: str, line: int) -> str:
    """The top-level statement of ``source`` that holds ``line``: the code a reader should see."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    for node in tree.body:
        if node.lineno <= line <= node.end_lineno:
            return ast.get_source_segment(source, node) or ""
    return ""


def _helper_modules() -> dict[str, str]:
    """Checksums of the borderbook modules this kernel imported: they shape the outputs too."""
    modules = {}
    for name, module in sorted(sys.modules.items()):
        if name.split(".")[0] == "borderbook" and getattr(module, "__file__", None):
            source = Path(module.__file__)
            modules[str(source.relative_to(paths.ROOT))] = freshness.checksum(source)
    return modules


def _glue(name: str, value) -> None:
    from myst_nb import glue

    glue(name, value, display=False)


def _format(name: str, fmt: str, value) -> str:
    """``value`` in ``fmt``; a whole float prints with an integer format ("{:d}") too."""
    if isinstance(value, float) and value.is_integer() and re.search(r"\{[^}]*d\}", fmt):
        value = int(value)
    text = fmt.format(value)
    if re.search(r"\b(?:nan|inf)\b", text, re.IGNORECASE):
        raise PublishError(f"number '{name}' would print as {text!r}: not a finite number.")
    return text


def _plain(name: str, value) -> float | int:
    """numpy scalars would glue as 'np.float64(…)': publish plain, finite Python numbers."""
    plain = value.item() if hasattr(value, "item") else value
    if not isinstance(plain, (int, float)) or isinstance(plain, bool):
        raise PublishError(f"number '{name}': expected a number, got {value!r}.")
    if plain != plain or plain in (float("inf"), float("-inf")):
        raise PublishError(f"number '{name}': {plain!r} is not a finite number; check its input rows.")
    return plain

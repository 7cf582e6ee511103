"""The code in the book: each chapter's code cells, its executed notebook, its repository.

- Every code cell a page shows gets a stable anchor, ``cell-N``: N is the cell's place among
  the chapter's code cells (1-based, removed cells counted), the number a published number
  or figure records as ``cell`` (:meth:`borderbook.publishing.Chapter._caller`). Its
  "Show code" prompt names the cell; the ``{cell}`` role links to it.
- The reading editions keep code out: the PDF and the EPUB drop the input of every code cell
  (e-readers do not all open a ``<details>``, and EPUB 3 refuses MyST-NB's ``<p>`` inside
  its ``<summary>``).
- Each chapter's page offers its executed notebook (the execution the cache serves, outputs
  included) in the theme's download menu, beside its MyST source.
- The repository's address is one setting, ``repository: url:`` in ``_config.yml`` (the
  theme's options repeat it by a YAML alias); the build warns when it is unset. The
  ``run-it-yourself`` directive prints commands (its lines that start with ``$``) with the
  address in place of ``{repository}`` and the clone's folder in place of ``{folder}``.
"""

import json
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from borderbook import cache, freshness

logger = logging.getLogger(__name__)
ANCHOR = "cell-{}"


def setup(app):
    app.add_transform(CellAnchors)
    app.add_post_transform(CodeOutOfReadingEditions)
    app.add_role("cell", cell_role)
    app.add_directive("run-it-yourself", RunItYourself)
    app.connect("config-inited", check_repository)
    # before the theme builds its download menu (priority 501)
    app.connect("html-page-context", offer_notebook, priority=500)


# The cells' anchors ------------------------------------------------------------------------

class CellAnchors(SphinxTransform):
    """Give each code cell of a chapter the anchor ``cell-N`` and a prompt that names it."""

    default_priority = 500

    def apply(self, **kwargs):
        containers = [node for node in self.document.findall(nodes.container)
                      if node.get("nb_element") == "cell_code"]
        if not containers:
            return
        cells = freshness.code_cells(Path(self.env.doc2path(self.env.docname)))
        for container in containers:
            sources = [child for child in container.children if child.get("nb_element") == "cell_code_source"]
            block = next(sources[0].findall(nodes.literal_block), None) if sources else None
            number = freshness.cell_number(block.astext(), cells) if block is not None else 0
            if not number:
                continue
            container["ids"].append(ANCHOR.format(number))
            if container.get("hide_mode"):
                container["prompt_show"] = f"Show the code (cell {number})"
                container["prompt_hide"] = f"Hide the code (cell {number})"


def cell_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{cell}`N``: "The code: cell N.", a link to code cell N of the page. The PDF and the
    EPUB, which show no code, leave it out."""
    number = text.strip()
    if not number.isdigit() or not int(number):
        return [], [inliner.reporter.warning(f"{{cell}}: {text!r} is not a cell number", line=lineno)]
    link = nodes.reference("", f"cell {number}", refuri=f"#{ANCHOR.format(number)}", classes=["bb-code-link"])
    return [nodes.inline("", "", nodes.Text("The code: "), link, nodes.Text("."), classes=["bb-code-ref"])], []


class CodeOutOfReadingEditions(SphinxPostTransform):
    """The PDF and the EPUB are for reading: every code cell loses its input, and a cell left
    empty goes."""

    builders = ("latex", "epub")
    default_priority = 190

    def run(self, **kwargs):
        for node in list(self.document.findall(nodes.container)):
            if node.get("nb_element") == "cell_code_source":
                node.parent.remove(node)
        for node in list(self.document.findall(nodes.container)):
            if node.get("nb_element") == "cell_code" and not node.children:
                node.parent.remove(node)
        for node in list(self.document.findall(nodes.inline)):
            if "bb-code-ref" in node["classes"]:
                node.parent.remove(node)


# The executed notebook ---------------------------------------------------------------------

def offer_notebook(app, pagename, templatename, context, doctree):
    """Put the chapter's executed notebook next to its source (``_sources/``), where the
    theme's download menu offers it as ``.ipynb``: the whole notebook MyST-NB read (prose
    included) with the outputs of the execution the cache serves (glued values included,
    which MyST-NB's own copy leaves out)."""
    if doctree is None or app.builder.name != "html":
        return
    notebook = executed(Path(app.env.mystnb_config.output_folder, f"{pagename}.ipynb"),
                        cache.notebook(Path(app.srcdir, app.config.nb_execution_cache_path),
                                       Path(pagename).name))
    if notebook is None:
        return
    target = Path(app.outdir, "_sources", f"{pagename}.ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    context["ipynb_source"] = f"{pagename}.ipynb"


def executed(read: Path, run: Path | None) -> dict | None:
    """Notebook ``read`` (as MyST-NB read the page) with the outputs of ``run`` (the cached
    execution, code cells only), or None when they are not of the same code."""
    if run is None or not read.exists():
        return None
    notebook = json.loads(read.read_text(encoding="utf-8"))
    outputs = json.loads(run.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    ran = [cell for cell in outputs["cells"] if cell["cell_type"] == "code"]
    if len(code) != len(ran) or any(_text(a["source"]) != _text(b["source"]) for a, b in zip(code, ran)):
        logger.warning(f"{read.name}: the cached execution is not of this page's code; no notebook "
                       "to download", type="borderbook", subtype="notebook")
        return None
    for cell, result in zip(code, ran):
        cell["outputs"], cell["execution_count"] = result.get("outputs", []), result.get("execution_count")
    if not any(cell["outputs"] for cell in code):
        return None
    notebook["metadata"]["language_info"] = outputs["metadata"].get("language_info", {})
    # MyST-NB gives each cell a random id at every read: the download would differ from build
    # to build. Ids by place instead; a code cell's is the page's anchor of it (cell-N).
    counts = {}
    for cell in notebook["cells"]:
        counts[cell["cell_type"]] = counts.get(cell["cell_type"], 0) + 1
        kind = "cell" if cell["cell_type"] == "code" else cell["cell_type"]
        cell["id"] = f"{kind}-{counts[cell['cell_type']]}"
    return notebook


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


# The repository ----------------------------------------------------------------------------

def repository_url(config) -> str:
    """The repository's address as the theme received it from ``_config.yml``."""
    return (config.html_theme_options or {}).get("repository_url", "") or ""


def check_repository(app, config):
    if not repository_url(config):
        logger.warning("the repository's address is unset: set `repository: url:` in _config.yml "
                       "(and `repository_url: *repository` in sphinx.config.html_theme_options); "
                       "the repository button, the commands of the reproducibility appendix and "
                       "the citation need it", type="borderbook", subtype="repository")


class RunItYourself(SphinxDirective):
    """A box with the commands to rebuild and re-run the book; ``{repository}`` in them
    becomes the repository's address."""

    has_content = True
    option_spec = {"title": directives.unchanged}

    def run(self):
        url = repository_url(self.config) or "<the repository's address: unset in _config.yml>"
        folder = url.rstrip("/").rpartition("/")[2].removesuffix(".git") or "the-repository"
        text = "\n".join(self.content).replace("{repository}", url).replace("{folder}", folder)
        box = nodes.admonition(classes=["bb-run-it-yourself", "tip"])
        box += nodes.title("", self.options.get("title", "Run it yourself"))
        paragraphs, commands = [], []
        for line in text.splitlines():
            if line.startswith("$ "):
                commands.append(line[2:])
            elif line.strip():
                if commands:
                    box += _commands(commands)
                    commands = []
                parsed = nodes.Element()
                self.state.nested_parse(_lines(line), self.content_offset, parsed)
                box += parsed.children
        if commands:
            box += _commands(commands)
        return [box]


def _commands(lines: list[str]) -> nodes.literal_block:
    block = nodes.literal_block("\n".join(lines), "\n".join(lines), language="shell")
    return block


def _lines(line: str):
    from docutils.statemachine import StringList

    return StringList([line])

"""Warm kernels are forked from a process that never ran a chapter: a chapter cannot see
another's variables, module state or figures."""

import nbformat
from jupyter_cache.executors.utils import single_nb_execution

from borderbook import paths, warm

#: a chapter that leaves a variable, a matplotlib setting, an attribute on a borderbook module
#: and an open figure behind it
FIRST = ['leak = "the first chapter"',
         'import matplotlib\nmatplotlib.rcParams["lines.linewidth"] = 7',
         'import borderbook.style\nborderbook.style.LEAK = "the first chapter"',
         'import matplotlib.pyplot as plt\nplt.figure()\nplt.plot([1, 2])']
#: a chapter that looks for them
SECOND = ["""import matplotlib, matplotlib.pyplot as plt, borderbook.style
try:
    leak
    variable = True
except NameError:
    variable = False
seen = [what for what, leaked in [
    ("variable 'leak'", variable),
    ("rcParams['lines.linewidth']", matplotlib.rcParams["lines.linewidth"] == 7),
    ("borderbook.style.LEAK", hasattr(borderbook.style, "LEAK")),
    ("open figures", bool(plt.get_fignums())),
] if leaked]
assert not seen, f"the second chapter sees the first's {', '.join(seen)}"
"""]
#: true only in a kernel that started warm (nothing in these notebooks imports pandas)
WARM = "import sys\nprint('pandas' in sys.modules)"


def notebook(*sources):
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})


def execute(nb, **kernels):
    return single_nb_execution(nb, cwd=str(paths.ROOT / "chapters"), timeout=60, allow_errors=False,
                               shutdown_kernel="immediate", **kernels)


def test_a_warm_chapter_sees_nothing_of_the_chapter_before_it():
    with warm.server() as address:
        first = execute(notebook(WARM, *FIRST), **warm.config(address))
        second = execute(notebook(WARM, *SECOND), **warm.config(address))
    assert first.err is None, first.exc_string
    assert second.err is None, second.exc_string
    for result in first, second:   # both ran in warm kernels, not fresh ones
        assert result.nb.cells[0].outputs[0]["text"] == "True\n"


def test_the_check_sees_what_a_kernel_that_ran_the_first_chapter_would_leak():
    """The control: in a process that ran the first chapter (which a kernel forked from it
    would copy), the second chapter's check fails, naming every leak."""
    result = execute(notebook(*FIRST, *SECOND))
    assert result.err is not None
    for leak in ("variable 'leak'", "rcParams['lines.linewidth']", "borderbook.style.LEAK", "open figures"):
        assert leak in result.err.evalue


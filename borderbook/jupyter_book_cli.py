"""Jupyter Book's command line, left without tearing the interpreter down.

:mod:`borderbook.build` runs each Jupyter Book build in a process of its own and waits for
it to end. After a build, Python spends half a second freeing Sphinx's environment and
unloading modules before the process exits; nothing of it is output. This calls the same
command line, flushes, and leaves with its exit code at once. Files are complete by then:
Sphinx and LaTeX close what they write, and the execution cache commits each record.
"""

import os
import sys

from jupyter_book.cli.main import main

if __name__ == "__main__":
    try:
        main(sys.argv[1:], prog_name="jupyter-book")
        code = 0
    except SystemExit as leaving:   # click ends every command this way
        code = leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

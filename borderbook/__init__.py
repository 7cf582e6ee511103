"""Helpers for the reproducible edition of "Taliban at the Border" (CAP Paper No. 267).

The data flow is: ``data/`` → :mod:`borderbook.data` (validated tables) → a chapter notebook,
through its :class:`borderbook.publishing.Chapter` → :mod:`borderbook.record` (the register of
numbers and the figure files in ``figures/``) → the book. See ARCHITECTURE.md.
"""


def chapter(name: str, figures_dir=None):
    """The object through which chapter ``name`` loads tables and publishes (see
    :class:`borderbook.publishing.Chapter`); ``figures_dir`` defaults to ``figures/``."""
    from borderbook.publishing import Chapter

    return Chapter(name, figures_dir)

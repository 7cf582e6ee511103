"""Helpers for the reproducible edition of "Taliban at the Border" (CAP Paper No. 267).

The data flow is: ``data/`` → :mod:`borderbook.data` (validated tables) → the chapter
notebooks → :mod:`borderbook.publish` (numbers and figures) → ``figures/`` and the book.
"""

"""The keys of ``references.bib``: every data row and citation must name one of them."""

import re
from functools import cache

from borderbook import paths

_ENTRY = re.compile(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


@cache
def keys() -> frozenset[str]:
    """Return the citation keys defined in ``references.bib`` (comments excluded)."""
    text = paths.BIBLIOGRAPHY.read_text(encoding="utf-8")
    return frozenset(key for kind, key in _ENTRY.findall(text) if kind.lower() != "comment")

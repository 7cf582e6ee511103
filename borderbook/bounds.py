"""How a figure is known: exactly, about, at least, at most, or as a range.

The vocabulary is the ``bound`` column of ``data/schemas/quantity.json``; this module is
the one place that says how each bound reads in print, which family it belongs to (a
point, a floor, a ceiling, a range) and which way a printed value is rounded so that the
print never overstates a floor or understates a ceiling.
"""

import json
import math
import re
import string
from types import MappingProxyType

from borderbook import paths

#: how each bound reads before the number
WORDS = MappingProxyType({
    "exact": "",
    "approx": "about ",
    "almost": "almost ",
    "at_least": "at least ",
    "more_than": "more than ",
    "at_most": "at most ",
    "less_than": "less than ",
    "up_to": "up to ",
    "range": "",
})
#: bounds that say the same kind of thing: a point, a floor, a ceiling, a range
FAMILY = MappingProxyType({"exact": "point", "approx": "point", "almost": "ceiling", "at_least": "floor",
          "more_than": "floor", "at_most": "ceiling", "less_than": "ceiling", "up_to": "ceiling",
          "range": "range"})
#: the sign a chart or a table draws beside a bounded value (strict where the words are)
SIGNS = MappingProxyType({"exact": "", "approx": "", "almost": "≤", "at_least": "≥", "more_than": ">",
         "at_most": "≤", "less_than": "<", "up_to": "≤", "range": "–"})


def schema_bounds() -> list[str]:
    """The bounds the quantity schema allows: the words above must cover exactly these."""
    schema = json.loads((paths.DATA / "schemas" / "quantity.json").read_text(encoding="utf-8"))
    field = next(f for f in schema["fields"] if f["name"] == "bound")
    return field["constraints"]["enum"]


def words(bound: str) -> str:
    """A bound as a reader says it: "about", "more than", "exact"."""
    return "about" if bound == "approx" else bound.replace("_", " ")


def rounded(value: float, bound: str, fmt: str, scale: float = 1) -> float:
    """``value`` rounded, at the precision ``fmt`` prints it, in the bound's safe direction:
    a floor down, a ceiling up (a point is left to the format). A precision-free format
    (``{:g}``) leaves the value as it is."""
    family = FAMILY[bound]
    digits = _decimals(fmt)
    if family not in ("floor", "ceiling") or digits is None or isinstance(value, int):
        return value
    shown = round(value / scale * 10**digits, 6)   # 6: float noise is not a real fraction
    shown = math.floor(shown) if family == "floor" else math.ceil(shown)
    return shown / 10**digits * scale


def _decimals(fmt: str) -> int | None:
    """The number of decimals the first field of ``fmt`` prints (a percentage counts two more)."""
    spec = next((spec for _, field, spec, _ in string.Formatter().parse(fmt) if field is not None), "")
    match = re.search(r"\.(\d+)([f%])?$|(d)$", spec or "")
    if not match:
        return None
    if match.group(3):
        return 0
    return int(match.group(1)) + (2 if match.group(2) == "%" else 0)

"""Verdicts on the paper's own figures, computed from data rows, never typed.

Two kinds of check. An *agreement* check sets a row stating what the paper says
beside a row stating what a source says: the verdict follows from the rows' own
fields (what they measure, the period, the bound, the value). An *arithmetic* check
recomputes something the paper implies (a sum of parts, an interval between dates,
an implied exchange rate) and compares it with the paper's figure within a tolerance.
"""

from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from borderbook.bounds import FAMILY, words

#: every verdict, in the order a reader should worry about them, with what it means
VERDICTS = MappingProxyType({
    "holds": "the source (or the arithmetic) gives the paper's figure",
    "rounded": "the paper rounds the source's figure",
    "bound differs": "same figure, but the source states it as a bound the paper drops or changes",
    "period differs": "the source's figure is for another period",
    "category differs": "the source's figure measures something else",
    "does not hold": "the source or the arithmetic gives another figure",
    "not verifiable": "no available source states the figure: the paper is the only source",
})


@dataclass
class Check:
    """One audited figure: what was compared, the verdict, and the evidence."""

    name: str
    claim: str
    statement: str          #: the id of the paper's statement checked (a row of ``statements``)
    verdict: str
    detail: str
    inputs: list[pd.Series]  #: the rows compared: rows (``table.loc["id"]``) or tables of rows
    #: further differences than the verdict's (a figure for another category *and* period)
    also: tuple[str, ...] = ()

    def __post_init__(self):
        """A table among the inputs stands for its rows, in order."""
        rows = []
        for item in self.inputs:
            rows += [row for _, row in item.iterrows()] if isinstance(item, pd.DataFrame) else [item]
        self.inputs = rows

    def statements(self) -> list[str]:
        """The paper's statements the check touches: its own, then those its rows restate."""
        restated = {row.name if row.attrs.get("resource") == "statements" else row.get("statement")
                    for row in self.inputs}
        return [self.statement] * bool(self.statement) + sorted(q for q in restated
                                         if isinstance(q, str) and q and q != self.statement)

    def rows(self) -> list[str]:
        """The rows compared, as ``table:row``: how the register and the appendix name them."""
        return [f"{row.attrs['resource']}:{row.name}" for row in self.inputs]


def differences(paper, source) -> tuple[str, ...]:
    """Every way two rows fail to measure the same thing: category, period, bound family."""
    if source is None:
        return ()
    found = []
    if paper["measure"] != source["measure"] or paper["unit"] != source["unit"]:
        found.append("category differs")
    if not _same_period(paper["period"], source["period"]):
        found.append("period differs")
    if FAMILY[paper["bound"]] != FAMILY[source["bound"]]:
        found.append("bound differs")
    return tuple(found)


def agreement(paper, source, rounding: float = 0.05) -> tuple[str, str]:
    """Verdict for a paper row against a source row (pandas Series with quantity fields).

    ``rounding`` is the relative difference still read as the paper rounding the source.
    The paper's row may hold someone else's claim that the paper reports (a president's
    share, a headline): the detail then names that claimant, not the paper.
    """
    stated = _who(paper)
    if source is None:
        return "not verifiable", "no available source states this figure"
    if paper["measure"] != source["measure"] or paper["unit"] != source["unit"]:
        detail = f"the source measures {source['measure']} ({source['unit']})"
        if not _same_period(paper["period"], source["period"]):
            detail += (f", and for another period: {stated} gives it for {paper['period']}, "
                       f"the source for {source['period']}")
        return "category differs", detail
    gap = abs(paper["value"] - source["value"]) / abs(source["value"])
    if gap > rounding:
        return "does not hold", f"{stated} gives {paper['value']:g}, the source {source['value']:g}"
    if FAMILY[paper["bound"]] != FAMILY[source["bound"]]:
        return "bound differs", (f"{stated} states it as \u201c{words(paper['bound'])}\u201d, "
                                 f"the source as \u201c{words(source['bound'])}\u201d")
    if not _same_period(paper["period"], source["period"]):
        return "period differs", f"{stated} gives it for {paper['period']}, the source for {source['period']}"
    if gap:
        return "rounded", f"{source['value']:g} rounded to {paper['value']:g}"
    return "holds", f"both give {paper['value']:g} ({words(paper['bound'])})"


def _who(row) -> str:
    """Who states the figure of a row checked against a source: its claimant, or the paper."""
    claimant = row.get("claimant")
    return claimant if isinstance(claimant, str) and claimant else "the paper"


def _same_period(first, second) -> bool:
    """Periods agree when either is unstated, one refines the other, or they share a month."""
    if not isinstance(first, str) or not isinstance(second, str) or not first or not second:
        return True
    return first.startswith(second) or second.startswith(first) or (
        first[:7] == second[:7] and first[:4].isdigit() and len(first) >= 7 and first[4] == "-")


def arithmetic(stated: float, computed: float, bound: str = "exact", tolerance: float = 0.0) -> str:
    """Verdict for a figure the paper states against the same figure recomputed.

    ``bound`` is how the paper states it: a floor (``at_least``, ``more_than``) holds if the
    computed value is at or above it, a ceiling (``almost``, ``at_most``, ``less_than``,
    ``up_to``) if at or below it and within ``tolerance``; otherwise the relative difference
    must be within ``tolerance``.
    """
    gap = abs(computed - stated) / abs(stated)
    if FAMILY[bound] == "floor":
        return "holds" if computed >= stated else "does not hold"
    if FAMILY[bound] == "ceiling":
        return "holds" if computed <= stated and gap <= tolerance else "does not hold"
    if gap == 0:
        return "holds"
    return "rounded" if gap <= tolerance else "does not hold"

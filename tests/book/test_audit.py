"""The audit's verdicts follow from the data rows: each verdict is reachable and means what it says;
the appendix shows every check with the rows it compared and their sources."""

import re

import pytest

from borderbook import bib, data, paths
from borderbook.audit import VERDICTS, agreement, arithmetic

from tests.conftest import HTML


def row(value, bound="exact", measure="vehicles a day", unit="vehicles", period="2021-07"):
    return {"value": value, "bound": bound, "measure": measure, "unit": unit, "period": period}


@pytest.mark.parametrize("paper, source, verdict", [
    (row(3, "at_most"), row(3, "at_most"), "holds"),
    (row(1.2), row(1.17), "rounded"),
    (row(50, "approx"), row(50, "up_to"), "bound differs"),
    (row(17, "approx", period="2021-08"), row(17, "approx", period="2021-09"), "period differs"),
    (row(2000, "approx", period="2021-10"), row(2000, "approx", period="2021-10-02/03"), "holds"),
    (row(12.2), row(18, measure="electricity exports"), "category differs"),
    (row(70), row(55), "does not hold"),
    (row(54), None, "not verifiable"),
])
def test_agreement_verdicts(paper, source, verdict):
    assert agreement(paper, source)[0] == verdict


@pytest.mark.parametrize("stated, computed, bound, tolerance, verdict", [
    (1344.15, 1344.15, "exact", 0, "holds"),
    (14, 18, "approx", 0.3, "rounded"),         # "two weeks" for 18 days
    (70, 55, "almost", 0.1, "does not hold"),   # "almost seven decades" for 1936–1991
    (20, 29, "more_than", 0, "holds"),          # "more than two decades"
    (11.32, 11.11, "approx", 0.01, "does not hold"),
])
def test_arithmetic_verdicts(stated, computed, bound, tolerance, verdict):
    assert arithmetic(stated, computed, bound, tolerance) == verdict


def test_a_claim_the_paper_reports_is_named_as_its_claimants():
    claim = {**row(46, "more_than", measure="Tajik share", unit="%"), "claimant": "Emomali Rahmon"}
    estimate = row(27, "approx", measure="Tajik share", unit="%")
    assert agreement(claim, estimate)[1] == "Emomali Rahmon gives 46, the source 27"
    assert agreement(row(46), row(27))[1] == "the paper gives 46, the source 27"


def test_every_verdict_is_explained():
    assert all(text for text in VERDICTS.values())


def test_the_appendix_lists_at_least_fifteen_checks_each_with_its_rows_and_sources(register):
    page = (HTML / "chapters" / "audit.html").read_text(encoding="utf-8")
    checks = [item for item in re.findall(r"<li><p><strong>.*?</li>", page, flags=re.S)
              if "Rows compared:" in item]
    assert len(checks) == register["numbers"]["audit-checks"]["value"] >= 15
    known, tables = bib.keys(), {}
    for check in checks:
        name = re.match(r"<li><p><strong>([^<]+)", check).group(1)
        assert re.search(r"<em>([^<]+)</em>", check).group(1) in VERDICTS, name
        rows = re.findall(r'<span class="pre">(\w+):([^<]+)</span>', check)
        assert rows, f"{name}: no row compared"
        for table, row_id in rows:
            if table not in tables:
                tables[table] = set(data.table(table)[0].index)
            assert row_id in tables[table], f"{name}: no row {table}:{row_id}"
        sources = re.search(r"sources: ([^<]+)\.</p>", check).group(1).split(", ")
        assert sources and set(sources) <= known, f"{name}: unknown source in {sources}"


def test_what_the_audit_quotes_from_the_paper_is_in_the_paper(register):
    # A gloss of the register's (the award's name, a footnote title) must not stand inside
    # the paper's quotation marks.
    page = (HTML / "chapters" / "audit.html").read_text(encoding="utf-8")
    paper = (paths.ROOT.parent / "shared" / "paper" / "cap-paper-267.txt")
    if not paper.exists():
        pytest.skip("the paper's text is not stored beside the project")
    words = " ".join(paper.read_text(encoding="utf-8").split())
    quoted = re.findall(r"[Tt]he paper: \u201c([^\u201d]+)\u201d", page)
    assert len(quoted) > 5
    for quote in quoted:
        text = re.sub(r"\s*\[[^\]]*\]", "", quote)                  # an editor's [insertion]
        for part in re.split(r"\s*(?:\u2026|\.\.\.)\s*", text):           # an ellipsis: a gap
            assert " ".join(part.split()) in words, f"not the paper's words: {quote}"


def test_a_check_finding_several_differences_is_counted_for_each(register):
    numbers = register["numbers"]
    assert numbers["audit-any-period"]["value"] > numbers["audit-period-differs"]["value"]

"""The audit's verdicts follow from the data rows: each verdict is reachable and means what it says."""

import pytest

from borderbook.audit import VERDICTS, agreement, arithmetic


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


def test_every_verdict_is_explained():
    assert all(text for text in VERDICTS.values())

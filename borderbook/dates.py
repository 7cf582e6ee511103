"""Dates of the book's events (rows of ``data/raw/events.csv``): intervals are computed, never typed."""

import pandas as pd


def day(event: pd.Series) -> pd.Timestamp:
    """The date of an event row, as a timestamp (a year or a month counts from its first day)."""
    return pd.Timestamp(event["date"])


def days_between(first: pd.Series, last: pd.Series) -> int:
    """Days from event ``first`` to event ``last``."""
    return (day(last) - day(first)).days


def whole_years(first: pd.Series, last: pd.Series) -> int:
    """Whole calendar years from event ``first`` to event ``last`` (both dated to the day)."""
    start, end = day(first), day(last)
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))

"""Dates of the book's events (``data/raw/events.csv``): intervals are computed, never typed."""

import pandas as pd


def day(events: pd.DataFrame, event_id: str) -> pd.Timestamp:
    """The date of an event, as a timestamp (a year or a month counts from its first day)."""
    return pd.Timestamp(events.loc[event_id, "date"])


def days_between(events: pd.DataFrame, first: str, last: str) -> int:
    """Days from event ``first`` to event ``last``."""
    return (day(events, last) - day(events, first)).days


def whole_years(events: pd.DataFrame, first: str, last: str) -> int:
    """Whole calendar years from event ``first`` to event ``last`` (both dated to the day)."""
    start, end = day(events, first), day(events, last)
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))

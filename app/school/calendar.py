"""The school's calendar: a school year runs from 1 August to 31 July."""

from __future__ import annotations

from datetime import date


def school_year_of(day: date) -> tuple[str, date, date]:
    """The name ("2026-2027"), first and last day of the school year that contains ``day``."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}", date(start, 8, 1), date(start + 1, 7, 31)

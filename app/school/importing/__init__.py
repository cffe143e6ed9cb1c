"""Import of pupils, their group and up to two guardians from the pupil administration's CSV,
in three steps, each its own module: ``parse`` turns bytes into rows or row errors (no
database), ``plan`` compares the rows with the database in a constant number of queries, and
``apply`` writes the plan and audits it. Nothing is written unless every row is correct."""

from __future__ import annotations

from datetime import date

from app.school.importing.apply import apply_plan
from app.school.importing.parse import ImportFileError, Parsed, Progress, RowError, parse
from app.school.importing.plan import Plan, plan


def check_file(data: bytes, *, today: date, school_year: str | None = None, progress: Progress | None = None) -> Plan:
    """Parse and plan (into ``school_year`` by name, or the current one): everything short of writing."""
    return plan(parse(data, today=today, progress=progress), today=today, school_year=school_year)


__all__ = ["ImportFileError", "Parsed", "Plan", "RowError", "apply_plan", "check_file", "parse", "plan"]

"""Applying an import plan: write what the plan says in bulk, and audit it (the caller commits).
A plan with errors is never applied: nothing is written unless every row is correct."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from app.audit.log import record
from app.extensions import db
from app.school.importing.parse import Progress
from app.school.importing.plan import Plan, chunks
from app.school.models import Group, Guardianship, Person, PersonKind, SchoolYear, group_pupil


def apply_plan(result: Plan, *, via: str, progress: Progress | None = None) -> dict[str, int]:
    """Write a plan without errors and audit it; the caller commits."""
    if result.errors or result.year is None:
        raise ValueError("a plan with errors cannot be applied")
    year = result.year
    groups = _with_new_groups(result, year)
    guardians = _with_new_guardians(result)
    pupils = _with_new_pupils(result)
    _update_pupils(result)
    db.session.flush()
    if progress:
        progress(len(result.new_pupils))
    _place_pupils(result, year, groups, pupils)
    _link_guardians(result, guardians, pupils)
    summary = result.summary
    record("people.imported", target_type="school_year", target_id=year.id, via=via, **summary)
    return summary


def _with_new_groups(result: Plan, year: SchoolYear) -> dict[str, Group]:
    groups = dict(result.groups)
    for key, (name, location) in result.new_groups.items():
        group = Group(name=name, location=location, school_year=year)
        db.session.add(group)
        groups[key] = group
    return groups


def _with_new_guardians(result: Plan) -> dict[str, Person]:
    guardians = dict(result.guardians)
    for email, row in result.new_guardians.items():
        guardian = Person(kind=PersonKind.GUARDIAN, first_name=row.first_name, last_name=row.last_name, email=email)
        db.session.add(guardian)
        guardians[email] = guardian
    return guardians


def _with_new_pupils(result: Plan) -> dict[str, Person]:
    pupils = dict(result.pupils)
    for row in result.new_pupils:
        person = Person(
            kind=PersonKind.PUPIL,
            first_name=row.first_name,
            last_name=row.last_name,
            date_of_birth=row.date_of_birth,
            external_id=row.external_id,
            email=row.email,
        )
        db.session.add(person)
        pupils[row.external_id] = person
    return pupils


def _update_pupils(result: Plan) -> None:
    """Only the fields that differ are set, so unchanged rows are not written."""
    for person, row in result.updated_pupils:
        for name in ("first_name", "last_name", "date_of_birth"):
            if getattr(person, name) != getattr(row, name):
                setattr(person, name, getattr(row, name))
        if row.email is not None and person.email != row.email:
            person.email = row.email


def _place_pupils(result: Plan, year: SchoolYear, groups: dict[str, Group], pupils: dict[str, Person]) -> None:
    """Moved pupils leave their group of this year; moved and new pupils join their new group."""
    for chunk in chunks(list(result.moves)):
        db.session.execute(
            delete(group_pupil).where(
                group_pupil.c.person_id.in_(chunk),
                group_pupil.c.group_id.in_(select(Group.id).where(Group.school_year_id == year.id)),
            )
        )
    memberships = [{"group_id": groups[key].id, "person_id": pid} for pid, key in result.moves.items()] + [
        {"group_id": groups[result.row_groups[row.external_id]].id, "person_id": pupils[row.external_id].id}
        for row in result.new_pupils
    ]
    if memberships:
        db.session.execute(insert(group_pupil), memberships)


def _link_guardians(result: Plan, guardians: dict[str, Person], pupils: dict[str, Person]) -> None:
    """New links inserted in bulk; an existing link only has its parental authority changed."""
    new_links = []
    for external_id, email, authority in result.links:
        guardian, pupil = guardians[email], pupils[external_id]
        existing = result.existing_links.get((guardian.id, pupil.id))
        if existing is not None:
            existing.has_parental_authority = authority
        else:
            new_links.append({"guardian_id": guardian.id, "pupil_id": pupil.id, "has_parental_authority": authority})
    if new_links:
        db.session.execute(insert(Guardianship), new_links)

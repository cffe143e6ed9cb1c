"""Who has left the school: the one definition, as SQL expressions every list and check uses.

A *leaver* is a pupil who was in a group of a past school year and is in no group of the current
or a coming year (a pupil imported for next year only is not a leaver, nor is a pupil in no group
at all). "Current" comes from the date alone (``app.school.calendar``): on 1 August next year's
groups, imported beforehand, are the current ones and last year's pupils not in them have left.

Leavers are archived (``app.privacy.leavers``): they get no new media (``app.media.operations``
refuses a new tag), they are left out of the lists staff use for the current year (group pages,
consent overviews, the "not allowed" list, the tag picker, the administrator's people list unless
filtered on "left the school"), and their guardians have nothing left to decide about them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Exists, Subquery, and_, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.school.models import Group, Person, PersonKind, SchoolYear, group_pupil


def in_a_year_from(day: date) -> Exists:
    """The person (``Person.id``) is in a group of a school year that has not ended on ``day``."""
    place, group, year = group_pupil.alias(), aliased(Group), aliased(SchoolYear)
    return (
        select(place.c.person_id)
        .join(group, group.id == place.c.group_id)
        .join(year, year.id == group.school_year_id)
        .where(place.c.person_id == Person.id, year.ends_on >= day)
        .correlate(Person)
        .exists()
    )


def _in_any_group() -> Exists:
    place = group_pupil.alias()
    return select(place.c.person_id).where(place.c.person_id == Person.id).correlate(Person).exists()


def is_leaver(day: date) -> ColumnElement[bool]:
    """``Person`` is a pupil who has left the school on ``day``: in a group once, in none of a
    year that has not ended."""
    return and_(Person.kind == PersonKind.PUPIL, _in_any_group(), ~in_a_year_from(day))


def not_a_leaver(day: date) -> ColumnElement[bool]:
    """``Person`` is anyone but a pupil who has left the school on ``day``."""
    return ~is_leaver(day)


def leaver_ids(ids: set[int], day: date) -> set[int]:
    """Of these people, the pupils who have left the school on ``day``."""
    if not ids:
        return set()
    return set(db.session.scalars(select(Person.id).where(Person.id.in_(ids), is_leaver(day))))


def current_pupils(group: Group, day: date) -> list[Person]:
    """The group's pupils who have not left the school on ``day``, by name: on a group of the
    current or a coming year that is all of them; on a past year's group, those still at school."""
    return list(
        db.session.scalars(
            select(Person)
            .join(group_pupil, group_pupil.c.person_id == Person.id)
            .where(group_pupil.c.group_id == group.id, not_a_leaver(day))
            .order_by(Person.last_name, Person.first_name, Person.id)
        )
    )


def pupils_at_school_per_group(day: date) -> Subquery:
    """``(group_id, pupils)``: per group, how many of its pupils have not left the school on ``day``
    (join it to ``Group.id`` with an outer join; a group with none has no row)."""
    return (
        select(group_pupil.c.group_id, func.count().label("pupils"))
        .join(Person, Person.id == group_pupil.c.person_id)
        .where(not_a_leaver(day))
        .group_by(group_pupil.c.group_id)
        .subquery()
    )

"""State changes of the school's records. Each checks its rules, writes, and audits in the
same transaction; the views (and the import) call these and commit.

Audit rows name objects by id and list the *names of the fields* that changed, never their
values: names, email addresses and dates of birth stay out of the log.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit.log import record
from app.errors import DomainError
from app.extensions import db
from app.school.models import Group, Guardianship, Location, Person, PersonKind, SchoolYear


class SchoolError(DomainError):
    """A change that breaks a rule of the school's records; the message is for the user, shown at
    ``field`` of the form."""

    default_status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__("invalid_record", message)
        self.field = field


def _assign(obj: Any, values: dict[str, Any]) -> list[str]:
    """Set the attributes that differ and return their names."""
    changed = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return sorted(changed)


def _exists(query: Any) -> bool:
    return db.session.scalar(select(query.exists())) is True


# --- Locations and school years ------------------------------------------------------------


def save_location(location: Location | None, *, name: str, address: str | None) -> Location:
    name = name.strip()
    clash = select(Location.id).where(func.lower(Location.name) == name.lower())
    if location is not None:
        clash = clash.where(Location.id != location.id)
    if _exists(clash):
        raise SchoolError(_("There is already a location with this name."), "name")
    created = location is None
    location = location or Location()
    changed = _assign(location, {"name": name, "address": (address or "").strip() or None})
    db.session.add(location)
    if created or changed:
        record("school.location_created" if created else "school.location_updated", target=location, fields=changed)
    return location


def save_year(year: SchoolYear | None, *, name: str, starts_on: date, ends_on: date) -> SchoolYear:
    if ends_on <= starts_on:
        raise SchoolError(_("A school year must end after it starts."), "ends_on")
    clash = select(SchoolYear.id).where(SchoolYear.name == name.strip())
    overlap = select(SchoolYear.id).where(SchoolYear.starts_on <= ends_on, SchoolYear.ends_on >= starts_on)
    if year is not None:
        clash, overlap = clash.where(SchoolYear.id != year.id), overlap.where(SchoolYear.id != year.id)
    if _exists(clash):
        raise SchoolError(_("There is already a school year with this name."), "name")
    if _exists(overlap):
        raise SchoolError(_("This school year overlaps another one."), "starts_on")
    created = year is None
    year = year or SchoolYear()
    changed = _assign(year, {"name": name.strip(), "starts_on": starts_on, "ends_on": ends_on})
    db.session.add(year)
    if created or changed:
        record("school.year_created" if created else "school.year_updated", target=year, fields=changed)
    return year


# --- Groups ----------------------------------------------------------------------------------


def save_group(
    group: Group | None, *, name: str, location: Location, school_year: SchoolYear, teachers: list[Person]
) -> Group:
    name = name.strip()
    clash = select(Group.id).where(
        func.lower(Group.name) == name.lower(),
        Group.location_id == location.id,
        Group.school_year_id == school_year.id,
    )
    if group is not None:
        clash = clash.where(Group.id != group.id)
    if _exists(clash):
        raise SchoolError(_("This location already has a group with this name in this school year."), "name")
    if any(t.kind != PersonKind.STAFF for t in teachers):
        raise SchoolError(_("Only staff members can teach a group."), "teacher_ids")
    created = group is None
    group = group or Group()
    changed = _assign(group, {"name": name, "location": location, "school_year": school_year})
    if {t.id for t in group.teachers} != {t.id for t in teachers}:
        group.teachers = list(teachers)
        changed.append("teachers")
    db.session.add(group)
    if created or changed:
        record("school.group_created" if created else "school.group_updated", target=group, fields=sorted(changed))
    return group


# --- Persons ---------------------------------------------------------------------------------


def save_person(person: Person | None, *, group: Group | None = None, **fields: Any) -> Person:
    """Create or edit a person; for a pupil, ``group`` becomes their group in its school year."""
    kind = fields["kind"]
    external_id = (fields.get("external_id") or "").strip() or None
    email = (fields.get("email") or "").strip().lower() or None
    if kind == PersonKind.PUPIL and fields.get("date_of_birth") is None:
        raise SchoolError(_("A pupil needs a date of birth."), "date_of_birth")
    if fields.get("date_of_birth") and fields["date_of_birth"] > date.today():  # noqa: DTZ011 - a calendar date
        raise SchoolError(_("The date of birth lies in the future."), "date_of_birth")
    if external_id:
        clash = select(Person.id).where(Person.external_id == external_id)
        if person is not None:
            clash = clash.where(Person.id != person.id)
        if _exists(clash):
            raise SchoolError(_("Another person already has this external id."), "external_id")
    if person is not None and person.kind == PersonKind.PUPIL and kind != PersonKind.PUPIL and person.guardianships:
        raise SchoolError(_("Remove this pupil's guardians before changing the kind."), "kind")
    if person is not None and person.kind != PersonKind.PUPIL and kind == PersonKind.PUPIL and person.wards:
        raise SchoolError(_("This person is a guardian; a guardian cannot become a pupil."), "kind")
    created = person is None
    person = person or Person()
    changed = _assign(
        person,
        {
            "kind": kind,
            "first_name": fields["first_name"].strip(),
            "last_name": fields["last_name"].strip(),
            "date_of_birth": fields.get("date_of_birth"),
            "external_id": external_id,
            "email": email,
        },
    )
    db.session.add(person)
    if kind == PersonKind.PUPIL and group is not None:
        same_year = [g for g in person.pupil_groups if g.school_year_id == group.school_year_id]
        if [g.id for g in same_year] != [group.id]:
            for old in same_year:
                person.pupil_groups.remove(old)
            person.pupil_groups.append(group)
            changed.append("group")
    if kind != PersonKind.PUPIL and person.pupil_groups:
        person.pupil_groups = []
        changed.append("group")
    if created or changed:
        record("school.person_created" if created else "school.person_updated", target=person, fields=sorted(changed))
    return person


# --- Guardianship ----------------------------------------------------------------------------


def add_guardian(
    pupil: Person,
    *,
    email: str,
    first_name: str | None,
    last_name: str | None,
    has_parental_authority: bool,
) -> Guardianship:
    """Link the guardian with this email address to the pupil, creating the guardian if new."""
    if pupil.kind != PersonKind.PUPIL:
        raise SchoolError(_("Only pupils have guardians."))
    email = email.strip().lower()
    guardian = db.session.scalar(
        select(Person).where(func.lower(Person.email) == email).order_by(Person.kind != PersonKind.GUARDIAN, Person.id)
    )
    if guardian is None:
        if not (first_name and last_name):
            raise SchoolError(_("There is no one with this email address yet: fill in the name too."), "first_name")
        guardian = save_person(None, kind=PersonKind.GUARDIAN, first_name=first_name, last_name=last_name, email=email)
    elif guardian.kind == PersonKind.PUPIL:
        raise SchoolError(_("A pupil cannot be the guardian of another pupil."), "email")
    if guardian.id is not None and guardian.id == pupil.id:
        raise SchoolError(_("A pupil cannot be their own guardian."), "email")
    db.session.flush()
    if _exists(
        select(Guardianship.id).where(Guardianship.guardian_id == guardian.id, Guardianship.pupil_id == pupil.id)
    ):
        raise SchoolError(_("This guardian is already linked to this pupil."), "email")
    link = Guardianship(guardian=guardian, pupil=pupil, has_parental_authority=has_parental_authority)
    db.session.add(link)
    db.session.flush()
    record("school.guardian_added", target=link, pupil_id=pupil.id, guardian_id=guardian.id)
    return link


def set_parental_authority(link: Guardianship, has_parental_authority: bool) -> None:
    if link.has_parental_authority != has_parental_authority:
        link.has_parental_authority = has_parental_authority
        record("school.guardian_updated", target=link, fields=["has_parental_authority"])


def remove_guardian(link: Guardianship) -> None:
    record("school.guardian_removed", target=link, pupil_id=link.pupil_id, guardian_id=link.guardian_id)
    db.session.delete(link)

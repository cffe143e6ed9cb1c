"""Planning an import: compare the parsed rows with the database, in a constant number of queries
whatever the file's size, and say what would change. Nothing is written here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.school.importing.parse import GuardianRow, Parsed, PupilRow, RowError
from app.school.models import Group, Guardianship, Location, Person, PersonKind, SchoolYear, group_pupil

T = TypeVar("T")


@dataclass
class Plan:
    year: SchoolYear | None = None
    errors: list[RowError] = field(default_factory=list)
    new_pupils: list[PupilRow] = field(default_factory=list)
    updated_pupils: list[tuple[Person, PupilRow]] = field(default_factory=list)
    moves: dict[int, str] = field(default_factory=dict)  # existing pupil id -> group key
    unchanged: int = 0
    row_groups: dict[str, str] = field(default_factory=dict)  # external id -> group key
    new_groups: dict[str, tuple[str, Location]] = field(default_factory=dict)  # key -> name, location
    new_guardians: dict[str, GuardianRow] = field(default_factory=dict)
    links: list[tuple[str, str, bool]] = field(default_factory=list)  # external id, email, authority
    groups: dict[str, Group] = field(default_factory=dict)
    pupils: dict[str, Person] = field(default_factory=dict)
    guardians: dict[str, Person] = field(default_factory=dict)
    current_groups: dict[int, set[int]] = field(default_factory=dict)
    existing_links: dict[tuple[int, int], Guardianship] = field(default_factory=dict)
    pupil_rows: dict[str, PupilRow] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, int]:
        changed_links = {(eid, email) for eid, email, _ in self.links}
        return {
            "rows": len(self.pupil_rows),
            "created": len(self.new_pupils),
            "updated": len(self.updated_pupils),
            "unchanged": self.unchanged,
            "guardians_created": len(self.new_guardians),
            "links_changed": len(changed_links),
            "groups_created": len(self.new_groups),
        }


def _group_key(name: str, location_id: int) -> str:
    return f"{location_id}|{name.lower()}"


def chunks(items: list[T], size: int = 900) -> Iterable[list[T]]:
    """Lists of at most ``size`` items: SQLite allows a limited number of bound parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan(parsed: Parsed, *, today: date, school_year: str | None = None) -> Plan:
    """Compare the rows with the database; a constant number of queries whatever the size.

    The groups are those of ``school_year`` (by name, e.g. next year's "2027-2028" before it
    starts), or of the year containing ``today``. A year that does not exist is an error: the
    administrator creates it first (*Years*), so a typo never makes a year of its own."""
    result = Plan(errors=list(parsed.errors))
    year = _target_year(school_year, today, result)
    if year is None:
        return result
    result.year = year
    if result.errors:
        return result
    lookup = _load_existing(parsed, year, result)
    for row in parsed.rows:
        _plan_row(row, lookup, result)
    return result


def _target_year(name: str | None, today: date, result: Plan) -> SchoolYear | None:
    if name:
        year = db.session.scalar(select(SchoolYear).where(SchoolYear.name == name.strip()))
        if year is None:
            problem = _("the school year %(name)s does not exist; create it first", name=name.strip())
        elif year.ends_on < today:
            problem = _("the school year %(name)s has ended; import into the current or a coming year", name=year.name)
        else:
            return year
        result.errors.insert(0, RowError(0, problem))
        return None
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.starts_on <= today, SchoolYear.ends_on >= today))
    if year is None:
        result.errors.insert(
            0, RowError(0, _("there is no school year containing %(day)s; create it first", day=today.isoformat()))
        )
    return year


@dataclass(frozen=True)
class _Lookup:
    """The school's locations and this year's groups, by lower-case name."""

    locations: dict[str, Location]
    groups_by_name: dict[str, list[Group]]


def _load_existing(parsed: Parsed, year: SchoolYear, result: Plan) -> _Lookup:
    """Everything the rows are compared with, loaded once: locations, the year's groups, the
    pupils with these external ids and their groups this year, guardians with these addresses,
    and the pupils' guardian links."""
    locations = {loc.name.lower(): loc for loc in db.session.scalars(select(Location))}
    groups_by_name: dict[str, list[Group]] = {}
    for group in db.session.scalars(select(Group).where(Group.school_year_id == year.id)):
        groups_by_name.setdefault(group.name.lower(), []).append(group)
    result.pupils = _existing_pupils([row.external_id for row in parsed.rows])
    pupil_ids = [p.id for p in result.pupils.values()]
    result.current_groups = _current_groups(pupil_ids, year)
    result.guardians = _existing_guardians(sorted({g.email for row in parsed.rows for g in row.guardians}))
    result.existing_links = _existing_links(pupil_ids)
    return _Lookup(locations, groups_by_name)


def _existing_pupils(external_ids: list[str]) -> dict[str, Person]:
    pupils: dict[str, Person] = {}
    for chunk in chunks(external_ids):
        for person in db.session.scalars(select(Person).where(Person.external_id.in_(chunk))):
            pupils[person.external_id or ""] = person
    return pupils


def _current_groups(pupil_ids: list[int], year: SchoolYear) -> dict[int, set[int]]:
    current: dict[int, set[int]] = {}
    for chunk in chunks(pupil_ids):
        rows = db.session.execute(
            select(group_pupil.c.person_id, group_pupil.c.group_id)
            .join(Group, Group.id == group_pupil.c.group_id)
            .where(Group.school_year_id == year.id, group_pupil.c.person_id.in_(chunk))
        )
        for person_id, group_id in rows:
            current.setdefault(person_id, set()).add(group_id)
    return current


def _existing_guardians(emails: list[str]) -> dict[str, Person]:
    """People with these addresses; where several share one, a guardian wins over others."""
    guardians: dict[str, Person] = {}
    for chunk in chunks(emails):
        found = db.session.scalars(
            select(Person)
            .where(func.lower(Person.email).in_(chunk), Person.kind != PersonKind.PUPIL)  # a pupil's own address
            .order_by(Person.id)
        )
        for candidate in found:
            key = (candidate.email or "").lower()
            if key not in guardians or (
                candidate.kind == PersonKind.GUARDIAN and guardians[key].kind != PersonKind.GUARDIAN
            ):
                guardians[key] = candidate
    return guardians


def _existing_links(pupil_ids: list[int]) -> dict[tuple[int, int], Guardianship]:
    links: dict[tuple[int, int], Guardianship] = {}
    for chunk in chunks(pupil_ids):
        for link in db.session.scalars(select(Guardianship).where(Guardianship.pupil_id.in_(chunk))):
            links[(link.guardian_id, link.pupil_id)] = link
    return links


def _plan_row(row: PupilRow, lookup: _Lookup, result: Plan) -> None:
    """What this row changes: a new or updated pupil, a move, new guardians and links."""
    result.pupil_rows[row.external_id] = row
    group_key = _resolve_group(row, lookup.groups_by_name, lookup.locations, result)
    if group_key is None:
        return
    result.row_groups[row.external_id] = group_key
    person = result.pupils.get(row.external_id)
    if person is not None and person.kind != PersonKind.PUPIL:
        result.errors.append(
            RowError(row.line, _("external id %(id)s belongs to someone who is not a pupil", id=row.external_id))
        )
        return
    changed = _plan_pupil(row, person, group_key, result)
    changed = _plan_guardians(row, person, changed, result)
    if not changed:
        result.unchanged += 1


def _plan_pupil(row: PupilRow, person: Person | None, group_key: str, result: Plan) -> bool:
    """A new pupil, or an existing one whose details or group this year differ; True if changed."""
    if person is None:
        result.new_pupils.append(row)
        return True
    details_differ = (person.first_name, person.last_name, person.date_of_birth) != (
        row.first_name,
        row.last_name,
        row.date_of_birth,
    ) or (row.email is not None and row.email != person.email)
    existing_group = result.groups.get(group_key)
    moved = existing_group is None or result.current_groups.get(person.id, set()) != {existing_group.id}
    if moved:
        result.moves[person.id] = group_key
    if details_differ or moved:
        result.updated_pupils.append((person, row))
        return True
    return False


def _plan_guardians(row: PupilRow, person: Person | None, changed: bool, result: Plan) -> bool:
    """New guardians and new or changed links (parental authority); returns whether the pupil's
    row changes anything now."""
    for guardian in row.guardians:
        existing = result.guardians.get(guardian.email)
        if existing is None:
            result.new_guardians.setdefault(guardian.email, guardian)
        link = result.existing_links.get((existing.id, person.id)) if existing and person else None
        if link is None or link.has_parental_authority != guardian.parental_authority:
            result.links.append((row.external_id, guardian.email, guardian.parental_authority))
            if person is not None and not changed:
                result.updated_pupils.append((person, row))
                changed = True
    return changed


def _resolve_group(
    row: PupilRow, by_name: dict[str, list[Group]], locations: dict[str, Location], result: Plan
) -> str | None:
    """The key of this row's group: an existing one, or one the import will create."""
    candidates = by_name.get(row.group.lower(), [])
    location = None
    if row.location:
        location = locations.get(row.location.lower())
        if location is None:
            result.errors.append(RowError(row.line, _("unknown location '%(name)s'", name=row.location)))
            return None
        candidates = [g for g in candidates if g.location_id == location.id]
    if len(candidates) == 1:
        key = _group_key(candidates[0].name, candidates[0].location_id)
        result.groups[key] = candidates[0]
        return key
    if len(candidates) > 1:
        result.errors.append(
            RowError(
                row.line, _("group '%(name)s' exists at several locations; fill in the location column", name=row.group)
            )
        )
        return None
    if location is None and len(locations) == 1:
        location = next(iter(locations.values()))
    if location is None:
        result.errors.append(
            RowError(
                row.line,
                _("group '%(name)s' does not exist yet; fill in the location column to create it", name=row.group),
            )
        )
        return None
    key = _group_key(row.group, location.id)
    result.new_groups.setdefault(key, (row.group, location))
    return key

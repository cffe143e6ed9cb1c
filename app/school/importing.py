"""Import of pupils, their group and up to two guardians from the pupil administration's CSV.

Three steps, each small: :func:`parse` turns bytes into rows or row errors (no database;
messages go through Flask-Babel); :func:`plan` compares the rows with the database, loading everything it needs in a
constant number of queries; :func:`apply_plan` writes the plan and audits it. Nothing is
written unless every row is correct.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select

from app.audit.log import record
from app.extensions import db
from app.school.models import (
    Group,
    Guardianship,
    Location,
    Person,
    PersonKind,
    SchoolYear,
    group_pupil,
)

Progress = Callable[[int], None]

# Canonical column name -> accepted header spellings (compared lower-case, spaces and
# dashes as underscores). Dutch names are those of common pupil administrations.
PUPIL_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "leerlingnummer", "leerling_id", "bsn_vervanger", "id"),
    "first_name": ("first_name", "roepnaam", "voornaam"),
    "name_prefix": ("name_prefix", "tussenvoegsel", "tussenvoegsels", "voorvoegsel"),
    "last_name": ("last_name", "achternaam"),
    "date_of_birth": ("date_of_birth", "geboortedatum"),
    "group": ("group", "groep", "klas"),
    "location": ("location", "locatie", "vestiging"),
}
GUARDIAN_FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "voornaam", "roepnaam"),
    "last_name": ("last_name", "achternaam"),
    "email": ("email", "e_mail", "emailadres", "e_mailadres"),
    "parental_authority": ("parental_authority", "ouderlijk_gezag", "gezag"),
}
GUARDIAN_PREFIXES = {1: ("guardian1_", "ouder1_", "verzorger1_"), 2: ("guardian2_", "ouder2_", "verzorger2_")}
REQUIRED = ("external_id", "first_name", "last_name", "date_of_birth", "group")
YES = {"yes", "ja", "j", "y", "1", "true", "waar", ""}
NO = {"no", "nee", "n", "0", "false", "onwaar"}
DATE_FORMATS = ("%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")
MAX_FIELD = 200


class ImportFileError(Exception):
    """The file as a whole cannot be read (empty, binary, not CSV)."""


def _aliases() -> dict[str, str]:
    table = {}
    for canonical, names in PUPIL_COLUMNS.items():
        for name in names:
            table[name] = canonical
    for number, prefixes in GUARDIAN_PREFIXES.items():
        for prefix in prefixes:
            for canonical, names in GUARDIAN_FIELDS.items():
                for name in names:
                    table[prefix + name] = f"guardian{number}_{canonical}"
    return table


ALIASES = _aliases()


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass(frozen=True)
class GuardianRow:
    first_name: str
    last_name: str
    email: str
    parental_authority: bool


@dataclass(frozen=True)
class PupilRow:
    line: int
    external_id: str
    first_name: str
    last_name: str
    date_of_birth: date
    group: str
    location: str | None
    guardians: tuple[GuardianRow, ...]


@dataclass
class Parsed:
    rows: list[PupilRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


# --- Parsing ----------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; binary files are refused."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if b"\x00" in data[:65536]:
        raise ImportFileError(_("This is not a CSV text file (it contains binary data)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(_("This is not a CSV text file (unknown character encoding).")) from None


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") >= header_line.count(",") else ","


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def parse_date(value: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def _email_valid(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def parse(data: bytes, *, today: date, progress: Progress | None = None) -> Parsed:
    """Read and check every row. Errors name the physical line (the header is line 1)."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    result = Parsed()
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportFileError(_("The file has no header row.")) from None
    columns = _read_header(header, result)
    if result.errors:
        return result
    seen: dict[str, int] = {}
    try:
        for raw in reader:
            line = reader.line_num
            if progress:
                progress(1)
            if not any(cell.strip() for cell in raw):
                continue
            row = _read_row(raw, columns, line, today, result)
            if row is None:
                continue
            if row.external_id in seen:
                result.errors.append(
                    RowError(
                        line,
                        _(
                            "external id %(id)s also appears on line %(line)d",
                            id=row.external_id,
                            line=seen[row.external_id],
                        ),
                    )
                )
                continue
            seen[row.external_id] = line
            result.rows.append(row)
    except csv.Error as problem:
        result.errors.append(RowError(reader.line_num, _("the CSV cannot be read here (%(problem)s)", problem=problem)))
    if not result.rows and not result.errors:
        raise ImportFileError(_("The file has a header but no rows."))
    return result


def _read_header(header: list[str], result: Parsed) -> list[str]:
    columns: list[str] = []
    for name in header:
        key = _column_key(name)
        canonical = ALIASES.get(key)
        if canonical is None:
            result.errors.append(RowError(1, _("unknown column '%(name)s'", name=name.strip())))
        elif canonical in columns:
            result.errors.append(RowError(1, _("column '%(name)s' appears twice", name=name.strip())))
        columns.append(canonical or key)
    for required in REQUIRED:
        if required not in columns:
            result.errors.append(RowError(1, _("required column '%(name)s' is missing", name=required)))
    return columns


def _read_row(raw: list[str], columns: list[str], line: int, today: date, result: Parsed) -> PupilRow | None:
    if len(raw) > len(columns):
        result.errors.append(
            RowError(line, _("too many fields (%(n)d; the header has %(m)d)", n=len(raw), m=len(columns)))
        )
        return None
    if len(raw) < len(columns):
        result.errors.append(
            RowError(line, _("too few fields (%(n)d; the header has %(m)d)", n=len(raw), m=len(columns)))
        )
        return None
    values = {column: cell.strip() for column, cell in zip(columns, raw, strict=True)}
    problems: list[str] = []
    for column, value in values.items():
        if len(value) > MAX_FIELD:
            problems.append(_("%(column)s is longer than %(n)d characters", column=column, n=MAX_FIELD))
    for column in ("external_id", "first_name", "last_name"):
        if not values.get(column):
            problems.append(_("%(column)s is empty", column=column))
    if not values.get("group"):
        problems.append(_("the pupil has no group"))
    born = None
    if not values.get("date_of_birth"):
        problems.append(_("%(column)s is empty", column="date_of_birth"))
    else:
        born = parse_date(values["date_of_birth"])
        if born is None:
            problems.append(
                _(
                    "date of birth '%(value)s' is not a date (use dd-mm-jjjj or jjjj-mm-dd)",
                    value=values["date_of_birth"],
                )
            )
        elif born > today:
            problems.append(_("date of birth '%(value)s' is in the future", value=values["date_of_birth"]))
        elif born.year < 1900:
            problems.append(_("date of birth '%(value)s' is too long ago", value=values["date_of_birth"]))
    guardians = []
    for number in (1, 2):
        guardian = _read_guardian(values, number, problems)
        if guardian is not None:
            guardians.append(guardian)
    if problems:
        result.errors.extend(RowError(line, problem) for problem in problems)
        return None
    assert born is not None
    prefix = values.get("name_prefix", "")
    last = f"{prefix} {values['last_name']}" if prefix else values["last_name"]
    return PupilRow(
        line=line,
        external_id=values["external_id"],
        first_name=values["first_name"],
        last_name=last,
        date_of_birth=born,
        group=values["group"],
        location=values.get("location") or None,
        guardians=tuple(guardians),
    )


def _read_guardian(values: dict[str, str], number: int, problems: list[str]) -> GuardianRow | None:
    key = f"guardian{number}_"
    first, last = values.get(key + "first_name", ""), values.get(key + "last_name", "")
    email, authority = values.get(key + "email", ""), values.get(key + "parental_authority", "")
    if not (first or last or email):
        return None
    if not email:
        problems.append(_("guardian %(n)d has no email address", n=number))
        return None
    if not _email_valid(email):
        problems.append(_("guardian %(n)d email address '%(value)s' is not valid", n=number, value=email))
        return None
    if not (first or last):
        problems.append(_("guardian %(n)d has no name", n=number))
        return None
    if authority.lower() not in YES | NO:
        problems.append(_("guardian %(n)d parental authority '%(value)s' is not yes or no", n=number, value=authority))
        return None
    return GuardianRow(first, last, email.lower(), authority.lower() in YES)


# --- Planning ---------------------------------------------------------------------------


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


def _chunks(items: list[str], size: int = 900) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan(parsed: Parsed, *, today: date) -> Plan:
    """Compare the rows with the database; a constant number of queries whatever the size."""
    result = Plan(errors=list(parsed.errors))
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.starts_on <= today, SchoolYear.ends_on >= today))
    if year is None:
        result.errors.insert(
            0, RowError(0, _("there is no school year containing %(day)s; create it first", day=today.isoformat()))
        )
        return result
    result.year = year
    if result.errors:
        return result
    locations = {loc.name.lower(): loc for loc in db.session.scalars(select(Location))}
    groups = list(db.session.scalars(select(Group).where(Group.school_year_id == year.id)))
    by_name: dict[str, list[Group]] = {}
    for group in groups:
        by_name.setdefault(group.name.lower(), []).append(group)

    ids = [row.external_id for row in parsed.rows]
    pupils: dict[str, Person] = {}
    for chunk in _chunks(ids):
        for existing_pupil in db.session.scalars(select(Person).where(Person.external_id.in_(chunk))):
            pupils[existing_pupil.external_id or ""] = existing_pupil
    pupil_ids = [p.id for p in pupils.values()]
    current: dict[int, set[int]] = {}
    for chunk in _chunks(pupil_ids):  # type: ignore[arg-type]
        rows = db.session.execute(
            select(group_pupil.c.person_id, group_pupil.c.group_id)
            .join(Group, Group.id == group_pupil.c.group_id)
            .where(Group.school_year_id == year.id, group_pupil.c.person_id.in_(chunk))
        )
        for person_id, group_id in rows:
            current.setdefault(person_id, set()).add(group_id)
    emails = sorted({g.email for row in parsed.rows for g in row.guardians})
    guardians: dict[str, Person] = {}
    for chunk in _chunks(emails):
        found = db.session.scalars(select(Person).where(func.lower(Person.email).in_(chunk)).order_by(Person.id))
        for candidate in found:
            key = (candidate.email or "").lower()
            if key not in guardians or (
                candidate.kind == PersonKind.GUARDIAN and guardians[key].kind != PersonKind.GUARDIAN
            ):
                guardians[key] = candidate
    links: dict[tuple[int, int], Guardianship] = {}
    for chunk in _chunks(pupil_ids):  # type: ignore[arg-type]
        for found_link in db.session.scalars(select(Guardianship).where(Guardianship.pupil_id.in_(chunk))):
            links[(found_link.guardian_id, found_link.pupil_id)] = found_link
    result.pupils, result.guardians, result.current_groups, result.existing_links = pupils, guardians, current, links

    for row in parsed.rows:
        result.pupil_rows[row.external_id] = row
        group_key = _resolve_group(row, by_name, locations, result)
        if group_key is None:
            continue
        result.row_groups[row.external_id] = group_key
        person = pupils.get(row.external_id)
        if person is not None and person.kind != PersonKind.PUPIL:
            result.errors.append(
                RowError(row.line, _("external id %(id)s belongs to someone who is not a pupil", id=row.external_id))
            )
            continue
        changed = person is None
        if person is None:
            result.new_pupils.append(row)
        else:
            details_differ = (person.first_name, person.last_name, person.date_of_birth) != (
                row.first_name,
                row.last_name,
                row.date_of_birth,
            )
            existing_group = result.groups.get(group_key)
            moved = existing_group is None or current.get(person.id, set()) != {existing_group.id}
            if moved:
                result.moves[person.id] = group_key
            if details_differ or moved:
                result.updated_pupils.append((person, row))
                changed = True
        for guardian in row.guardians:
            existing = guardians.get(guardian.email)
            if existing is None:
                result.new_guardians.setdefault(guardian.email, guardian)
            link = links.get((existing.id, person.id)) if existing and person else None
            if link is None or link.has_parental_authority != guardian.parental_authority:
                result.links.append((row.external_id, guardian.email, guardian.parental_authority))
                if person is not None and not changed:
                    result.updated_pupils.append((person, row))
                    changed = True
        if not changed:
            result.unchanged += 1
    return result


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


# --- Applying ---------------------------------------------------------------------------


def apply_plan(result: Plan, *, via: str, progress: Progress | None = None) -> dict[str, int]:
    """Write a plan without errors and audit it; the caller commits."""
    if result.errors or result.year is None:
        raise ValueError("a plan with errors cannot be applied")
    year = result.year
    groups = dict(result.groups)
    for key, (name, location) in result.new_groups.items():
        group = Group(name=name, location=location, school_year=year)
        db.session.add(group)
        groups[key] = group
    guardians = dict(result.guardians)
    for email, guardian_row in result.new_guardians.items():
        guardian = Person(
            kind=PersonKind.GUARDIAN, first_name=guardian_row.first_name, last_name=guardian_row.last_name, email=email
        )
        db.session.add(guardian)
        guardians[email] = guardian
    pupils = dict(result.pupils)
    for row in result.new_pupils:
        person = Person(
            kind=PersonKind.PUPIL,
            first_name=row.first_name,
            last_name=row.last_name,
            date_of_birth=row.date_of_birth,
            external_id=row.external_id,
        )
        db.session.add(person)
        pupils[row.external_id] = person
    for person, row in result.updated_pupils:
        if person.first_name != row.first_name:
            person.first_name = row.first_name
        if person.last_name != row.last_name:
            person.last_name = row.last_name
        if person.date_of_birth != row.date_of_birth:
            person.date_of_birth = row.date_of_birth
    db.session.flush()
    if progress:
        progress(len(result.new_pupils))

    moved = list(result.moves)
    for chunk in _chunks(moved):  # type: ignore[arg-type]
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
    summary = result.summary
    record("people.imported", target_type="school_year", target_id=year.id, via=via, **summary)
    return summary


def check_file(data: bytes, *, today: date, progress: Progress | None = None) -> Plan:
    """Parse and plan: everything short of writing."""
    return plan(parse(data, today=today, progress=progress), today=today)

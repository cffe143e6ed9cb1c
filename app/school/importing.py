"""Import of pupils, their group and up to two guardians from the pupil administration's CSV.

Three steps, each small: :func:`parse` turns bytes into rows or row errors (no database,
no Flask); :func:`plan` compares the rows with the database, loading everything it needs in a
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
        raise ImportFileError("The file is empty.")
    if b"\x00" in data[:65536]:
        raise ImportFileError("This is not a CSV text file (it contains binary data).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError("This is not a CSV text file (unknown character encoding).") from None


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


def _email_problem(value: str) -> str | None:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return f"guardian email address '{value}' is not valid"
    return None


def parse(data: bytes, *, today: date, progress: Progress | None = None) -> Parsed:
    """Read and check every row. Errors name the physical line (the header is line 1)."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    result = Parsed()
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportFileError("The file has no header row.") from None
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
                    RowError(line, f"external id {row.external_id} also appears on line {seen[row.external_id]}")
                )
                continue
            seen[row.external_id] = line
            result.rows.append(row)
    except csv.Error as problem:
        result.errors.append(RowError(reader.line_num, f"the CSV cannot be read here ({problem})"))
    if not result.rows and not result.errors:
        raise ImportFileError("The file has a header but no rows.")
    return result


def _read_header(header: list[str], result: Parsed) -> list[str]:
    columns: list[str] = []
    for name in header:
        key = _column_key(name)
        canonical = ALIASES.get(key)
        if canonical is None:
            result.errors.append(RowError(1, f"unknown column '{name.strip()}'"))
        elif canonical in columns:
            result.errors.append(RowError(1, f"column '{name.strip()}' appears twice"))
        columns.append(canonical or key)
    for required in REQUIRED:
        if required not in columns:
            result.errors.append(RowError(1, f"required column '{required}' is missing"))
    return columns


def _read_row(raw: list[str], columns: list[str], line: int, today: date, result: Parsed) -> PupilRow | None:
    if len(raw) > len(columns):
        result.errors.append(RowError(line, f"too many fields ({len(raw)}; the header has {len(columns)})"))
        return None
    if len(raw) < len(columns):
        result.errors.append(RowError(line, f"too few fields ({len(raw)}; the header has {len(columns)})"))
        return None
    values = {column: cell.strip() for column, cell in zip(columns, raw, strict=True)}
    problems: list[str] = []
    for column, value in values.items():
        if len(value) > MAX_FIELD:
            problems.append(f"{column} is longer than {MAX_FIELD} characters")
    for column in ("external_id", "first_name", "last_name"):
        if not values.get(column):
            problems.append(f"{column} is empty")
    if not values.get("group"):
        problems.append("the pupil has no group")
    born = None
    if not values.get("date_of_birth"):
        problems.append("date_of_birth is empty")
    else:
        born = parse_date(values["date_of_birth"])
        if born is None:
            problems.append(f"date of birth '{values['date_of_birth']}' is not a date (use dd-mm-jjjj or jjjj-mm-dd)")
        elif born > today:
            problems.append(f"date of birth '{values['date_of_birth']}' is in the future")
        elif born.year < 1900:
            problems.append(f"date of birth '{values['date_of_birth']}' is too long ago")
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
        problems.append(f"guardian {number} has no email address")
        return None
    problem = _email_problem(email)
    if problem:
        problems.append(problem.replace("guardian", f"guardian {number}", 1))
        return None
    if not (first or last):
        problems.append(f"guardian {number} has no name")
        return None
    if authority.lower() not in YES | NO:
        problems.append(f"guardian {number} parental authority '{authority}' is not yes or no")
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
        result.errors.insert(0, RowError(0, f"there is no school year containing {today.isoformat()}; create it first"))
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
        for person in db.session.scalars(select(Person).where(Person.external_id.in_(chunk))):
            pupils[person.external_id or ""] = person
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
        for person in found:
            key = (person.email or "").lower()
            if key not in guardians or (
                person.kind == PersonKind.GUARDIAN and guardians[key].kind != PersonKind.GUARDIAN
            ):
                guardians[key] = person
    links: dict[tuple[int, int], Guardianship] = {}
    for chunk in _chunks(pupil_ids):  # type: ignore[arg-type]
        for link in db.session.scalars(select(Guardianship).where(Guardianship.pupil_id.in_(chunk))):
            links[(link.guardian_id, link.pupil_id)] = link
    result.pupils, result.guardians, result.current_groups, result.existing_links = pupils, guardians, current, links

    for row in parsed.rows:
        result.pupil_rows[row.external_id] = row
        key = _resolve_group(row, by_name, locations, result)
        if key is None:
            continue
        result.row_groups[row.external_id] = key
        person = pupils.get(row.external_id)
        if person is not None and person.kind != PersonKind.PUPIL:
            result.errors.append(
                RowError(row.line, f"external id {row.external_id} belongs to someone who is not a pupil")
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
            existing_group = result.groups.get(key)
            moved = existing_group is None or current.get(person.id, set()) != {existing_group.id}
            if moved:
                result.moves[person.id] = key
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
            result.errors.append(RowError(row.line, f"unknown location '{row.location}'"))
            return None
        candidates = [g for g in candidates if g.location_id == location.id]
    if len(candidates) == 1:
        key = _group_key(candidates[0].name, candidates[0].location_id)
        result.groups[key] = candidates[0]
        return key
    if len(candidates) > 1:
        result.errors.append(
            RowError(row.line, f"group '{row.group}' exists at several locations; fill in the location column")
        )
        return None
    if location is None and len(locations) == 1:
        location = next(iter(locations.values()))
    if location is None:
        result.errors.append(
            RowError(row.line, f"group '{row.group}' does not exist yet; fill in the location column to create it")
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
    for email, row in result.new_guardians.items():
        person = Person(kind=PersonKind.GUARDIAN, first_name=row.first_name, last_name=row.last_name, email=email)
        db.session.add(person)
        guardians[email] = person
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

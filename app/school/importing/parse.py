"""Parsing the pupil administration's CSV: bytes in, rows or line-numbered row errors out. No
database; messages go through Flask-Babel. The header is line 1."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from app.errors import DomainError

if TYPE_CHECKING:
    from _csv import Reader

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
    # The pupil's own address: a pupil of 16 or older is invited there to decide for themself.
    "email": ("email", "e_mail", "emailadres", "e_mailadres", "leerling_email", "pupil_email"),
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


class ImportFileError(DomainError):
    """The file as a whole cannot be read (empty, binary, not CSV)."""

    default_status = 400

    def __init__(self, message: str) -> None:
        super().__init__("unreadable_file", message)


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
    email: str | None = None  # the pupil's own address; None: not given, leave what is stored


@dataclass
class Parsed:
    rows: list[PupilRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


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
    try:
        _read_rows(reader, columns, today, progress, result)
    except csv.Error as problem:
        result.errors.append(RowError(reader.line_num, _("the CSV cannot be read here (%(problem)s)", problem=problem)))
    if not result.rows and not result.errors:
        raise ImportFileError(_("The file has a header but no rows."))
    return result


def _read_rows(reader: Reader, columns: list[str], today: date, progress: Progress | None, result: Parsed) -> None:
    """Every data row into ``result``: blank lines skipped, an external id only once."""
    seen: dict[str, int] = {}
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
            message = _(
                "external id %(id)s also appears on line %(line)d", id=row.external_id, line=seen[row.external_id]
            )
            result.errors.append(RowError(line, message))
            continue
        seen[row.external_id] = line
        result.rows.append(row)


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
    """One data row as a pupil with up to two guardians, or its problems added to ``result``."""
    if len(raw) != len(columns):
        result.errors.append(RowError(line, _field_count_problem(len(raw), len(columns))))
        return None
    values = {column: cell.strip() for column, cell in zip(columns, raw, strict=True)}
    problems = _length_problems(values) + _missing_names(values)
    born = _date_of_birth(values, today, problems)
    guardians = _read_guardians(values, problems)
    email = _pupil_email(values, guardians, problems)
    if problems or born is None:
        result.errors.extend(RowError(line, problem) for problem in problems)
        return None
    prefix = values.get("name_prefix", "")
    return PupilRow(
        line=line,
        external_id=values["external_id"],
        first_name=values["first_name"],
        last_name=f"{prefix} {values['last_name']}" if prefix else values["last_name"],
        date_of_birth=born,
        group=values["group"],
        location=values.get("location") or None,
        guardians=tuple(guardians),
        email=email,
    )


def _field_count_problem(fields: int, columns: int) -> str:
    if fields > columns:
        return _("too many fields (%(n)d; the header has %(m)d)", n=fields, m=columns)
    return _("too few fields (%(n)d; the header has %(m)d)", n=fields, m=columns)


def _length_problems(values: dict[str, str]) -> list[str]:
    return [
        _("%(column)s is longer than %(n)d characters", column=column, n=MAX_FIELD)
        for column, value in values.items()
        if len(value) > MAX_FIELD
    ]


def _missing_names(values: dict[str, str]) -> list[str]:
    problems = [
        _("%(column)s is empty", column=column)
        for column in ("external_id", "first_name", "last_name")
        if not values.get(column)
    ]
    if not values.get("group"):
        problems.append(_("the pupil has no group"))
    return problems


def _date_of_birth(values: dict[str, str], today: date, problems: list[str]) -> date | None:
    """The pupil's date of birth, or None with the reason added to ``problems``."""
    value = values.get("date_of_birth", "")
    if not value:
        problems.append(_("%(column)s is empty", column="date_of_birth"))
        return None
    born = parse_date(value)
    if born is None:
        problems.append(_("date of birth '%(value)s' is not a date (use dd-mm-jjjj or jjjj-mm-dd)", value=value))
    elif born > today:
        problems.append(_("date of birth '%(value)s' is in the future", value=value))
    elif born.year < 1900:
        problems.append(_("date of birth '%(value)s' is too long ago", value=value))
    else:
        return born
    return None


def _pupil_email(values: dict[str, str], guardians: list[GuardianRow], problems: list[str]) -> str | None:
    """The pupil's own address, if the column is there and filled in; never a guardian's."""
    email = values.get("email", "")
    if not email:
        return None
    if not _email_valid(email):
        problems.append(_("the pupil's email address '%(value)s' is not valid", value=email))
        return None
    if any(g.email == email.lower() for g in guardians):
        problems.append(_("the pupil's email address is a guardian's; enter the pupil's own address or leave it empty"))
        return None
    return email.lower()


def _read_guardians(values: dict[str, str], problems: list[str]) -> list[GuardianRow]:
    found = (_read_guardian(values, number, problems) for number in (1, 2))
    return [guardian for guardian in found if guardian is not None]


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

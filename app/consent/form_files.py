"""Reading and publishing the consent form files in ``consent_forms/``.

Validation names the file and the field of every problem. Publishing stores each version
with the SHA-256 of its file and refuses a published version whose file has changed.

The purposes are the form's own (``app.consent.purposes``). Other modules take part in a sync
through two signals: ``form_checks`` asks, before anything is stored, whether the purposes of the
form that will be in force leave them whole (the channels do: a channel must serve a purpose of
that form), and ``forms_published`` tells them, in the same transaction, that it is in force.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from blinker import Namespace
from flask import current_app
from sqlalchemy import select

from app.audit.log import record
from app.consent.models import ConsentForm
from app.consent.purposes import governing_form, purposes_of_content
from app.consent.vocabulary import MediaType, Validity
from app.extensions import db
from app.timestamps import school_today

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PURPOSE_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
CHANNEL_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

_signals = Namespace()
# Sent as ``form_checks.send(file_name, purposes=[Purpose, ...])`` with the purposes of the form that
# will be in force after the sync; each receiver returns a list of ``(field, message)`` problems,
# and any problem stops the sync.
form_checks = _signals.signal("consent-form-checks")
# Sent as ``forms_published.send(None, purposes=[...])`` after new versions are stored (the caller commits).
forms_published = _signals.signal("consent-forms-published")
YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")
LOCALES = ("nl", "en")


@dataclass(frozen=True)
class FormFileProblem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


@dataclass(frozen=True)
class FormFile:
    path: Path
    content: dict[str, Any]
    content_hash: str

    @property
    def key(self) -> tuple[str, int]:
        return self.content["id"], self.content["version"]


def _texts(data: dict[str, Any], field: str, problems: list[str]) -> None:
    value = data.get(field)
    if not isinstance(value, dict):
        problems.append(f"{field}|missing (a table with nl and en)")
        return
    for locale in LOCALES:
        text = value.get(locale)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{field}.{locale}|missing or empty")


def _validate(data: dict[str, Any]) -> list[str]:
    """Problems as ``field|message`` strings."""
    problems: list[str] = []
    form_id = data.get("id")
    if not isinstance(form_id, str) or not KEY_RE.match(form_id):
        problems.append("id|missing, or not lower-case letters, digits, - and _")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append("version|missing, or not a whole number of 1 or more")
    validity = data.get("validity")
    if validity not in {v.value for v in Validity}:
        problems.append("validity|must be school_year or until_withdrawn")
    if validity == Validity.SCHOOL_YEAR:
        match = YEAR_RE.match(str(data.get("school_year", "")))
        if not match or int(match.group(2)) != int(match.group(1)) + 1:
            problems.append("school_year|missing, or not like 2026-2027")
    media = data.get("media_types")
    if not isinstance(media, list) or not media:
        problems.append("media_types|missing or empty")
    else:
        for value in media:
            if value not in {m.value for m in MediaType}:
                problems.append(f"media_types|unknown media type {value!r} (photo, film, audio)")
        if len(set(map(str, media))) != len(media):
            problems.append("media_types|a media type appears twice")
    _texts(data, "title", problems)
    _texts(data, "text", problems)
    purposes = data.get("purposes")
    if not isinstance(purposes, list) or not purposes:
        problems.append("purposes|missing or empty (at least one [[purposes]])")
        return problems
    seen: set[str] = set()
    for number, purpose in enumerate(purposes, start=1):
        where = f"purposes[{number}]"
        if not isinstance(purpose, dict):
            problems.append(f"{where}|not a table")
            continue
        key = purpose.get("key")
        if not isinstance(key, str) or not PURPOSE_KEY_RE.match(key):
            problems.append(f"{where}.key|missing, or not 2 to 32 lower-case letters, digits and _ (e.g. yearbook)")
        elif key in seen:
            problems.append(f"{where}.key|duplicate purpose {key!r}")
        seen.add(str(key))
        if not isinstance(purpose.get("public"), bool):
            problems.append(f"{where}.public|missing (true or false)")
        for field in ("label", "explanation"):
            value = purpose.get(field)
            if field == "explanation" and value is None:
                continue  # optional: versions published before explanations existed have none
            for locale in LOCALES:
                if not isinstance(value, dict) or not str(value.get(locale, "")).strip():
                    problems.append(f"{where}.{field}.{locale}|missing or empty")
        channels = purpose.get("channels", [])
        if not isinstance(channels, list) or not all(isinstance(c, str) and CHANNEL_KEY_RE.match(c) for c in channels):
            problems.append(f"{where}.channels|a list of channel keys (lower-case letters, digits, - and _)")
    return problems


def default_directory() -> Path:
    """Where the form files are: ``CONSENT_FORMS_DIR`` or the repository's ``consent_forms/``."""
    return Path(current_app.config.get("CONSENT_FORMS_DIR") or Path(current_app.root_path).parent / "consent_forms")


@dataclass(frozen=True)
class Waiting:
    """A form file not published yet, with what is wrong with it (nothing: ready to publish)."""

    name: str
    key: tuple[str, int] | None
    title: str | None
    problems: list[FormFileProblem]


def waiting_files(directory: Path) -> list[Waiting]:
    """The files in ``directory`` whose id and version are not published yet (read, not published)."""
    stored = set(db.session.execute(select(ConsentForm.form_key, ConsentForm.version)).tuples())
    waiting = []
    for path in sorted(directory.glob("*.toml")):
        form_file, problems = read_form_file(path)
        if form_file is not None and form_file.key in stored:
            continue
        title = str(form_file.content["title"]["nl"]) if form_file is not None else None
        waiting.append(Waiting(path.name, form_file.key if form_file else None, title, problems))
    return waiting


def read_form_file(path: Path) -> tuple[FormFile | None, list[FormFileProblem]]:
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [FormFileProblem(path.name, "(file)", f"not valid TOML: {error}")]
    problems = [FormFileProblem(path.name, *p.split("|", 1)) for p in _validate(data)]
    if problems:
        return None, problems
    return FormFile(path, data, hashlib.sha256(raw).hexdigest()), []


def valid_until(content: dict[str, Any]) -> date | None:
    if content["validity"] == Validity.SCHOOL_YEAR:
        return date(int(content["school_year"][-4:]), 7, 31)
    return None


@dataclass
class SyncReport:
    published: list[tuple[str, int]]
    unchanged: list[tuple[str, int]]
    problems: list[FormFileProblem]


def sync_forms(directory: Path) -> SyncReport:
    """Validate every ``*.toml`` in ``directory`` and publish the new versions.

    Nothing is published when any file has a problem. The caller commits.
    """
    report = SyncReport([], [], [])
    files: list[FormFile] = []
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        report.problems.append(FormFileProblem(str(directory), "(folder)", "holds no consent form (*.toml)"))
    for path in paths:
        form_file, problems = read_form_file(path)
        report.problems.extend(problems)
        if form_file is not None:
            files.append(form_file)
    seen: dict[tuple[str, int], str] = {}
    for form_file in files:
        if form_file.key in seen:
            other = seen[form_file.key]
            message = f"{form_file.key[0]} version {form_file.key[1]} is also in {other}"
            report.problems.append(FormFileProblem(form_file.path.name, "version", message))
        seen[form_file.key] = form_file.path.name
    stored = {(f.form_key, f.version): f for f in db.session.scalars(select(ConsentForm))}
    for form_file in files:
        existing = stored.get(form_file.key)
        if existing is not None and existing.content_hash != form_file.content_hash:
            report.problems.append(
                FormFileProblem(
                    form_file.path.name,
                    "version",
                    f"version {form_file.key[1]} of {form_file.key[0]} is already published and this file has changed "
                    "since; published versions never change: copy the file, raise the version and sync again",
                )
            )
    if report.problems:
        return report
    new_files = [form_file for form_file in files if form_file.key not in stored]
    _check_form_in_force(new_files, report)
    if report.problems:
        return report
    for form_file in files:
        if form_file.key in stored:
            report.unchanged.append(form_file.key)
            continue
        content = form_file.content
        form = ConsentForm(
            form_key=content["id"],
            version=content["version"],
            validity=Validity(content["validity"]),
            school_year=content.get("school_year"),
            valid_until=valid_until(content),
            content=content,
            content_hash=form_file.content_hash,
            source_file=form_file.path.name,
        )
        db.session.add(form)
        db.session.flush()
        record("consent.form_published", target=form, form_key=form.form_key, version=form.version)
        report.published.append(form_file.key)
    if report.published:
        in_force = governing_form(school_today())
        if in_force is not None:
            forms_published.send(None, purposes=purposes_of_content(in_force.content))
    return report


def _check_form_in_force(new_files: list[FormFile], report: SyncReport) -> None:
    """Ask the receivers of ``form_checks`` whether the form that will be in force after this sync
    (the newest new version valid today, or else the one in force now) leaves them whole."""
    today = school_today()
    valid = [f for f in new_files if (until := valid_until(f.content)) is None or until >= today]
    if valid:
        chosen = max(valid, key=lambda f: (f.content["version"], f.path.name))
        name, purposes = chosen.path.name, purposes_of_content(chosen.content)
    else:
        current = governing_form(today)
        if current is None or not new_files:
            return
        name, purposes = current.source_file, purposes_of_content(current.content)
    for _receiver, problems in form_checks.send(name, purposes=purposes):
        report.problems.extend(FormFileProblem(name, field, message) for field, message in problems or [])

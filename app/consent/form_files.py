"""Reading and publishing the consent form files in ``consent_forms/``.

Validation names the file and the field of every problem. Publishing stores each version
with the SHA-256 of its file and refuses a published version whose file has changed.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.audit.log import record
from app.consent.models import ConsentForm
from app.consent.vocabulary import PURPOSES, MediaType, Validity
from app.extensions import db

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
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
        if key not in PURPOSES:
            problems.append(f"{where}.key|unknown purpose {key!r} (one of {', '.join(PURPOSES)})")
        elif key in seen:
            problems.append(f"{where}.key|duplicate purpose {key!r}")
        seen.add(str(key))
        if not isinstance(purpose.get("public"), bool):
            problems.append(f"{where}.public|missing (true or false)")
        label = purpose.get("label")
        for locale in LOCALES:
            if not isinstance(label, dict) or not str(label.get(locale, "")).strip():
                problems.append(f"{where}.label.{locale}|missing or empty")
    return problems


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
    return report

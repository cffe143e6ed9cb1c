"""Effective consent for many keys at once, in a constant number of queries.

``consent_for`` answers any set of (person, media type, purpose) keys with two queries,
whatever the number of keys or the length of the history: the subjects with their guardians
who have parental authority, and only the *latest* decision of each decider per key (a window
function over ``ix_decision_lookup``). The rules themselves live in ``app.consent.rules``.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Select, func, select

from app.consent.models import ConsentForm, Decision
from app.consent.rules import Consent, Event, GuardianPolicy, Subject, effective_consent
from app.consent.vocabulary import MediaType
from app.extensions import db
from app.school.models import Guardianship, Person, PersonKind

Key = tuple[int, MediaType, str]


@dataclass(frozen=True)
class Moment:
    at: datetime
    day: date  # the school's calendar date at that moment


def guardian_policy() -> GuardianPolicy:
    return GuardianPolicy(current_app.config.get("GUARDIAN_POLICY", GuardianPolicy.ANY_REFUSAL_BLOCKS))


def load_subjects(person_ids: Iterable[int]) -> dict[int, Subject]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    # One statement: each person with their guardians who have parental authority (if any).
    rows = db.session.execute(
        select(Person.id, Person.kind, Person.date_of_birth, Guardianship.guardian_id)
        .outerjoin(
            Guardianship,
            (Guardianship.pupil_id == Person.id) & Guardianship.has_parental_authority.is_(True),
        )
        .where(Person.id.in_(ids))
    ).all()
    people: dict[int, tuple[PersonKind, date | None]] = {}
    guardians: dict[int, set[int]] = defaultdict(set)
    for pid, kind, born, guardian_id in rows:
        people[pid] = (kind, born)
        if guardian_id is not None:
            guardians[pid].add(guardian_id)
    return {
        pid: Subject(pid, kind == PersonKind.PUPIL, born, frozenset(guardians.get(pid, ())))
        for pid, (kind, born) in people.items()
    }


def latest_events(
    person_ids: Iterable[int], media_types: Iterable[MediaType], purposes: Iterable[str], at: datetime
) -> dict[Key, list[Event]]:
    """The latest decision of every decider for every requested key, up to ``at``."""
    ids, media, purposes = sorted(set(person_ids)), sorted(set(media_types)), sorted(set(purposes))
    if not (ids and media and purposes):
        return {}
    ranked = (
        select(
            Decision.id,
            Decision.subject_id,
            Decision.media_type,
            Decision.purpose,
            Decision.decided_by_id,
            Decision.action,
            Decision.decided_at,
            Decision.form_id,
            func.row_number()
            .over(
                partition_by=(Decision.subject_id, Decision.media_type, Decision.purpose, Decision.decided_by_id),
                order_by=(Decision.decided_at.desc(), Decision.id.desc()),
            )
            .label("rank"),
        )
        .where(
            Decision.subject_id.in_(ids),
            Decision.media_type.in_(media),
            Decision.purpose.in_(purposes),
            Decision.decided_at <= at,
        )
        .subquery()
    )
    rows = db.session.execute(
        select(ranked, ConsentForm.valid_until)
        .join(ConsentForm, ConsentForm.id == ranked.c.form_id)
        .where(ranked.c.rank == 1)
    )
    events: dict[Key, list[Event]] = defaultdict(list)
    for row in rows:
        key = (row.subject_id, MediaType(row.media_type), row.purpose)
        events[key].append(Event(row.id, row.decided_by_id, row.action, row.decided_at, row.valid_until))
    return events


def consent_for(keys: Iterable[Key], moment: Moment) -> dict[Key, Consent]:
    """Effective consent for every key, in two queries."""
    keys = list(keys)
    subjects = load_subjects(k[0] for k in keys)
    events = latest_events((k[0] for k in keys), (k[1] for k in keys), (k[2] for k in keys), moment.at)
    policy = guardian_policy()
    return {
        key: effective_consent(subjects[key[0]], events.get(key, ()), moment.at, moment.day, policy)
        for key in keys
        if key[0] in subjects
    }


def now() -> Moment:
    from app.timestamps import school_today, utcnow

    return Moment(utcnow(), school_today())


def active_form_query(day: date) -> Select[tuple[ConsentForm]]:
    """The form parents decide under now: the newest published version still valid on ``day``."""
    return (
        select(ConsentForm)
        .where((ConsentForm.valid_until.is_(None)) | (ConsentForm.valid_until >= day))
        .order_by(ConsentForm.published_at.desc(), ConsentForm.version.desc())
        .limit(1)
    )


def active_form(day: date) -> ConsentForm | None:
    return db.session.scalar(active_form_query(day))


@functools.lru_cache(maxsize=32)
def purpose_labels(form_id: int, published_at: datetime) -> dict[tuple[str, str], str]:
    """``(purpose, locale) -> label`` of a published form. A published version never changes,
    so the answer is kept for the life of the process (keyed by id and publication time)."""
    form = db.session.get_one(ConsentForm, form_id)
    return {
        (purpose["key"], locale): str(label)
        for purpose in form.content["purposes"]
        for locale, label in purpose["label"].items()
    }

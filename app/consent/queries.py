"""Effective consent for many keys at once, in a constant number of queries.

``consent_for`` answers any set of (person, media type, purpose) keys with two queries,
whatever the number of keys or the length of the history: the subjects with their guardians
who have parental authority, and only the *latest* decision of each decider per key (the
``decision_latest`` table, kept with every decision; a window over ``ix_decision_lookup`` for a
moment before someone's latest decision). The statements are built once per database, with
list parameters (``app.db_types.one_of``), and run on the session's connection (they load no
ORM objects), so asking costs little more than the database's own work. The rules themselves
live in ``app.consent.rules``: the queries only fetch what they need.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, bindparam, func, select

from app.consent.models import ConsentForm, Decision, LatestDecision
from app.consent.rules import (
    Consent,
    Event,
    GuardianPolicy,
    Subject,
    born_on_or_before_to_decide_alone,
    effective_consent,
    entitled_deciders,
)
from app.consent.vocabulary import MediaType
from app.db_types import one_of
from app.extensions import db
from app.school.models import Guardianship, Person, PersonKind

Key = tuple[int, MediaType, str]


@dataclass(frozen=True)
class Moment:
    at: datetime
    day: date  # the school's calendar date at that moment


def guardian_policy() -> GuardianPolicy:
    return GuardianPolicy(current_app.config.get("GUARDIAN_POLICY", GuardianPolicy.ANY_REFUSAL_BLOCKS))


@functools.cache
def _subjects_statement(dialect: str) -> Select[Any]:
    """Each person with their guardians who have parental authority (if any). The ids again on
    the guardianships lets PostgreSQL read them through their index instead of all of them."""
    return (
        select(Person.id, Person.kind, Person.date_of_birth, Guardianship.guardian_id)
        .outerjoin(
            Guardianship,
            (Guardianship.pupil_id == Person.id)
            & one_of(Guardianship.pupil_id, "ids", dialect, many=True)
            & Guardianship.has_parental_authority.is_(True),
        )
        .where(one_of(Person.id, "ids", dialect, many=True))
    )


@functools.cache
def _latest_statement(dialect: str) -> Select[Any]:
    """The latest decision of each decider per key, from the table kept with every decision."""
    return (
        select(
            LatestDecision.subject_id,
            LatestDecision.media_type,
            LatestDecision.purpose,
            LatestDecision.decision_id,
            LatestDecision.decided_by_id,
            LatestDecision.action,
            LatestDecision.decided_at,
            ConsentForm.valid_until,
        )
        .join(ConsentForm, ConsentForm.id == LatestDecision.form_id)
        .where(
            one_of(LatestDecision.subject_id, "ids", dialect, many=True),
            one_of(LatestDecision.media_type, "media", dialect),
            one_of(LatestDecision.purpose, "purposes", dialect),
        )
    )


def ranked_decisions() -> Select[Any]:
    """Every decision with its rank among the same decider's decisions for its key, newest first
    by (decided_at, id): rank 1 is a decider's latest. The one definition of "latest", for the
    history query below and for rebuilding the latest-decision table."""
    return select(
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


@functools.cache
def _history_statement(dialect: str) -> Select[Any]:
    """The latest decision of each decider per key up to a moment, from the whole history (a
    window over ``ix_decision_lookup``): for a moment before someone's latest decision."""
    ranked = (
        ranked_decisions()
        .where(
            one_of(Decision.subject_id, "ids", dialect, many=True),
            one_of(Decision.media_type, "media", dialect),
            one_of(Decision.purpose, "purposes", dialect),
            Decision.decided_at <= bindparam("at", type_=Decision.decided_at.type),
        )
        .subquery()
    )
    return (
        select(
            ranked.c.subject_id,
            ranked.c.media_type,
            ranked.c.purpose,
            ranked.c.id,
            ranked.c.decided_by_id,
            ranked.c.action,
            ranked.c.decided_at,
            ConsentForm.valid_until,
        )
        .join(ConsentForm, ConsentForm.id == ranked.c.form_id)
        .where(ranked.c.rank == 1)
    )


def load_subjects(person_ids: Iterable[int]) -> dict[int, Subject]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    connection = db.session.connection()
    rows = connection.execute(_subjects_statement(connection.dialect.name), {"ids": ids}).tuples().all()
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


def decides_alone(day: date) -> ColumnElement[bool]:
    """A pupil of 16 or older on ``day``, as a condition on ``Person``: they decide for themself
    (``rules.decided_by_guardians``; an unknown date of birth never counts)."""
    return (
        (Person.kind == PersonKind.PUPIL)
        & Person.date_of_birth.is_not(None)
        & (Person.date_of_birth <= born_on_or_before_to_decide_alone(day))
    )


def who_decides(person_ids: Iterable[int], day: date) -> dict[int, frozenset[int]]:
    """Who is asked about each subject on ``day``: the guardians with parental authority of a pupil
    under 16, the person themself otherwise (``rules.entitled_deciders``). The one answer for
    reminders, invitations and campaigns about a subject; in one query."""
    return {pid: entitled_deciders(subject, day) for pid, subject in load_subjects(person_ids).items()}


def latest_events(
    person_ids: Iterable[int], media_types: Iterable[MediaType], purposes: Iterable[str], at: datetime
) -> dict[Key, list[Event]]:
    """The latest decision of every decider for every requested key, up to ``at``.

    One statement on the latest-decision table (however long the history); only for a subject
    with a decision after ``at`` (a moment in the past) a second one reads their history."""
    ids, media, purposes = sorted(set(person_ids)), sorted(set(media_types)), sorted(set(purposes))
    if not (ids and media and purposes):
        return {}
    params: dict[str, Any] = {"ids": ids, "media": media, "purposes": purposes}
    connection = db.session.connection()
    rows = connection.execute(_latest_statement(connection.dialect.name), params).tuples().all()
    later = sorted({row[0] for row in rows if row[6] > at})
    if later:
        rows = [row for row in rows if row[0] not in later]
        history = _history_statement(connection.dialect.name)
        rows += connection.execute(history, dict(params, ids=later, at=at)).tuples().all()
    events: dict[Key, list[Event]] = defaultdict(list)
    for subject_id, media_type, purpose, event_id, decided_by_id, action, decided_at, valid_until in rows:
        events[(subject_id, media_type, purpose)].append(
            Event(event_id, decided_by_id, action, decided_at, valid_until)
        )
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
    """This moment by the database's clock, with the school's calendar date at it."""
    from app.timestamps import database_now, school_day

    at = database_now()
    return Moment(at, school_day(at))


def active_form_query(day: date | ColumnElement[date]) -> Select[tuple[ConsentForm]]:
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

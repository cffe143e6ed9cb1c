"""Clearance: may these items go to this channel now? Every blocker, in words a person understands.

The consent part is the consent module's own answer (``consent_for`` with its rules), never a
copy. At most five statements for any number of items: the items' twins (the same bytes in another
album, judged with them: ``app.media.twins``); the items with their open faces, quarantine,
pending approvals, tagged people and (on a public channel) the people from outside the school
without consent of their own; the two of ``consent_for``; and, only when a message needs words, the
names of the people without consent with the form in force (whose purpose labels are read once per
process: published forms never change); plus one to read the database's clock when no moment is
given. An export adds two that lock the items and then the tagged people against a concurrent tag
change or decision, and on a public channel one that holds the items' people from outside the
school ``FOR SHARE`` (withdrawing their consent takes ``FOR UPDATE`` on that row). A film with
unresolved face tracks adds one that reads when they are on screen, for its message. The statements
are built once (list parameters, ``app.db_types.one_of``) and the per-person work is done with
sets, so the gate costs little more than the database's own work.

Why the locks make exports race-free (PostgreSQL; see ``lock_for_release``): the export first
holds its items, then the people tagged on them, and reads "now" (the database's clock,
``clock_timestamp()``, see ``app.timestamps``) and everything else only after that. A tag change
holds its item (``app.media.operations.lock_items``) and a decision its subject
(``app.consent.operations``) before they write, and a decision is dated after its own lock. So a
tag change or withdrawal that got there first makes the export wait until it commits, and the
queries that follow (new statements under READ COMMITTED) see it, dated before the export's "now";
an export that got there first makes the change wait until the export is recorded. On SQLite every
write transaction starts with BEGIN IMMEDIATE (see ``app.extensions``), so there is only one writer
at a time and the check and the release cannot interleave with a decision or a tag change at all.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Date, Select, String, bindparam, cast, func, null, or_, select

from app.consent.queries import Key, Moment, active_form_query, consent_for, now, purpose_labels
from app.consent.reasons import reason_in_words, reason_kind
from app.consent.rules import Consent, State
from app.consent.vocabulary import MediaType
from app.core.templating import duration
from app.db_types import one_of
from app.extensions import db
from app.media.models import Face, MediaItem, OutsideConsent, OutsidePerson, ProcessingState, Tag
from app.media.twins import twins_of
from app.release.models import EVERY_PURPOSE, Approval, ApprovalStatus, Channel, Quarantine
from app.school.models import Group, Person, group_pupil


@dataclass(frozen=True)
class Blocker:
    media_id: int
    code: str
    person_id: int | None
    message: str
    # Someone from outside the school (``outside_person``): not a person of the school.
    outside_person_id: int | None = None
    # Why a tagged person has no consent (``no_consent``): ``app.consent.reasons.reason_kind``, for
    # the short word a list shows ("withdrawn"); the message says it in full.
    cause: str | None = None

    def as_dict(self) -> dict[str, Any]:
        answer = {"media_id": self.media_id, "code": self.code, "person_id": self.person_id, "message": self.message}
        if self.outside_person_id is not None:
            answer["outside_person_id"] = self.outside_person_id
        return answer


@dataclass
class Clearance:
    """The answer for one item: cleared or not, the blockers, and the evidence (per tagged
    person with consent, the ids of the decision events the answer rests on)."""

    media_id: int
    media_type: MediaType
    blockers: list[Blocker] = field(default_factory=list)
    # The tagged people's ids as the database listed them (text: parsed only where needed), and
    # the evidence of everyone with consent for the item's media type (shared by the items).
    people: list[str] = field(default_factory=list)
    granted: Mapping[str, list[int]] = field(default_factory=dict)

    @property
    def cleared(self) -> bool:
        return not self.blockers

    @property
    def evidence(self) -> dict[int, list[int]]:
        return {int(pid): self.granted[pid] for pid in self.people if pid in self.granted}


# id, media type, tags attested, open faces, the purpose it is quarantined for (None: not held back;
# EVERY_PURPOSE: it shows an erased person), tagged people (ids as text), a change waiting for
# leadership, people from outside the school without consent ("id:description" lines), and where
# its processing is (a film or sound still processing, refused or failed is never cleared), and whether
# a film's faces were looked for on sampled frames only
Item = tuple[int, MediaType, bool, int, str | None, list[str], bool, str | None, ProcessingState, bool]


@functools.cache
def _items_statement(dialect: str, public: bool) -> Select[Any]:
    """One statement for the items, each with its open faces, whether it is held back for the
    purpose, its tagged people as a list of ids, whether a change to it waits for leadership and
    (``public``) its people from outside the school without consent (correlated subqueries, each
    an index lookup per item). Built once per dialect and kind of purpose; the ids and the purpose
    are parameters."""
    open_faces = select(func.count(Face.id)).where(Face.media_id == MediaItem.id, Face.is_open).scalar_subquery()
    # The purpose it is held back for, EVERY_PURPOSE ("*") first: it sorts before every key.
    held = (
        select(func.min(Quarantine.purpose))
        .where(
            Quarantine.media_id == MediaItem.id,
            or_(Quarantine.purpose == bindparam("purpose"), Quarantine.purpose == EVERY_PURPOSE),
            Quarantine.lifted_at.is_(None),
        )
        .scalar_subquery()
    )
    people = (
        select(func.aggregate_strings(cast(Tag.person_id, String), ","))
        .where(Tag.media_id == MediaItem.id)
        .scalar_subquery()
    )
    pending = select(Approval.id).where(Approval.media_id == MediaItem.id, Approval.status == ApprovalStatus.OPEN)
    outsiders = _outsiders_without_consent() if public else null()
    return (
        select(
            MediaItem.id,
            MediaItem.media_type,
            MediaItem.tags_complete,
            open_faces.label("open_faces"),
            held.label("quarantined"),
            people.label("people"),
            pending.exists().label("approval_pending"),
            outsiders.label("outsiders"),
            MediaItem.processing_state,
            MediaItem.sampled_only,
        )
        .where(one_of(MediaItem.id, "ids", dialect, many=True))
        .order_by(MediaItem.id)
    )


def clear(
    media_ids: list[int], channel: Channel, moment: Moment | None = None, *, lock: bool = False
) -> dict[int, Clearance]:
    """Clearance of each item for ``channel`` at ``moment`` (now by default: read after the lock
    is held, so a decision that made the export wait is not left out as "later")."""
    ids = sorted(set(media_ids))
    if not ids:
        return {}
    # The twins (the same bytes in another album, ``app.media.twins``) are judged and locked with
    # the items: whoever is shown on a twin is shown on the item.
    twins = twins_of(ids)
    judged = sorted(set(ids).union(*twins.values()))
    if lock:
        lock_for_release(judged)
        if channel.public:
            db.session.execute(
                select(OutsidePerson.id)
                .where(OutsidePerson.media_id.in_(judged))
                .order_by(OutsidePerson.id)
                .with_for_update(read=True)
            )
    moment = moment or now()
    items = _items(judged, channel.purpose, channel.public)
    consents, granted, blocked = _consents(items, channel.purpose, moment)
    everyone_blocked = sorted({int(pid) for people in blocked.values() for pid in people})
    needs_words = everyone_blocked or any(item[4] or item[7] for item in items)
    words = _Words(everyone_blocked, moment, channel, consents) if needs_words else None
    answers = {item[0]: _answer(item, granted[item[1]], blocked[item[1]], words) for item in items}
    for item_id, others in twins.items():
        if item_id in answers and any(_shown_there(answers[o]) for o in others if o in answers):
            answers[item_id].blockers.append(_twin_blocker(item_id, words))
    chosen = {item_id: answer for item_id, answer in answers.items() if item_id in ids}
    _say_when_open_tracks_are_on_screen(chosen)
    return chosen


# How many of a film's unresolved tracks a message lists by time (the item page shows them all).
SPANS_NAMED = 5


def _say_when_open_tracks_are_on_screen(answers: dict[int, Clearance]) -> None:
    """A film's unresolved faces are tracks: its blocker says when each is on screen ("0:04 to 0:06"),
    so staff know which child in the film nobody has resolved yet. One statement, only for films
    that have such a blocker."""
    films = [
        a
        for a in answers.values()
        if a.media_type is MediaType.FILM and any(b.code == "face_unresolved" for b in a.blockers)
    ]
    if not films:
        return
    rows = db.session.execute(
        select(Face.media_id, Face.first_ms, Face.last_ms)
        .where(Face.media_id.in_([a.media_id for a in films]), Face.is_open, Face.first_ms.is_not(None))
        .order_by(Face.media_id, Face.first_ms, Face.id)
    ).tuples()
    spans: dict[int, list[str]] = {}
    for media_id, first_ms, last_ms in rows:
        until = -(-(last_ms or 0) // 1000)  # the second it ends in, rounded up
        spans.setdefault(media_id, []).append(f"{duration((first_ms or 0) // 1000)}\N{EN DASH}{duration(until)}")
    for answer in films:
        if answer.media_id not in spans:
            continue  # faces from before films were scanned throughout: no span to name
        when = spans[answer.media_id]
        listed = ", ".join(when[:SPANS_NAMED]) + (", …" if len(when) > SPANS_NAMED else "")
        message = _(
            "%(n)d face track(s) in the film not yet given to a person or set aside, on screen at %(when)s.",
            n=len(when),
            when=listed,
        )
        answer.blockers = [replace(b, message=message) if b.code == "face_unresolved" else b for b in answer.blockers]


# What a twin's blockers say about the people in the picture (and so about the item too); the
# others (tags not attested, faces open, a change waiting, still processing) are the twin's own work.
_ABOUT_THE_PICTURE = frozenset({"no_consent", "quarantined", "outside_person"})


def _shown_there(answer: Clearance) -> bool:
    return any(blocker.code in _ABOUT_THE_PICTURE for blocker in answer.blockers)


def _twin_blocker(media_id: int, words: _Words | None) -> Blocker:
    """The item's bytes are also another item, blocked for the purpose by someone shown on it. The
    message names neither the item nor the person: the twin is in a group the reader may not see."""
    purpose = words.purpose if words is not None else ""
    message = _(
        "The same file is also in another album, where someone shown on it may not appear for “%(purpose)s” "
        "(no consent, or held back).",
        purpose=purpose,
    )
    return Blocker(media_id, "twin_blocked", None, message)


def _items(ids: list[int], purpose: str, public: bool) -> list[Item]:
    connection = db.session.connection()
    statement = _items_statement(connection.dialect.name, public)
    rows = connection.execute(statement, {"ids": ids, "purpose": purpose}).tuples().all()
    return [
        (
            media_id,
            media_type,
            complete,
            faces,
            held,
            people.split(",") if people else [],
            bool(waits),
            outside,
            state,
            sampled,
        )
        for media_id, media_type, complete, faces, held, people, waits, outside, state, sampled in rows
    ]


def _consents(
    items: list[Item], purpose: str, moment: Moment
) -> tuple[dict[Key, Consent], dict[MediaType, dict[str, list[int]]], dict[MediaType, frozenset[str]]]:
    """The consent module's answer for every tagged person and media type, and per media type
    the evidence of those with consent and the people without (ids as text, as the items list
    them: each item is then judged with one set operation)."""
    tagged: dict[MediaType, set[str]] = {}
    for item in items:
        tagged.setdefault(item[1], set()).update(item[5])
    keys = [(int(pid), media_type, purpose) for media_type, people in tagged.items() for pid in people]
    consents = consent_for(keys, moment) if keys else {}
    granted: dict[MediaType, dict[str, list[int]]] = {media_type: {} for media_type in MediaType}
    for key, consent in consents.items():
        if consent.granted:
            granted[key[1]][str(key[0])] = [e.id for e in consent.relied_on]
    blocked = {
        media_type: frozenset(tagged.get(media_type, set()).difference(granted[media_type])) for media_type in MediaType
    }
    return consents, granted, blocked


def _answer(item: Item, granted: dict[str, list[int]], blocked: frozenset[str], words: _Words | None) -> Clearance:
    media_id, media_type, complete, open_faces, quarantined, people, pending, outsiders, processing, sampled = item
    answer = Clearance(media_id, media_type, people=people, granted=granted)
    if processing is not ProcessingState.READY:
        answer.blockers.append(_processing_blocker(media_id, processing))
    elif sampled:
        message = _(
            "This film was searched for faces on a few sampled frames only (before films were scanned throughout); "
            "it must be scanned again (an administrator: flask media rescan-films)."
        )
        answer.blockers.append(Blocker(media_id, "rescan_needed", None, message))
    if not complete:
        message = _("Nobody has confirmed yet that everyone shown or heard is tagged.")
        answer.blockers.append(Blocker(media_id, "tags_incomplete", None, message))
    if open_faces:
        message = _("%(n)d detected face(s) not yet given to a person or set aside.", n=open_faces)
        answer.blockers.append(Blocker(media_id, "face_unresolved", None, message))
    if words is not None and quarantined == EVERY_PURPOSE:
        message = _("Held back for every use: it shows a person whose data was erased on request.")
        answer.blockers.append(Blocker(media_id, "quarantined", None, message))
    elif words is not None and quarantined:
        message = _(
            "Held back for “%(purpose)s”: consent was withdrawn and removal work is open.", purpose=words.purpose
        )
        answer.blockers.append(Blocker(media_id, "quarantined", None, message))
    if pending:
        message = _("A change to this item's tags or faces waits for approval by the school's leadership.")
        answer.blockers.append(Blocker(media_id, "approval_pending", None, message))
    if words is not None:
        missing = blocked.intersection(people)
        if missing:
            answer.blockers += [
                Blocker(media_id, "no_consent", pid, message, cause=cause)
                for pid, message, cause in words.no_consent(media_type, missing)
            ]
        if outsiders:
            answer.blockers += _outsider_blockers(media_id, media_type, outsiders, words.purpose)
    return answer


def _processing_blocker(media_id: int, state: ProcessingState) -> Blocker:
    """A film or sound whose processing is not finished (the faces on its frames are not known yet),
    was refused by it (the file does not decode) or failed (an administrator sees why)."""
    if state is ProcessingState.REFUSED:
        return Blocker(
            media_id, "refused", None, _("The file turned out to be damaged or unreadable while processing.")
        )
    if state is ProcessingState.FAILED:
        message = _("Processing this file failed; an administrator can try it again on Jobs.")
        return Blocker(media_id, "processing", None, message)
    return Blocker(media_id, "processing", None, _("This file is still being processed; try again in a moment."))


@functools.cache
def _words_statements(dialect: str) -> tuple[Select[Any], Select[Any]]:
    """The names (with a group) of the people without consent, each row with the form in force on
    ``day``; and the form alone, for when nobody is named. Built once; people and day are parameters."""
    form = active_form_query(bindparam("day", type_=Date())).subquery()
    form_id = select(form.c.id).scalar_subquery().label("form_id")
    form_published = select(form.c.published_at).scalar_subquery().label("form_published")
    groups = (
        select(group_pupil.c.person_id, func.max(Group.name).label("group_name"))
        .join(Group, Group.id == group_pupil.c.group_id)
        .where(one_of(group_pupil.c.person_id, "people", dialect))
        .group_by(group_pupil.c.person_id)
        .subquery()
    )
    names = (
        select(Person.id, Person.first_name, Person.last_name, groups.c.group_name, form_id, form_published)
        .outerjoin(groups, groups.c.person_id == Person.id)
        .where(one_of(Person.id, "people", dialect))
    )
    return names, select(form_id, form_published)


class _Words:
    """Names (with the group) of the people without consent and the purpose's words from the form
    in force: one statement, only when a message needs them; reasons kept per person."""

    def __init__(self, people: list[int], moment: Moment, channel: Channel, consents: dict[Key, Consent]) -> None:
        from flask_babel import get_locale

        connection = db.session.connection()
        names, form_only = _words_statements(connection.dialect.name)
        found: tuple[int | None, Any] = (None, None)
        rows: list[Any] = []
        if people:
            rows = list(connection.execute(names, {"people": people, "day": moment.day}).tuples().all())
            found = (rows[0][4], rows[0][5]) if rows else found
        else:
            found = tuple(connection.execute(form_only, {"day": moment.day}).tuples().one())
        group = _("group")
        self.names = {
            pid: f"{first} {last}" + (f" ({group} {group_name})" if group_name else "")
            for pid, first, last, group_name, _form, _published in rows
        }
        self.sorting = {pid: (last, first) for pid, first, last, _group, _form, _published in rows}
        locale = str(get_locale() or "nl")
        labels = purpose_labels(found[0], found[1]) if found[0] is not None else {}
        self.key = channel.purpose
        self.purpose = labels.get((channel.purpose, locale)) or labels.get((channel.purpose, "nl")) or channel.purpose
        self.consents = consents
        self._reasons: dict[tuple[int, MediaType], str] = {}
        self._lists: dict[tuple[MediaType, frozenset[str]], list[tuple[int, str, str]]] = {}

    def sort_key(self, person_id: int) -> tuple[str, str]:
        return self.sorting.get(person_id, ("", ""))

    def no_consent(self, media_type: MediaType, people: frozenset[str]) -> list[tuple[int, str, str]]:
        """(person, message, cause) for each of ``people`` (tagged, without consent; ids as text),
        ordered by name; the same people on many items are put into words once."""
        key = (media_type, people)
        if key not in self._lists:
            answers = []
            for pid in sorted(map(int, people), key=lambda pid: (self.sort_key(pid), pid)):
                consent = self.consents.get((pid, media_type, self.key))
                answers.append((pid, self.reason(pid, media_type, consent), reason_kind(consent)))
            self._lists[key] = answers
        return self._lists[key]

    def reason(self, person_id: int, media_type: MediaType, consent: Consent | None) -> str:
        key = (person_id, media_type)
        if key not in self._reasons:
            name = self.names.get(person_id, "?")
            self._reasons[key] = _no_consent(name, media_type, self.purpose, consent)
        return self._reasons[key]


def _no_consent(name: str, media_type: MediaType, purpose: str, consent: Consent | None) -> str:
    from app.consent.labels import MEDIA_LABELS

    what = str(MEDIA_LABELS[media_type]).lower()
    reason = reason_in_words(consent)
    assert consent is None or consent.state is not State.GRANTED
    return str(
        _(
            "%(name)s has no consent for %(what)s for “%(purpose)s”: %(reason)s.",
            name=name,
            what=what,
            purpose=purpose,
            reason=reason,
        )
    )


def lock_for_release(ids: list[int]) -> None:
    """Hold the items ``ids`` and then the people tagged on them until the transaction ends, before
    anything about them is read (PostgreSQL; on SQLite the transaction's BEGIN IMMEDIATE already
    made it the only writer, and the statements only read). Items that are gone are simply not
    there afterwards.

    The items first, FOR SHARE, by id. Tags, faces and the attestation live in their own table or
    columns, and locking tag rows could not stop a new tag from being inserted: the item's row is
    the one thing every change of who is on it passes through (``lock_items`` in
    ``app.media.operations`` takes FOR NO KEY UPDATE on it first). The two conflict, so a tag
    change and an export of its item are one fully before the other. SHARE is enough for that,
    lets exports of the same item run side by side, and, unlike FOR UPDATE, does not block the
    KEY SHARE that a foreign key check takes: a withdrawal that holds its subject and writes a
    quarantine row for the item goes on, where FOR UPDATE would deadlock with it. (So an export
    must never update its items' rows: two exports holding SHARE on one item would deadlock
    upgrading.) The ORM's copies of the items are refreshed by the same statement, so their tags
    and faces are read again after the lock.

    Then the people tagged, FOR SHARE by id, only now that the tags cannot change any more,
    against ``decide``'s FOR UPDATE on its subject.

    No deadlock: every transaction takes its row locks in one order, items (by id), then people
    (by id), then the audit chain's lock (taken by ``app.audit.log.record``, held to the commit).
    An export: items, people, chain. A tag change: its item, then (the foreign key checks of its
    new tags and faces, KEY SHARE) the people, then the chain. A decision: its subject, then the
    chain, then KEY SHARE on items for its quarantine rows, which neither SHARE nor NO KEY UPDATE
    blocks (only deleting an item does, and a deletion reaches its DELETE only under the chain's
    lock too). Nobody waits for a lock earlier in the order while holding a later one.
    """
    db.session.execute(
        select(MediaItem)
        .where(MediaItem.id.in_(ids))
        .order_by(MediaItem.id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).all()
    db.session.execute(
        select(Person.id)
        .join(Tag, Tag.person_id == Person.id)
        .where(Tag.media_id.in_(ids))
        .order_by(Person.id)
        .with_for_update(read=True, of=Person)
    ).all()


# Separates the people from outside the school in the items statement: their descriptions hold no
# line breaks (``app.media.outsiders.clean_name`` folds all white space into single spaces).
_LINE = "\n"


def _outsiders_without_consent() -> ColumnElement[Any]:
    """For the item of the enclosing statement, its people from outside the school without their
    own consent in force for the item's media type and the ``purpose`` parameter, as
    "id:description" lines (NULL for none). Asked on public channels only: they block those."""
    consented = (
        select(OutsideConsent.id)
        .where(
            OutsideConsent.outside_person_id == OutsidePerson.id,
            OutsideConsent.media_type == MediaItem.media_type,
            OutsideConsent.purpose == bindparam("purpose"),
            OutsideConsent.in_force,
        )
        .exists()
    )
    line = cast(OutsidePerson.id, String) + ":" + OutsidePerson.name
    return (
        select(func.aggregate_strings(line, _LINE))
        .where(OutsidePerson.media_id == MediaItem.id, ~consented)
        .scalar_subquery()
    )


def _outsider_blockers(media_id: int, media_type: MediaType, lines: str, purpose: str) -> list[Blocker]:
    """One blocker per person from outside the school without consent of their own, by id."""
    from app.consent.labels import MEDIA_LABELS

    what = str(MEDIA_LABELS[media_type]).lower()
    people = sorted((int(key), name) for key, name in (line.split(":", 1) for line in lines.split(_LINE)))
    return [
        Blocker(
            media_id,
            "outside_person",
            None,
            _(
                "Someone from outside the school (“%(name)s”) has no consent of their own for %(what)s for "
                "“%(purpose)s”.",
                name=name,
                what=what,
                purpose=purpose,
            ),
            outside_person_id=outsider_id,
        )
        for outsider_id, name in people
    ]

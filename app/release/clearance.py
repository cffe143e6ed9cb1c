"""Clearance: may these items go to this channel now? Every blocker, in words a person understands.

The consent part is the consent module's own answer (``consent_for`` with its rules), never a
copy. At most four statements for any number of items: the items with their open faces, quarantine
and tagged people; the two of ``consent_for``; and, only when a message needs words, the names of
the people without consent with the form in force (whose purpose labels are read once per process:
published forms never change); plus one to read the database's clock when no moment is given.
An export adds one that locks the tagged people against a concurrent decision. The statements
are built once (list parameters, ``app.db_types.one_of``) and the per-person work is done with
sets, so the gate costs little more than the database's own work.

Why the lock makes exports race-free: on PostgreSQL the export first takes ``FOR SHARE`` on the
tagged people's rows, and ``decide`` takes ``FOR UPDATE`` on the subject's row before it writes a
decision; "now" is read from the database's clock after the lock is held (``clock_timestamp()``,
see ``app.timestamps``), and a decision is dated after its own lock. A withdrawal that got there
first makes the export wait until it commits, and the consent queries that follow (new statements
under READ COMMITTED) see it, dated before the export's "now"; an export that got there first
makes the withdrawal wait until the export is recorded. On SQLite every write transaction starts
with BEGIN IMMEDIATE (see ``app.extensions``), so there is only one writer at a time and the check
and the release cannot interleave with a decision at all.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import Date, Select, String, bindparam, cast, func, select

from app.consent.queries import Key, Moment, active_form_query, consent_for, now, purpose_labels
from app.consent.rules import Consent, Rule, State
from app.consent.vocabulary import Action, MediaType
from app.db_types import one_of
from app.extensions import db
from app.media.models import Face, MediaItem, Tag
from app.release.models import Channel, Quarantine
from app.school.models import Group, Person, group_pupil


@dataclass(frozen=True)
class Blocker:
    media_id: int
    code: str
    person_id: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"media_id": self.media_id, "code": self.code, "person_id": self.person_id, "message": self.message}


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


# id, media type, tags attested, open faces, quarantined, tagged people (ids as text)
Item = tuple[int, MediaType, bool, int, bool, list[str]]


@functools.cache
def _items_statement(dialect: str) -> Select[Any]:
    """One statement for the items, each with its open faces, whether it is held back for the
    purpose, and its tagged people as a list of ids (correlated subqueries, each an index lookup
    per item). Built once; the ids and the purpose are parameters."""
    open_faces = select(func.count(Face.id)).where(Face.media_id == MediaItem.id, Face.is_open).scalar_subquery()
    held = (
        select(Quarantine.id)
        .where(
            Quarantine.media_id == MediaItem.id,
            Quarantine.purpose == bindparam("purpose"),
            Quarantine.lifted_at.is_(None),
        )
        .exists()
    )
    people = (
        select(func.aggregate_strings(cast(Tag.person_id, String), ","))
        .where(Tag.media_id == MediaItem.id)
        .scalar_subquery()
    )
    return (
        select(
            MediaItem.id,
            MediaItem.media_type,
            MediaItem.tags_complete,
            open_faces.label("open_faces"),
            held.label("quarantined"),
            people.label("people"),
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
    if lock:
        db.session.execute(
            select(Person.id)
            .join(Tag, Tag.person_id == Person.id)
            .where(Tag.media_id.in_(ids))
            .with_for_update(read=True, of=Person)
        )
    moment = moment or now()
    items = _items(ids, channel.purpose)
    consents, granted, blocked = _consents(items, channel.purpose, moment)
    everyone_blocked = sorted({int(pid) for people in blocked.values() for pid in people})
    needs_words = everyone_blocked or any(item[4] for item in items)
    words = _Words(everyone_blocked, moment, channel, consents) if needs_words else None
    return {item[0]: _answer(item, granted[item[1]], blocked[item[1]], words) for item in items}


def _items(ids: list[int], purpose: str) -> list[Item]:
    connection = db.session.connection()
    rows = (
        connection.execute(_items_statement(connection.dialect.name), {"ids": ids, "purpose": purpose}).tuples().all()
    )
    return [
        (media_id, media_type, complete, open_faces, bool(held), people.split(",") if people else [])
        for media_id, media_type, complete, open_faces, held, people in rows
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
    media_id, media_type, complete, open_faces, quarantined, people = item
    answer = Clearance(media_id, media_type, people=people, granted=granted)
    if not complete:
        message = _("Nobody has confirmed yet that everyone shown or heard is tagged.")
        answer.blockers.append(Blocker(media_id, "tags_incomplete", None, message))
    if open_faces:
        message = _("%(n)d detected face(s) not yet given to a person or set aside.", n=open_faces)
        answer.blockers.append(Blocker(media_id, "face_unresolved", None, message))
    if words is not None:
        if quarantined:
            message = _(
                "Held back for “%(purpose)s”: consent was withdrawn and removal work is open.", purpose=words.purpose
            )
            answer.blockers.append(Blocker(media_id, "quarantined", None, message))
        missing = blocked.intersection(people)
        if missing:
            answer.blockers += [
                Blocker(media_id, "no_consent", pid, message) for pid, message in words.no_consent(media_type, missing)
            ]
    return answer


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
        self._lists: dict[tuple[MediaType, frozenset[str]], list[tuple[int, str]]] = {}

    def sort_key(self, person_id: int) -> tuple[str, str]:
        return self.sorting.get(person_id, ("", ""))

    def no_consent(self, media_type: MediaType, people: frozenset[str]) -> list[tuple[int, str]]:
        """(person, message) for each of ``people`` (tagged, without consent; ids as text),
        ordered by name; the same people on many items are put into words once."""
        key = (media_type, people)
        if key not in self._lists:
            self._lists[key] = [
                (pid, self.reason(pid, media_type, self.consents.get((pid, media_type, self.key))))
                for pid in sorted(map(int, people), key=lambda pid: (self.sort_key(pid), pid))
            ]
        return self._lists[key]

    def reason(self, person_id: int, media_type: MediaType, consent: Consent | None) -> str:
        key = (person_id, media_type)
        if key not in self._reasons:
            name = self.names.get(person_id, "?")
            self._reasons[key] = _no_consent(name, media_type, self.purpose, consent)
        return self._reasons[key]


def moment_day() -> date:
    return now().day


def _no_consent(name: str, media_type: MediaType, purpose: str, consent: Consent | None) -> str:
    from app.consent.labels import MEDIA_LABELS

    what = str(MEDIA_LABELS[media_type]).lower()
    if consent is None or consent.rule is Rule.NO_DECISION:
        reason = _("never decided")
    elif consent.rule is Rule.EXPIRED:
        last = max((e.valid_until for e in consent.relied_on if e.valid_until), default=moment_day())
        reason = (
            _("the consent expired on %(day)s", day=format_date(last, "long")) if last else _("the consent expired")
        )
    else:
        event = max(consent.relied_on, key=lambda e: e.order)
        day = format_date(event.decided_at, "long")
        by_guardian = consent.decided_by_guardians
        if event.action is Action.WITHDRAW:
            reason = (
                _("withdrawn by a guardian on %(day)s", day=day) if by_guardian else _("withdrawn on %(day)s", day=day)
            )
        else:
            reason = _("refused by a guardian on %(day)s", day=day) if by_guardian else _("refused on %(day)s", day=day)
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

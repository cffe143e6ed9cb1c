"""Clearance: may these items go to this channel now? Every blocker, in words a person understands.

The consent part is the consent module's own answer (``consent_for`` with its rules), never a
copy. At most four statements for any number of items: the items with their open faces, quarantine,
pending approvals, tagged people and (on a public channel) the people from outside the school
without consent of their own; the two of ``consent_for``; and, only when a message needs words, the
names of the people without consent with the form in force (whose purpose labels are read once per
process: published forms never change). An export adds two that lock the items and then the tagged
people against a concurrent tag change or decision, and on a public channel one that holds the
items' people from outside the school ``FOR SHARE`` (withdrawing their consent takes ``FOR UPDATE``
on that row).

Why the locks make exports race-free (PostgreSQL; see ``lock_for_release``): the export first
holds its items, then the people tagged on them, and reads "now" and everything else only after
that. A tag change holds its item (``app.media.operations.lock_items``) and a decision its subject
(``app.consent.operations``) before they write. So a tag change or withdrawal that got there first
makes the export wait until it commits, and the queries that follow (new statements under READ
COMMITTED) see it; an export that got there first makes the change wait until the export is
recorded. On SQLite every write transaction starts with BEGIN IMMEDIATE (see
``app.extensions``), so there is only one writer at a time and the check and the release cannot
interleave with a decision or a tag change at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, String, cast, func, null, select

from app.consent.queries import Moment, active_form_query, consent_for, now, purpose_labels
from app.consent.rules import Consent, Rule, State
from app.consent.vocabulary import PUBLIC_PURPOSES, Action, MediaType
from app.extensions import db
from app.media.models import Face, MediaItem, OutsideConsent, OutsidePerson, Tag
from app.release.models import Approval, ApprovalStatus, Channel, Quarantine
from app.school.models import Group, Person, group_pupil


@dataclass(frozen=True)
class Blocker:
    media_id: int
    code: str
    person_id: int | None
    message: str
    # Someone from outside the school (``outside_person``): not a person of the school.
    outside_person_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        answer = {"media_id": self.media_id, "code": self.code, "person_id": self.person_id, "message": self.message}
        if self.outside_person_id is not None:
            answer["outside_person_id"] = self.outside_person_id
        return answer


@dataclass
class Clearance:
    """The answer for one item: cleared or not, the blockers, and the evidence (per tagged
    person, the ids of the decision events the answer rests on)."""

    media_id: int
    media_type: MediaType
    blockers: list[Blocker] = field(default_factory=list)
    evidence: dict[int, list[int]] = field(default_factory=dict)

    @property
    def cleared(self) -> bool:
        return not self.blockers


def clear(
    media_ids: list[int], channel: Channel, moment: Moment | None = None, *, lock: bool = False
) -> dict[int, Clearance]:
    """Clearance of each item for ``channel`` at ``moment`` (now by default: read after the lock
    is held, so a decision that made the export wait is not left out as "later")."""
    ids = sorted(set(media_ids))
    if not ids:
        return {}
    if lock:
        lock_for_release(ids)
        if channel.purpose in PUBLIC_PURPOSES:
            db.session.execute(
                select(OutsidePerson.id)
                .where(OutsidePerson.media_id.in_(ids))
                .order_by(OutsidePerson.id)
                .with_for_update(read=True)
            )
    moment = moment or now()
    purpose = channel.purpose
    # Derived tables, each computed once: open faces per item and quarantined items.
    faces = (
        select(Face.media_id, func.count(Face.id).label("open_faces"))
        .where(Face.media_id.in_(ids), Face.is_open)
        .group_by(Face.media_id)
        .subquery()
    )
    held = (
        select(Quarantine.media_id)
        .where(Quarantine.media_id.in_(ids), Quarantine.purpose == purpose, Quarantine.lifted_at.is_(None))
        .distinct()
        .subquery()
    )
    waiting = (
        select(Approval.media_id)
        .where(Approval.media_id.in_(ids), Approval.status == ApprovalStatus.OPEN)
        .distinct()
        .subquery()
    )
    outsiders = _outsiders_without_consent(purpose)
    # One statement for the items, with their tagged people as a list of ids.
    query = (
        select(
            MediaItem.id,
            MediaItem.media_type,
            MediaItem.tags_complete,
            func.max(faces.c.open_faces).label("open_faces"),
            func.max(held.c.media_id).label("quarantined"),
            func.max(waiting.c.media_id).label("approval_pending"),
            func.aggregate_strings(cast(Tag.person_id, String), ",").label("people"),
            (outsiders if outsiders is not None else null()).label("outsiders"),
        )
        .outerjoin(faces, faces.c.media_id == MediaItem.id)
        .outerjoin(held, held.c.media_id == MediaItem.id)
        .outerjoin(waiting, waiting.c.media_id == MediaItem.id)
        .outerjoin(Tag, Tag.media_id == MediaItem.id)
    )
    items = db.session.execute(
        query.where(MediaItem.id.in_(ids))
        .group_by(MediaItem.id, MediaItem.media_type, MediaItem.tags_complete)
        .order_by(MediaItem.id)
    ).all()
    tagged = {item.id: [int(p) for p in item.people.split(",")] if item.people else [] for item in items}
    keys = {(pid, item.media_type, purpose) for item in items for pid in tagged[item.id]}
    consents = consent_for(keys, moment) if keys else {}
    evidence: dict[tuple[int, MediaType], list[int] | None] = {
        (pid, media): [e.id for e in consents[(pid, media, p)].relied_on]
        if (pid, media, p) in consents and consents[(pid, media, p)].granted
        else None
        for pid, media, p in keys
    }
    blocked = sorted({pid for (pid, _media), relied_on in evidence.items() if relied_on is None})
    needs_words = blocked or any(item.quarantined or item.outsiders for item in items)
    words = _Words(blocked, moment, channel) if needs_words else None
    answers: dict[int, Clearance] = {}
    for item in items:
        answer = Clearance(item.id, item.media_type)
        if not item.tags_complete:
            message = _("Nobody has confirmed yet that everyone shown or heard is tagged.")
            answer.blockers.append(Blocker(item.id, "tags_incomplete", None, message))
        if item.open_faces:
            message = _("%(n)d detected face(s) not yet given to a person or set aside.", n=item.open_faces)
            answer.blockers.append(Blocker(item.id, "face_unresolved", None, message))
        if item.quarantined and words is not None:
            message = _(
                "Held back for “%(purpose)s”: consent was withdrawn and removal work is open.", purpose=words.purpose
            )
            answer.blockers.append(Blocker(item.id, "quarantined", None, message))
        if item.approval_pending:
            message = _("A change to this item's tags or faces waits for approval by the school's leadership.")
            answer.blockers.append(Blocker(item.id, "approval_pending", None, message))
        refused = []
        for person_id in tagged[item.id]:
            relied_on = evidence[(person_id, item.media_type)]
            if relied_on is not None:
                answer.evidence[person_id] = relied_on
            elif words is not None:
                consent = consents.get((person_id, item.media_type, purpose))
                refused.append(
                    (words.sort_key(person_id), person_id, words.reason(person_id, item.media_type, consent))
                )
        answer.blockers += [Blocker(item.id, "no_consent", pid, message) for _key, pid, message in sorted(refused)]
        if item.outsiders and words is not None:
            answer.blockers += _outsider_blockers(item.id, item.media_type, item.outsiders, words.purpose)
        answers[item.id] = answer
    return answers


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


def _outsiders_without_consent(purpose: str) -> ColumnElement[Any] | None:
    """For the item of the enclosing statement, its people from outside the school without their
    own consent in force for the item's media type and ``purpose``, as "id:description" lines (NULL
    for none); None when the purpose is not public (they block public channels only)."""
    if purpose not in PUBLIC_PURPOSES:
        return None
    consented = (
        select(OutsideConsent.id)
        .where(
            OutsideConsent.outside_person_id == OutsidePerson.id,
            OutsideConsent.media_type == MediaItem.media_type,
            OutsideConsent.purpose == purpose,
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


class _Words:
    """Names (with the group) of the people without consent and the purpose's words from the form
    in force: one statement, only when a message needs them; reasons kept per person."""

    def __init__(self, people: list[int], moment: Moment, channel: Channel) -> None:
        from flask_babel import get_locale

        form = active_form_query(moment.day).subquery()
        form_id = select(form.c.id).scalar_subquery()
        form_published = select(form.c.published_at).scalar_subquery()
        groups = (
            select(group_pupil.c.person_id, func.max(Group.name).label("group_name"))
            .join(Group, Group.id == group_pupil.c.group_id)
            .where(group_pupil.c.person_id.in_(people))
            .group_by(group_pupil.c.person_id)
            .subquery()
        )
        if people:
            rows = db.session.execute(
                select(
                    Person.id,
                    Person.first_name,
                    Person.last_name,
                    groups.c.group_name,
                    form_id.label("form_id"),
                    form_published.label("form_published"),
                )
                .outerjoin(groups, groups.c.person_id == Person.id)
                .where(Person.id.in_(people))
            ).all()
            first = rows[0] if rows else None
            found = (first.form_id, first.form_published) if first else (None, None)
        else:
            rows = []
            found = tuple(db.session.execute(select(form_id, form_published)).one())
        self.names = {
            row.id: f"{row.first_name} {row.last_name}"
            + (f" ({_('group')} {row.group_name})" if row.group_name else "")
            for row in rows
        }
        self.sorting = {row.id: (row.last_name, row.first_name) for row in rows}
        locale = str(get_locale() or "nl")
        labels = purpose_labels(found[0], found[1]) if found[0] is not None else {}
        self.purpose = labels.get((channel.purpose, locale)) or labels.get((channel.purpose, "nl")) or channel.purpose
        self._reasons: dict[tuple[int, MediaType], str] = {}

    def sort_key(self, person_id: int) -> tuple[str, str]:
        return self.sorting.get(person_id, ("", ""))

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

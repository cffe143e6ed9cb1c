"""Clearance: may these items go to this channel now? Every blocker, in words a person understands.

The consent part is the consent module's own answer (``consent_for`` with its rules), never a
copy. Four statements for any number of items: the items with their tagged people, open faces and
quarantine, and the three of ``consent_for``; a fifth reads the purpose's words when a message needs
them, and an export adds one that locks the tagged people against a concurrent decision.

Why the lock makes exports race-free: on PostgreSQL the export first takes ``FOR SHARE`` on the
tagged people's rows, and ``decide`` takes ``FOR UPDATE`` on the subject's row before it writes a
decision; "now" is read after the lock is held. A withdrawal that got there first makes the
export wait until it commits, and the consent queries that follow (new statements under READ
COMMITTED) see it; an export that got there first makes the withdrawal wait until the export is
recorded. On SQLite every write
transaction starts with BEGIN IMMEDIATE (see ``app.extensions``), so there is only one writer at a
time and the check and the release cannot interleave with a decision at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.consent.queries import Moment, active_form, consent_for, now
from app.consent.rules import Consent, Rule, State
from app.consent.vocabulary import Action, MediaType
from app.extensions import db
from app.media.models import Face, MediaItem, Tag
from app.release.models import Channel, Quarantine
from app.school.models import Group, Person, group_pupil

CODES = ("tags_incomplete", "face_unresolved", "no_consent", "quarantined")


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
        db.session.execute(
            select(Person.id)
            .join(Tag, Tag.person_id == Person.id)
            .where(Tag.media_id.in_(ids))
            .with_for_update(read=True, of=Person)
        )
    moment = moment or now()
    purpose = channel.purpose
    # Derived tables, each computed once: open faces per item, quarantined items, and the group of
    # each tagged person (for the messages).
    tagged = select(Tag.person_id).where(Tag.media_id.in_(ids))
    faces = (
        select(Face.media_id, func.count(Face.id).label("open_faces"))
        .where(Face.media_id.in_(ids), Face.person_id.is_(None), Face.dismissed_reason.is_(None))
        .group_by(Face.media_id)
        .subquery()
    )
    held = (
        select(Quarantine.media_id)
        .where(Quarantine.media_id.in_(ids), Quarantine.purpose == purpose, Quarantine.lifted_at.is_(None))
        .distinct()
        .subquery()
    )
    groups = (
        select(group_pupil.c.person_id, func.max(Group.name).label("group_name"))
        .join(Group, Group.id == group_pupil.c.group_id)
        .where(group_pupil.c.person_id.in_(tagged))
        .group_by(group_pupil.c.person_id)
        .subquery()
    )
    # One statement for the items and their tagged people (an item without tags has one row).
    rows = db.session.execute(
        select(
            MediaItem.id,
            MediaItem.media_type,
            MediaItem.tags_complete,
            faces.c.open_faces,
            held.c.media_id.label("quarantined"),
            Person.id.label("person_id"),
            Person.first_name,
            Person.last_name,
            groups.c.group_name,
        )
        .outerjoin(faces, faces.c.media_id == MediaItem.id)
        .outerjoin(held, held.c.media_id == MediaItem.id)
        .outerjoin(Tag, Tag.media_id == MediaItem.id)
        .outerjoin(Person, Person.id == Tag.person_id)
        .outerjoin(groups, groups.c.person_id == Person.id)
        .where(MediaItem.id.in_(ids))
        .order_by(MediaItem.id, Person.last_name, Person.first_name)
    ).all()
    items: dict[int, Any] = {}
    tags: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        items.setdefault(row[0], row)
        if row[5] is not None:
            tags[row[0]].append(row)
    keys = {(row[5], row[1], purpose) for rows_ in tags.values() for row in rows_}
    consents = consent_for(keys, moment) if keys else {}
    evidence: dict[tuple[int, MediaType], list[int] | None] = {
        (pid, media): [e.id for e in consents[(pid, media, p)].relied_on]
        if (pid, media, p) in consents and consents[(pid, media, p)].granted
        else None
        for pid, media, p in keys
    }
    messages: dict[tuple[int, MediaType], str] = {}
    labels = _Labels(channel)
    answers: dict[int, Clearance] = {}
    for item in items.values():
        answer = Clearance(item.id, item.media_type)
        if not item.tags_complete:
            answer.blockers.append(
                Blocker(
                    item.id,
                    "tags_incomplete",
                    None,
                    _("Nobody has confirmed yet that everyone shown or heard is tagged."),
                )
            )
        if item.open_faces:
            answer.blockers.append(
                Blocker(
                    item.id,
                    "face_unresolved",
                    None,
                    _("%(n)d detected face(s) not yet given to a person or set aside.", n=item.open_faces),
                )
            )
        if item.quarantined:
            answer.blockers.append(
                Blocker(
                    item.id,
                    "quarantined",
                    None,
                    _(
                        "Held back for “%(purpose)s”: consent was withdrawn and removal work is open.",
                        purpose=labels.purpose,
                    ),
                )
            )
        for row in tags[item.id]:
            person_id = row[5]
            relied_on = evidence[(person_id, item.media_type)]
            if relied_on is not None:
                answer.evidence[person_id] = relied_on
                continue
            key = (person_id, item.media_type)
            if key not in messages:  # the same person's reason is the same on every item
                group = f" ({_('group')} {row.group_name})" if row.group_name else ""
                name = f"{row.first_name} {row.last_name}{group}"
                consent = consents.get((person_id, item.media_type, purpose))
                messages[key] = _no_consent(name, item.media_type, labels, consent)
            answer.blockers.append(Blocker(item.id, "no_consent", person_id, messages[key]))
        answers[item.id] = answer
    return answers


class _Labels:
    """The purpose's words from the consent form in force (read only when a message needs them)."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self._purpose: str | None = None

    @property
    def purpose(self) -> str:
        if self._purpose is None:
            from flask_babel import get_locale

            form = active_form(now().day)
            locale = str(get_locale() or "nl")
            label = form.purpose_label(self.channel.purpose, locale) if form else self.channel.purpose
            self._purpose = label
        return self._purpose


def moment_day() -> date:
    return now().day


def _no_consent(name: str, media_type: MediaType, labels: _Labels, consent: Consent | None) -> str:
    from app.consent.views import MEDIA_LABELS

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
            purpose=labels.purpose,
            reason=reason,
        )
    )

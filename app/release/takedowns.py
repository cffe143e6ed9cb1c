"""Withdrawal and takedown: when a decision takes consent away, every publication of an item that
shows the person on a channel of that purpose gets a takedown task, and the item is quarantined for
the purpose, in the decision's own transaction. Communications staff are mailed after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, event, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import Role, User, UserRole
from app.audit.log import record
from app.consent.models import Decision
from app.consent.queries import consent_for, now
from app.errors import DomainError
from app.extensions import db
from app.media.models import MediaItem, Tag
from app.media.twins import with_twins
from app.notifications import TAKEDOWN_NOTICE, send_mail
from app.release.models import Channel, Publication, Quarantine, Takedown, TakedownStatus
from app.school.models import Person
from app.timestamps import database_now
from app.urls import absolute_url

PENDING_MAIL = "beeldrecht_takedown_mail"


class TakedownError(DomainError):
    """A removal that cannot be marked done; resolving twice conflicts."""

    default_status = 409
    statuses = {"note_required": 422}


def on_decision(sender: Any, decision: Decision, **_extra: Any) -> None:
    """Connected to ``app.consent.operations.decision_recorded``."""
    open_takedowns(decision)


def open_takedowns(decision: Decision) -> list[Takedown]:
    key = (decision.subject_id, decision.media_type, decision.purpose)
    moment = now()
    consent = consent_for([key], moment).get(key)
    if consent is not None and consent.granted:
        return []
    # The items that show them: tagged, of the media type, and their twins (the same bytes).
    showing = with_twins(
        select(Tag.media_id)
        .join(MediaItem, MediaItem.id == Tag.media_id)
        .where(Tag.person_id == decision.subject_id, MediaItem.media_type == decision.media_type)
    )
    publications = db.session.scalars(
        select(Publication)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(Publication.media_id.in_(showing), Channel.purpose == decision.purpose)
        .order_by(Publication.id)
    ).all()
    # Skip a post that already has removal work for this person, or that was taken down already.
    already = or_(
        and_(Takedown.person_id == decision.subject_id, Takedown.status == TakedownStatus.OPEN),
        Takedown.status == TakedownStatus.RESOLVED,
    )
    return _open_for(
        publications,
        already,
        person_id=decision.subject_id,
        decision_id=decision.id,
        purpose=decision.purpose,
        moment=moment.at,
    )


def open_erasure_takedowns(person_id: int) -> list[Takedown]:
    """A person is being erased (``app.privacy.erasure``): every publication of an item that shows
    them, on any channel, gets a removal task, unless removal work is open for it already or it was
    taken down. The tasks name nobody (the person is about to be gone); their items are held back
    for every purpose by the erasure itself (or deleted), so no quarantine per purpose is added.
    Call before the person's tags are removed."""
    showing = with_twins(select(Tag.media_id).where(Tag.person_id == person_id))
    publications = db.session.scalars(
        select(Publication).where(Publication.media_id.in_(showing)).order_by(Publication.id)
    ).all()
    already = Takedown.status.in_([TakedownStatus.OPEN, TakedownStatus.RESOLVED])
    return _open_for(publications, already, person_id=None, decision_id=None, purpose=None, moment=database_now())


def _open_for(
    publications: Sequence[Publication],
    already: ColumnElement[bool],
    *,
    person_id: int | None,
    decision_id: int | None,
    purpose: str | None,
    moment: datetime,
) -> list[Takedown]:
    """A removal task (and, with a ``purpose``, a quarantine of the item for it) for each of these
    publications that has no takedown matching ``already``; audited; communications staff are
    mailed after the commit."""
    skip = set(
        db.session.scalars(
            select(Takedown.publication_id).where(Takedown.publication_id.in_([p.id for p in publications]), already)
        )
    )
    hours = int(current_app.config["TAKEDOWN_DUE_HOURS"])
    opened = []
    for publication in publications:
        if publication.id in skip:
            continue
        takedown = Takedown(
            publication_id=publication.id,
            url=publication.url,
            person_id=person_id,
            decision_id=decision_id,
            opened_at=moment,
            due_at=moment + timedelta(hours=hours),
        )
        db.session.add(takedown)
        db.session.flush()
        if purpose is not None and publication.media_id is not None:
            db.session.add(
                Quarantine(media_id=publication.media_id, purpose=purpose, takedown_id=takedown.id, created_at=moment)
            )
        record(
            "release.takedown_opened",
            target=takedown,
            publication_id=publication.id,
            media_id=publication.media_id,
            decision_id=decision_id,
        )
        opened.append(takedown)
    if opened:
        # Addresses are read now: after the commit no SQL may run in this session.
        recipients = db.session.execute(
            select(User.email, User.locale, Person.first_name)
            .join(UserRole, UserRole.user_id == User.id)
            .outerjoin(Person, Person.id == User.person_id)
            .where(UserRole.role == Role.COMMUNICATIONS, User.active.is_(True))
        ).all()
        pending = db.session.info.setdefault(PENDING_MAIL, {})
        for email, locale, name in recipients:
            pending[(email, locale, name)] = pending.get((email, locale, name), 0) + len(opened)
    return opened


def resolve(takedown: Takedown, note: str, *, by: User) -> None:
    """Mark the removal done; the item's quarantine for the purpose lifts with its last open task."""
    from flask_babel import gettext as _

    if takedown.status is TakedownStatus.RESOLVED:
        raise TakedownError("already_resolved", _("This removal was already marked as done."))
    note = note.strip()
    if not note:
        raise TakedownError("note_required", _("Say in a note what was done (for example: post deleted)."))
    at = database_now()
    takedown.status, takedown.resolved_at, takedown.resolved_by_id, takedown.note = (
        TakedownStatus.RESOLVED,
        at,
        by.id,
        note[:2000],
    )
    for quarantine in db.session.scalars(
        select(Quarantine).where(Quarantine.takedown_id == takedown.id, Quarantine.lifted_at.is_(None))
    ):
        quarantine.lifted_at = at
    record("release.takedown_resolved", target=takedown, actor_id=by.id)


def _send_pending(session: Session) -> None:
    pending = session.info.pop(PENDING_MAIL, None)
    if not pending:
        return
    for (email, locale, name), count in pending.items():
        try:
            send_mail(
                TAKEDOWN_NOTICE, to=email, locale=locale, name=name, count=count, link=absolute_url("release.takedowns")
            )
        except Exception:  # a mail problem must never undo or hide the takedown itself
            current_app.logger.exception("a takedown notice could not be sent")


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """The notices go into the mail outbox in the committing transaction (one per recipient,
    however many takedowns it opened); a job sends them after the commit."""
    if session.info.get(PENDING_MAIL):
        _send_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_MAIL, None)

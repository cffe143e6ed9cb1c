"""Withdrawal and takedown: when a decision takes consent away, every publication of an item that
shows the person on a channel of that purpose gets a takedown task, and the item is quarantined for
the purpose, in the decision's own transaction. Communications staff are mailed after the commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import Role, User, UserRole
from app.audit.log import record
from app.consent.models import Decision
from app.consent.queries import consent_for, now
from app.errors import DomainError
from app.extensions import db
from app.media.models import MediaItem, Tag
from app.notifications import TAKEDOWN_NOTICE, send_mail
from app.release.models import Channel, Publication, Quarantine, Takedown, TakedownStatus
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
    publications = db.session.scalars(
        select(Publication)
        .join(Channel, Channel.id == Publication.channel_id)
        .join(MediaItem, MediaItem.id == Publication.media_id)
        .join(Tag, Tag.media_id == MediaItem.id)
        .where(
            Tag.person_id == decision.subject_id,
            MediaItem.media_type == decision.media_type,
            Channel.purpose == decision.purpose,
        )
        .order_by(Publication.id)
    ).all()
    # Skip a post that already has removal work for this person, or that was taken down already.
    already = set(
        db.session.scalars(
            select(Takedown.publication_id).where(
                Takedown.publication_id.in_([p.id for p in publications]),
                or_(
                    and_(Takedown.person_id == decision.subject_id, Takedown.status == TakedownStatus.OPEN),
                    Takedown.status == TakedownStatus.RESOLVED,
                ),
            )
        )
    )
    hours = int(current_app.config["TAKEDOWN_DUE_HOURS"])
    opened = []
    for publication in publications:
        if publication.id in already:
            continue
        takedown = Takedown(
            publication_id=publication.id,
            url=publication.url,
            person_id=decision.subject_id,
            decision_id=decision.id,
            opened_at=moment.at,
            due_at=moment.at + timedelta(hours=hours),
        )
        db.session.add(takedown)
        db.session.flush()
        db.session.add(
            Quarantine(
                media_id=publication.media_id, purpose=decision.purpose, takedown_id=takedown.id, created_at=moment.at
            )
        )
        record(
            "release.takedown_opened",
            target=takedown,
            publication_id=publication.id,
            media_id=publication.media_id,
            decision_id=decision.id,
        )
        opened.append(takedown)
    if opened:
        # Addresses are read now: after the commit no SQL may run in this session.
        recipients = db.session.execute(
            select(User.email, User.locale)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.COMMUNICATIONS, User.active.is_(True))
        ).all()
        pending = db.session.info.setdefault(PENDING_MAIL, {})
        for email, locale in recipients:
            pending[(email, locale)] = pending.get((email, locale), 0) + len(opened)
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
    for (email, locale), count in pending.items():
        try:
            send_mail(TAKEDOWN_NOTICE, to=email, locale=locale, count=count, link=absolute_url("release.takedowns"))
        except Exception:  # a mail problem must never undo or hide the takedown itself
            current_app.logger.exception("a takedown notice could not be sent")


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.get(PENDING_MAIL):
        _send_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_MAIL, None)

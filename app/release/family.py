"""What parents see of the release of their child's media: where it was published, and which
removals are pending or done. Callers pass only people the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from sqlalchemy import select

from app.extensions import db
from app.media.models import Tag
from app.release.models import Channel, Publication, Takedown, TakedownStatus


@dataclass(frozen=True)
class Published:
    channel: str
    published_on: date
    url: str
    removal: str | None  # None, "pending" or "done"
    media_id: int | None = None  # the item that was posted


def published_for(person_id: int) -> list[Published]:
    """Publications of items on which this person is tagged, newest first, with the state of
    the removal work opened for this person."""
    rows = db.session.execute(
        select(Publication, Channel.name)
        .join(Channel, Channel.id == Publication.channel_id)
        .join(Tag, Tag.media_id == Publication.media_id)
        .where(Tag.person_id == person_id)
        .order_by(Publication.published_on.desc(), Publication.id.desc())
    ).all()
    removals: dict[int, str] = {}
    for takedown in db.session.scalars(
        select(Takedown).where(
            Takedown.person_id == person_id, Takedown.publication_id.in_([p.id for p, _name in rows])
        )
    ):
        state = "pending" if takedown.status is TakedownStatus.OPEN else "done"
        if removals.get(takedown.publication_id or 0) != "pending":
            removals[takedown.publication_id or 0] = state
    return [Published(name, p.published_on, p.url, removals.get(p.id), p.media_id) for p, name in rows]


def removals_for(decision_ids: list[int]) -> list[str]:
    """The takedowns these decisions opened, as "Instagram, 3 December 2026" for the parent."""
    rows = db.session.execute(
        select(Channel.name, Publication.published_on)
        .join(Publication, Publication.channel_id == Channel.id)
        .join(Takedown, Takedown.publication_id == Publication.id)
        .where(Takedown.decision_id.in_(decision_ids))
        .order_by(Publication.published_on)
    ).all()
    return [f"{name}, {format_date(day, 'long')}" for name, day in rows]

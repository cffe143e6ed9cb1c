"""What parents see of the release of their child's media: where it was published, and which
removals are pending or done. Callers pass only people the viewer may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from sqlalchemy import and_, or_, select

from app.consent.vocabulary import MediaType
from app.extensions import db
from app.media.models import MediaItem, Tag
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
    rows = (
        db.session.execute(
            select(Channel.name, Publication.published_on)
            .join(Publication, Publication.channel_id == Channel.id)
            .join(Takedown, Takedown.publication_id == Publication.id)
            .where(Takedown.decision_id.in_(decision_ids))
            .order_by(Publication.published_on)
        )
        .tuples()
        .all()
    )
    return _as_text(rows)


def removals_if(person_id: int, keys: Iterable[tuple[MediaType, str]]) -> list[str]:
    """The takedowns that losing consent for these (media type, purpose) keys would open for this
    person, worked out before anything is decided (the rule of ``takedowns.open_takedowns``:
    publications of items showing them, of that media type, on a channel of that purpose, unless
    removal work is open for them there already or the post was taken down), in the same words
    as :func:`removals_for`."""
    keys = set(keys)
    if not keys:
        return []
    covered = select(Takedown.publication_id).where(
        Takedown.publication_id.is_not(None),
        or_(
            and_(Takedown.person_id == person_id, Takedown.status == TakedownStatus.OPEN),
            Takedown.status == TakedownStatus.RESOLVED,
        ),
    )
    rows = db.session.execute(
        select(Publication.id, Channel.name, Publication.published_on, MediaItem.media_type, Channel.purpose)
        .join(Publication, Publication.channel_id == Channel.id)
        .join(MediaItem, MediaItem.id == Publication.media_id)
        .join(Tag, Tag.media_id == MediaItem.id)
        .where(
            Tag.person_id == person_id,
            Channel.purpose.in_({purpose for _media, purpose in keys}),
            Publication.id.not_in(covered),
        )
        .distinct()
        .order_by(Publication.published_on, Channel.name, Publication.id)
    ).all()
    return _as_text([(name, day) for _id, name, day, media, purpose in rows if (media, purpose) in keys])


def _as_text(rows: Iterable[tuple[str, date]]) -> list[str]:
    return [f"{name}, {format_date(day, 'long')}" for name, day in rows]

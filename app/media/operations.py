"""Albums, deletion and retention of media."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.extensions import db
from app.media.ingest import media_storage
from app.media.models import Album, MediaItem
from app.media.storage import derivative_key, original_key
from app.school.models import Group

DERIVATIVE_NAMES = ("thumbnail.jpg", "display.jpg")


def album_for(group: Group, title: str, taken_on: date) -> Album:
    """The album of this group with this title and date, created on first use."""
    title = title.strip()
    album = db.session.scalar(
        select(Album).where(Album.group_id == group.id, Album.title == title, Album.taken_on == taken_on)
    )
    if album is None:
        album = Album(group_id=group.id, title=title, taken_on=taken_on)
        db.session.add(album)
        db.session.flush()
        record("media.album_created", target=album, group_id=group.id)
    return album


def delete_media(item: MediaItem, *, by: User | None, reason: str) -> list[str]:
    """Remove the item's row and return the storage keys to delete *after* the commit (a failed
    commit then leaves the files in place; a failed delete leaves an orphan that fsck removes)."""
    keys = [original_key(item.sha256)] + [derivative_key(item.sha256, name) for name in DERIVATIVE_NAMES]
    record("media.deleted", target=item, actor_id=by.id if by else None, reason=reason, group_id=item.group_id)
    db.session.delete(item)
    return keys


def remove_files(keys: list[str]) -> None:
    storage = media_storage()
    for key in keys:
        storage.delete(key)


def expired_media(today: date, years: int) -> list[MediaItem]:
    """Items uploaded longer ago than the retention period."""
    cutoff = datetime.combine(today.replace(year=today.year - years), time(), tzinfo=UTC)
    return list(db.session.scalars(select(MediaItem).where(MediaItem.uploaded_at < cutoff).order_by(MediaItem.id)))

"""Finding or creating the album an upload goes into."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.audit.log import record
from app.extensions import db
from app.media.models import Album
from app.school.models import Group


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

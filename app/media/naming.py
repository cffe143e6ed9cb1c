"""How staff name an item in lists and refusals: by its album, the album's date and its number in
the album ("Schoolreis Efteling · 12 sep 2026 · nr. 3"), never by a database id and never by who is
on it (a name shown in a list or a refusal must not name a pupil).

The number is the item's place in its album ordered by id: items only ever join an album at the
end, so a number does not change when more are uploaded (only deleting an earlier item of the same
album moves the later ones up by one). One statement for any number of items.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.media.models import Album, MediaItem


def item_names(ids: Iterable[int]) -> dict[int, str]:
    """The name of each item of ``ids`` that exists, in the request's language; one statement (the
    number is a correlated count over the album's items, an index lookup per item)."""
    wanted = sorted({int(i) for i in ids if i is not None})
    if not wanted:
        return {}
    other = aliased(MediaItem)
    number = (
        select(func.count(other.id))
        .where(other.album_id == MediaItem.album_id, other.id <= MediaItem.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(MediaItem.id, Album.title, Album.taken_on, number)
        .join(Album, Album.id == MediaItem.album_id)
        .where(MediaItem.id.in_(wanted))
    ).tuples()
    return {
        item_id: _("%(album)s · %(day)s · no. %(n)d", album=title, day=format_date(day, "medium"), n=n)
        for item_id, title, day, n in rows
    }


def item_name(item_id: int) -> str:
    """The name of one item (its page's title); empty for an item that does not exist."""
    return item_names([item_id]).get(item_id, "")

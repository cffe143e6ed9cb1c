"""Albums, deletion and retention of media."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.extensions import db
from app.media.ingest import media_storage
from app.media.models import Album, MediaItem, Tag
from app.media.storage import derivative_key, original_key
from app.school.models import Group
from app.timestamps import utcnow

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


class TaggingError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def set_tags(item: MediaItem, tags: list[tuple[int, list[float] | None]], *, complete: bool, by: User) -> None:
    """Replace the item's tags and set or clear the attestation, in one audited step.

    Only people the tagger may see can be tagged (``app.access.visible_persons``); a box is
    four fractions ``[x, y, w, h]`` inside the picture. Changing tags after the attestation
    keeps it, and is audited as such.
    """
    from flask_babel import gettext as _

    from app.access import visible_persons
    from app.school.models import Person

    ids = [person_id for person_id, _box in tags]
    if len(set(ids)) != len(ids):
        raise TaggingError("duplicate", _("A person is tagged twice."))
    allowed = set(db.session.scalars(visible_persons(by).with_only_columns(Person.id).where(Person.id.in_(ids))))
    if set(ids) - allowed:
        raise TaggingError("unknown_person", _("One of the tagged people does not exist or is not yours to tag."))
    for _person_id, box in tags:
        if box is not None and not _valid_box(box):
            raise TaggingError("bad_box", _("A box must be four fractions (x, y, width, height) inside the picture."))
    before = {(t.person_id, tuple(t.box) if t.box else None) for t in item.tags}
    after = {(pid, tuple(box) if box else None) for pid, box in tags}
    changed = before != after
    if changed:
        item.tags.clear()
        db.session.flush()  # the old rows go first: (media, person) is unique
        item.tags = [
            Tag(
                person_id=pid,
                box_x=box[0] if box else None,
                box_y=box[1] if box else None,
                box_w=box[2] if box else None,
                box_h=box[3] if box else None,
                created_by_id=by.id,
            )
            for pid, box in tags
        ]
    was_complete = item.tags_complete
    if complete and not was_complete:
        item.tags_complete, item.tags_attested_by_id, item.tags_attested_at = True, by.id, utcnow()
    elif not complete and was_complete:
        item.tags_complete, item.tags_attested_by_id, item.tags_attested_at = False, None, None
    if changed or complete != was_complete:
        record(
            "media.tags_changed",
            target=item,
            actor_id=by.id,
            people=sorted(ids),
            complete=complete,
            after_attestation=was_complete and complete and changed,
        )


def _valid_box(box: list[float]) -> bool:
    if len(box) != 4:
        return False
    x, y, w, h = box
    return 0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x and 0 < h <= 1 - y

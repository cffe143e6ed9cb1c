"""Albums, deletion and retention of media."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.consent.vocabulary import MediaType
from app.errors import DomainError
from app.extensions import db
from app.media.ingest import media_storage
from app.media.models import Album, DismissReason, Face, FaceStatus, MediaItem, Tag
from app.media.storage import derivative_key, original_key
from app.school.models import Group
from app.timestamps import utcnow


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
    keys = [original_key(item.sha256)] + [derivative_key(item.sha256, name) for name in item.derivative_names()]
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


class TaggingError(DomainError):
    """Tags, boxes or faces that cannot be saved; a face already given to someone conflicts (409)."""

    statuses = {"face_tagged": 409}


@dataclass(frozen=True)
class TagSpec:
    """One person shown or heard; on a photo optionally with a box; with the detected faces that
    are this person (a film shows someone on several sampled frames). On a photo, a single face's
    box becomes the tag's box when no box is given."""

    person_id: int
    box: list[float] | None = None
    face_ids: tuple[int, ...] = ()


def set_tags(item: MediaItem, tags: list[TagSpec], *, complete: bool, by: User) -> None:
    """Replace the item's tags and set or clear the attestation, in one audited step.

    Only people the tagger may see can be tagged (``app.access.visible_persons``); a box is
    four fractions ``[x, y, w, h]`` inside the picture. A tag may name one of the item's detected
    faces: that face is then resolved as this person (and un-resolved when the tag goes).
    Changing tags after the attestation keeps it, and is audited as such.
    """
    from flask_babel import gettext as _

    from app.access import visible_persons
    from app.school.models import Person

    ids = [tag.person_id for tag in tags]
    if len(set(ids)) != len(ids):
        raise TaggingError("duplicate", _("A person is tagged twice."))
    allowed = set(db.session.scalars(visible_persons(by).with_only_columns(Person.id).where(Person.id.in_(ids))))
    if set(ids) - allowed:
        raise TaggingError("unknown_person", _("One of the tagged people does not exist or is not yours to tag."))
    faces = {face.id: face for face in item.faces}
    face_ids = [face_id for tag in tags for face_id in tag.face_ids]
    if len(set(face_ids)) != len(face_ids):
        raise TaggingError("duplicate_face", _("A face is given to two people."))
    if set(face_ids) - set(faces):
        raise TaggingError("unknown_face", _("That face is not one of this item's faces."))
    wanted: list[tuple[int, tuple[float, ...] | None]] = []
    for tag in tags:
        box = tag.box
        if box is None and len(tag.face_ids) == 1 and faces[tag.face_ids[0]].frame_ms is None:
            box = faces[tag.face_ids[0]].box
        if box is not None and (item.media_type is not MediaType.PHOTO or not _valid_box(box)):
            raise TaggingError("bad_box", _("A box must be four fractions (x, y, width, height) inside the picture."))
        wanted.append((tag.person_id, tuple(box) if box else None))
    before = {(t.person_id, tuple(t.box) if t.box else None) for t in item.tags}
    changed = before != set(wanted)
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
            for pid, box in wanted
        ]
    matched = {face_id: tag.person_id for tag in tags for face_id in tag.face_ids}
    faces_changed = False
    for face in item.faces:
        person_id = matched.get(face.id)
        if person_id is None and face.person_id is not None and face.person_id in ids:
            person_id = face.person_id  # still tagged: the earlier match stands
        if person_id != face.person_id:
            face.person_id = person_id
            faces_changed = True
            if person_id is not None:
                face.dismissed_reason, face.dismissed_by_id, face.dismissed_at = None, None, None
    was_complete = item.tags_complete
    if complete and not was_complete:
        item.tags_complete, item.tags_attested_by_id, item.tags_attested_at = True, by.id, utcnow()
    elif not complete and was_complete:
        item.tags_complete, item.tags_attested_by_id, item.tags_attested_at = False, None, None
    if changed or faces_changed or complete != was_complete:
        record(
            "media.tags_changed",
            target=item,
            actor_id=by.id,
            people=sorted(ids),
            faces_matched=sorted(matched),
            complete=complete,
            after_attestation=was_complete and complete and (changed or faces_changed),
        )


def dismiss_face(face: Face, reason: DismissReason, *, by: User) -> None:
    """A staff member declares that a detected face needs no tag (not a face, or nobody could be
    recognised from it). Audited; undone by matching the face to a person."""
    from flask_babel import gettext as _

    if face.status is FaceStatus.DISMISSED and face.dismissed_reason is reason:
        return  # a double submit changes nothing
    if face.person_id is not None:
        raise TaggingError("face_tagged", _("This face is matched to a tagged person; remove that tag first."))
    face.dismissed_reason, face.dismissed_by_id, face.dismissed_at = reason, by.id, utcnow()
    record("media.face_dismissed", target=face.item, actor_id=by.id, face_id=face.id, reason=reason.value)


def reopen_face(face: Face, *, by: User) -> None:
    """Undo a dismissal: the face must be resolved again."""
    if face.dismissed_reason is None:
        return
    face.dismissed_reason, face.dismissed_by_id, face.dismissed_at = None, None, None
    record("media.face_reopened", target=face.item, actor_id=by.id, face_id=face.id)


def _valid_box(box: list[float]) -> bool:
    if len(box) != 4:
        return False
    x, y, w, h = box
    slack = 1e-6  # four-decimal fractions may add up to a hair over 1
    return 0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x + slack and 0 < h <= 1 - y + slack

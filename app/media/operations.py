"""Albums, deletion and retention of media."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.log import record
from app.consent.models import PaperReturn
from app.consent.vocabulary import MediaType
from app.errors import DomainError, NotFound
from app.extensions import db
from app.media.channel_copies import copy_keys
from app.media.ingest import media_storage
from app.media.models import (
    Album,
    DismissReason,
    Face,
    FaceStatus,
    MediaItem,
    OutsideConsent,
    ProcessingState,
    Tag,
)
from app.media.storage import derivative_key, original_key
from app.school.leavers import leaver_ids
from app.school.models import Group, Person
from app.timestamps import school_today, utcnow


def lock_items(ids: Iterable[int], *, missing_ok: bool = False) -> None:
    """Hold these items' rows until the transaction ends (FOR NO KEY UPDATE, by id; PostgreSQL),
    and read them again: the first step of every change of who is on an item (its tags, its faces,
    its attestation) and of its deletion. ``NotFound`` when one was deleted meanwhile, unless
    ``missing_ok``.

    Why: an export holds the items it releases FOR SHARE before it reads their tags
    (``app.release.clearance.lock_for_release``), and the two conflict, so a tag change and an
    export of the same item are one fully before the other: a person tagged during an export is
    either seen by it or tagged after it was recorded. The item's row is the one thing every such
    change passes through (a new tag is a new row, which no lock on other tag rows would stop).
    NO KEY UPDATE, not UPDATE: it is what an UPDATE of the row takes anyway, and it leaves the
    KEY SHARE of foreign key checks free (a withdrawal writing a quarantine row for the item).

    No deadlock: items are taken first and by id, then (the foreign key checks of new tags and
    faces) people, then the audit chain's lock in ``record``: the order every writer keeps (see
    ``lock_for_release``). Several items in one transaction are locked together here, before
    the first is audited. The ORM's copies (columns, tags, faces) are refreshed by the same
    statement, so a change starts from what the last committed one left. On SQLite this only
    reads: BEGIN IMMEDIATE already made the transaction the only writer.
    """
    wanted = sorted(set(ids))
    found = db.session.scalars(
        select(MediaItem)
        .where(MediaItem.id.in_(wanted))
        .order_by(MediaItem.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    if len(found) != len(wanted) and not missing_ok:
        raise NotFound("not_found", _("One of the items does not exist (any more)."))


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
    commit then leaves the files in place; a failed delete leaves an orphan that fsck removes).
    The item is locked first (``lock_items``): an export of it is recorded before, or finds it gone.
    Deleting several in one transaction: lock them all first.

    Items with the same bytes share their stored files (``app.media.ingest``): the files go with
    the last of them. An upload that is about to share them holds the other item FOR SHARE, so the
    lock here waits for it and this count sees it."""
    lock_items([item.id])
    shared = db.session.scalar(
        select(func.count(MediaItem.id)).where(MediaItem.sha256 == item.sha256, MediaItem.id != item.id)
    )
    keys = (
        []
        if shared
        else [original_key(item.sha256)]
        + [derivative_key(item.sha256, name) for name in item.derivative_names()]
        + copy_keys(item.sha256)
    )
    scans = {consent.scan_key for person in item.outside_people for consent in person.consents if consent.scan_key}
    record("media.deleted", target=item, actor_id=by.id if by else None, reason=reason, group_id=item.group_id)
    db.session.delete(item)  # cascades: tags, faces, people from outside the school and their consents
    if scans:
        db.session.flush()
        keys += unreferenced_scans(scans)
    return keys


def unreferenced_scans(keys: Iterable[str]) -> list[str]:
    """Of these scans (of the papers people from outside the school signed, and of returned paper
    consent forms), those no remaining row refers to: a scan is stored under its hash, so the same
    paper recorded twice is one file. Call after the rows are deleted and flushed."""
    wanted = set(keys)
    if not wanted:
        return []
    kept = set(db.session.scalars(select(OutsideConsent.scan_key).where(OutsideConsent.scan_key.in_(wanted))))
    kept |= set(db.session.scalars(select(PaperReturn.scan_key).where(PaperReturn.scan_key.in_(wanted))))
    return sorted(wanted - kept)


def remove_files(keys: list[str]) -> None:
    storage = media_storage()
    for key in keys:
        storage.delete(key)


def expired_media(today: date, years: int) -> list[MediaItem]:
    """Items uploaded longer ago than the retention period."""
    cutoff = datetime.combine(today.replace(year=today.year - years), time(), tzinfo=UTC)
    return list(db.session.scalars(select(MediaItem).where(MediaItem.uploaded_at < cutoff).order_by(MediaItem.id)))


class TaggingError(DomainError):
    """Tags, boxes or faces that cannot be saved; a face already given to someone (of the school or
    from outside it) conflicts (409)."""

    statuses = {"face_tagged": 409, "face_outside": 409, "not_ready": 409}


@dataclass(frozen=True)
class TagSpec:
    """One person shown or heard; on a photo optionally with a box; with the detected faces that
    are this person (on a film someone who left and came back is several tracks). On a photo, a
    single face's box becomes the tag's box when no box is given."""

    person_id: int
    box: list[float] | None = None
    face_ids: tuple[int, ...] = ()


Box = tuple[float, ...]  # a tag's box as stored: x, y, width, height as fractions


def set_tags(item: MediaItem, tags: list[TagSpec], *, complete: bool, by: User) -> None:
    """Replace the item's tags, match its detected faces to them, and set or clear the
    attestation, in one audited step.

    Only people the tagger may see can be tagged (``app.access.visible_persons``); a box is
    four fractions ``[x, y, w, h]`` inside the picture. A tag may name one of the item's detected
    faces: that face is then resolved as this person (and un-resolved when the tag goes).
    Changing tags after the attestation keeps it, and is audited as such. Everything is checked
    before anything changes, so a ``TaggingError`` leaves the item as it was. The item is locked
    and read again first (``lock_items``), so the change and any export of the item serialise.
    """
    lock_items([item.id])
    if complete and not item.tags_complete and item.processing_state is not ProcessingState.READY:
        # Nobody can have seen or heard all of it yet (and a film's faces are not found yet).
        raise TaggingError(
            "not_ready",
            _("This recording is not ready to be played yet: it can be marked as completely tagged once it is."),
        )
    was_complete = item.tags_complete
    tags_changed = replace_tags(item, tags, by=by)
    faces_changed = match_faces(item, tags)
    edited = tags_changed or faces_changed
    attestation_changed = set_attestation(item, complete=complete, by=by)
    if edited or attestation_changed:
        record(
            "media.tags_changed",
            target=item,
            actor_id=by.id,
            people=sorted(tag.person_id for tag in tags),
            faces_matched=sorted(_named_faces(tags)),
            complete=complete,
            after_attestation=was_complete and complete and edited,
        )


def replace_tags(item: MediaItem, tags: list[TagSpec], *, by: User) -> bool:
    """Check the tags (each person once and visible to ``by``, each face once and this item's,
    boxes inside a photo) and make them the item's tags; True when they differ from before.

    A step of ``set_tags``, which locks the item and writes the audit row: on its own it locks
    and audits nothing. Raises ``TaggingError`` before changing anything."""
    _check_people(tags, by)
    _check_still_at_school(item, tags)
    faces = _check_faces(item, tags)
    wanted = [(tag.person_id, _box(item, tag, faces)) for tag in tags]
    before = {(t.person_id, tuple(t.box) if t.box else None) for t in item.tags}
    if before == set(wanted):
        return False
    item.tags.clear()
    db.session.flush()  # the old rows go first: (media, person) is unique
    item.tags = [_new_tag(person_id, box, by) for person_id, box in wanted]
    return True


def match_faces(item: MediaItem, tags: list[TagSpec]) -> bool:
    """Give each face that a tag names (``TagSpec.face_ids``) to that tag's person, keep an earlier
    match while its person is still tagged, and re-open a face whose person is no longer tagged.
    Matching a face undoes its dismissal. True when a face changed.

    A step of ``set_tags`` (after ``replace_tags`` has checked the faces): on its own it locks
    and audits nothing."""
    matched = {face_id: tag.person_id for tag in tags for face_id in tag.face_ids}
    tagged = {tag.person_id for tag in tags}
    changed = False
    for face in item.faces:
        person_id = matched.get(face.id)
        if person_id is None and face.person_id in tagged:
            person_id = face.person_id  # still tagged: the earlier match stands
        if person_id == face.person_id:
            continue
        face.person_id = person_id
        if person_id is not None:
            face.dismissed_reason, face.dismissed_by_id, face.dismissed_at = None, None, None
        changed = True
    return changed


def set_attestation(item: MediaItem, *, complete: bool, by: User) -> bool:
    """Set ("everyone visible or audible is tagged", by whom and when) or clear the attestation;
    True when it changed. Attesting again keeps the first attester and time.

    A step of ``set_tags``: on its own it locks and audits nothing."""
    if complete == item.tags_complete:
        return False
    if complete:
        item.tags_complete, item.tags_attested_by_id, item.tags_attested_at = True, by.id, utcnow()
    else:
        item.tags_complete, item.tags_attested_by_id, item.tags_attested_at = False, None, None
    return True


def _check_people(tags: list[TagSpec], by: User) -> None:
    """Each person once, and only people the tagger may see (``app.access.visible_persons``)."""
    from app.access import visible_persons

    ids = [tag.person_id for tag in tags]
    if len(set(ids)) != len(ids):
        raise TaggingError("duplicate", _("A person is tagged twice."))
    allowed = set(db.session.scalars(visible_persons(by).with_only_columns(Person.id).where(Person.id.in_(ids))))
    if set(ids) - allowed:
        raise TaggingError("unknown_person", _("One of the tagged people does not exist or is not yours to tag."))


def _check_still_at_school(item: MediaItem, tags: list[TagSpec]) -> None:
    """No new media of a pupil who has left the school (``app.school.leavers``): a tag already on
    the item stays (and can be removed), a new tag of a leaver is refused."""
    new = {tag.person_id for tag in tags} - {tag.person_id for tag in item.tags}
    left = leaver_ids(new, school_today())
    if left:
        names = ", ".join(sorted(p.full_name for p in db.session.scalars(select(Person).where(Person.id.in_(left)))))
        raise TaggingError(
            "pupil_left",
            _("Left the school, so no new media: %(names)s. Tags already on an item stay.", names=names),
        )


def _check_faces(item: MediaItem, tags: list[TagSpec]) -> dict[int, Face]:
    """Each face given to one person at most, and only this item's faces; the item's faces by id."""
    faces = {face.id: face for face in item.faces}
    face_ids = _named_faces(tags)
    if len(set(face_ids)) != len(face_ids):
        raise TaggingError("duplicate_face", _("A face is given to two people."))
    if set(face_ids) - set(faces):
        raise TaggingError("unknown_face", _("That face is not one of this item's faces."))
    if any(faces[face_id].outside_person_id is not None for face_id in face_ids):
        raise TaggingError("face_outside", _("This face is someone from outside the school; remove them first."))
    return faces


def _named_faces(tags: list[TagSpec]) -> list[int]:
    """The detected faces the tags name, in order (a face named twice is there twice)."""
    return [face_id for tag in tags for face_id in tag.face_ids]


def _new_tag(person_id: int, box: Box | None, by: User) -> Tag:
    x, y, w, h = box or (None, None, None, None)
    return Tag(person_id=person_id, box_x=x, box_y=y, box_w=w, box_h=h, created_by_id=by.id)


def _box(item: MediaItem, tag: TagSpec, faces: dict[int, Face]) -> Box | None:
    """The tag's box: the one given or, on a photo, the box of its single detected face; only a
    photo's tags have boxes, and a box lies inside the picture."""
    box = tag.box
    if box is None and len(tag.face_ids) == 1 and faces[tag.face_ids[0]].frame_ms is None:
        box = faces[tag.face_ids[0]].box
    if box is not None and (item.media_type is not MediaType.PHOTO or not valid_box(box)):
        raise TaggingError("bad_box", _("A box must be four fractions (x, y, width, height) inside the picture."))
    return tuple(box) if box else None


def dismiss_face(face: Face, reason: DismissReason, *, by: User) -> None:
    """A staff member declares that a detected face needs no tag (not a face, or nobody could be
    recognised from it). Audited; undone by matching the face to a person. The item is locked
    first (``lock_items``) and the face read again."""
    _lock_face(face)
    if face.status is FaceStatus.DISMISSED and face.dismissed_reason is reason:
        return  # a double submit changes nothing
    if face.person_id is not None:
        raise TaggingError("face_tagged", _("This face is matched to a tagged person; remove that tag first."))
    if face.outside_person_id is not None:
        raise TaggingError("face_outside", _("This face is someone from outside the school; remove them first."))
    face.dismissed_reason, face.dismissed_by_id, face.dismissed_at = reason, by.id, utcnow()
    record("media.face_dismissed", target=face.item, actor_id=by.id, face_id=face.id, reason=reason.value)


def reopen_face(face: Face, *, by: User) -> None:
    """Undo a dismissal: the face must be resolved again (the item locked first, as above)."""
    _lock_face(face)
    if face.dismissed_reason is None:
        return
    face.dismissed_reason, face.dismissed_by_id, face.dismissed_at = None, None, None
    record("media.face_reopened", target=face.item, actor_id=by.id, face_id=face.id)


def _lock_face(face: Face) -> None:
    lock_items([face.media_id])
    db.session.expire(face)  # read again: a tag change may have matched it meanwhile


def valid_box(box: list[float]) -> bool:
    """Four fractions (x, y, width, height) of a box inside the picture."""
    if len(box) != 4:
        return False
    x, y, w, h = box
    slack = 1e-6  # four-decimal fractions may add up to a hair over 1
    return 0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x + slack and 0 < h <= 1 - y + slack

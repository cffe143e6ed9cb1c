"""Pixelating one person out of an item's stored pictures, irreversibly, and file work that waits
for the commit.

Used when a person is erased (``app.privacy.erasure``) and an item that shows them is kept: every
stored picture where we know where they are is rewritten with their boxes pixelated
(``app.media.photos.pixelate``): a photo's display image (its thumbnail is made again from it) and a
film's face-track stills. A film's poster and playback copy and a sound recording have no box: they
cannot be blurred, the item is then only quarantined (the caller says so).

Files are not transactional, so the new pictures are written beside the store first and moved into
place only after the database commit (``os.replace``: atomic); a rollback throws them away. Files of
deleted items are removed after the commit too, as ``app.media.operations.delete_media`` expects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.consent.vocabulary import MediaType
from app.extensions import db
from app.media.ingest import media_storage
from app.media.models import MediaItem
from app.media.photos import THUMBNAIL, pixelate
from app.media.storage import derivative_key

PENDING_FILES = "beeldrecht_pending_files"


@dataclass(frozen=True)
class Redaction:
    """What was done to one item: the stored pictures rewritten, and whether the person may still
    be seen somewhere we have no box for (a film's poster and playback, a sound, a photo tag
    without a box)."""

    pictures: int
    complete: bool


def redact_person(item: MediaItem, person_id: int) -> Redaction:
    """Prepare the item's pictures with ``person_id``'s boxes pixelated; they replace the stored
    ones after the commit. Call while the person's tag and faces are still there."""
    if item.media_type is MediaType.AUDIO:
        return Redaction(0, complete=False)
    faces = [face for face in item.faces if face.person_id == person_id]
    pictures = 0
    if item.media_type is MediaType.PHOTO:
        boxes = [box for tag in item.tags if tag.person_id == person_id and (box := tag.box) is not None]
        boxes += [face.box for face in faces if face.frame_ms is None]
        if boxes:
            _blur_display_and_thumbnail(item, boxes)
            pictures = 2
        return Redaction(pictures, complete=bool(boxes))
    frames: dict[str, list[list[float]]] = {}
    stored = {ms for face in item.faces for ms, _box in face.stills}  # some track's still: on disk
    for face in faces:  # their boxes on every stored frame, their own stills and other tracks' alike
        on_frames = dict(face.stills)
        for row in face.track or []:
            if int(row[0]) in stored:
                on_frames.setdefault(int(row[0]), [float(v) for v in row[1:5]])
        for ms, box in on_frames.items():
            frames.setdefault(f"frame_{ms}.jpg", []).append(box)
    for name, boxes in sorted(frames.items()):
        blurred = _blurred(derivative_key(item.sha256, name), boxes)
        _replace_after_commit(blurred, derivative_key(item.sha256, name))
        pictures += 1
    return Redaction(pictures, complete=False)  # the poster and the playback copy have no box


def _blur_display_and_thumbnail(item: MediaItem, boxes: list[list[float]]) -> None:
    display = _blurred(derivative_key(item.sha256, "display.jpg"), boxes)
    with Image.open(display, formats=["JPEG"]) as image:
        small = image.convert("RGB")
    small.thumbnail((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    thumbnail = _temporary()
    small.save(thumbnail, format="JPEG", quality=85, optimize=True, progressive=True)
    _replace_after_commit(display, derivative_key(item.sha256, "display.jpg"))
    _replace_after_commit(thumbnail, derivative_key(item.sha256, "thumbnail.jpg"))


def _blurred(key: str, boxes: list[list[float]]) -> Path:
    """A clean JPEG of the stored picture ``key`` with ``boxes`` pixelated, beside the store."""
    with media_storage().open(key) as handle, Image.open(handle, formats=["JPEG"]) as image:
        picture = Image.new("RGB", image.size)
        picture.paste(image.convert("RGB"))  # pixels only: nothing but pixels is carried over
    for box in boxes:
        pixelate(picture, box)
    target = _temporary()
    picture.save(target, format="JPEG", quality=85, optimize=True, progressive=True)
    return target


def _temporary() -> Path:
    with media_storage().temporary_file() as handle:
        return Path(handle.name)


def _replace_after_commit(source: Path, key: str) -> None:
    db.session.info.setdefault(PENDING_FILES, {"replace": [], "delete": []})["replace"].append((source, key))


def delete_after_commit(keys: list[str]) -> None:
    """Remove these stored files once the transaction has committed (kept if it rolls back)."""
    db.session.info.setdefault(PENDING_FILES, {"replace": [], "delete": []})["delete"].extend(keys)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_FILES, None)
    if not pending:
        return
    storage = media_storage()
    for source, key in pending["replace"]:
        try:
            storage.put(source, key)
        except OSError:  # the erasure stands; the item stays quarantined
            current_app.logger.exception("a redacted picture could not be put in place")
    for key in pending["delete"]:
        storage.delete(key)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    pending = session.info.pop(PENDING_FILES, None)
    if pending:
        for source, _key in pending["replace"]:
            os.unlink(source)

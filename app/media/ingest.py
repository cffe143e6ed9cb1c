"""Taking in an upload: stream it to a temporary file while hashing and counting (a film is never
held in memory, and an oversized file is refused while it streams), decide what it is from its
bytes, check it by decoding it, make clean derivatives, store everything content-addressed, and
only then add the database row (the caller commits)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.consent.vocabulary import MediaType
from app.extensions import db
from app.media import photos
from app.media.models import Album, MediaItem
from app.media.sniffing import sniff
from app.media.storage import LocalStorage, derivative_key, original_key

CHUNK = 1024 * 1024


class MediaRejected(Exception):
    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Ingested:
    item: MediaItem
    created: bool


def media_storage() -> LocalStorage:
    root = current_app.config.get("MEDIA_ROOT") or os.path.join(current_app.instance_path, "media")
    return LocalStorage(Path(root))


def _limit(media_type: MediaType) -> int:
    return int(current_app.config[f"{media_type.value.upper()}_MAX_BYTES"])


def ingest_upload(stream: IO[bytes], *, album: Album, uploaded_by: User | None) -> Ingested:
    storage = media_storage()
    temporary = storage.temporary_file()
    made: list[Path] = [Path(temporary.name)]
    try:
        digest, size, kind = hashlib.sha256(), 0, None
        with temporary:
            while chunk := stream.read(CHUNK):
                if kind is None:
                    kind = sniff(chunk[:64])
                    if kind is None:
                        raise MediaRejected(
                            "unsupported",
                            _("This is not a file Beeldrecht accepts: send JPEG, PNG, WebP or HEIC photos."),
                            415,
                        )
                size += len(chunk)
                if size > _limit(kind.media_type):
                    limit = _limit(kind.media_type) // 2**20
                    raise MediaRejected("too_large", _("The file is larger than %(n)d MB.", n=limit), 413)
                digest.update(chunk)
                temporary.write(chunk)
        if kind is None:
            raise MediaRejected("empty", _("The file is empty."), 400)
        sha256 = digest.hexdigest()
        existing = db.session.scalar(select(MediaItem).where(MediaItem.sha256 == sha256))
        if existing is not None:
            return Ingested(existing, created=False)
        if kind.media_type is not MediaType.PHOTO:
            raise MediaRejected(
                "unsupported",
                _("Films and sound recordings cannot be uploaded yet: send JPEG, PNG, WebP or HEIC photos."),
                415,
            )
        max_pixels = int(current_app.config["PHOTO_MAX_PIXELS"])
        try:
            info = photos.inspect_photo(Path(temporary.name), kind.format, max_pixels)
            for name, side in (("thumbnail.jpg", photos.THUMBNAIL), ("display.jpg", photos.DISPLAY)):
                target = Path(temporary.name + "-" + name)
                made.append(target)
                photos.clean_copy(Path(temporary.name), kind.format, max_pixels, side, target)
        except photos.PhotoRejected as problem:
            messages = {
                "too_many_pixels": _("The photo has too many pixels: at most %(n)d megapixels.", n=max_pixels // 10**6),
                "broken": _("The photo is damaged or incomplete."),
            }
            raise MediaRejected(
                problem.code, messages.get(problem.code, _("The file is not a readable photo."))
            ) from None
        for name, path in (("thumbnail.jpg", made[1]), ("display.jpg", made[2])):
            storage.put(path, derivative_key(sha256, name))
        storage.put(Path(temporary.name), original_key(sha256))
        item = MediaItem(
            sha256=sha256,
            media_type=kind.media_type,
            mime_type=kind.mime,
            size_bytes=size,
            width=info.width,
            height=info.height,
            group_id=album.group_id,
            album_id=album.id,
            uploaded_by_id=uploaded_by.id if uploaded_by else None,
        )
        db.session.add(item)
        db.session.flush()
        record(
            "media.uploaded",
            target=item,
            actor_id=uploaded_by.id if uploaded_by else None,
            media_type=kind.media_type.value,
            size=size,
            group_id=album.group_id,
        )
        return Ingested(item, created=True)
    finally:
        for path in made:
            path.unlink(missing_ok=True)

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

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.consent.vocabulary import MediaType
from app.errors import DomainError
from app.extensions import db
from app.media import faces, formats, photos, recordings
from app.media.models import Album, Face, MediaItem
from app.media.sniffing import sniff
from app.media.storage import LocalStorage, derivative_key, original_key

CHUNK = 1024 * 1024


class MediaRejected(DomainError):
    """An upload that is not taken in; the status depends on why (415, 413, 400, 422)."""

    statuses = {"unsupported": 415, "too_large": 413, "empty": 400}


@dataclass(frozen=True)
class Ingested:
    item: MediaItem
    created: bool


UPLOAD_ENDPOINTS = frozenset({"media.upload", "media_api.post_media"})


def raise_upload_limit() -> None:
    """Media uploads may be far larger than any other request (MAX_CONTENT_LENGTH): lift the limit
    for the two upload endpoints only, to the largest media limit plus room for the form fields.
    Registered before CSRF protection, which is the first to read the form. Each file is still
    held to its own type's limit while it streams (``ingest_upload``)."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        largest = max(int(current_app.config[f"{kind}_MAX_BYTES"]) for kind in ("PHOTO", "FILM", "AUDIO"))
        request.max_content_length = largest + 2**20


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
                            _(
                                "This is not a file Beeldrecht accepts. Send photos (JPEG, PNG, WebP, HEIC), "
                                "films (MP4, MOV, WebM) or sound (M4A, MP3, WAV, OGG)."
                            ),
                        )
                size += len(chunk)
                if size > _limit(kind.media_type):
                    limit = _limit(kind.media_type) // 2**20
                    raise MediaRejected("too_large", _("The file is larger than %(n)d MB.", n=limit))
                digest.update(chunk)
                temporary.write(chunk)
        if kind is None:
            raise MediaRejected("empty", _("The file is empty."))
        sha256 = digest.hexdigest()
        existing = db.session.scalar(select(MediaItem).where(MediaItem.sha256 == sha256))
        if existing is not None:
            return Ingested(existing, created=False)
        derivatives: list[tuple[str, Path]] = []
        found: list[tuple[int | None, faces.FaceBox]] = []
        playback_name: str | None = None
        width: int | None
        height: int | None
        duration: float | None = None
        side = int(current_app.config["FACE_DETECTION_SIDE"])
        threshold = float(current_app.config["FACE_DETECTION_THRESHOLD"])
        max_pixels = int(current_app.config["PHOTO_MAX_PIXELS"])
        thumbnail, display = Path(temporary.name + "-thumbnail.jpg"), Path(temporary.name + "-display.jpg")
        if kind.media_type is MediaType.PHOTO:
            made += [thumbnail, display]
            try:
                info, shown = photos.derivatives(Path(temporary.name), kind, max_pixels, thumbnail, display)
            except photos.PhotoRejected as problem:
                raise MediaRejected(problem.code, _photo_message(problem.code, max_pixels)) from None
            width, height = info.width, info.height
            derivatives += [("thumbnail.jpg", thumbnail), ("display.jpg", display)]
            found += [(None, face) for face in faces.detect_faces(shown, side, threshold)]
        else:
            max_seconds = int(current_app.config[f"{kind.media_type.value.upper()}_MAX_SECONDS"])
            is_film = kind.media_type is MediaType.FILM
            poster, playback = Path(temporary.name + "-poster.jpg"), Path(temporary.name + "-playback")
            made += [poster, playback]
            try:
                with recordings.isolated(Path(temporary.name)) as alone:
                    recording = recordings.probe(alone, kind, max_seconds, poster if is_film else None)
                    extension = recordings.clean_playback(alone, kind, playback)
                    playback_name = f"playback.{extension}"
                    derivatives.append((playback_name, playback))
                    if is_film:
                        count = int(current_app.config["FILM_FACE_SAMPLES"])
                        for at, frame in recordings.sample_frames(alone, kind, recording.duration, count, side):
                            boxes = faces.detect_faces(frame, side, threshold)
                            if boxes:
                                still = Path(f"{temporary.name}-frame_{at}.jpg")
                                made.append(still)
                                frame.save(still, format="JPEG", quality=85)
                                derivatives.append((f"frame_{at}.jpg", still))
                                found += [(at, face) for face in boxes]
            except recordings.RecordingRejected as problem:
                raise MediaRejected(problem.code, _recording_message(problem.code, max_seconds)) from None
            width, height, duration = recording.width, recording.height, recording.duration
            if is_film:
                made += [thumbnail, display]
                try:
                    photos.derivatives(poster, formats.JPEG, max_pixels, thumbnail, display)
                except photos.PhotoRejected as problem:
                    raise MediaRejected(problem.code, _photo_message(problem.code, max_pixels)) from None
                derivatives += [("thumbnail.jpg", thumbnail), ("display.jpg", display)]
        for name, path in derivatives:
            storage.put(path, derivative_key(sha256, name))
        storage.put(Path(temporary.name), original_key(sha256))
        item = MediaItem(
            sha256=sha256,
            media_type=kind.media_type,
            mime_type=kind.mime,
            size_bytes=size,
            width=width,
            height=height,
            duration_seconds=duration,
            group_id=album.group_id,
            album_id=album.id,
            uploaded_by_id=uploaded_by.id if uploaded_by else None,
            playback_name=playback_name,
            faces=[Face(frame_ms=at, box_x=f.x, box_y=f.y, box_w=f.w, box_h=f.h, score=f.score) for at, f in found],
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
            faces=len(found),
        )
        return Ingested(item, created=True)
    finally:
        for path in made:
            path.unlink(missing_ok=True)


def _photo_message(code: str, max_pixels: int) -> str:
    messages = {
        "too_many_pixels": _("The photo has too many pixels: at most %(n)d megapixels.", n=max_pixels // 10**6),
        "broken": _("The photo is damaged or incomplete."),
    }
    return str(messages.get(code, _("The file is not a readable photo.")))


def _recording_message(code: str, max_seconds: int) -> str:
    messages = {
        "too_long": _("The recording is longer than %(n)d minutes.", n=max_seconds // 60),
        "no_video": _("This file holds no picture: upload it as a sound recording, or choose another file."),
        "no_audio": _("This sound file holds no sound."),
        "broken": _("The recording is damaged or incomplete."),
    }
    return str(messages.get(code, _("The file is not a readable film or sound recording.")))

"""Taking in an upload: stream it to a temporary file while hashing and counting (a film is never
held in memory, and an oversized file is refused while it streams), decide what it is from its
bytes, check it by decoding it, make clean derivatives, store everything content-addressed, and
only then add the database row (the caller commits).

A photo is finished in the request. A film or sound recording is only probed there (it opens with
its forced demuxer, has the right streams and a length within the limit): its row is added as
``processing`` with a job (``app.media.tasks``) that makes the playback copy, the poster and the
faces later (``process_recording``)."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask import current_app, request
from flask_babel import gettext as _
from PIL import Image
from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.consent.vocabulary import MediaType
from app.errors import DomainError
from app.extensions import db
from app.jobs.queue import enqueue
from app.media import faces, formats, photos, recordings, rescans, tracking
from app.media.formats import MediaFormat, format_of
from app.media.models import Album, Face, MediaItem, ProcessingState
from app.media.sniffing import sniff
from app.media.storage import LocalStorage, derivative_key, original_key
from app.media.visibility import visible_media

CHUNK = 1024 * 1024
# The job that finishes taking in a film or sound recording (``app.media.tasks``).
PROCESS_JOBS = {MediaType.FILM: "film.process", MediaType.AUDIO: "audio.process"}


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


def clear_abandoned_uploads(grace_minutes: int | None = None) -> list[str]:
    """Remove what uploads left in ``incoming/`` more than ``grace_minutes`` ago (default
    ``INCOMING_GRACE_MINUTES``, an hour): the temporary files and probe folders of a worker that
    was killed mid-upload. An upload in progress is younger and stays. The job queue calls this
    periodically; ``flask media clear-incoming`` runs it by hand. The names removed."""
    minutes = int(current_app.config["INCOMING_GRACE_MINUTES"]) if grace_minutes is None else grace_minutes
    return media_storage().clear_incoming(minutes * 60)


def _limit(media_type: MediaType) -> int:
    return int(current_app.config[f"{media_type.value.upper()}_MAX_BYTES"])


def ingest_upload(stream: IO[bytes], *, album: Album, uploaded_by: User | None) -> Ingested:
    """Take in one upload: receive it, find the same bytes uploaded before among the items the
    uploader may see, or make a new item: its derivatives decoded (or, when the bytes are already
    stored for an item the uploader may not see, that item's files shared), the files stored, and
    the row added. Every temporary file goes, whatever happens.

    The answer never names an item the uploader may not see: the same photo uploaded by the
    teachers of two groups is two items, one in each group, each with its own tags and faces."""
    storage = media_storage()
    temporary = storage.temporary_file()
    original = Path(temporary.name)
    made: list[Path] = [original]
    try:
        received = _receive(stream, temporary)
        existing = _seen_before(received.sha256, uploaded_by)
        if existing is not None:
            return Ingested(existing, created=False)
        twin = _stored_twin(received.sha256, storage)
        if twin is not None:
            derived = _shared_with(twin)
        elif received.media_format.media_type is MediaType.PHOTO:
            derived = _derive_photo(original, received.media_format, made)
        else:  # the rest is a job's work: process_recording
            derived = _probe_recording(original, received.media_format)
        for name, path in derived.files:
            _put_unless_stored(storage, path, derivative_key(received.sha256, name))
        _put_unless_stored(storage, original, original_key(received.sha256))
        item = _add_item(received, derived, album, uploaded_by)
        if derived.processing:
            enqueue(PROCESS_JOBS[item.media_type], item.id)
        return Ingested(item, created=True)
    finally:
        for path in made:
            path.unlink(missing_ok=True)


def _seen_before(sha256: str, uploaded_by: User | None) -> MediaItem | None:
    """The item with these bytes that the uploader may see (``app.media.visibility``); without an
    uploader (the command line, the demo) any item with these bytes."""
    query = select(MediaItem) if uploaded_by is None else visible_media(uploaded_by)
    return db.session.scalar(query.where(MediaItem.sha256 == sha256).order_by(MediaItem.id).limit(1))


def _stored_twin(sha256: str, storage: LocalStorage) -> MediaItem | None:
    """An item (the uploader may not see) whose stored files are these bytes' files, held FOR SHARE
    until the new item is committed: its deletion (``delete_media``, which locks it first) then
    waits, and counts the new item among the users of the files, so it leaves them in place. None
    when there is none, when a file of it is missing (the upload then makes them anew), or when it
    is not ready: a film or sound still processing, refused or failed has no derivatives or faces to
    share yet, and the new item is processed (and judged) on its own."""
    twin = db.session.scalar(
        select(MediaItem).where(MediaItem.sha256 == sha256).order_by(MediaItem.id).limit(1).with_for_update(read=True)
    )
    if twin is None or twin.processing_state is not ProcessingState.READY:
        return None
    keys = [original_key(sha256)] + [derivative_key(sha256, name) for name in twin.derivative_names()]
    return twin if all(storage.exists(key) for key in keys) else None


def _shared_with(twin: MediaItem) -> _Derived:
    """What decoding made of these bytes before, read from the item that has them: the size and
    length, the playback copy's name and the detected faces (boxes only, unresolved: the new item's
    people are resolved by its own group's staff). The files are already stored."""
    found = [
        _Found(faces.FaceBox(f.box_x, f.box_y, f.box_w, f.box_h, f.score), f.frame_ms, f.first_ms, f.last_ms, f.track)
        for f in twin.faces
    ]
    shared = _Derived(twin.width, twin.height, twin.duration_seconds, twin.playback_name, found=found)
    shared.sampled_only = twin.sampled_only  # its faces were found as the twin's were
    return shared


def _put_unless_stored(storage: LocalStorage, source: Path, key: str) -> None:
    """Store a file unless one is there under its key (content-addressed, so it holds the same
    bytes, or a version with a person pixelated out by ``app.media.redaction``, which must stay)."""
    if not storage.exists(key):
        storage.put(source, key)


@dataclass(frozen=True)
class _Received:
    sha256: str
    size: int
    media_format: MediaFormat


@dataclass(frozen=True)
class _Found:
    """A face found: on a photo its box; on a film its track (``app.media.tracking``): the
    representative box and its frame, the first and last millisecond, and the boxes per frame."""

    box: faces.FaceBox
    frame_ms: int | None = None
    first_ms: int | None = None
    last_ms: int | None = None
    track: list[list[float]] | None = None

    def row(self) -> Face:
        b = self.box
        return Face(
            frame_ms=self.frame_ms,
            first_ms=self.first_ms,
            last_ms=self.last_ms,
            track=self.track,
            box_x=b.x,
            box_y=b.y,
            box_w=b.w,
            box_h=b.h,
            score=b.score,
        )

    @classmethod
    def of_track(cls, track: tracking.Track) -> _Found:
        at, box = track.representative
        return cls(box, at, track.first_ms, track.last_ms, track.rows())


@dataclass
class _Derived:
    """What decoding made of an upload: its size and length, the files to store beside the
    original (derivative name, temporary path), and the faces found (a film's as tracks)."""

    width: int | None
    height: int | None
    duration: float | None = None
    playback_name: str | None = None
    files: list[tuple[str, Path]] = field(default_factory=list)
    found: list[_Found] = field(default_factory=list)
    processing: bool = False
    sampled_only: bool = False


def _receive(stream: IO[bytes], temporary: IO[bytes]) -> _Received:
    """Stream the upload into ``temporary`` while hashing and counting. The first chunk decides
    the format (so an unaccepted file is refused before it is stored), and the format's size limit
    is held while the bytes arrive, not after."""
    digest, size, media_format = hashlib.sha256(), 0, None
    with temporary:
        while chunk := stream.read(CHUNK):
            if media_format is None:
                media_format = _sniffed(chunk)
            size += len(chunk)
            if size > _limit(media_format.media_type):
                limit = _limit(media_format.media_type) // 2**20
                raise MediaRejected("too_large", _("The file is larger than %(n)d MB.", n=limit))
            digest.update(chunk)
            temporary.write(chunk)
    if media_format is None:
        raise MediaRejected("empty", _("The file is empty."))
    return _Received(digest.hexdigest(), size, media_format)


def _sniffed(chunk: bytes) -> MediaFormat:
    media_format = sniff(chunk[:64])
    if media_format is None:
        raise MediaRejected(
            "unsupported",
            _(
                "This is not a file Beeldrecht accepts. Send photos (%(photos)s), films (%(films)s) "
                "or sound (%(sounds)s).",
                photos=formats.labels(MediaType.PHOTO),
                films=formats.labels(MediaType.FILM),
                sounds=formats.labels(MediaType.AUDIO),
            ),
        )
    return media_format


def _derive_photo(original: Path, media_format: MediaFormat, made: list[Path]) -> _Derived:
    """A photo's thumbnail and display image, and the faces on the display image."""
    info, shown, files = _pictures(original, media_format, original, made)
    return _Derived(info.width, info.height, files=files, found=[_Found(face) for face in _detect(shown)])


def _max_seconds(media_format: MediaFormat) -> int:
    return int(current_app.config[f"{media_format.media_type.value.upper()}_MAX_SECONDS"])


def _probe_recording(original: Path, media_format: MediaFormat) -> _Derived:
    """The quick check of a film or sound in the request, alone in an empty folder: it opens with
    its forced demuxer, has the streams of its kind, and its length is known and within the limit.
    A broken file is refused here (422); the slow work is the job's."""
    max_seconds = _max_seconds(media_format)
    try:
        with recordings.isolated(original) as alone:
            recording = recordings.probe(alone, media_format, max_seconds, None)
    except recordings.RecordingRejected as problem:
        raise MediaRejected(problem.code, _recording_message(problem.code, max_seconds)) from None
    return _Derived(recording.width, recording.height, recording.duration, processing=True)


def process_recording(item: MediaItem, progress: Callable[[int], None]) -> None:
    """The slow part of taking in a film or sound (a job's work): from the stored original, the
    tag-free playback copy, a film's poster (thumbnail and display image) and the faces on its
    densely scanned frames, linked into tracks. Everything is made under temporary names and moved
    into place at the end; the row is updated (``ready``, with its faces, replacing any an earlier
    try or a sampled scan left: resolutions carried over by ``app.media.rescans``) but not
    committed: the job commits it together with its own "done".
    ``MediaRejected`` when the file turns out not to decode."""
    storage = media_storage()
    sha256, media_format = item.sha256, format_of(item.mime_type)
    progress(1)  # ends the transaction that read the row (on SQLite it holds the write lock) before the slow work
    with storage.temporary_file() as handle:
        copy = Path(handle.name)
    made: list[Path] = [copy]
    try:
        copy.unlink()
        try:
            os.link(storage.local_path(original_key(sha256)), copy)
        except OSError:
            shutil.copyfile(storage.local_path(original_key(sha256)), copy)
        derived = _derive_recording(copy, media_format, made, progress)
        for name, path in derived.files:
            storage.put(path, derivative_key(sha256, name))
    finally:
        for path in made:
            path.unlink(missing_ok=True)
    item.width, item.height, item.duration_seconds = derived.width, derived.height, derived.duration
    item.playback_name = derived.playback_name
    before, found = list(item.faces), [found.row() for found in derived.found]
    carried = rescans.carry_over(before, found)  # a film scanned again keeps what staff resolved
    item.faces = found  # replaces whatever an earlier, killed try (or the sampled scan) left
    if item.sampled_only:
        record("media.rescanned", target=item, faces_before=len(before), tracks=len(found), carried_over=carried)
    item.processing_state, item.processing_note, item.sampled_only = ProcessingState.READY, None, False


def refusal_message(code: str | None, media_format: MediaFormat) -> str:
    """Why a job refused a recording, in the reader's language (the item page)."""
    return _recording_message(code or "", _max_seconds(media_format))


def _derive_recording(
    original: Path, media_format: MediaFormat, made: list[Path], progress: Callable[[int], None]
) -> _Derived:
    """Film or sound: probed and remuxed into its tag-free playback copy, alone in an empty folder;
    a film is also scanned for faces (most of the work), and gets a thumbnail and display image of
    its poster frame. ``progress`` hears how far it is (in percent)."""
    max_seconds = _max_seconds(media_format)
    is_film = media_format.media_type is MediaType.FILM
    poster, playback = Path(f"{original}-poster.jpg"), Path(f"{original}-playback")
    made += [poster, playback]
    try:
        with recordings.isolated(original) as alone:
            recording = recordings.probe(alone, media_format, max_seconds, poster if is_film else None)
            progress(10)
            playback_name = f"playback.{recordings.clean_playback(alone, media_format, playback)}"
            progress(SCAN_FROM if is_film else 90)
            derived = _Derived(recording.width, recording.height, recording.duration, playback_name)
            derived.files.append((playback_name, playback))
            if is_film:
                _track_faces(alone, media_format, original, made, derived, progress)
    except recordings.RecordingRejected as problem:
        raise MediaRejected(problem.code, _recording_message(problem.code, max_seconds)) from None
    if is_film:
        _info, _shown, pictures = _pictures(poster, formats.JPEG, original, made)
        derived.files += pictures
    return derived


SCAN_FROM, SCAN_TO = 15, 95  # the share of a film's progress that its face scan reports
# The scan reports at least this often, even when its percentage stands still (a long film): the
# report is the job's heartbeat, and a job silent for JOB_STALE_SECONDS is sent again.
HEARTBEAT_SECONDS = 20


def _track_faces(
    alone: Path,
    media_format: MediaFormat,
    original: Path,
    made: list[Path],
    derived: _Derived,
    progress: Callable[[int], None],
) -> None:
    """Scan the film at ``FILM_DETECTION_FPS`` frames a second (each frame at most
    ``FILM_DETECTION_SIDE`` pixels), find the faces on every scanned frame and link them into tracks
    (``app.media.tracking``): each track is one face to resolve. A frame with faces is kept (on disk,
    never in memory) only while a track may still use it as a still; in the end each track has up
    to three (first, representative, last). The item's length becomes the one the scan measured (a
    header may claim another)."""
    fps, side = float(current_app.config["FILM_DETECTION_FPS"]), int(current_app.config["FILM_DETECTION_SIDE"])
    scan = recordings.FilmScan(alone, media_format, fps, _max_seconds(media_format), side)
    linker = tracking.TrackLinker()
    kept: dict[int, Path] = {}
    claimed, reported, beat = (derived.duration or 0) * 1000, SCAN_FROM, time.monotonic()
    for at, frame in scan:
        percent = SCAN_FROM + int((SCAN_TO - SCAN_FROM) * min(1.0, at / claimed)) if claimed > 0 else SCAN_FROM
        if percent > reported or time.monotonic() - beat > HEARTBEAT_SECONDS:
            progress(max(percent, reported))
            reported, beat = max(percent, reported), time.monotonic()
        boxes = _detect(frame, side)
        linker.add(at, boxes)  # a frame without faces counts too: a track ends after a second without its face
        if not boxes:
            continue
        still = Path(f"{original}-frame_{at}.jpg")
        made.append(still)
        frame.save(still, format="JPEG", quality=85)
        kept[at] = still
        needed = linker.still_ms()
        for ms in [ms for ms in kept if ms not in needed]:
            kept.pop(ms).unlink(missing_ok=True)
    if scan.seconds > 0:
        derived.duration = scan.seconds
    derived.files += [(f"frame_{ms}.jpg", still) for ms, still in sorted(kept.items())]
    derived.found += [_Found.of_track(track) for track in linker.tracks]


def _pictures(
    source: Path, media_format: MediaFormat, original: Path, made: list[Path]
) -> tuple[photos.PhotoInfo, Image.Image, list[tuple[str, Path]]]:
    """The clean thumbnail and display image of a photo (or a film's poster frame): the size, the
    display image (for face detection) and the files to store."""
    max_pixels = int(current_app.config["PHOTO_MAX_PIXELS"])
    thumbnail, display = Path(f"{original}-thumbnail.jpg"), Path(f"{original}-display.jpg")
    made += [thumbnail, display]
    try:
        info, shown = photos.derivatives(source, media_format, max_pixels, thumbnail, display)
    except photos.PhotoRejected as problem:
        raise MediaRejected(problem.code, _photo_message(problem.code, max_pixels)) from None
    return info, shown, [("thumbnail.jpg", thumbnail), ("display.jpg", display)]


def _detect(picture: Image.Image, side: int | None = None) -> list[faces.FaceBox]:
    """Faces on a photo (at most ``FACE_DETECTION_SIDE`` pixels) or a film's frame (``side``)."""
    side = side or int(current_app.config["FACE_DETECTION_SIDE"])
    return faces.detect_faces(picture, side, float(current_app.config["FACE_DETECTION_THRESHOLD"]))


def _add_item(received: _Received, derived: _Derived, album: Album, uploaded_by: User | None) -> MediaItem:
    """The row, with its faces, and its audit entry; added only once every file is in place."""
    item = MediaItem(
        sha256=received.sha256,
        media_type=received.media_format.media_type,
        mime_type=received.media_format.mime,
        size_bytes=received.size,
        width=derived.width,
        height=derived.height,
        duration_seconds=derived.duration,
        group_id=album.group_id,
        album_id=album.id,
        uploaded_by_id=uploaded_by.id if uploaded_by else None,
        playback_name=derived.playback_name,
        processing_state=ProcessingState.PROCESSING if derived.processing else ProcessingState.READY,
        faces=[found.row() for found in derived.found],
        sampled_only=derived.sampled_only,
    )
    db.session.add(item)
    db.session.flush()
    record(
        "media.uploaded",
        target=item,
        actor_id=uploaded_by.id if uploaded_by else None,
        media_type=received.media_format.media_type.value,
        size=received.size,
        group_id=album.group_id,
        faces=len(derived.found),
    )
    return item


def _photo_message(code: str, max_pixels: int) -> str:
    messages = {
        "too_many_pixels": _("The photo has too many pixels: at most %(n)d megapixels.", n=max_pixels // 10**6),
        "broken": _("The photo is damaged or incomplete."),
        "too_much_metadata": _(
            "The photo carries more embedded text than Beeldrecht reads. Save it again without its "
            "text or metadata (for instance by exporting it) and upload that copy."
        ),
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

"""Films and sound as a channel takes them: made from the original by ``app.media.transcode`` once
per (file, longest side, bitrate cap) and kept under ``channels/`` in storage, so two exports of
the same film to the same kind of channel encode it once.

The copies are a cache: made again when missing, not in backups, and deleted with the last item
that has these bytes (``app.media.operations.delete_item``). Their names say only the size and
the cap (``film_1080_3500.mp4``, ``sound_128.m4a``), never anything about who is in them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from app.consent.vocabulary import MediaType
from app.media.film_blur import FilmBlur, Row, digest
from app.media.formats import format_of
from app.media.ingest import media_storage
from app.media.models import MediaItem
from app.media.storage import channel_copy_key, original_key
from app.media.transcode import Progress, film_for_channel, sound_for_channel

SOUND_KBPS = 128  # sound alone: AAC at this rate, or the channel's cap when it is lower


Tracks = Sequence[Sequence[Row]]  # the face tracks to pixelate, each its [ms, x, y, w, h] rows


def copy_name(media_type: MediaType, max_side: int | None, max_kbps: int, blur: Tracks = ()) -> str:
    if media_type is MediaType.FILM:
        blurred = f"_blurred_{digest(blur)}" if blur else ""
        return f"film_{max_side or 'full'}_{max_kbps}{blurred}.mp4"
    if media_type is MediaType.AUDIO:
        return f"sound_{min(max_kbps, SOUND_KBPS)}.m4a"
    raise ValueError("only films and sound have channel copies")


def copy_key(item: MediaItem, max_side: int | None, max_kbps: int, blur: Tracks = ()) -> str:
    return channel_copy_key(item.sha256, copy_name(item.media_type, max_side, max_kbps, blur))


def has_copy(item: MediaItem, max_side: int | None, max_kbps: int, blur: Tracks = ()) -> bool:
    return media_storage().exists(copy_key(item, max_side, max_kbps, blur))


def make_copy(
    item: MediaItem, max_side: int | None, max_kbps: int, progress: Progress | None = None, blur: Tracks = ()
) -> str:
    """The storage key of the item's copy for this size and cap (and ``blur``: a film's face tracks
    pixelated), made now if it is not there yet (in a temporary folder of ``incoming``, moved into
    place whole). ``RecordingRejected`` when the original cannot be read."""
    if blur and item.media_type is not MediaType.FILM:
        raise ValueError("only a film's face tracks can be pixelated")
    storage = media_storage()
    key = copy_key(item, max_side, max_kbps, blur)
    if storage.exists(key):
        return key
    media_format = format_of(item.mime_type)
    with tempfile.TemporaryDirectory(dir=storage.incoming, prefix="channel-") as folder:
        source, target = Path(folder) / "original", Path(folder) / "copy"
        _link_or_copy(storage.local_path(original_key(item.sha256)), source)
        if item.media_type is MediaType.FILM:
            film_for_channel(
                source, target, max_side, max_kbps, media_format=media_format, progress=progress, blur=FilmBlur(blur)
            )
        else:
            sound_for_channel(source, target, min(max_kbps, SOUND_KBPS), media_format=media_format)
        storage.put(target, key)
    return key


def copy_keys(sha256: str) -> list[str]:
    """Every channel copy stored for these bytes (to delete them with the last item)."""
    folder = channel_copy_key(sha256, "").rstrip("/")
    return [channel_copy_key(sha256, name) for name in media_storage().names_in(folder)]


def _link_or_copy(path: Path, to: Path) -> None:
    try:
        os.link(path, to)
    except OSError:
        shutil.copyfile(path, to)

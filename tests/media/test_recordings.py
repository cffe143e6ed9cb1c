"""Films and sound: accepted formats, forced demuxers, limits, and clean poster frames."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from app.extensions import db
from app.media.ingest import MediaRejected, ingest_upload, media_storage
from app.media.models import Album, MediaItem
from app.media.storage import derivative_key
from tests.media.samples import film, sound
from tests.media.test_ingest import ALLOWED_JPEG_KEYS


@pytest.fixture
def album(app, world, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    with app.app_context():
        created = Album(group_id=world["5b"], title="Kerstmusical", taken_on=date(2026, 12, 18))
        db.session.add(created)
        db.session.commit()
        yield created.id
    app.config["MEDIA_ROOT"] = None


def ingest(app, album_id, data):
    with app.app_context():
        result = ingest_upload(io.BytesIO(data), album=db.session.get(Album, album_id), uploaded_by=None)
        db.session.commit()
        item = result.item
        return item.id, item.media_type.value, item.mime_type, item.width, item.duration_seconds, item.sha256


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (film("mp4", "mpeg4"), "video/mp4"),
        (film("mov", "mpeg4"), "video/quicktime"),
        (film("webm", "libvpx"), "video/webm"),
    ],
    ids=["mp4", "mov", "webm"],
)
def test_films_are_accepted_with_a_clean_poster_frame(app, album, data, mime):
    _id, kind, got_mime, width, duration, sha = ingest(app, album, data)
    assert (kind, got_mime, width) == ("film", mime, 64)
    assert 0.5 < duration < 2
    with (
        app.app_context(),
        media_storage().open(derivative_key(sha, "display.jpg")) as handle,
        Image.open(handle) as poster,
    ):
        assert poster.size == (64, 48) and set(poster.info) <= ALLOWED_JPEG_KEYS


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (sound("mp3", "mp3"), "audio/mpeg"),
        (sound("ipod", "aac"), "audio/mp4"),
        (sound("wav", "pcm_s16le"), "audio/wav"),
        (sound("ogg", "libopus", rate=48000), "audio/ogg"),
    ],
    ids=["mp3", "m4a", "wav", "ogg"],
)
def test_sound_recordings_are_accepted(app, album, data, mime):
    _id, kind, got_mime, width, duration, _sha = ingest(app, album, data)
    assert (kind, got_mime, width) == ("audio", mime, None)
    assert 0.5 < duration < 2


def test_too_long_recordings_are_refused(app, album):
    app.config["AUDIO_MAX_SECONDS"] = 1
    try:
        with app.app_context(), pytest.raises(MediaRejected) as refused:
            ingest_upload(
                io.BytesIO(sound("wav", "pcm_s16le", seconds=3)), album=db.session.get(Album, album), uploaded_by=None
            )
    finally:
        app.config["AUDIO_MAX_SECONDS"] = 3600
    assert refused.value.code == "too_long"


BAD = [
    ("truncated mp4", film()[:200], "not_a_recording"),
    (
        "ffconcat behind an mp4 header",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"ffconcat version 1.0\nfile 'x.wav'\n",
        "not_a_recording",
    ),
]


@pytest.mark.parametrize(("case", "data", "code"), BAD, ids=[b[0] for b in BAD])
def test_broken_or_disguised_recordings_are_refused(app, album, case, data, code):
    with app.app_context():
        with pytest.raises(MediaRejected) as refused:
            ingest_upload(io.BytesIO(data), album=db.session.get(Album, album), uploaded_by=None)
        assert refused.value.code == code, case
        assert refused.value.status == 422
        db.session.rollback()
        assert db.session.query(MediaItem).count() == 0
        assert list(media_storage().entries()) == []


def tagged(data: bytes, fmt: str) -> bytes:
    """The same recording remuxed with a phone's and an editor's tags on the container and stream."""
    import av

    out = io.BytesIO()
    with av.open(io.BytesIO(data), format=fmt) as source, av.open(out, "w", format=fmt) as target:
        target.metadata.update({"title": "Sem en Noah", "comment": "Karin de Vries", "location": "+52.0907+005.1214/"})
        streams = {}
        for stream in source.streams:
            copy = target.add_stream_from_template(stream)
            copy.metadata["title"] = "Sem en Noah"
            streams[stream.index] = copy
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                target.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (film("mp4", "mpeg4"), "mp4"),
        (film("mov", "mpeg4"), "mov"),
        (film("webm", "libvpx"), "webm"),
        (sound("mp3", "mp3"), "mp3"),
        (sound("ipod", "aac", rate=44100), "ipod"),
        (sound("wav", "pcm_s16le"), "wav"),
        (sound("ogg", "libopus", rate=48000), "ogg"),
    ],
    ids=["mp4", "mov", "webm", "mp3", "m4a", "wav", "ogg"],
)
def test_the_playback_copy_carries_no_tags(app, album, data, fmt):
    import av

    source = tagged(data, fmt)
    assert b"Karin de Vries" in source or fmt == "wav"  # (WAV keeps only some tags; the title is checked too)
    item_id, _kind, _mime, _width, _duration, sha = ingest(app, album, source)
    with app.app_context():
        item = db.session.get(MediaItem, item_id)
        with media_storage().open(derivative_key(sha, item.playback_name)) as handle:
            copy = handle.read()
    for secret in (b"Karin de Vries", b"Sem en Noah", b"+52.0907"):
        assert secret not in copy
    with av.open(io.BytesIO(copy)) as container:
        assert set(container.metadata) <= {"major_brand", "minor_version", "compatible_brands", "encoder"}
        assert container.metadata.get("encoder", "Lavf") == "Lavf"  # the muxer's bare name, no version
        for stream in container.streams:
            assert set(stream.metadata) <= {"language", "handler_name", "vendor_id", "DURATION"}


def test_a_portrait_phone_film_is_shown_upright(app, album):
    """Phones store portrait films as landscape frames with a display matrix (-90 degrees)."""
    import struct

    import av

    identity = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    quarter = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    data = film("mp4", "mpeg4", size=(64, 48))
    at = data.rfind(identity)  # the track header's matrix (the movie header has one too)
    rotated = data[:at] + quarter + data[at + len(identity) :]
    item_id, _kind, _mime, _width, _duration, sha = ingest(app, album, rotated)
    with app.app_context():
        item = db.session.get(MediaItem, item_id)
        assert (item.width, item.height) == (48, 64)
        storage = media_storage()
        with storage.open(derivative_key(sha, "display.jpg")) as handle, Image.open(handle) as poster:
            assert poster.size == (48, 64)
        with storage.open(derivative_key(sha, item.playback_name)) as handle:
            copy = io.BytesIO(handle.read())
        with av.open(copy) as container:  # players turn it the same way
            assert next(container.decode(video=0)).rotation == -90

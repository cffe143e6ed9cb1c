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

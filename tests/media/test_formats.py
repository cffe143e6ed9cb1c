"""One table of the accepted formats: sniffing answers with its entries, a stored item finds its
entry again by its mime type, and the playback copy and the export's file name follow from it."""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image

from app.consent.vocabulary import MediaType
from app.media import formats
from app.media.formats import FORMATS, format_of
from app.media.sniffing import sniff
from tests.media.samples import film, sound


def _photo(fmt: str) -> bytes:
    pillow_heif.register_heif_opener()  # HEIF saving, for the test only
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 120, 10)).save(out, format=fmt)
    return out.getvalue()


RECORDINGS = {
    formats.MP4: lambda: film("mp4", "mpeg4"),
    formats.MOV: lambda: film("mov", "mpeg4"),
    formats.WEBM: lambda: film("webm", "libvpx"),
    formats.M4A: lambda: sound("ipod", "aac"),
    formats.MP3: lambda: sound("mp3", "mp3"),
    formats.WAV: lambda: sound("wav", "pcm_s16le"),
    formats.OGG: lambda: sound("ogg", "libopus", rate=48000),
}


def test_the_formats_are_named_and_offered_from_the_table():
    assert formats.labels(MediaType.PHOTO) == "JPEG, PNG, WebP, HEIC, AVIF"
    assert formats.accept(MediaType.PHOTO) == "image/jpeg,image/png,image/webp,image/heic,image/avif,image/heif"
    assert "video/quicktime" in formats.accept() and formats.accept().count("video/mp4") == 1


def test_the_table_holds_each_accepted_format_once():
    assert [f.label for f in FORMATS] == [
        "JPEG",
        "PNG",
        "WebP",
        "HEIC",
        "AVIF",
        "MP4",
        "MOV",
        "WebM",
        "M4A",
        "MP3",
        "WAV",
        "OGG",
    ]
    assert len({f.mime for f in FORMATS}) == len(FORMATS)  # format_of is unambiguous
    assert all(format_of(f.mime) is f for f in FORMATS)
    with pytest.raises(KeyError):
        format_of("application/zip")


def test_photos_are_exported_as_jpeg_films_as_mp4_and_sound_as_m4a():
    assert {f.label: f.export_extension for f in FORMATS} == {
        "JPEG": "jpg",
        "PNG": "jpg",
        "WebP": "jpg",
        "HEIC": "jpg",
        "AVIF": "jpg",
        "MP4": "mp4",
        "MOV": "mp4",
        "WebM": "mp4",
        "M4A": "m4a",
        "MP3": "m4a",
        "WAV": "m4a",
        "OGG": "m4a",
    }
    assert all((f.playback is None) == (f.media_type is MediaType.PHOTO) for f in FORMATS)
    assert formats.MOV.playback == formats.MP4.playback  # browsers play a QuickTime film remuxed as MP4


SNIFFED = [
    (lambda: _photo("JPEG"), formats.JPEG),
    (lambda: _photo("PNG"), formats.PNG),
    (lambda: _photo("WEBP"), formats.WEBP),
    (lambda: _photo("HEIF"), formats.HEIC),
    *[(make, expected) for expected, make in RECORDINGS.items()],
    (lambda: _photo("AVIF"), formats.AVIF),
    (lambda: b"\x00\x00\x00\x1cftypXXXX" + bytes(16), None),
    (lambda: b"ffconcat version 1.0\nfile 'other.wav'\n", None),  # a concat script is no film
    (lambda: b"GIF89a" + bytes(16), None),
]


@pytest.mark.parametrize(
    ("data", "expected"),
    SNIFFED,
    ids=[expected.label if expected else f"refused-{n}" for n, (_data, expected) in enumerate(SNIFFED)],
)
def test_sniffing_answers_with_an_entry_of_the_table(data, expected):
    assert sniff(data()[:64]) is expected


@pytest.fixture
def upload(app, client, login_as, world, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    login_as("teacher")

    def send(data: bytes) -> int:
        response = client.post(
            "/media/upload",
            data={
                "csrf_token": client.csrf_token(),
                "group_id": world["5b"],
                "album_title": "Formats",
                "album_date": "2026-11-02",
                "files": [(io.BytesIO(data), "x")],
            },
            content_type="multipart/form-data",
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return int(response.get_json()["results"][0]["id"])

    yield send
    app.config["MEDIA_ROOT"] = None


@pytest.mark.parametrize("media_format", list(RECORDINGS), ids=lambda f: f.label)
def test_the_playback_copy_is_served_as_its_formats_entry_says(upload, client, media_format):
    item = upload(RECORDINGS[media_format]())
    played = client.get(f"/media/{item}/playback")
    assert played.status_code == 200
    assert played.mimetype == media_format.playback.mime
    assert played.headers["Content-Disposition"].endswith(
        f"filename=beeldrecht-{item}.{media_format.playback.extension}"
    )


def test_the_upload_page_offers_what_the_table_accepts(client, login_as):
    login_as("teacher")
    page = client.get("/media/upload").get_data(as_text=True)
    assert f'accept="{formats.accept()}"' in page
    assert "(JPEG, PNG, WebP, HEIC, AVIF), films (MP4, MOV, WebM) of geluid (M4A, MP3, WAV, OGG)" in page

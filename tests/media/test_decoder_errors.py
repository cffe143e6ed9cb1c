"""Whatever a decoder raises on a hostile file is a refusal (422, nothing stored); a bug anywhere
else is still a 500 with its traceback in the log. PNG text and ICC chunks are inflated only up to
a small limit: a compressed-text bomb is refused like a pixel bomb."""

from __future__ import annotations

import io
import logging
import struct
import zlib

import av
import pytest
from PIL import Image, ImageFile
from sqlalchemy import func, select

from app.extensions import db
from app.media import faces
from app.media.decoding import DECODER_ERRORS
from app.media.ingest import media_storage
from app.media.models import MediaItem
from app.media.photos import METADATA_LIMIT
from tests.media.fuzzing import seeds


@pytest.fixture
def upload(app, client, runner, world, tmp_path):
    """Post bytes to ``POST /api/v1/media`` as the demo teacher."""
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    token = runner.invoke(args=["users", "token", "teacher@example.org"]).output.strip().splitlines()[-1]

    def send(data: bytes):
        return client.post(
            "/api/v1/media",
            headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
            data={"file": (io.BytesIO(data), "IMG_0001.png"), "group_id": world["5b"], "album": "Gym"},
            content_type="multipart/form-data",
        )

    yield send
    app.config["MEDIA_ROOT"] = None


def assert_nothing_stored(app) -> None:
    with app.app_context():
        assert db.session.scalar(select(func.count(MediaItem.id))) == 0
        storage = media_storage()
        assert list(storage.entries()) == []
        assert list(storage.incoming.iterdir()) == []


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png(before_data: list[bytes] = (), after_data: list[bytes] = ()) -> bytes:
    """A small PNG with extra chunks before its pixel data (read by ``open``) or after it (read
    while decoding)."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 160, 90)).save(out, format="PNG")
    data = out.getvalue()
    ihdr_end = 8 + 25
    iend = data.rindex(b"IEND") - 4
    return data[:ihdr_end] + b"".join(before_data) + data[ihdr_end:iend] + b"".join(after_data) + data[iend:]


BOMB = zlib.compress(bytes(64 * 2**20), 9)  # 64 MB of zeros in about 64 kB


@pytest.mark.parametrize(
    "data",
    [
        png(before_data=[chunk(b"zTXt", b"Comment\x00\x00" + BOMB)]),
        png(after_data=[chunk(b"zTXt", b"Comment\x00\x00" + BOMB)]),
        png(before_data=[chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + BOMB)]),
        png(before_data=[chunk(b"iCCP", b"Display P3\x00\x00" + BOMB)]),
        png(before_data=[chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(METADATA_LIMIT + 1)))]),
        png(before_data=[chunk(b"tEXt", b"Comment\x00" + bytes(METADATA_LIMIT - 16))] * 5),  # many, in all
    ],
    ids=["ztxt-bomb", "ztxt-bomb-after-pixels", "itxt-bomb", "iccp-bomb", "just-past-the-limit", "too-much-in-all"],
)
def test_a_png_whose_text_inflates_past_the_limit_is_refused(app, upload, data):
    response = upload(data)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "too_much_metadata" and "embedded text" in error["message"]
    assert_nothing_stored(app)


def test_a_png_with_ordinary_text_and_a_profile_is_taken_in(app, upload):
    text = chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"Sem en Noor op het schoolplein" * 1000))
    response = upload(png(before_data=[text], after_data=[chunk(b"tEXt", b"Author\x00Karin")]))
    assert response.status_code == 201
    assert response.get_json()["mime_type"] == "image/png"


def _flipped(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0xFF
    return bytes(changed)


def _huge_heic() -> bytes:
    """A HEIC whose ``ispe`` box claims a picture 4 billion pixels high."""
    data = bytearray(seeds()["heic"])
    at = data.index(b"ispe") + 12
    data[at : at + 4] = struct.pack(">I", 0xFF000000)
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (png(before_data=[b"\x00\x00\x00\x04IHDR\x00\x00\x00\x20\x00\x00\x00\x00"]), "not_a_photo"),  # ValueError
        (_flipped(seeds()["avif"], len(seeds()["avif"]) - 5), "broken"),  # libavif: colour planes not decodable
        (_huge_heic(), "broken"),  # libheif: "Security limit exceeded"
        (seeds()["jpeg"][:400], "not_a_photo"),
        (seeds()["jpeg"][:-40], "broken"),
        (seeds()["mp4"][:1000], "broken"),
        (seeds()["m4a"][: len(seeds()["m4a"]) // 2], "broken"),
    ],
    ids=[
        "png-truncated-ihdr",
        "avif-broken-planes",
        "heic-huge-size",
        "jpeg-header-cut",
        "jpeg-cut",
        "mp4-cut",
        "m4a-cut",
    ],
)
def test_broken_files_of_every_kind_are_refused(app, upload, data, code):
    response = upload(data)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code
    assert_nothing_stored(app)


def _instance(error: type[BaseException]) -> BaseException:
    return error(1, "hostile header") if issubclass(error, av.FFmpegError) else error("hostile header")


@pytest.mark.parametrize("error", DECODER_ERRORS, ids=lambda e: e.__name__)
def test_every_decoder_error_of_a_photo_is_a_422(app, upload, monkeypatch, error):
    def failing_load(self):
        raise _instance(error)

    monkeypatch.setattr(ImageFile.ImageFile, "load", failing_load)
    response = upload(seeds()["png"])
    assert response.status_code == 422, response.get_data(as_text=True)
    bomb = error is Image.DecompressionBombError
    assert response.get_json()["error"]["code"] == ("too_many_pixels" if bomb else "broken")
    assert_nothing_stored(app)


@pytest.mark.parametrize("error", DECODER_ERRORS, ids=lambda e: e.__name__)
def test_every_decoder_error_of_a_recording_is_a_422(app, upload, monkeypatch, error):
    def failing_decode(self, *streams, **kwargs):
        raise _instance(error)

    monkeypatch.setattr(av.container.InputContainer, "decode", failing_decode)
    response = upload(seeds()["mp4"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "broken"
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    ("target", "attribute"),
    [
        (faces, "detect_faces"),  # a bug after decoding, even a ValueError, is no refusal
        (ImageFile.ImageFile, "load"),  # a decoder raising what no bad file causes: a bug, not a refusal
    ],
    ids=["in-face-detection", "type-error-in-a-decoder"],
)
def test_a_programming_error_is_still_a_500_in_the_log(app, upload, monkeypatch, caplog, target, attribute):
    error = ValueError if target is faces else TypeError

    def broken(*args, **kwargs):
        raise error("a bug")

    monkeypatch.setattr(target, attribute, broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    with caplog.at_level(logging.ERROR):
        response = upload(seeds()["jpeg"])
    assert response.status_code == 500
    assert any(r.exc_info and r.exc_info[0] is error for r in caplog.records)
    assert_nothing_stored(app)

"""Taking in photos: decided by the bytes, checked by decoding, stored content-addressed, and
derivatives without any metadata. Films and sound follow in a later step."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from app.extensions import db
from app.media.ingest import MediaRejected, ingest_upload, media_storage
from app.media.models import Album, MediaItem
from app.media.storage import derivative_key, original_key

ALLOWED_JPEG_KEYS = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive", "progression", "dpi"}


def jpeg(size=(40, 20), orientation: int | None = None, comment: bytes | None = None, gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (52.0, 5.0, 0.0)}
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=comment or b"", quality=90)
    return out.getvalue()


def png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Karin de Vries")
    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info, icc_profile=b"\x00" * 128)
    return out.getvalue()


@pytest.fixture
def album(app, world, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    with app.app_context():
        created = Album(group_id=world["5b"], title="Sinterklaas 2026", taken_on=date(2026, 12, 5))
        db.session.add(created)
        db.session.commit()
        yield created.id
    app.config["MEDIA_ROOT"] = None


def ingest(app, album_id: int, data: bytes):
    with app.app_context():
        result = ingest_upload(io.BytesIO(data), album=db.session.get(Album, album_id), uploaded_by=None)
        db.session.commit()
        return result.item.id, result.created, result.item.sha256


def test_a_jpeg_is_stored_with_clean_oriented_derivatives(app, album):
    item_id, created, sha = ingest(app, album, jpeg(orientation=6, comment=b"Sem op schoot", gps=True))
    assert created
    with app.app_context():
        item = db.session.get(MediaItem, item_id)
        assert (item.width, item.height, item.mime_type) == (20, 40, "image/jpeg")  # orientation applied
        storage = media_storage()
        assert storage.exists(original_key(sha))
        for name, side in (("thumbnail.jpg", 320), ("display.jpg", 1600)):
            with storage.open(derivative_key(sha, name)) as handle, Image.open(handle) as derivative:
                assert derivative.size == (20, 40)
                assert set(derivative.info) <= ALLOWED_JPEG_KEYS, derivative.info
                assert not derivative.getexif()
                assert max(derivative.size) <= side


def test_large_photos_are_scaled_down(app, album):
    _item_id, _created, sha = ingest(app, album, jpeg(size=(4000, 3000)))
    with app.app_context():
        storage = media_storage()
        with storage.open(derivative_key(sha, "thumbnail.jpg")) as handle, Image.open(handle) as thumb:
            assert max(thumb.size) == 320
        with storage.open(derivative_key(sha, "display.jpg")) as handle, Image.open(handle) as display:
            assert display.size == (1600, 1200)


def test_png_text_and_icc_are_gone_from_derivatives(app, album):
    _item_id, _created, sha = ingest(app, album, png_with_metadata())
    with app.app_context(), media_storage().open(derivative_key(sha, "display.jpg")) as handle, Image.open(handle) as d:
        assert set(d.info) <= ALLOWED_JPEG_KEYS and "icc_profile" not in d.info


@pytest.mark.parametrize("fmt", ["WEBP", "HEIF"])
def test_webp_and_heic_photos_are_accepted(app, album, fmt):
    import pillow_heif  # noqa: F401  (registers HEIF saving)

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(out, format=fmt)
    item_id, created, _sha = ingest(app, album, out.getvalue())
    assert created
    with app.app_context():
        assert (db.session.get(MediaItem, item_id).width, db.session.get(MediaItem, item_id).height) == (64, 48)


def test_the_same_bytes_twice_find_the_existing_item(app, album):
    data = jpeg()
    first = ingest(app, album, data)
    second = ingest(app, album, data)
    assert first[0] == second[0] and second[1] is False


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "hello")
    return out.getvalue()


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, format="PNG")  # 144 megapixels, a few kB
    return out.getvalue()


BAD = [
    ("empty file", b"", "empty"),
    ("one byte", b"\xff", "unsupported"),
    ("html under an image name", b"<!doctype html><script>alert(1)</script>", "unsupported"),
    ("php", b"<?php system($_GET['c']); ?>", "unsupported"),
    ("svg with script", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "unsupported"),
    ("zip named mp4", _zip(), "unsupported"),
    ("ffconcat named mp4", b"ffconcat version 1.0\nfile 'other_upload.wav'\n", "unsupported"),
    ("hls playlist", b"#EXTM3U\n#EXT-X-VERSION:3\nhttp://example.org/a.ts\n", "unsupported"),
    ("plain text", b"just some text", "unsupported"),
    ("decompression bomb", _bomb(), "too_many_pixels"),
    ("truncated jpeg", jpeg(size=(400, 300))[:700], "broken"),
]


@pytest.mark.parametrize(("case", "data", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_are_refused_and_nothing_is_stored(app, album, case, data, code):
    with app.app_context():
        with pytest.raises(MediaRejected) as refused:
            ingest_upload(io.BytesIO(data), album=db.session.get(Album, album), uploaded_by=None)
        assert refused.value.code == code, case
        assert 400 <= refused.value.status < 500
        db.session.rollback()
        assert db.session.scalar(select(func.count(MediaItem.id))) == 0
        storage = media_storage()
        assert list(storage.entries()) == []
        assert list(storage.incoming.iterdir()) == []  # no partial file left behind


def test_an_oversized_file_is_refused_while_streaming(app, album):
    app.config["PHOTO_MAX_BYTES"] = 2 * 1024 * 1024

    class Endless(io.RawIOBase):
        served = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = (b"\xff\xd8\xff\xe0" if self.served == 0 else b"\x00") * 1
            data = (chunk + b"\x00" * (len(buffer) - len(chunk)))[: len(buffer)]
            buffer[: len(data)] = data
            self.served += len(data)
            return len(data)

    stream = Endless()
    try:
        with app.app_context(), pytest.raises(MediaRejected) as refused:
            ingest_upload(io.BufferedReader(stream), album=db.session.get(Album, album), uploaded_by=None)
    finally:
        app.config["PHOTO_MAX_BYTES"] = 50 * 1024 * 1024
    assert refused.value.status == 413
    assert stream.served <= 4 * 1024 * 1024  # stopped soon after the limit, not at the end


def test_fsck_finds_orphans_and_missing_files(app, album, runner):
    import os
    import time

    _item_id, _created, sha = ingest(app, album, jpeg())
    clean = runner.invoke(args=["media", "fsck"])
    assert clean.exit_code == 0 and "0 items with missing files, 0 orphan files" in clean.output
    with app.app_context():
        storage = media_storage()
        orphan = storage.root / original_key("ab" + "0" * 62)
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"left over")
        old = time.time() - 7200
        os.utime(orphan, (old, old))
        storage.delete(derivative_key(sha, "thumbnail.jpg"))
    found = runner.invoke(args=["media", "fsck"])
    assert found.exit_code == 1
    assert "file missing" in found.output and "orphan file: originals/ab/" in found.output
    repaired = runner.invoke(args=["media", "fsck", "--repair"])
    assert "1 orphan files and 0 unfinished uploads removed" in repaired.output and not orphan.exists()


def test_an_upload_cut_off_midway_leaves_no_row_and_fsck_clears_its_traces(app, album, runner, monkeypatch):
    import os
    import time

    from app.media import ingest as ingest_module

    calls = {"n": 0}
    original_put = ingest_module.LocalStorage.put

    def dying_put(self, source, key):
        calls["n"] += 1
        if calls["n"] == 2:  # the process dies after the first derivative was stored
            raise KeyboardInterrupt
        return original_put(self, source, key)

    monkeypatch.setattr(ingest_module.LocalStorage, "put", dying_put)
    with app.app_context(), pytest.raises(KeyboardInterrupt):
        ingest_upload(io.BytesIO(jpeg()), album=db.session.get(Album, album), uploaded_by=None)
    monkeypatch.undo()
    with app.app_context():
        db.session.rollback()
        assert db.session.scalar(select(func.count(MediaItem.id))) == 0  # no row without its files
        storage = media_storage()
        leftover = storage.incoming / "upload-killed"
        leftover.write_bytes(b"half a film")  # what a killed process leaves in incoming/
        old = time.time() - 7200
        os.utime(leftover, (old, old))
        for key, _mtime in storage.entries():
            os.utime(storage.root / key, (old, old))
    report = runner.invoke(args=["media", "fsck"])
    assert report.exit_code == 1
    assert "orphan file: derivatives/" in report.output and "unfinished upload: incoming/upload-killed" in report.output
    repaired = runner.invoke(args=["media", "fsck", "--repair"])
    assert "1 orphan files and 1 unfinished uploads removed" in repaired.output


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_shown_upright(app, album, orientation):
    """The derivative matches Pillow's own exif_transpose of the original, for all eight values."""
    from PIL import ImageChops, ImageDraw, ImageOps

    picture = Image.new("RGB", (60, 40), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, 19, 9), fill=(255, 0, 0))  # a red corner and a blue edge: any turn or flip shows
    draw.rectangle((50, 0, 59, 39), fill=(0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif, quality=95)
    _item_id, _created, sha = ingest(app, album, out.getvalue())
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(out.getvalue()))).convert("RGB")
    with app.app_context(), media_storage().open(derivative_key(sha, "display.jpg")) as handle:
        shown = Image.open(handle).convert("RGB")
        assert shown.size == expected.size
        difference = ImageChops.difference(shown, expected).convert("L")
        assert difference.getextrema()[1] < 60

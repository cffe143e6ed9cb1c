"""AVIF photos, as current phones save them: sniffed from the bytes (also when the major brand only
says "an image file"), turned upright by the container's ``irot``/``imir`` boxes, stripped like
every photo, and through the whole journey: upload, faces, tags, export."""

from __future__ import annotations

import io
import zipfile

import pytest
import skimage.data
from PIL import Image, ImageChops, ImageDraw, ImageOps, ImageStat

from app.media import formats
from app.media.ingest import media_storage
from app.media.sniffing import sniff
from app.media.storage import derivative_key
from tests.media.group_photos import ASTRONAUT_FACE, iou
from tests.release.helpers import CHANNEL_PURPOSE, Release

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>Sem op het schoolplein</rdf:RDF></x:xmpmeta>'


def avif(picture: Image.Image, orientation: int | None = None) -> bytes:
    """An AVIF with a phone's EXIF (maker, GPS) and XMP; Pillow writes an EXIF orientation as the
    ``irot``/``imir`` boxes a phone writes (and drops it from the EXIF)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 0.0)}
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    picture.save(out, format="AVIF", exif=exif, xmp=XMP, quality=90)
    return out.getvalue()


def marked_picture() -> Image.Image:
    """A red corner and a blue edge: any turn or flip shows."""
    picture = Image.new("RGB", (60, 40), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, 19, 9), fill=(255, 0, 0))
    draw.rectangle((50, 0, 59, 39), fill=(0, 0, 255))
    return picture


def box_value(data: bytes, name: bytes, mask: int) -> int | None:
    """The one-byte payload of the ``irot`` or ``imir`` box, or None when the file has none."""
    at = data.find(name)
    return data[at + 4] & mask if at >= 0 else None


def shown_by_the_boxes(picture: Image.Image, data: bytes) -> Image.Image:
    """What ISO/IEC 23008-12:2022 says a viewer shows: first ``irot`` (angle x 90 degrees
    anticlockwise), then ``imir`` (axis 0: top and bottom exchanged, 1: left and right)."""
    angle, axis = box_value(data, b"irot", 0b11), box_value(data, b"imir", 0b1)
    if angle:
        picture = picture.rotate(angle * 90, expand=True)
    if axis is not None:
        picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT if axis else Image.Transpose.FLIP_TOP_BOTTOM)
    return picture


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", formats.AVIF),
        (b"\x00\x00\x00\x18ftypavis\x00\x00\x00\x00avismsf1", formats.AVIF),  # an image sequence's first picture
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", formats.AVIF),  # the codec among the compatible
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heicmiaf", formats.HEIC),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf", formats.HEIC),  # no codec named: libheif decides
        (b"\x00\x00\x00\x14ftypisom\x00\x00\x00\x00avif", formats.MP4),  # a film that merely lists the brand
    ],
    ids=["avif", "avis", "mif1-avif", "mif1-heic", "mif1-only", "mp4"],
)
def test_avif_is_sniffed_from_the_file_type_box(data, expected):
    assert sniff(data + bytes(16)) is expected


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_irot_imir_combination_is_shown_upright(release, app, orientation):
    data = avif(marked_picture(), orientation)
    wanted = ImageOps.exif_transpose(_with_orientation(marked_picture(), orientation))
    by_the_boxes = shown_by_the_boxes(marked_picture(), data)
    assert by_the_boxes.size == wanted.size and _close(by_the_boxes, wanted)  # the file says what EXIF said
    item = release.teacher.get(f"/api/v1/media/{release.upload(data)}").get_json()
    assert item["mime_type"] == "image/avif" and (item["width"], item["height"]) == wanted.size
    with app.app_context(), media_storage().open(derivative_key(item["sha256"], "display.jpg")) as handle:
        shown = Image.open(handle).convert("RGB")
    assert shown.size == wanted.size and _close(shown, wanted)


def _with_orientation(picture: Image.Image, orientation: int) -> Image.Image:
    exif = picture.getexif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    picture.save(out, format="PNG", exif=exif)
    return Image.open(io.BytesIO(out.getvalue()))


def _close(a: Image.Image, b: Image.Image) -> bool:
    """Alike but for compression at the colour edges (a turn or flip moves the red corner and the
    blue edge: a mean difference near 100)."""
    return ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L")).mean[0] < 8


def test_an_avif_photo_goes_from_upload_to_a_clean_export(release, world, app):
    data = avif(Image.fromarray(skimage.data.astronaut()))
    response = release.teacher.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(data), "IMG_0042.avif"), "group_id": world["5b"], "album": "Gym"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    item = response.get_json()
    assert item["mime_type"] == "image/avif" and (item["width"], item["height"]) == (512, 512)
    [face] = item["faces"]  # the face guard sees the AVIF photo as it sees a JPEG
    assert iou(tuple(face["box"]), tuple(v / 512 for v in ASTRONAUT_FACE)) >= 0.5
    blocked = release.comms.get(f"/api/v1/media/{item['id']}/clearance?channel=website").get_json()
    assert "face_unresolved" in {b["code"] for b in blocked["blockers"]}
    body = {"tags": [{"person_id": world["sem"], "face_id": face["id"]}], "complete": True}
    assert release.teacher.put(f"/api/v1/media/{item['id']}/tags", json=body).status_code == 200
    release.decide("sem", "photo", CHANNEL_PURPOSE["website"], "grant")
    exported = release.export("website", [item["id"]])
    assert exported.status_code == 200, exported.get_data(as_text=True)
    bundle = release.comms.get(exported.get_json()["download_url"])
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        [name] = archive.namelist()
        assert name.endswith("-1.jpg")
        picture = archive.read(name)
    with Image.open(io.BytesIO(picture)) as shown:
        assert shown.format == "JPEG" and shown.size == (512, 512) and not shown.getexif()
    with app.app_context():
        storage = media_storage()
        derivatives = [storage.open(derivative_key(item["sha256"], n)).read() for n in ("display.jpg", "thumbnail.jpg")]
    for clean in (picture, *derivatives):
        for secret in (b"Exif", b"PhoneMaker", b"schoolplein", b"xmpmeta"):
            assert secret not in clean

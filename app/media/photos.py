"""Opening uploaded photos safely and making clean derivatives.

* Only the photo formats of ``app.media.formats`` are ever decoded, each with its own decoder
  forced (``formats=``: the one sniffing chose from the bytes), with our own pixel limit
  checked right after ``open()`` (which reads only the header) and Pillow's decompression-bomb
  warning turned into an error; truncated files are refused, never half-loaded.
* Whatever the decoders raise on a hostile file (``app.media.decoding.DECODER_ERRORS``) is a
  ``PhotoRejected``, within the decoding only. A PNG's text chunks and compressed ICC profile are
  inflated to at most ``METADATA_LIMIT`` bytes each (Pillow's default is 1 MB, 64 MB in all):
  beyond that the photo is refused, nothing is inflated further.
* AVIF is decoded by Pillow itself, HEIC by pillow-heif; both give the orientation of the
  container's ``irot``/``imir`` boxes as the EXIF orientation, which is applied like a JPEG's.
* Derivatives are built from the pixels alone, after the EXIF orientation is applied, and saved
  with explicit parameters: no EXIF, GPS, XMP, IPTC, ICC profile or comment survives (a plain
  re-save would keep JPEG comments and ICC profiles).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, PngImagePlugin

from app.consent.vocabulary import MediaType
from app.media.decoding import DECODER_ERRORS
from app.media.formats import MediaFormat

THUMBNAIL = 320
DISPLAY = 1600
# EXIF orientation -> the transposition that shows the picture upright (as ImageOps.exif_transpose);
# 1 (upright) needs none.
ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


# Text and ICC chunks are inflated to at most this many bytes each, and this many in all: enough
# for any camera's or editor's metadata (an XMP packet, a wide-gamut profile), far below a bomb.
METADATA_LIMIT = 256 * 1024
PngImagePlugin.MAX_TEXT_CHUNK = METADATA_LIMIT
PngImagePlugin.MAX_TEXT_MEMORY = 4 * METADATA_LIMIT


class PhotoRejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PhotoInfo:
    width: int
    height: int


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # pragma: no cover - pillow-heif is a dependency
        return
    register_heif_opener()


_register_heif()


def _open(path: Path, expected: MediaFormat, max_pixels: int) -> Image.Image:
    """Open with Pillow's decoder for ``expected`` only (the format sniffing chose), header first."""
    if expected.media_type is not MediaType.PHOTO:
        raise ValueError(f"{expected.label} is not a photo format")
    with _refused_as("not_a_photo", max_pixels):
        image = Image.open(path, formats=[expected.decoder])
    width, height = image.size
    if width * height > max_pixels or width < 1 or height < 1:
        image.close()
        raise PhotoRejected("too_many_pixels", _pixels_message(max_pixels))
    return image


@contextlib.contextmanager
def _refused_as(code: str, max_pixels: int) -> Iterator[None]:
    """Within a call into the decoders: a decompression bomb (error or warning) is
    ``too_many_pixels``, metadata past ``METADATA_LIMIT`` is ``too_much_metadata``, and anything else
    a decoder raises on a bad file is ``code``. Pillow's warnings about corrupt EXIF are not
    printed: the EXIF is dropped anyway."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected("too_many_pixels", _pixels_message(max_pixels)) from None
        except DECODER_ERRORS as error:
            if isinstance(error, ValueError) and "MAX_TEXT_" in str(error):  # PngImagePlugin's two limits
                raise PhotoRejected("too_much_metadata", "The photo carries too much embedded text.") from None
            raise PhotoRejected(code, "The photo is damaged or incomplete.") from None


def _pixels_message(max_pixels: int) -> str:
    return f"The photo has too many pixels: at most {max_pixels // 1_000_000} megapixels."


def derivatives(
    path: Path, expected: MediaFormat, max_pixels: int, thumbnail: Path, display: Path
) -> tuple[PhotoInfo, Image.Image]:
    """Decode the photo once (so a truncated or broken file is refused now), apply its orientation,
    and write the display image and the thumbnail as clean JPEGs. Returns the photo's size and the
    display image, for face detection.

    A JPEG is decoded with DCT scaling (``draft``) straight to about the display size: the decoder
    still reads every byte of the file, so truncation is caught, at a fraction of the cost.
    """
    width, height, rgb = _decode_upright(path, expected, max_pixels, DISPLAY)
    shown = _pixels_only(rgb)
    shown.save(display, format="JPEG", quality=85, optimize=True, progressive=True)
    small = shown.copy()
    small.thumbnail((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    small.save(thumbnail, format="JPEG", quality=85, optimize=True, progressive=True)
    return PhotoInfo(width, height), shown


def _decode_upright(
    path: Path, expected: MediaFormat, max_pixels: int, longest_side: int | None
) -> tuple[int, int, Image.Image]:
    """Decode once, at most ``longest_side`` pixels a side (None: full size), colours converted to
    sRGB when the photo carries another ICC profile, and turned upright. Returns the original's
    upright size and the pixels."""
    image = _open(path, expected, max_pixels)
    with image, _refused_as("broken", max_pixels):
        orientation = image.getexif().get(0x0112, 1)
        if not isinstance(orientation, int) or orientation not in ORIENTATION_TRANSPOSE:
            orientation = 1  # absent, upright already, or a value no camera writes
        width, height = image.size
        if image.format == "JPEG" and longest_side:
            # The largest DCT reduction that still leaves at least the wanted size.
            scale = min(1.0, longest_side / max(width, height))
            image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        image.load()
        rgb = _srgb(image)
        # Resize first, then turn: turning the smaller picture is cheaper.
        if longest_side:
            rgb = _fit(rgb, longest_side)
        if orientation in ORIENTATION_TRANSPOSE:
            rgb = rgb.transpose(ORIENTATION_TRANSPOSE[orientation])
    if orientation in (5, 6, 7, 8):  # rotated a quarter turn: width and height swap
        width, height = height, width
    return width, height, rgb


def _srgb(image: Image.Image) -> Image.Image:
    """The pixels in sRGB: a photo with another colour profile (a phone's Display P3, say) is
    converted, so dropping the profile does not change its colours."""
    profile = image.info.get("icc_profile")
    if profile:
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(
                image.convert("RGB"), source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                return converted
        except (ImportError, OSError, ValueError, ImageCms.PyCMSError):
            pass  # an unreadable profile: keep the pixels as they are
    return image.convert("RGB")


def export_copy(
    path: Path, expected: MediaFormat, max_pixels: int, longest_side: int | None, target: Path, blur: list[list[float]]
) -> None:
    """A photo for a channel: from the original, upright, sRGB, at most ``longest_side`` pixels,
    the ``blur`` boxes (fractions) irreversibly pixelated, and nothing but pixels in the JPEG."""
    _width, _height, rgb = _decode_upright(path, expected, max_pixels, longest_side)
    picture = _pixels_only(rgb)
    for box in blur:
        pixelate(picture, box)
    picture.save(target, format="JPEG", quality=90, optimize=True)


def pixelate(picture: Image.Image, box: list[float]) -> None:
    """Replace the box (with a margin) by a mosaic of at most 8 blocks across: nothing of the face
    can be recovered from it."""
    width, height = picture.size
    x, y, w, h = box
    margin = 0.15
    left = max(0, int((x - w * margin) * width))
    top = max(0, int((y - h * margin) * height))
    right = min(width, int((x + w * (1 + margin)) * width) + 1)
    bottom = min(height, int((y + h * (1 + margin)) * height) + 1)
    if right - left < 2 or bottom - top < 2:
        return
    area = picture.crop((left, top, right, bottom))
    blocks = max(1, min(8, (right - left) // 4))
    small = area.resize((blocks, max(1, blocks * (bottom - top) // (right - left))), Image.Resampling.BOX)
    picture.paste(small.resize(area.size, Image.Resampling.NEAREST), (left, top))


def _fit(rgb: Image.Image, longest_side: int) -> Image.Image:
    if max(rgb.size) > longest_side:
        factor = max(rgb.size) // (2 * longest_side)
        if factor >= 2:  # cheap integer downscale first, then a good filter for the rest
            rgb = rgb.reduce(factor)
        rgb.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
    return rgb


def _pixels_only(rgb: Image.Image) -> Image.Image:
    pixels = Image.new("RGB", rgb.size)
    pixels.paste(rgb)  # a fresh image: no info, no EXIF, no ICC, no comment
    return pixels


def face_crop(handle: BinaryIO, box: list[float], side: int = 160) -> bytes:
    """A square JPEG around a face box (with some margin) of a stored, already clean derivative."""
    with Image.open(handle, formats=["JPEG"]) as image:
        width, height = image.size
        x, y, w, h = box
        cx, cy = (x + w / 2) * width, (y + h / 2) * height
        half = max(w * width, h * height) * 0.8
        area = (
            max(0, round(cx - half)),
            max(0, round(cy - half)),
            min(width, round(cx + half)),
            min(height, round(cy + half)),
        )
        crop = _pixels_only(image.convert("RGB").crop(area))
    crop.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, format="JPEG", quality=85)
    return out.getvalue()

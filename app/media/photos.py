"""Opening uploaded photos safely and making clean derivatives.

* Only the formats a school needs are ever decoded (``formats=``), with our own pixel limit
  checked right after ``open()`` (which reads only the header) and Pillow's decompression-bomb
  warning turned into an error; truncated files are refused, never half-loaded.
* Derivatives are built from the pixels alone, after the EXIF orientation is applied, and saved
  with explicit parameters: no EXIF, GPS, XMP, IPTC, ICC profile or comment survives (a plain
  re-save would keep JPEG comments and ICC profiles).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
THUMBNAIL = 320
DISPLAY = 1600


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


def _open(path: Path, expected: str, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path, formats=[expected])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected("too_many_pixels", _pixels_message(max_pixels)) from None
        except (UnidentifiedImageError, OSError, SyntaxError):
            raise PhotoRejected("not_a_photo", "The file is not a readable photo.") from None
    width, height = image.size
    if width * height > max_pixels or width < 1 or height < 1:
        image.close()
        raise PhotoRejected("too_many_pixels", _pixels_message(max_pixels))
    return image


def _pixels_message(max_pixels: int) -> str:
    return f"The photo has too many pixels: at most {max_pixels // 1_000_000} megapixels."


def inspect_photo(path: Path, expected: str, max_pixels: int) -> PhotoInfo:
    """Decode the whole photo once, so a truncated or broken file is refused now."""
    image = _open(path, expected, max_pixels)
    try:
        orientation = image.getexif().get(0x0112, 1)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
        width, height = image.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning):
        raise PhotoRejected("broken", "The photo is damaged or incomplete.") from None
    finally:
        image.close()
    if orientation in (5, 6, 7, 8):  # rotated a quarter turn: width and height swap
        width, height = height, width
    return PhotoInfo(width, height)


def clean_copy(path: Path, expected: str, max_pixels: int, longest_side: int, target: Path) -> None:
    """A JPEG of at most ``longest_side`` pixels, orientation applied, nothing but pixels."""
    image = _open(path, expected, max_pixels)
    with image:
        if image.format == "JPEG":
            image.draft("RGB", (longest_side, longest_side))  # fast DCT scaling while decoding
        oriented = ImageOps.exif_transpose(image) or image
        rgb = oriented.convert("RGB")
        if max(rgb.size) > longest_side:
            factor = max(rgb.size) // (2 * longest_side)
            if factor >= 2:  # cheap integer downscale first, then a good filter for the rest
                rgb = rgb.reduce(factor)
            rgb.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
        pixels = Image.new("RGB", rgb.size)
        pixels.paste(rgb)  # a fresh image: no info, no EXIF, no ICC, no comment
        pixels.save(target, format="JPEG", quality=85, optimize=True, progressive=True)

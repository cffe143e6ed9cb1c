"""What a file is, decided by its first bytes only (never its name or declared type).

The answer is an entry of ``app.media.formats``: the bytes choose the entry, and the entry says
how the file is decoded from then on (the decoder forced, never guessed again).
"""

from __future__ import annotations

from app.media import formats
from app.media.formats import MediaFormat

HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
AVIF_BRANDS = {b"avif", b"avis"}
HEIF_STRUCTURAL_BRANDS = {b"mif1", b"msf1", b"miaf"}  # "an image file": the compatible brands say which codec
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"3gp4", b"3gp5"}
M4A_BRANDS = {b"M4A ", b"M4B "}


def sniff(head: bytes) -> MediaFormat | None:
    """The format these first bytes (at least 16) start, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return formats.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return formats.PNG
    if _riff_form(head) == b"WEBP":
        return formats.WEBP
    if head[4:8] == b"ftyp":
        return _iso_media(head[8:12], _compatible_brands(head))
    if head.startswith(b"\x1aE\xdf\xa3"):
        return formats.WEBM
    if _riff_form(head) == b"WAVE":
        return formats.WAV
    if head.startswith(b"OggS"):
        return formats.OGG
    if _is_mp3(head):
        return formats.MP3
    return None


def _riff_form(head: bytes) -> bytes | None:
    """The form type of a RIFF file (WebP photos and WAV sound share the container), or None."""
    return head[8:12] if head[:4] == b"RIFF" else None


def _is_mp3(head: bytes) -> bool:
    """An ID3 tag, or an MPEG audio frame straight away (eleven sync bits set)."""
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _compatible_brands(head: bytes) -> set[bytes]:
    """The compatible brands of the ``ftyp`` box, as far as ``head`` reaches."""
    end = min(len(head), int.from_bytes(head[:4], "big"))
    return {head[at : at + 4] for at in range(16, end - 3, 4)}


def _iso_media(brand: bytes, compatible: set[bytes]) -> MediaFormat | None:
    """An ISO base media file (``ftyp`` box) by its brands: HEIC or AVIF photo, M4A sound,
    QuickTime or MP4 film. A HEIF file may name only the structure ("mif1") as its major brand;
    then the compatible brands tell HEVC (HEIC) from AV1 (AVIF) coding."""
    if brand in AVIF_BRANDS:
        return formats.AVIF
    if brand in HEIC_BRANDS:
        return formats.HEIC
    if brand in HEIF_STRUCTURAL_BRANDS:
        if compatible & AVIF_BRANDS and not compatible & HEIC_BRANDS:
            return formats.AVIF
        return formats.HEIC
    if brand in M4A_BRANDS:
        return formats.M4A
    if brand == b"qt  ":
        return formats.MOV
    if brand in MP4_BRANDS:
        return formats.MP4
    return None

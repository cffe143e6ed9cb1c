"""What a file is, decided by its first bytes only (never its name or declared type)."""

from __future__ import annotations

from dataclasses import dataclass

from app.consent.vocabulary import MediaType


@dataclass(frozen=True)
class Kind:
    media_type: MediaType
    format: str  # Pillow format name for photos; FFmpeg demuxer name for films and sound
    mime: str


HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"3gp4", b"3gp5"}
M4A_BRANDS = {b"M4A ", b"M4B "}


def sniff(head: bytes) -> Kind | None:
    """The kind of file these first bytes (at least 16) start, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return Kind(MediaType.PHOTO, "JPEG", "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind(MediaType.PHOTO, "PNG", "image/png")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Kind(MediaType.PHOTO, "WEBP", "image/webp")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in HEIF_BRANDS and brand != b"avif":
            return Kind(MediaType.PHOTO, "HEIF", "image/heic")
        if brand in M4A_BRANDS:
            return Kind(MediaType.AUDIO, "mp4", "audio/mp4")
        if brand == b"qt  ":
            return Kind(MediaType.FILM, "mov", "video/quicktime")
        if brand in MP4_BRANDS:
            return Kind(MediaType.FILM, "mp4", "video/mp4")
        return None
    if head.startswith(b"\x1aE\xdf\xa3"):
        return Kind(MediaType.FILM, "matroska", "video/webm")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Kind(MediaType.AUDIO, "wav", "audio/wav")
    if head.startswith(b"OggS"):
        return Kind(MediaType.AUDIO, "ogg", "audio/ogg")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return Kind(MediaType.AUDIO, "mp3", "audio/mpeg")
    return None

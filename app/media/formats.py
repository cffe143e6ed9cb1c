"""The formats Beeldrecht accepts, one entry each, and everything the code needs to know about them.

Sniffing (``app.media.sniffing``) decides from the bytes which entry an upload is; from then on
the entry is the only source of the format's facts: its media type, the mime type stored with the
item, what decodes it (Pillow for photos, a forced FFmpeg demuxer for films and sound, see
``SECURITY.md``), how its playback copy is muxed and served, and the extension of its file in an
export bundle. A stored item finds its entry again by its ``mime_type`` (``format_of``).

Adding a format means adding an entry here and teaching ``sniff`` its magic bytes; nothing else
keeps a list of formats.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.consent.vocabulary import MediaType


@dataclass(frozen=True)
class Playback:
    """The tag-free copy staff play in the browser: the same streams, remuxed (never re-encoded)
    into a container browsers play."""

    muxer: str  # FFmpeg muxer ("ipod" is FFmpeg's name for an .m4a container)
    extension: str
    mime: str


@dataclass(frozen=True)
class MediaFormat:
    """One accepted format. ``decoder`` is the Pillow format name for a photo and the FFmpeg
    demuxer for a film or sound: the decoder is always forced, never guessed from the content."""

    label: str
    media_type: MediaType
    mime: str
    decoder: str
    playback: Playback | None = None  # films and sound only: photos get JPEG derivatives instead

    @property
    def export_extension(self) -> str:
        """The extension of this format's file in an export bundle: everything is made anew for the
        channel, a photo as a JPEG, a film as H.264/AAC in MP4, sound as AAC in .m4a
        (``app.media.transcode``)."""
        return {MediaType.PHOTO: "jpg", MediaType.FILM: "mp4", MediaType.AUDIO: "m4a"}[self.media_type]


_MP4_FILM = Playback("mp4", "mp4", "video/mp4")

JPEG = MediaFormat("JPEG", MediaType.PHOTO, "image/jpeg", "JPEG")
PNG = MediaFormat("PNG", MediaType.PHOTO, "image/png", "PNG")
WEBP = MediaFormat("WebP", MediaType.PHOTO, "image/webp", "WEBP")
HEIC = MediaFormat("HEIC", MediaType.PHOTO, "image/heic", "HEIF")  # pillow-heif registers "HEIF"
AVIF = MediaFormat("AVIF", MediaType.PHOTO, "image/avif", "AVIF")  # Pillow's own decoder (libavif)

MP4 = MediaFormat("MP4", MediaType.FILM, "video/mp4", "mp4", _MP4_FILM)
MOV = MediaFormat("MOV", MediaType.FILM, "video/quicktime", "mov", _MP4_FILM)  # browsers play QuickTime as MP4
WEBM = MediaFormat("WebM", MediaType.FILM, "video/webm", "matroska", Playback("webm", "webm", "video/webm"))

M4A = MediaFormat("M4A", MediaType.AUDIO, "audio/mp4", "mp4", Playback("ipod", "m4a", "audio/mp4"))
MP3 = MediaFormat("MP3", MediaType.AUDIO, "audio/mpeg", "mp3", Playback("mp3", "mp3", "audio/mpeg"))
WAV = MediaFormat("WAV", MediaType.AUDIO, "audio/wav", "wav", Playback("wav", "wav", "audio/wav"))
OGG = MediaFormat("OGG", MediaType.AUDIO, "audio/ogg", "ogg", Playback("ogg", "ogg", "audio/ogg"))

FORMATS: tuple[MediaFormat, ...] = (JPEG, PNG, WEBP, HEIC, AVIF, MP4, MOV, WEBM, M4A, MP3, WAV, OGG)
_BY_MIME = {media_format.mime: media_format for media_format in FORMATS}  # unique: tests/media/test_formats.py


def format_of(mime_type: str) -> MediaFormat:
    """The format of a stored item, from its ``mime_type`` (which ingest took from this table).

    Raises ``KeyError`` for a mime type that is not in the table: no stored item can have one,
    so a guess (a default extension, a default decoder) would only hide a broken row."""
    return _BY_MIME[mime_type]


def labels(media_type: MediaType) -> str:
    """The accepted formats of one media type, for people: "JPEG, PNG, WebP, HEIC, AVIF"."""
    return ", ".join(f.label for f in FORMATS if f.media_type is media_type)


def accept(*media_types: MediaType) -> str:
    """The ``accept`` attribute of a file field taking these media types (every type by default):
    the phone's picker offers only files Beeldrecht takes in. HEIC photos are also "image/heif"."""
    chosen = [f for f in FORMATS if not media_types or f.media_type in media_types]
    mimes = [f.mime for f in chosen] + (["image/heif"] if HEIC in chosen else [])
    return ",".join(dict.fromkeys(mimes))

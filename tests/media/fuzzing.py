"""Valid seed files of every kind the upload takes, and the mutations the fuzzer makes of them.

The seeds are small (so a decodable mutant is quick to take in) but carry what real files carry:
EXIF with an orientation and GPS, text and ICC chunks, XMP, a film's location tag. The mutations
know each container's framing (PNG chunks, JPEG segments, RIFF chunks, ISO media boxes, nested),
so besides blind bit flips and truncation they duplicate whole chunks and set length fields to
the values parsers trip over (0, 1, one off, the largest signed and unsigned values).
"""

from __future__ import annotations

import contextlib
import functools
import io
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin

from tests.media.samples import film, sound

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description Creator="Karin"/></rdf:RDF></x:xmpmeta>'


def _picture(size: tuple[int, int] = (64, 48)) -> Image.Image:
    picture = Image.new("RGB", size, (230, 230, 230))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((4, 4, 30, 20), fill=(200, 30, 30))
    draw.ellipse((36, 10, 60, 40), fill=(20, 40, 200))
    return picture


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turned a quarter
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 0.0)}  # GPS
    return exif


def _srgb_profile() -> bytes:
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def _saved(fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    _picture().save(out, format=fmt, **options)
    return out.getvalue()


@functools.cache
def seeds() -> dict[str, bytes]:
    import pillow_heif

    pillow_heif.register_heif_opener()
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Karin de Vries")
    text.add_text("Comment", "Sem en Noor op het schoolplein " * 8, zip=True)
    text.add_itxt("XML:com.adobe.xmp", XMP.decode(), zip=True)
    return {
        "jpeg": _saved("JPEG", exif=_exif(), comment=b"Sem op schoot", icc_profile=_srgb_profile(), quality=80),
        "png": _saved("PNG", pnginfo=text, icc_profile=_srgb_profile(), exif=_exif()),
        "webp": _saved("WEBP", exif=_exif(), icc_profile=_srgb_profile(), xmp=XMP, quality=80),
        "heic": _saved("HEIF", exif=_exif(), quality=60),
        "avif": _saved("AVIF", exif=_exif(), xmp=XMP, quality=60),
        "mp4": film("mp4", "mpeg4", seconds=1, size=(64, 48)),
        "m4a": sound("ipod", "aac", seconds=1, rate=22050),
    }


@dataclass(frozen=True)
class Chunk:
    """One unit of a container: where it starts, how long it is, and where its length field is."""

    start: int
    size: int
    length_at: int
    length_width: int  # 2 or 4 (bytes)
    big_endian: bool


def chunks(kind: str, data: bytes) -> list[Chunk]:
    parse: Callable[[bytes], Iterator[Chunk]] = {
        "jpeg": _jpeg_segments,
        "png": _png_chunks,
        "webp": _riff_chunks,
    }.get(kind, functools.partial(_boxes, start=0, end=None))
    found: list[Chunk] = []
    with contextlib.suppress(struct.error, IndexError):  # a mutant's framing may be broken: the chunks so far do
        found.extend(parse(data))
    return found


def _png_chunks(data: bytes) -> Iterator[Chunk]:
    at = 8
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        yield Chunk(at, 12 + length, at, 4, True)
        at += 12 + length


def _jpeg_segments(data: bytes) -> Iterator[Chunk]:
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        yield Chunk(at, 2 + length, at + 2, 2, True)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return
        at += 2 + length


def _riff_chunks(data: bytes) -> Iterator[Chunk]:
    yield Chunk(0, len(data), 4, 4, False)
    at = 12
    while at + 8 <= len(data):
        (length,) = struct.unpack("<I", data[at + 4 : at + 8])
        yield Chunk(at, 8 + length + (length & 1), at + 4, 4, False)
        at += 8 + length + (length & 1)


# ISO media boxes that hold other boxes (``meta`` is a full box: four bytes of version and flags).
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"udta", b"edts", b"iprp", b"ipco", b"meta"}


def _boxes(data: bytes, start: int, end: int | None) -> Iterator[Chunk]:
    end = len(data) if end is None else end
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size < 8:
            return
        yield Chunk(at, size, at, 4, True)
        if kind in CONTAINERS:
            yield from _boxes(data, at + 8 + (4 if kind == b"meta" else 0), min(end, at + size))
        at += size


EXTREMES = (0, 1, 2, 7, 8, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


@dataclass(frozen=True)
class Mutation:
    kind: str  # flip, truncate, duplicate, length, overwrite
    position: int  # a byte, or the index of a chunk
    value: int

    def apply(self, kind: str, data: bytearray) -> bytearray:
        if not data:
            return data
        if self.kind == "flip":
            data[self.position % len(data)] ^= 1 << (self.value % 8)
        elif self.kind == "truncate":
            del data[self.position % len(data) :]
        elif self.kind == "overwrite":
            at = self.position % len(data)
            data[at : at + 4] = bytes([self.value % 256]) * 4
        else:
            found = chunks(kind, bytes(data))
            if not found:
                return data
            chunk = found[self.position % len(found)]
            if self.kind == "duplicate":
                data[chunk.start : chunk.start] = data[chunk.start : chunk.start + chunk.size]
            else:
                data[chunk.length_at : chunk.length_at + chunk.length_width] = self._length(chunk, data)
        return data

    def _length(self, chunk: Chunk, data: bytearray) -> bytes:
        field = data[chunk.length_at : chunk.length_at + chunk.length_width]
        current = int.from_bytes(field, "big" if chunk.big_endian else "little")
        choices = (*EXTREMES, current - 1, current + 1, current * 2)
        value = choices[self.value % len(choices)] % (256**chunk.length_width)
        return value.to_bytes(chunk.length_width, "big" if chunk.big_endian else "little")


def fix_png_crcs(data: bytearray) -> bytearray:
    """Give every PNG chunk its right checksum again, so a mutant gets past the CRC check into the
    parsers behind it."""
    for chunk in _png_chunks(bytes(data)):
        body = data[chunk.start + 4 : chunk.start + chunk.size - 4]
        if chunk.start + chunk.size <= len(data):
            data[chunk.start + chunk.size - 4 : chunk.start + chunk.size] = struct.pack(">I", zlib.crc32(body))
    return data


mutations = st.builds(
    Mutation,
    kind=st.sampled_from(["flip", "flip", "truncate", "duplicate", "length", "length", "overwrite"]),
    position=st.integers(min_value=0, max_value=2**20),
    value=st.integers(min_value=0, max_value=255),
)


@st.composite
def mutants(draw: st.DrawFn, kind: str) -> bytes:
    """A seed of ``kind`` with one to four mutations (and, for PNG, mostly with fixed checksums)."""
    data = bytearray(seeds()[kind])
    for mutation in draw(st.lists(mutations, min_size=1, max_size=4)):
        data = mutation.apply(kind, data)
    if kind == "png" and draw(st.booleans()):
        data = fix_png_crcs(data)
    return bytes(data)

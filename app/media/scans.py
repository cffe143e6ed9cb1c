"""Scans of signed papers: the own consent of someone from outside the school
(``app.media.outsiders``) and the returned paper consent forms (``app.consent.paper_returns``).

A scan is judged by its bytes, like any upload, and stored like the originals: content-addressed
under the instance folder (``app.media.storage.scan_key``), written before the row, never served
but through an administrator's view. A picture (any photo format of ``app.media.formats``) is
decoded with the photo limits and stored as a clean JPEG (no EXIF, GPS or comments: a phone's
picture of a paper says where it was taken). A PDF (only where the caller accepts one) must start
with ``%PDF-``, end with its ``%%EOF`` marker after a ``startxref`` that points inside the file,
and stay under ``PAPER_SCAN_MAX_BYTES``; it is stored as received and only ever offered as a
download.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _

from app.consent.vocabulary import MediaType
from app.errors import DomainError
from app.media import formats, photos
from app.media.formats import MediaFormat
from app.media.ingest import media_storage
from app.media.sniffing import sniff
from app.media.storage import scan_key

SCAN_SIDE = 2400  # longest side of a stored picture scan: the signature stays legible
CHUNK = 1024 * 1024
PDF_MIME = "application/pdf"
PDF_TAIL = 2048  # where ``startxref`` and ``%%EOF`` must be: the end of the file
_STARTXREF = re.compile(rb"startxref\s+(\d{1,12})\s+%%EOF\s*$")


class ScanError(DomainError):
    """A scan that is not taken in; the code says why."""

    statuses = {"scan_unsupported": 415, "scan_too_large": 413}


@dataclass(frozen=True)
class StoredScan:
    key: str
    mime: str


def store_scan(stream: IO[bytes], *, pdf: bool = False) -> StoredScan:
    """Take in a scan (a picture, or with ``pdf`` a PDF too), checked and stored; the caller adds
    the row that refers to it, and deletes the file again when that row is not committed."""
    storage = media_storage()
    temporary = storage.temporary_file()
    received = Path(temporary.name)
    cleaned = Path(f"{received}-scan.jpg")
    try:
        media_format = _receive(stream, temporary, pdf=pdf)
        if media_format is None:
            _check_pdf(received)
            stored, mime = received, PDF_MIME
        else:
            try:
                photos.export_copy(
                    received, media_format, int(current_app.config["PHOTO_MAX_PIXELS"]), SCAN_SIDE, cleaned, []
                )
            except photos.PhotoRejected:
                raise ScanError("scan_unreadable", _("The scan is damaged or too large to read.")) from None
            stored, mime = cleaned, "image/jpeg"
        key = scan_key(hashlib.sha256(stored.read_bytes()).hexdigest())
        storage.put(stored, key)
        return StoredScan(key, mime)
    finally:
        received.unlink(missing_ok=True)
        cleaned.unlink(missing_ok=True)


def _unsupported(pdf: bool) -> ScanError:
    if pdf:
        return ScanError(
            "scan_unsupported",
            _("Send the scan as a PDF or a picture: %(formats)s.", formats=formats.labels(MediaType.PHOTO)),
        )
    return ScanError(
        "scan_unsupported",
        _("Send the scan as a picture: %(formats)s (not a PDF).", formats=formats.labels(MediaType.PHOTO)),
    )


def _receive(stream: IO[bytes], temporary: IO[bytes], *, pdf: bool) -> MediaFormat | None:
    """Stream the scan into ``temporary`` while counting; its first bytes must be a photo format
    (returned) or, when accepted, a PDF (None)."""
    photo_limit = int(current_app.config["PHOTO_MAX_BYTES"])
    limit, kind, size = photo_limit, "", 0
    media_format: MediaFormat | None = None
    with temporary as out:
        while chunk := stream.read(CHUNK):
            if not kind:
                media_format = sniff(chunk[:64])
                if media_format is not None and media_format.media_type is MediaType.PHOTO:
                    kind = "photo"
                elif pdf and chunk.startswith(b"%PDF-"):
                    kind, media_format = "pdf", None
                    limit = int(current_app.config["PAPER_SCAN_MAX_BYTES"])
                else:
                    raise _unsupported(pdf)
            size += len(chunk)
            if size > limit:
                raise ScanError("scan_too_large", _("The scan is larger than %(n)d MB.", n=limit // 2**20))
            out.write(chunk)
    if not kind:
        raise ScanError("scan_empty", _("The scan is empty."))
    return media_format


def _check_pdf(path: Path) -> None:
    """A PDF whose end a reader can find: a version in its header, and ``startxref`` followed by
    ``%%EOF`` at the end, pointing at a cross-reference table or stream inside the file."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(16)
        handle.seek(max(0, size - PDF_TAIL))
        tail = handle.read()
        match = _STARTXREF.search(tail)
        offset = int(match.group(1)) if match else size
        if re.match(rb"%PDF-[12]\.\d", head) and offset < size:
            handle.seek(offset)
            start = handle.read(32).lstrip()
            if start.startswith(b"xref") or re.match(rb"\d+\s+\d+\s+obj\b", start):
                return
    raise ScanError("scan_unreadable", _("The PDF is damaged: it cannot be read. Scan the paper again."))

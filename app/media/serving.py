"""Serving an item's derivatives (thumbnail, display image or a film's poster, playback copy): the
one implementation behind the library's pages (``app.media.views``, session sign-in) and the API
(``app.media.api``, bearer tokens), so both answer with the same file, the same headers and after
the same object check (the caller passes an item from ``app.media.visibility.media_or_404``).

Fixed ``Content-Type``, ``nosniff``, ``Content-Security-Policy: sandbox`` and ``Cache-Control:
private, no-store``; never a path built from input, never an original."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, send_file
from werkzeug.wrappers import Response

from app.consent.vocabulary import MediaType
from app.media.formats import format_of
from app.media.ingest import media_storage
from app.media.models import MediaItem, ProcessingState
from app.media.storage import derivative_key

V = TypeVar("V", bound=Callable[..., Any])
DERIVATIVES = {"thumbnail": "thumbnail.jpg", "display": "display.jpg"}


def sandboxed(view: V) -> V:
    """A file served to the browser gets "sandbox" as its whole CSP (Talisman reads per-view options
    from this attribute)."""
    view.__dict__["talisman_view_options"] = {"content_security_policy": "sandbox"}
    return view


def private(response: Response) -> Response:
    """Media is never cached by a shared cache and never sniffed into another type."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def derivative_response(item: MediaItem, variant: str) -> Response:
    """The thumbnail or display image (a film's poster frame) of an item; 404 for sound, and for a
    film whose processing job has not (successfully) made its pictures yet."""
    if item.media_type is MediaType.AUDIO or item.processing_state is not ProcessingState.READY:
        abort(404)  # sound has no pictures; a film has them once it is processed
    handle = media_storage().open(derivative_key(item.sha256, DERIVATIVES[variant]))
    response = send_file(
        handle,
        mimetype="image/jpeg",
        download_name=f"beeldrecht-{item.id}-{variant}.jpg",
        as_attachment=False,
        max_age=0,
    )
    return private(response)


def playback_response(item: MediaItem) -> Response:
    """The tag-free copy of a film or recording, with Range support so players can seek; 404 for a
    photo."""
    copy = format_of(item.mime_type).playback
    if not item.playback_name or copy is None:
        abort(404)
    response = send_file(
        media_storage().local_path(derivative_key(item.sha256, item.playback_name)),
        mimetype=copy.mime,
        download_name=f"beeldrecht-{item.id}.{copy.extension}",
        conditional=True,
        etag=item.sha256[:16],
        max_age=0,
    )
    return private(response)

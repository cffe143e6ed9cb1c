"""Static files like a real site: fingerprinted URLs, a year of immutable caching, compression.

``url_for('static', ...)`` and Bootstrap-Flask's ``url_for('bootstrap.static', ...)`` get a
``?v=<content hash>`` query. A request carrying the current hash of the file it asks for is
answered with ``Cache-Control: public, max-age=31536000, immutable``: the file behind that URL
can never change, since a changed file has another hash and so another URL. Any other request for
a static file (no hash, an old one) must revalidate (``no-cache``; Flask's ETag makes that a 304).
CSS and JavaScript are compressed (brotli or gzip, as the browser asks) by Flask-Compress, once
per file version: the compressed bytes are kept under the file's hash.

Pages are never compressed here (a page with a CSRF token and text a visitor chose is what BREACH
reads) and stay ``no-store`` when signed in (``accounts.sessions.no_store_for_signed_in``).
``STATIC_CACHING = False`` (``BEELDRECHT_STATIC_CACHING=false``) switches all of this off, which
is how ``bench/phone.py`` measures the "before".
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Any

from flask import Flask, Request, Response, current_app, request
from flask_compress import Compress, DictCache
from werkzeug.security import safe_join

from app.urls import STATIC_ENDPOINTS, is_static_request

FINGERPRINT = "v"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSED_TYPES = ["text/css", "text/javascript", "application/javascript", "image/svg+xml", "text/csv"]


def init_static_files(app: Flask) -> None:
    """Fingerprint static URLs and cache and compress static files, unless switched off."""
    if not app.config["STATIC_CACHING"]:
        return
    app.config.update(
        COMPRESS_REGISTER=False,  # only static files, never pages (see the module's docstring)
        COMPRESS_MIMETYPES=COMPRESSED_TYPES,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_BR_LEVEL=11,  # once per file version, so the best ratio is worth its time
        COMPRESS_LEVEL=9,
        COMPRESS_CACHE_BACKEND=DictCache,
        COMPRESS_CACHE_KEY=_compressed_copy_key,
    )
    # One Compress per app: it keeps its settings (and its cache) on the instance.
    compress = Compress()
    compress.init_app(app)
    app.extensions["beeldrecht_compress"] = compress
    app.url_defaults(add_fingerprint)
    app.after_request(cache_and_compress)


def static_folder(endpoint: str) -> str | None:
    """The folder a static endpoint serves: the app's own, or Bootstrap-Flask's."""
    if endpoint == "static":
        return current_app.static_folder
    blueprint = current_app.blueprints.get(endpoint.rpartition(".")[0])
    return blueprint.static_folder if blueprint is not None else None


def fingerprint_of(endpoint: str, filename: str) -> str | None:
    """The content hash of a static file, or None for a file that does not exist."""
    folder = static_folder(endpoint)
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _content_hash(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _content_hash(path: str, _mtime_ns: int, _size: int) -> str | None:
    """Hashed once per file version: the modification time and size are part of the cache key."""
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()[:16]
    except (IsADirectoryError, OSError):
        return None


def add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    """``url_defaults``: a static URL names the version of the file it means."""
    if endpoint not in STATIC_ENDPOINTS or FINGERPRINT in values or "filename" not in values:
        return
    version = fingerprint_of(endpoint, str(values["filename"]))
    if version is not None:
        values[FINGERPRINT] = version


def cache_and_compress(response: Response) -> Response:
    """``after_request`` for static files: immutable when the URL names the current version,
    compressed when the browser accepts it (whole files only: a range request stays as it is)."""
    if not is_static_request():
        return response
    version = current_version()
    current = version is not None and request.args.get(FINGERPRINT) == version
    response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
    if response.status_code != 200 or version is None:
        return response
    if response.direct_passthrough:  # send_file's file wrapper: read it, so it is compressed whole
        response.direct_passthrough = False
        response.set_data(response.get_data())
    compress: Compress = current_app.extensions["beeldrecht_compress"]
    return compress.after_request(response)


def current_version() -> str | None:
    filename = (request.view_args or {}).get("filename")
    if request.endpoint is None or filename is None:
        return None
    return fingerprint_of(request.endpoint, str(filename))


def _compressed_copy_key(req: Request) -> str:
    """The compressed copy belongs to one version of one file (never to the query a client sent)."""
    return f"{req.endpoint}:{(req.view_args or {}).get('filename')}:{current_version()}"

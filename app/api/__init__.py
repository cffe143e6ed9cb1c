"""The /api/v1 plumbing: the flask-smorest ``Api`` (``app.api.setup``), token authentication
(``app.api.auth``), the error body (``app.api.errors``) and shared schemas
(``app.api.schemas``). Each module's endpoints live in its own ``api.py``."""

from __future__ import annotations

from flask import has_request_context, request

API_PREFIX = "/api/v1"


def is_api_request() -> bool:
    """Is the current request one for the JSON API (bearer tokens, JSON errors)?"""
    return has_request_context() and (request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"))

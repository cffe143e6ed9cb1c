"""Where things are: the API's address prefix, and absolute links for mail and the terminal (where
there is no request to take the host from)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for

API_PREFIX = "/api/v1"
# The endpoints that serve files from a static folder: ours and Bootstrap-Flask's.
STATIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})


def base_url() -> str:
    """Where links in mail point: ``BASE_URL`` when set (always in production, which refuses to
    start without it: the Host header is the client's word), else the address this request came
    to, else (the CLI) this machine on the configured ``PORT``."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return f"http://127.0.0.1:{current_app.config['PORT']}"


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for mail or the terminal: ``base_url()`` and the endpoint's path."""
    base = base_url()
    if has_request_context():
        return base + str(url_for(endpoint, **values))
    with current_app.test_request_context():
        return base + str(url_for(endpoint, **values))


def is_api_request() -> bool:
    """Is the current request one for the JSON API (bearer tokens, JSON errors, Accept-Language)?"""
    return has_request_context() and (request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"))


def is_static_request() -> bool:
    """Is the current request one for a static file (public, no session, cached by the browser)?"""
    return has_request_context() and request.endpoint in STATIC_ENDPOINTS

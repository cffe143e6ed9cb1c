"""Absolute links for mail and the terminal, where there is no request to take the host from."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link on the configured ``BASE_URL`` (never the request's Host header, which a client sets)."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    if has_request_context():
        return base + str(url_for(endpoint, **values))
    with current_app.test_request_context():
        return base + str(url_for(endpoint, **values))

"""Token authentication of the API: sent as ``Authorization: Bearer <token>``. The API ignores
session cookies entirely, so a browser's cookie can never drive it (and it needs no CSRF token)."""

from __future__ import annotations

from flask import g, request
from flask_login import AnonymousUserMixin

from app.accounts.api_tokens import user_for_token
from app.extensions import db
from app.urls import is_api_request


def authenticate_api_request() -> None:
    """``before_request`` (ahead of the route rules): on /api/v1 the bearer token alone decides
    who is asking; a session cookie is ignored."""
    if not is_api_request():
        return
    header = request.headers.get("Authorization", "")
    user = None
    if header.startswith("Bearer "):
        user = user_for_token(header.removeprefix("Bearer ").strip())
        if user is not None:
            db.session.commit()  # last_used_at
    g._login_user = user if user is not None else AnonymousUserMixin()

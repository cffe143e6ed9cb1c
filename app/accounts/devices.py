"""Device cookies: a browser that has signed in to an account before is not throttled by that
account's failed-attempt limit (OWASP's defence against locking a user out by guessing).

The cookie holds only a signed digest of the email address, never the address itself.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE = "beeldrecht_device"
LIFETIME = timedelta(days=180)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="beeldrecht-device")


def _digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def remember_device(response: Response, email: str) -> None:
    response.set_cookie(
        COOKIE,
        _serializer().dumps(_digest(email)),
        max_age=int(LIFETIME.total_seconds()),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def is_known_device() -> bool:
    """True when this browser signed in before to the account named in the posted form."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return False
    try:
        digest = _serializer().loads(cookie, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:
        return False
    return bool(digest == _digest(request.form.get("email", "")))

"""One-time links for invitations and password resets.

A link carries 256 random bits, signed with the secret key (a tampered link is refused
before any database lookup). Only the SHA-256 of the random part is stored, with an expiry
and the moment it was used; a token works once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from app.accounts.models import AccountToken, TokenPurpose, User
from app.errors import DomainError
from app.extensions import db
from app.timestamps import utcnow


class TokenError(DomainError):
    """A link that cannot be used; ``code`` is ``invalid``, ``expired`` or ``used``."""

    statuses = {"invalid": 404, "expired": 410, "used": 410}

    def __init__(self, code: str) -> None:
        messages = {
            "invalid": lambda: _(
                "This link is not valid. Check that you copied the whole link, or ask the school for a new one."
            ),
            "expired": lambda: _(
                "This link has expired. Ask the school for a new invitation, or request a new password link."
            ),
            "used": lambda: _("This link has already been used. Sign in, or request a new password link."),
        }
        super().__init__(code, messages[code]())


def _serializer(purpose: TokenPurpose) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"beeldrecht-{purpose.value}")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(user: User, purpose: TokenPurpose, ttl: timedelta, created_by: User | None = None) -> str:
    """Store a new token for ``user`` and return the signed value for the link.

    Older unused tokens of the same purpose are retired, so only the newest link works.
    """
    now = utcnow()
    for old in db.session.scalars(
        select(AccountToken).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
    ):
        old.used_at = now
    secret = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(secret),
            created_at=now,
            expires_at=now + ttl,
            created_by_id=created_by.id if created_by else None,
        )
    )
    return str(_serializer(purpose).dumps(secret))


def resolve_token(signed: str, purpose: TokenPurpose, *, for_update: bool = False) -> AccountToken:
    """The stored token behind a link, or ``TokenError``."""
    try:
        secret = _serializer(purpose).loads(signed)
    except BadSignature:
        raise TokenError("invalid") from None
    if not isinstance(secret, str):
        raise TokenError("invalid")
    query = select(AccountToken).where(AccountToken.token_hash == _digest(secret), AccountToken.purpose == purpose)
    if for_update:
        query = query.with_for_update()
    token = db.session.scalar(query)
    if token is None:
        raise TokenError("invalid")
    if token.used_at is not None:
        raise TokenError("used")
    if token.expires_at <= utcnow():
        raise TokenError("expired")
    if not token.user.active:
        raise TokenError("invalid")
    return token

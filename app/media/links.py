"""Links to a thumbnail of the family's media that hold for one account for a week: handed out in
the family's data download and on the parent portal's media page.

A link is signed (itsdangerous, with the application's secret key and a salt of its own) and names
the account and the item; it is honoured only for that account, signed in, within ``LINK_DAYS``,
and only while the item exists and still shows one of that account's family
(``app.media.visibility.family_media``). Anything else answers 404, like an item that does not
exist; a link that is not genuine or has expired answers 410, like an old invitation. Only the
clean thumbnail is ever served this way, never the original.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.accounts.models import User
from app.errors import DomainError, NotFound
from app.media.models import MediaItem
from app.media.visibility import family_media_or_404
from app.urls import absolute_url

LINK_DAYS = 7


class LinkExpired(DomainError):
    default_status = 410


SALT = "beeldrecht.family-thumbnail"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def thumbnail_link(user: User, item_id: int, *, absolute: bool = True) -> str:
    """A link to the item's thumbnail, for ``user`` only, valid for ``LINK_DAYS`` days: absolute
    (on ``BASE_URL``) for a download, or a path for a page of this site."""
    token = _serializer().dumps([user.id, item_id])
    if absolute:
        return absolute_url("media.family_thumbnail", token=token)
    return str(url_for("media.family_thumbnail", token=token))


def item_of_link(user: User, token: str) -> MediaItem:
    """The item a link names, if the link is genuine, not older than ``LINK_DAYS``, made for
    ``user``, and the item still shows one of their family; else ``LinkExpired`` (not genuine, or
    too old) or ``NotFound`` (someone else's link, or the item is gone or no longer shows them)."""
    try:
        owner, item_id = _serializer().loads(token, max_age=int(timedelta(days=LINK_DAYS).total_seconds()))
    except (BadSignature, TypeError, ValueError):  # SignatureExpired is a BadSignature
        raise LinkExpired(
            "link_expired", _("This link has expired. Open the page or download your data again for a new one.")
        ) from None
    if owner != user.id or not isinstance(item_id, int):
        raise NotFound("not_found", _("This link is not valid (any more)."))
    return family_media_or_404(user, item_id)

"""Channels: where media can be released, each serving one purpose of the consent form. An
administrator keeps them; exports, the library's badges and the API read them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.extensions import db
from app.release.exports import ExportError
from app.release.models import Channel


def channels(enabled_only: bool = True) -> list[Channel]:
    query = select(Channel).order_by(Channel.id)
    if enabled_only:
        query = query.where(Channel.enabled.is_(True))
    return list(db.session.scalars(query))


def save_channel(
    channel: Channel | None,
    *,
    key: str,
    name: str,
    purpose: str,
    export_side: int | None,
    enabled: bool,
    by: User,
) -> Channel:
    """Create or change a channel; its key is unique. Audited (the caller commits)."""
    taken = db.session.scalar(select(Channel).where(Channel.key == key))
    if taken is not None and taken is not channel:
        raise ExportError("key_taken", _("Another channel has this key."))
    channel = channel or Channel()
    channel.key, channel.name, channel.purpose = key, name, purpose
    channel.export_side, channel.enabled = export_side, enabled
    db.session.add(channel)
    db.session.flush()
    record("release.channel_saved", target=channel, actor_id=by.id, key=channel.key, enabled=channel.enabled)
    return channel

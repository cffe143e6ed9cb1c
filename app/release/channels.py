"""Channels: where media can be released, each serving one purpose of the consent form. An
administrator keeps them; exports, the library's badges and the API read them."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User, UserRole
from app.audit.log import record
from app.consent.purposes import Purpose, purposes_in_force
from app.extensions import db
from app.release.exports import ExportError
from app.release.models import DEFAULT_FILM_KBPS, Channel
from app.timestamps import school_today


def channels(enabled_only: bool = True) -> list[Channel]:
    query = select(Channel).order_by(Channel.id)
    if enabled_only:
        query = query.where(Channel.enabled.is_(True))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Register:
    """The channel as an account the school holds: who owns it, who keeps its sign-in details (a
    name, never a password), whether two-factor sign-in is on, who may export to it (nobody listed:
    every releaser), and whether every export needs leadership's approval (None: as its purpose
    says, on for the public purposes)."""

    needs_approval: bool | None = None
    handle: str | None = None
    owner: User | None = None
    credentials_keeper: str | None = None
    two_factor: bool = False
    exporters: list[User] = field(default_factory=list)


def staff_accounts() -> list[User]:
    """Active accounts with a staff role: the people a channel's register may name."""
    from app.access import STAFF_ROLES

    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES))))
            .order_by(User.email)
        )
    )


def save_channel(
    channel: Channel | None,
    *,
    key: str,
    name: str,
    purpose: str,
    export_side: int | None,
    enabled: bool,
    by: User,
    register: Register | None = None,
    film_kbps: int | None = None,
) -> Channel:
    """Create or change a channel and its register; its key is unique. Audited, naming the staff
    it names (the caller commits)."""
    taken = db.session.scalar(select(Channel).where(Channel.key == key))
    if taken is not None and taken is not channel:
        raise ExportError("key_taken", _("Another channel has this key."))
    served = purposes_in_force(school_today()).get(purpose)
    if served is None:
        raise ExportError("unknown_purpose", _("A channel must serve a purpose of the consent form in force."))
    register = register or Register()
    channel = channel or Channel()
    channel.key, channel.name, channel.purpose, channel.public = key, name, purpose, served.public
    channel.export_side, channel.enabled = export_side, enabled
    if film_kbps is not None:  # None: as it was (a new channel: DEFAULT_FILM_KBPS)
        channel.film_kbps = film_kbps
    elif channel.film_kbps is None:
        channel.film_kbps = DEFAULT_FILM_KBPS
    needs = register.needs_approval
    channel.needs_approval = served.public if needs is None else needs
    channel.handle, channel.owner, channel.credentials_keeper = (
        register.handle,
        register.owner,
        register.credentials_keeper,
    )
    channel.two_factor, channel.exporters = register.two_factor, list(register.exporters)
    db.session.add(channel)
    db.session.flush()
    record(
        "release.channel_saved",
        target=channel,
        actor_id=by.id,
        key=channel.key,
        enabled=channel.enabled,
        needs_approval=channel.needs_approval,
        owner=channel.owner_id,
        exporters=[u.id for u in channel.exporters],
        two_factor=channel.two_factor,
    )
    return channel


def check_form(file_name: str, *, purposes: list[Purpose]) -> list[tuple[str, str]]:
    """Connected to ``app.consent.form_files.form_checks``: the form that will be in force must
    have the purpose of every enabled channel, and a channel it lists must not serve another purpose."""
    keys = {p.key for p in purposes}
    problems = [
        (
            "purposes",
            f"channel {c.key!r} serves the purpose {c.purpose!r}, which this form does not have: keep the purpose, "
            "or give the channel another purpose (or switch it off) first",
        )
        for c in channels()
        if c.purpose not in keys
    ]
    existing = {c.key: c for c in channels(enabled_only=False)}
    for purpose in purposes:
        for key in purpose.channels:
            if key in existing and existing[key].purpose != purpose.key:
                message = f"channel {key!r} already serves the purpose {existing[key].purpose!r}, not {purpose.key!r}"
                problems.append((f"purposes.{purpose.key}.channels", message))
    return problems


def on_forms_published(_sender: object, *, purposes: list[Purpose]) -> None:
    """Connected to ``app.consent.form_files.forms_published``: each channel takes over whether its
    purpose is public in the form now in force, and the channels the form lists that do not exist
    yet are made (switched on, needing approval when public; an administrator fills in the register)."""
    by_key = {p.key: p for p in purposes}
    existing = {c.key: c for c in channels(enabled_only=False)}
    for channel in existing.values():
        if channel.purpose in by_key:
            channel.public = by_key[channel.purpose].public
    for purpose in purposes:
        for key in purpose.channels:
            if key not in existing:
                made = Channel(
                    key=key,
                    name=purpose.label("nl")[:80],
                    purpose=purpose.key,
                    public=purpose.public,
                    needs_approval=purpose.public,
                    enabled=True,
                )
                db.session.add(made)
                db.session.flush()
                record("release.channel_saved", target=made, key=key, enabled=True, needs_approval=made.needs_approval)

"""State changes of accounts. Each checks what it must, writes, and audits in the same
transaction; views, the CLI and (later) the API call these and commit."""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace
from flask import current_app
from sqlalchemy import func, select

from app.accounts import passwords
from app.accounts.models import Role, TokenPurpose, User
from app.accounts.tokens import TokenError, issue_token, resolve_token
from app.audit.log import record
from app.errors import DomainError
from app.extensions import db
from app.notifications import INVITATION, PASSWORD_RESET, send_mail
from app.school.models import Person
from app.timestamps import utcnow
from app.urls import absolute_url

# Sent before an account is created, linked to a person or given roles, with ``person`` and ``roles``
# as they will be: modules above may refuse by raising an ``AccountError`` (the consent module: an
# account for a pupil under 16, whose guardians decide). Nothing is written when one does.
account_checked = Namespace().signal("account-checked")


class AccountError(DomainError):
    """A request that cannot be carried out; the message is shown to the user."""

    default_status = 400

    def __init__(self, message: str, code: str = "account_refused") -> None:
        super().__init__(code, message)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user when the email and password match an active account, else None.

    Unknown emails and wrong passwords take the same path and similar time. Both outcomes
    are audited; a failed attempt names the account only when one exists, never the email.
    """
    user = find_user_by_email(email)
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not (ok and user is not None and user.active):
        record("auth.sign_in_failed", target=user if user else None, target_type="user_account")
        return None
    assert user.password_hash is not None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_sign_in_at = utcnow()
    record("auth.sign_in", target=user, actor_id=user.id)
    return user


def sign_out(user: User) -> None:
    """Sign-out ends every session of the account, not only this browser's."""
    user.session_version += 1
    record("auth.sign_out", target=user, actor_id=user.id)


def _check_password(password: str, user: User) -> None:
    names = (user.person.first_name, user.person.last_name) if user.person else ()
    problem = passwords.password_problem(password, email=user.email, names=names)
    if problem:
        raise AccountError(problem)


def set_password(user: User, password: str) -> None:
    _check_password(password, user)
    user.password_hash = passwords.hash_password(password)
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    from flask_babel import gettext as _

    if not passwords.verify_password(user.password_hash, current):
        raise AccountError(_("Your current password is not correct."))
    set_password(user, new)
    record("account.password_changed", target=user, actor_id=user.id)


@dataclass(frozen=True)
class Invitation:
    user: User
    link: str
    created: bool


def invite(
    email: str,
    roles: set[Role],
    *,
    person: Person | None = None,
    invited_by: User | None = None,
    locale: str | None = None,
) -> Invitation:
    """Create (or reuse) the account for ``email`` with ``roles`` and mail a one-time link.

    An existing account keeps its password until the link is used; its roles are extended.
    """
    from flask_babel import gettext as _

    email = normalise_email(email)
    if not roles:
        raise AccountError(_("Choose at least one role."))
    user = find_user_by_email(email)
    created = user is None
    account_checked.send(
        User,
        person=person if person is not None or user is None else user.person,
        roles=roles | (user.roles if user else frozenset()),
    )
    if user is None:
        user = User(email=email, locale=locale)
        db.session.add(user)
    elif not user.active:
        raise AccountError(_("This account is disabled. Enable it before inviting again."))
    if person is not None:
        holder = db.session.scalar(select(User).where(User.person_id == person.id))
        if holder is not None and holder is not user:
            raise AccountError(_("This person already has another account."))
        user.person = person
    user.set_roles(set(user.roles) | roles)
    db.session.flush()
    ttl = current_app.config["INVITATION_TTL"]
    signed = issue_token(user, TokenPurpose.INVITATION, ttl, created_by=invited_by)
    link = absolute_url("accounts.open_invitation", token=signed)
    record(
        "account.invited",
        target=user,
        actor_id=invited_by.id if invited_by else None,
        roles=sorted(r.value for r in roles),
        created=created,
    )
    send_mail(
        INVITATION,
        to=user.email,
        locale=user.locale,
        link=link,
        days_valid=max(1, ttl.days),
        name=user.first_name,
        pupil=user.roles == {Role.PUPIL},
    )
    return Invitation(user=user, link=link, created=created)


def _set_password_with_link(signed: str, purpose: TokenPurpose, password: str, audit_action: str) -> User:
    """Use a one-time link (locked against a double submit) to set the account's password."""
    token = resolve_token(signed, purpose, for_update=True)
    user = token.user
    set_password(user, password)
    token.used_at = utcnow()
    record(audit_action, target=user, actor_id=user.id)
    return user


def accept_invitation(signed: str, password: str) -> User:
    return _set_password_with_link(signed, TokenPurpose.INVITATION, password, "account.invitation_accepted")


def request_password_reset(email: str) -> None:
    """Mail a reset link when an active account exists; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    ttl = current_app.config["PASSWORD_RESET_TTL"]
    signed = issue_token(user, TokenPurpose.PASSWORD_RESET, ttl)
    record("account.password_reset_requested", target=user)
    link = absolute_url("accounts.open_reset", token=signed)
    send_mail(
        PASSWORD_RESET,
        to=user.email,
        locale=user.locale,
        link=link,
        minutes_valid=int(ttl.total_seconds() // 60),
        name=user.first_name,
    )


def reset_password(signed: str, password: str) -> User:
    return _set_password_with_link(signed, TokenPurpose.PASSWORD_RESET, password, "account.password_reset")


def update_account(user: User, *, roles: set[Role], active: bool, person: Person | None, by: User) -> None:
    """An administrator changes an account's roles, status or linked person."""
    from flask_babel import gettext as _

    if user.id == by.id and (Role.ADMIN not in roles or not active):
        raise AccountError(_("You cannot remove your own administrator role or disable yourself."))
    if person is not None:
        holder = db.session.scalar(select(User).where(User.person_id == person.id))
        if holder is not None and holder.id != user.id:
            raise AccountError(_("This person already has another account."))
    account_checked.send(User, person=person, roles=roles)
    before = {"roles": sorted(r.value for r in user.roles), "active": user.active, "person_id": user.person_id}
    user.set_roles(roles)
    if user.active and not active:
        user.session_version += 1  # disabling ends every session
    user.active = active
    user.person = person
    after = {"roles": sorted(r.value for r in roles), "active": active, "person_id": person.id if person else None}
    changed = {key: {"from": before[key], "to": after[key]} for key in before if before[key] != after[key]}
    if changed:
        record("account.updated", target=user, actor_id=by.id, changes=changed)


__all__ = [
    "AccountError",
    "Invitation",
    "TokenError",
    "accept_invitation",
    "account_checked",
    "authenticate",
    "change_password",
    "invite",
    "request_password_reset",
    "reset_password",
    "sign_out",
    "update_account",
]

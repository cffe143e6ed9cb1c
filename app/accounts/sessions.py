"""Sessions: loading the user, idle and absolute lifetimes, and cache headers.

Flask's session is a signed client-side cookie, so ending a session on the server means
refusing the cookie: the user id in it carries the account's ``session_version``
(see ``User.get_id``), and raising that version ends every session of the account.
The idle timeout is the cookie signature's maximum age (``PERMANENT_SESSION_LIFETIME``,
refreshed on each request); the absolute lifetime is checked here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, flash, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.extensions import db
from app.timestamps import utcnow
from app.urls import is_api_request, is_static_request

SIGNED_IN_AT = "signed_in_at"


def init_login_manager(manager: LoginManager) -> None:
    manager.login_view = "accounts.sign_in"
    manager.login_message = _l("Please sign in to see this page.")
    manager.login_message_category = "info"
    manager.session_protection = "basic"
    manager.user_loader(load_user)


def load_user(user_id: str) -> User | None:
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    # One statement for the account, its roles and its person (every page reads all three: the
    # menu by role, the greeting by first name), instead of three.
    user = (
        db.session.scalars(
            select(User).options(joinedload(User.role_rows), joinedload(User.person)).where(User.id == uid)
        )
        .unique()
        .one_or_none()
    )
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def start_session(user: User) -> None:
    """A fresh session at sign-in: nothing from the anonymous session is kept."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session.permanent = True
    session[SIGNED_IN_AT] = utcnow().timestamp()
    login_user(user)


def end_session() -> None:
    logout_user()
    session.clear()


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, never sent with a static file.

    A static file is cached for a year, by the browser and possibly by a shared cache on the way:
    it must carry neither the visitor's session cookie (``Set-Cookie``, refreshed on every request)
    nor ``Vary: Cookie`` (which would make the browser's cached copy miss on the next page).
    """

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if is_static_request():
            return
        super().save_session(app, session, response)


def enforce_session_lifetime() -> Any:
    if is_api_request() or is_static_request() or not current_user.is_authenticated:
        return None  # the API has no sessions: a bearer token per request
    started = session.get(SIGNED_IN_AT)
    limit = current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    if started is None or utcnow() - datetime.fromtimestamp(started, tz=utcnow().tzinfo) > limit:
        end_session()
        flash(_l("Your session has ended. Please sign in again."), "info")
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    return None


def no_store_for_signed_in(response: Response) -> Response:
    """Signed-in pages are never stored; static files have their own caching (``core.static_files``)."""
    if is_static_request() and current_app.config["STATIC_CACHING"]:
        return response
    signed_in_page = current_user.is_authenticated or (request.endpoint or "").startswith("accounts.")
    if signed_in_page and "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "no-store"
    return response

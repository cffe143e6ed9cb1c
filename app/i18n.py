"""Language: Dutch by default, English on request; dates in the reader's locale."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from app.urls import is_api_request

LOCALE_SESSION_KEY = "locale"


def supported(locale: str | None) -> bool:
    return locale in current_app.config["LANGUAGES"]


def select_locale() -> str:
    """The web: the language chosen in this browser, else the account's, else Dutch. The API (no
    session): the request's Accept-Language, else the token's account's, else Dutch."""
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if is_api_request():
        asked = request.accept_languages.best_match(current_app.config["LANGUAGES"])
        if asked:
            return str(asked)
        if current_user and current_user.is_authenticated and supported(current_user.locale):
            return str(current_user.locale)
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = session.get(LOCALE_SESSION_KEY)
    if supported(chosen):
        return str(chosen)
    if current_user and current_user.is_authenticated and supported(current_user.locale):
        return str(current_user.locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    return str(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return str(format_datetime(value, fmt))
    return str(format_date(value, fmt))


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["date"] = _date

    @app.context_processor
    def language_context() -> dict[str, Any]:
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}

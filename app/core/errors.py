"""The one place that turns an error into an answer: an error page in the application's style on
the web, the JSON error body on the API. A ``DomainError`` no view handled answers with its own
status and message, on both."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.api.errors import error_response
from app.errors import DomainError
from app.extensions import db
from app.urls import is_api_request

MESSAGES = {
    400: lambda: _("The request could not be handled. Check the form and try again."),
    422: lambda: _("Some of the values sent are not valid."),
    401: lambda: _("Please sign in first."),
    403: lambda: _("You may not do this."),
    404: lambda: _("This page does not exist, or you may not see it."),
    405: lambda: _("This page cannot be used this way."),
    410: lambda: _("This is no longer available."),
    413: lambda: _("The file or form is too large."),
    429: lambda: _("Too many attempts. Wait a few minutes and try again, or reset your password."),
    500: lambda: _("Something went wrong on our side. Nothing you entered was saved; please try again."),
}


API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    422: "invalid_input",
    429: "rate_limited",
    500: "server_error",
}


def _wants_json() -> bool:
    return is_api_request() or request.accept_mimetypes.best == "application/json"


def _render(code: int, message: str, details: Any = None) -> Any:
    if _wants_json():
        return error_response(code, API_CODES.get(code, str(code)), message, details=details or None)
    return render_template("errors/error.html", code=code, message=message), code


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        if error.keep_changes:
            db.session.commit()
        else:
            db.session.rollback()
        if _wants_json():
            return error_response(error.status, error.code, error.message, **error.details())
        return render_template("errors/error.html", code=error.status, message=error.message), error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return _render(400, _("This form has expired or was sent from elsewhere. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        code = error.code or 500
        message = MESSAGES.get(code, lambda: error.description or "")()
        details = (getattr(error, "data", None) or {}).get("messages")  # webargs validation errors
        return _render(code, message, details)

    @app.errorhandler(DataError)
    def value_out_of_range(error: DataError) -> Any:
        """A value the database cannot hold (a number beyond its column, say) that slipped past the
        checks where input comes in (``app.ids``): the sender's mistake, so 422, never 500."""
        db.session.rollback()
        app.logger.warning("value refused by the database on %s %s: %s", request.method, request.endpoint, error.orig)
        return _render(422, MESSAGES[422]())

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return http_error(error)
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.endpoint)
        if app.debug or (app.testing and app.config.get("PROPAGATE_EXCEPTIONS")):
            raise error
        return _render(500, MESSAGES[500]())

    app.register_error_handler(InternalServerError, lambda e: _render(500, MESSAGES[500]()))

"""The one flask-smorest ``Api`` at /api/v1, with every module's endpoints registered on it and its
OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api

from app.api.errors import ErrorSchema
from app.extensions import csrf
from app.urls import API_PREFIX

API_DESCRIPTION = """Beeldrecht's JSON API. Authenticate with `Authorization: Bearer <token>` (`flask users
token`); the API never reads a session cookie. Every failure answers `{"error": {"code", "message"}}`
(`code` for programs, `message` in the Accept-Language; validation errors add `details`), also for
unknown paths and methods. An object the token's user may not see answers 404, exactly like one
that does not exist. Ids are whole numbers from 1 to 2147483647. The `thumbnail_url`,
`display_url`, `poster_url` and `playback_url` of a media item are API addresses: fetch them with
the same token (same access as the item)."""

# Every operation may answer these (no token, or an object or role the caller may not reach).
EVERY_OPERATION = {"401": "UNAUTHORIZED", "404": "NOT_FOUND"}
# An operation that reads a body or query: malformed (400) or invalid (422) input.
WITH_INPUT = {"400": "BAD_REQUEST", "422": "UNPROCESSABLE_ENTITY"}
# A change the rules refuse: not this caller's to make (403), or not in this state (409).
CHANGES = {"403": "FORBIDDEN", "409": "CONFLICT"}


class ErrorResponses(BasePlugin):
    """Documents the error answers every operation can give, with the error body as their schema
    (``BeeldrechtApi.ERROR_SCHEMA``); operations add their own (409, 413, 415) with
    ``@blp.alt_response``."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            wanted = dict(EVERY_OPERATION)
            takes_query = any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict))
            if "requestBody" in operation or takes_query:
                wanted.update(WITH_INPUT)
            if method in ("post", "put", "patch", "delete"):
                wanted.update(CHANGES)
            for status, name in wanted.items():
                responses.setdefault(status, name)


class BeeldrechtApi(Api):
    ERROR_SCHEMA = ErrorSchema  # the documented error responses show our body
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"  # and so does the default response of every operation

    def _register_error_handlers(self) -> None:
        """The application's own handlers (``app.core.errors``) answer {"error": {"code", "message"}}."""


def register_api(app: Flask) -> None:
    from app.consent.api import blp as consent_api
    from app.media.api import blp as media_api
    from app.release.api import blp as release_api
    from app.school.api import blp as school_api

    app.config.update(
        API_TITLE="Beeldrecht",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = BeeldrechtApi(
        app,
        spec_kwargs={
            "security": [{"bearer": []}],
            "info": {"description": API_DESCRIPTION},
            "extra_plugins": [ErrorResponses()],
        },
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for blueprint in (school_api, consent_api, media_api, release_api):
        csrf.exempt(blueprint)  # bearer tokens only: the API never reads the session cookie
        api.register_blueprint(blueprint)

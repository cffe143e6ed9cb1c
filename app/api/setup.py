"""The one flask-smorest ``Api`` at /api/v1, with every module's endpoints registered on it and its
OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.api.errors import ErrorSchema
from app.extensions import csrf
from app.urls import API_PREFIX


class BeeldrechtApi(Api):
    ERROR_SCHEMA = ErrorSchema  # the documented error responses show our body

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
    api = BeeldrechtApi(app, spec_kwargs={"security": [{"bearer": []}]})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for blueprint in (school_api, consent_api, media_api, release_api):
        csrf.exempt(blueprint)  # bearer tokens only: the API never reads the session cookie
        api.register_blueprint(blueprint)

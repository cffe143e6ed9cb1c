"""The API's error body: ``{"error": {"code", "message", ...}}``, the same for every failure
(a refused rule, a validation error, a missing object, a server error)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "for programs, e.g. not_entitled, export_blocked"})
    message = fields.String(required=True, metadata={"description": "for people, in the Accept-Language"})
    details = fields.Raw(
        metadata={"description": "what was wrong with which field (validation errors, 400 and 422)"},
    )
    blockers = fields.List(
        fields.Dict(),
        metadata={"description": "why an export is refused (export_blocked): code, media_id, person_id, message"},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


def documented(status: int) -> str:
    """The name of the documented error response for ``status``, for ``@blp.alt_response(status,
    response=documented(status))``: flask-smorest registers one per HTTP status, with our body."""
    return HTTPStatus(status).name


def error_response(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update({key: value for key, value in extra.items() if value is not None})
    return jsonify({"error": body}), status

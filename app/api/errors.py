"""The API's error body: ``{"error": {"code", "message", ...}}``, the same for every failure
(a refused rule, a validation error, a missing object, a server error)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "for programs, e.g. not_entitled, export_blocked"})
    message = fields.String(required=True, metadata={"description": "for people, in the Accept-Language"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


def error_response(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update({key: value for key, value in extra.items() if value is not None})
    return jsonify({"error": body}), status

"""/api/v1 routes of the release: channels, clearance, exports, publications, takedowns. They are
added to the API blueprint (imported by ``register_api`` before the blueprint is registered)."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import abort, jsonify, make_response, url_for
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.access import STAFF_ROLES, allow, media_or_404
from app.accounts.models import Role
from app.api.resources import api_error, blp
from app.extensions import db
from app.release.clearance import clear
from app.release.exports import (
    BundleFailed,
    ExportBlocked,
    ExportError,
    bundle_download,
    channel_or_error,
    ensure_bundle,
    export_media,
)
from app.release.models import Channel, Export, Takedown, TakedownStatus
from app.release.publications import record_publication
from app.release.takedowns import TakedownError, resolve

RELEASERS = (Role.COMMUNICATIONS, Role.ADMIN)


def _user() -> Any:
    return current_user._get_current_object()


class ChannelSchema(Schema):
    key = fields.String()
    name = fields.String()
    purpose = fields.String()
    export_side = fields.Integer(allow_none=True, metadata={"description": "longest side in pixels; null: full size"})
    enabled = fields.Boolean()


@blp.route("/channels")
@blp.response(200, ChannelSchema(many=True))
@allow(*STAFF_ROLES)
def get_channels() -> Any:
    """Where media can be released, each serving one purpose of the consent form."""
    return db.session.scalars(select(Channel).order_by(Channel.id)).all()


class BlockerSchema(Schema):
    code = fields.String(metadata={"description": "tags_incomplete, face_unresolved, no_consent or quarantined"})
    person_id = fields.Integer(allow_none=True)
    message = fields.String()


class ClearanceSchema(Schema):
    channel = fields.String()
    cleared = fields.Boolean()
    blockers = fields.List(fields.Nested(BlockerSchema))


class ClearanceQuerySchema(Schema):
    channel = fields.String(required=True)


@blp.route("/media/<int:item_id>/clearance")
@blp.arguments(ClearanceQuerySchema, location="query")
@blp.response(200, ClearanceSchema)
@allow(*STAFF_ROLES)
def get_clearance(query: dict[str, Any], item_id: int) -> Any:
    """May this item go to this channel now? Every blocker, in words."""
    item = media_or_404(_user(), item_id)
    try:
        channel = channel_or_error(query["channel"])
    except ExportError as problem:
        api_error(problem.status, problem.code, str(problem))
    answer = clear([item.id], channel)[item.id]
    return {"channel": channel.key, "cleared": answer.cleared, "blockers": [b.as_dict() for b in answer.blockers]}


class ExportInSchema(Schema):
    channel = fields.String(required=True)
    media_ids = fields.List(fields.Integer(), required=True)
    blurred = fields.Boolean(load_default=False, metadata={"description": "only where the school allows it"})


class ExportOutSchema(Schema):
    id = fields.Integer()
    channel = fields.String(attribute="channel.key")
    download_url = fields.Function(lambda e: url_for("api.get_export_download", export_id=e.id))
    media_ids = fields.Function(lambda e: [entry.media_id for entry in e.items])
    blurred = fields.Boolean()


@blp.route("/exports", methods=["POST"])
@blp.arguments(ExportInSchema)
@blp.response(201, ExportOutSchema)
@blp.alt_response(409, description="Blocked: every blocker of every item, nothing released.")
@allow(*RELEASERS)
def post_export(body: dict[str, Any]) -> Any:
    """Release items to a channel: 201 with the bundle's address, or 409 with every blocker."""
    try:
        export = export_media(body["channel"], body["media_ids"], by=_user(), blurred=body["blurred"])
    except ExportBlocked as blocked:
        db.session.commit()  # the refused attempt stays in the audit log
        body = {
            "error": {
                "code": "export_blocked",
                "message": "Not everyone shown or heard may appear on this channel; nothing was released.",
                "blockers": [b.as_dict() for b in blocked.blockers],
            }
        }
        abort(make_response(jsonify(body), 409))
    except ExportError as problem:
        db.session.rollback()
        api_error(problem.status, problem.code, str(problem))
    db.session.commit()
    with contextlib.suppress(BundleFailed):  # the export stands; the download tries again and says so if it still fails
        ensure_bundle(export)
    return export


@blp.route("/exports/<int:export_id>/download")
@allow(*RELEASERS)
def get_export_download(export_id: int) -> Any:
    """The bundle: a ZIP of clean files with neutral names."""
    export = db.session.get(Export, export_id)
    if export is None:
        api_error(404, "not_found", "There is no such export.")
    try:
        return bundle_download(export)
    except BundleFailed:
        api_error(409, "bundle_failed", "The files of this export could not be made; ask an administrator.")


class PublicationInSchema(Schema):
    export_id = fields.Integer(required=True)
    media_id = fields.Integer(required=True)
    url = fields.String(required=True, validate=validate.Length(min=1, max=500))
    published_on = fields.Date(load_default=None)


class PublicationSchema(Schema):
    id = fields.Integer()
    export_id = fields.Integer()
    media_id = fields.Integer(allow_none=True)
    channel = fields.String(attribute="channel.key")
    url = fields.String()
    published_on = fields.Date()


@blp.route("/publications", methods=["POST"])
@blp.arguments(PublicationInSchema)
@blp.response(201, PublicationSchema)
@allow(*RELEASERS)
def post_publication(body: dict[str, Any]) -> Any:
    """Record where an exported item was posted."""
    export = db.session.get(Export, body["export_id"])
    if export is None:
        api_error(404, "not_found", "There is no such export.")
    try:
        publication = record_publication(
            export, body["media_id"], body["url"], by=_user(), published_on=body["published_on"]
        )
    except ExportError as problem:
        db.session.rollback()
        api_error(problem.status, problem.code, str(problem))
    db.session.commit()
    return publication


class TakedownSchema(Schema):
    id = fields.Integer()
    status = fields.Function(lambda t: t.status.value)
    url = fields.String()
    channel = fields.Function(lambda t: t.publication.channel.key if t.publication else t.incident.channel)
    media_id = fields.Function(lambda t: t.publication.media_id if t.publication else None)
    person_id = fields.Integer(allow_none=True)
    incident_id = fields.Integer(allow_none=True)
    opened_at = fields.DateTime()
    due_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)


class TakedownQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in TakedownStatus]))


@blp.route("/takedowns")
@blp.arguments(TakedownQuerySchema, location="query")
@blp.response(200, TakedownSchema(many=True))
@allow(*RELEASERS)
def get_takedowns(query: dict[str, Any]) -> Any:
    """Removal work, oldest first; ``?status=open`` for what is still to do."""
    statement = select(Takedown).order_by(Takedown.due_at, Takedown.id)
    if query["status"]:
        statement = statement.where(Takedown.status == TakedownStatus(query["status"]))
    return db.session.scalars(statement).all()


class ResolveSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(max=2000))


@blp.route("/takedowns/<int:takedown_id>/resolve", methods=["POST"])
@blp.arguments(ResolveSchema)
@blp.response(200, TakedownSchema)
@allow(*RELEASERS)
def post_takedown_resolve(body: dict[str, Any], takedown_id: int) -> Any:
    """Mark a removal as done, with a note saying what was done."""
    takedown = db.session.get(Takedown, takedown_id)
    if takedown is None:
        api_error(404, "not_found", "There is no such takedown.")
    try:
        resolve(takedown, body["note"], by=_user())
    except TakedownError as problem:
        db.session.rollback()
        api_error(problem.status, problem.code, str(problem))
    db.session.commit()
    return takedown

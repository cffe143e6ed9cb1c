"""What the API takes and says about channels, clearance, exports, publications and takedowns."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from app.ids import id_field
from app.release.captions import MAX_CAPTION
from app.release.exports import files_state
from app.release.models import ApprovalStatus, ExportStatus, TakedownStatus


class ChannelSchema(Schema):
    key = fields.String()
    name = fields.String()
    purpose = fields.String()
    export_side = fields.Integer(allow_none=True, metadata={"description": "longest side in pixels; null: full size"})
    film_kbps = fields.Integer(metadata={"description": "bitrate cap of exported films' picture in kbit/s"})
    enabled = fields.Boolean()


class BlockerSchema(Schema):
    code = fields.String(
        metadata={
            "description": "tags_incomplete, face_unresolved, no_consent, quarantined, approval_pending,"
            " outside_person, twin_blocked (the same file in another album is blocked by someone shown on it),"
            " processing, refused, rescan_needed (a film searched for faces on sampled frames only)"
            " or caption_names_pupil (the caption's blockers carry the first item's media_id)"
        }
    )
    person_id = fields.Integer(allow_none=True)
    outside_person_id = fields.Integer(
        allow_none=True, metadata={"description": "someone from outside the school (code outside_person)"}
    )
    message = fields.String()


class ClearanceSchema(Schema):
    channel = fields.String()
    cleared = fields.Boolean()
    blockers = fields.List(fields.Nested(BlockerSchema))


class ClearanceQuerySchema(Schema):
    channel = fields.String(required=True)


class ExportInSchema(Schema):
    channel = fields.String(required=True)
    media_ids = fields.List(id_field(), required=True)
    blurred = fields.Boolean(load_default=False, metadata={"description": "only where the school allows it"})
    caption = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": f"the text of the post: at most {MAX_CAPTION:,} characters (Instagram's limit), no control "
            "characters but line breaks and tabs; one that names a pupil blocks the export (caption_names_pupil) "
            "unless the school allows it",
            "maxLength": MAX_CAPTION,
        },
    )


class ExportOutSchema(Schema):
    id = fields.Integer()
    status = fields.Function(
        lambda e: e.status.value, metadata={"description": "released, awaiting_approval or rejected"}
    )
    channel = fields.String(attribute="channel.key")
    download_url = fields.Function(
        lambda e: (
            url_for("release_api.get_export_download", export_id=e.id) if e.status is ExportStatus.RELEASED else None
        )
    )
    media_ids = fields.Function(lambda e: [entry.media_id for entry in e.items])
    files = fields.Function(
        files_state,
        metadata={
            "description": "ready, being_made (films and sound are being made for the channel: the download"
            " answers 409 bundle_pending), failed (409 files_failed), or null until released"
        },
    )
    blurred = fields.Boolean()
    caption = fields.String(allow_none=True)


class PublicationInSchema(Schema):
    export_id = id_field(required=True)
    media_id = id_field(required=True)
    url = fields.String(required=True, validate=validate.Length(min=1, max=500))
    published_on = fields.Date(load_default=None)


class PublicationSchema(Schema):
    id = fields.Integer()
    export_id = fields.Integer()
    media_id = fields.Integer(allow_none=True)
    channel = fields.String(attribute="channel.key")
    url = fields.String()
    published_on = fields.Date()
    caption = fields.String(allow_none=True, metadata={"description": "the export's text of the post"})


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


class ResolveSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(max=2000))


class ApprovalSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda a: a.kind.value, metadata={"description": "tags, face or export"})
    status = fields.Function(lambda a: a.status.value, metadata={"description": "open, approved or rejected"})
    media_id = fields.Integer(allow_none=True)
    export_id = fields.Integer(allow_none=True)
    change = fields.Dict(
        metadata={"description": '{"remove": [person ids], "attest": bool} or {"face_id": id, "reason": code}'}
    )
    reason = fields.String()
    proposed_by = fields.Function(lambda a: a.proposed_by.email if a.proposed_by else None)
    proposed_at = fields.DateTime()
    decided_by = fields.Function(lambda a: a.decided_by.email if a.decided_by else None)
    decided_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)


class ApprovalQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in ApprovalStatus]))


class DecisionNoteSchema(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=2000))

"""What the API says about a media item (shared by the upload, the item and the tagging endpoints)."""

from __future__ import annotations

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from app.consent.vocabulary import MediaType
from app.ids import id_field
from app.media.models import DismissReason, MediaItem, ProcessingState


def _derivative_url(item: MediaItem, variant: str, *, of: MediaType) -> str | None:
    """The picture's address, once it exists: a film's pictures are made by its processing job."""
    if item.media_type is not of or item.processing_state is not ProcessingState.READY:
        return None
    return url_for("media_api.get_picture", item_id=item.id, variant=variant)


class MediaFormSchema(Schema):
    """The upload: a multipart/form-data body (``app.api.multipart``)."""

    file = Upload(required=True, metadata={"description": "the photo, film or sound recording"})
    group_id = id_field(required=True)
    album = fields.String(required=True, validate=validate.Length(min=1, max=120))
    taken_on = fields.Date(load_default=None, metadata={"description": "album date; default today"})


class MediaSchema(Schema):
    id = fields.Integer()
    media_type = fields.Function(lambda m: m.media_type.value)
    mime_type = fields.String(metadata={"description": "the format the bytes were recognised as"})
    sha256 = fields.String()
    size_bytes = fields.Integer()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    processing_state = fields.Function(
        lambda m: m.processing_state.value,
        metadata={
            "description": "films and sound are processed after the upload: processing, ready, refused "
            "(the file does not decode) or failed; only a ready item can be cleared"
        },
    )
    group_id = fields.Integer()
    album = fields.Function(
        lambda m: {"id": m.album_id, "title": m.album.title, "taken_on": m.album.taken_on.isoformat()}
    )
    thumbnail_url = fields.Function(
        lambda m: _derivative_url(m, "thumbnail", of=m.media_type) if m.media_type is not MediaType.AUDIO else None,
        metadata={
            "description": "fetched with the same bearer token (as are display_url, poster_url, playback_url); "
            "null while a film is processing"
        },
    )
    display_url = fields.Function(lambda m: _derivative_url(m, "display", of=MediaType.PHOTO))
    poster_url = fields.Function(lambda m: _derivative_url(m, "display", of=MediaType.FILM))
    playback_url = fields.Function(
        lambda m: url_for("media_api.get_playback", item_id=m.id) if m.playback_name else None,
        metadata={"description": "the tag-free copy of a film or sound recording, for playing"},
    )
    tags = fields.Function(lambda m: [{"person_id": t.person_id, "box": t.box} for t in m.tags])
    tags_complete = fields.Boolean()
    faces = fields.Function(
        lambda m: [
            {
                "id": f.id,
                "box": f.box,
                "status": f.status.value,
                "frame_ms": f.frame_ms,
                "first_ms": f.first_ms,
                "last_ms": f.last_ms,
                "person_id": f.person_id,
                "outside_person_id": f.outside_person_id,
                "dismissed_reason": f.dismissed_reason.value if f.dismissed_reason else None,
            }
            for f in m.faces
        ],
        metadata={
            "description": "detected faces (boxes only); status open, tagged, outside or dismissed. On a film "
            "each is a track: the face from first_ms to last_ms, with its largest box on the frame at frame_ms"
        },
    )
    outside_people = fields.Function(
        lambda m: [OutsiderSchema().dump(p) for p in m.outside_people],
        metadata={"description": "people from outside the school shown in the item"},
    )


class OutsiderSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    box = fields.List(fields.Float(), allow_none=True)
    face_ids = fields.Function(lambda p: [f.id for f in p.faces])
    consents = fields.Function(
        lambda p: [
            {"media_type": c.media_type.value, "purpose": c.purpose, "given_on": c.given_on.isoformat()}
            for c in p.consents
            if c.in_force
        ],
        metadata={"description": "their own consent in force, recorded by an administrator"},
    )


class OutsiderInSchema(Schema):
    name = fields.String(
        required=True,
        metadata={"description": "who: a name or a description such as 'Visitor: grandfather of a pupil' (max 120)"},
    )
    face_id = id_field(load_default=None, allow_none=True, metadata={"description": "their detected face"})
    face_ids = fields.List(id_field(), load_default=list, metadata={"description": "several faces (a film's frames)"})
    box = fields.List(fields.Float(), load_default=None, allow_none=True, validate=validate.Length(equal=4))
    explanation = fields.String(
        load_default=None,
        validate=validate.Length(max=2000),
        metadata={"description": "why: required when the change waits for leadership's approval"},
    )


class TagInSchema(Schema):
    person_id = id_field(required=True)
    box = fields.List(fields.Float(), load_default=None, allow_none=True, validate=validate.Length(equal=4))
    face_id = id_field(load_default=None, allow_none=True, metadata={"description": "the detected face"})
    face_ids = fields.List(id_field(), load_default=list, metadata={"description": "several faces (a film's frames)"})


class TagsInSchema(Schema):
    tags = fields.List(fields.Nested(TagInSchema), required=True)
    complete = fields.Boolean(required=True)
    explanation = fields.String(
        load_default=None,
        validate=validate.Length(max=2000),
        metadata={"description": "why: required when the change waits for leadership's approval"},
    )


class DismissSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf([r.value for r in DismissReason]))
    explanation = fields.String(
        load_default=None,
        validate=validate.Length(max=2000),
        metadata={"description": "why: required when the change waits for leadership's approval"},
    )

"""/api/v1 resources. Each one parses, asks ``app.access`` what the token's user may see,
calls the same queries and operations as the web pages, and answers JSON."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import abort, jsonify, make_response, request, url_for
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.access import (
    SIGNED_IN,
    STAFF_ROLES,
    allow,
    family_subjects,
    group_or_404,
    media_or_404,
    person_or_404,
    visible_groups,
    visible_persons,
)
from app.consent.operations import ConsentError, decide
from app.consent.queries import active_form, consent_for, now
from app.consent.vocabulary import PURPOSES, Action, Means, MediaType
from app.extensions import db
from app.media.ingest import MediaRejected, ingest_upload
from app.media.models import DismissReason, Face
from app.media.operations import TaggingError, TagSpec, album_for, dismiss_face, set_tags
from app.school.models import Group, Person, PersonKind, group_pupil

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="Beeldrecht's JSON API (bearer tokens).")


def api_error(status: int, code: str, message: str) -> NoReturn:
    """Stop with ``{"error": {"code", "message"}}``."""
    abort(make_response(jsonify({"error": {"code": code, "message": message}}), status))


class PurposeSchema(Schema):
    key = fields.String(required=True)
    public = fields.Boolean(required=True)
    label_nl = fields.String(required=True)
    label_en = fields.String(required=True)


class PurposesSchema(Schema):
    form = fields.String(metadata={"description": "form id and version in force"}, allow_none=True)
    media_types = fields.List(fields.String())
    purposes = fields.List(fields.Nested(PurposeSchema))


class GroupSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    location = fields.String(attribute="location.name")
    school_year = fields.String(attribute="school_year.name")


class PersonSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda p: p.kind.value)
    name = fields.String(attribute="full_name")
    group_ids = fields.Function(lambda p: sorted(g.id for g in p.pupil_groups))


class PeopleQuerySchema(Schema):
    group_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf([k.value for k in PersonKind]))


class ExplanationSchema(Schema):
    rule = fields.String()
    decided_by_guardians = fields.Boolean()
    conflict = fields.Boolean()
    decision_ids = fields.List(fields.Integer())


class ConsentSchema(Schema):
    media_type = fields.String()
    purpose = fields.String()
    state = fields.String(metadata={"enum": ["granted", "refused", "none"]})
    expires_at = fields.Date(allow_none=True)
    explanation = fields.Nested(ExplanationSchema)


class DecisionInSchema(Schema):
    media_type = fields.String(required=True, validate=validate.OneOf([m.value for m in MediaType]))
    purpose = fields.String(required=True, validate=validate.OneOf(list(PURPOSES)))
    decision = fields.String(required=True, validate=validate.OneOf([a.value for a in Action]))


class DecisionOutSchema(Schema):
    id = fields.Integer()
    media_type = fields.Function(lambda d: d.media_type.value)
    purpose = fields.String()
    decision = fields.Function(lambda d: d.action.value)
    decided_at = fields.DateTime()
    form_id = fields.Integer()


def _user() -> Any:
    return current_user._get_current_object()


@blp.route("/purposes")
@blp.response(200, PurposesSchema)
@allow(SIGNED_IN)
def list_purposes() -> dict[str, Any]:
    """The purposes and media types of the consent form in force."""
    form = active_form(now().day)
    if form is None:
        return {"form": None, "media_types": [], "purposes": []}
    return {
        "form": f"{form.form_key} v{form.version}",
        "media_types": [m.value for m in form.media_types],
        "purposes": [
            {"key": p["key"], "public": p["public"], "label_nl": p["label"]["nl"], "label_en": p["label"]["en"]}
            for p in form.content["purposes"]
        ],
    }


@blp.route("/groups")
@blp.response(200, GroupSchema(many=True))
@allow(SIGNED_IN)
def list_groups() -> list[Group]:
    """Groups the caller may see: all for communications and administrators, own for teachers."""
    return list(db.session.scalars(visible_groups(_user()).order_by(Group.name)))


@blp.route("/people")
@blp.arguments(PeopleQuerySchema, location="query")
@blp.response(200, PersonSchema(many=True))
@allow(SIGNED_IN)
def list_people(args: dict[str, Any]) -> list[Person]:
    """People the caller may see; a parent's list holds their own family only."""
    query = visible_persons(_user()).order_by(Person.last_name, Person.first_name, Person.id)
    if "group_id" in args:
        query = query.where(
            Person.id.in_(select(group_pupil.c.person_id).where(group_pupil.c.group_id == args["group_id"]))
        )
    if "kind" in args:
        query = query.where(Person.kind == PersonKind(args["kind"]))
    return list(db.session.scalars(query.limit(1000)))


@blp.route("/people/<int:person_id>")
@blp.response(200, PersonSchema)
@allow(SIGNED_IN)
def get_person(person_id: int) -> Person:
    return person_or_404(_user(), person_id)


@blp.route("/people/<int:person_id>/consents", methods=["GET"])
@blp.response(200, ConsentSchema(many=True))
@allow(SIGNED_IN)
def get_consents(person_id: int) -> list[dict[str, Any]]:
    """Effective consent for every media type x purpose of the form in force, with the explanation."""
    person = person_or_404(_user(), person_id)
    form = active_form(now().day)
    if form is None:
        return []
    keys = [(person.id, m, p) for m in form.media_types for p in form.purposes]
    answers = consent_for(keys, now())
    return [
        {
            "media_type": media.value,
            "purpose": purpose,
            "state": answers[(pid, media, purpose)].state.value,
            "expires_at": answers[(pid, media, purpose)].expires_on,
            "explanation": {
                "rule": answers[(pid, media, purpose)].rule.value,
                "decided_by_guardians": answers[(pid, media, purpose)].decided_by_guardians,
                "conflict": answers[(pid, media, purpose)].conflict,
                "decision_ids": [e.id for e in answers[(pid, media, purpose)].relied_on],
            },
        }
        for pid, media, purpose in keys
    ]


@blp.route("/people/<int:person_id>/consents", methods=["POST"])
@blp.arguments(DecisionInSchema)
@blp.response(201, DecisionOutSchema)
@allow(SIGNED_IN)
def post_consent(body: dict[str, Any], person_id: int) -> Any:
    """Grant, refuse or withdraw, as the token's own person (a guardian, or the subject)."""
    user = _user()
    person_or_404(user, person_id)
    subject = db.session.scalar(family_subjects(user).where(Person.id == person_id))
    decider = db.session.get(Person, user.person_id) if user.person_id else None
    if subject is None or decider is None:
        api_error(403, "not_entitled", "You may not decide about this person.")
    try:
        decision = decide(
            subject,
            body["media_type"],
            body["purpose"],
            body["decision"],
            decided_by=decider,
            recorded_by=user,
            means=Means.API,
        )
    except ConsentError as problem:
        db.session.rollback()
        status = {"not_entitled": 403, "already_recorded": 409}.get(problem.code, 422)
        api_error(status, problem.code, str(problem))
    db.session.commit()
    return decision


class MediaFormSchema(Schema):
    group_id = fields.Integer(required=True)
    album = fields.String(required=True, validate=validate.Length(min=1, max=120))
    taken_on = fields.Date(load_default=None, metadata={"description": "album date; default today"})


class MediaSchema(Schema):
    id = fields.Integer()
    media_type = fields.Function(lambda m: m.media_type.value)
    sha256 = fields.String()
    size_bytes = fields.Integer()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    group_id = fields.Integer()
    album = fields.Function(
        lambda m: {"id": m.album_id, "title": m.album.title, "taken_on": m.album.taken_on.isoformat()}
    )
    thumbnail_url = fields.Function(
        lambda m: (
            None if m.media_type is MediaType.AUDIO else url_for("media.derivative", item_id=m.id, variant="thumbnail")
        )
    )
    display_url = fields.Function(
        lambda m: (
            url_for("media.derivative", item_id=m.id, variant="display") if m.media_type is MediaType.PHOTO else None
        )
    )
    poster_url = fields.Function(
        lambda m: (
            url_for("media.derivative", item_id=m.id, variant="display") if m.media_type is MediaType.FILM else None
        )
    )
    playback_url = fields.Function(
        lambda m: url_for("media.playback", item_id=m.id) if m.playback_name else None,
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
                "person_id": f.person_id,
                "dismissed_reason": f.dismissed_reason.value if f.dismissed_reason else None,
            }
            for f in m.faces
        ],
        metadata={"description": "detected faces (boxes only); status open, tagged or dismissed"},
    )


@blp.route("/media", methods=["POST"])
@blp.arguments(MediaFormSchema, location="form")
@blp.response(201, MediaSchema)
@blp.alt_response(200, schema=MediaSchema, description="The same bytes were uploaded before: the existing item.")
@allow(*STAFF_ROLES)
def post_media(form: dict[str, Any]) -> Any:
    """Upload one file (multipart ``file``) into a group's album."""
    upload = request.files.get("file")
    if upload is None:
        api_error(422, "invalid_input", "Send the file as the multipart field 'file'.")
    group = group_or_404(_user(), form["group_id"])
    album = album_for(group, form["album"], form["taken_on"] or now().day)
    try:
        ingested = ingest_upload(upload.stream, album=album, uploaded_by=_user())
    except MediaRejected as problem:
        db.session.rollback()
        api_error(problem.status, problem.code, str(problem))
    db.session.commit()
    return ingested.item, 201 if ingested.created else 200


@blp.route("/media/<int:item_id>")
@blp.response(200, MediaSchema)
@allow(*STAFF_ROLES)
def get_media(item_id: int) -> Any:
    return media_or_404(_user(), item_id)


class TagInSchema(Schema):
    person_id = fields.Integer(required=True)
    box = fields.List(fields.Float(), load_default=None, allow_none=True, validate=validate.Length(equal=4))
    face_id = fields.Integer(load_default=None, allow_none=True, metadata={"description": "the detected face"})
    face_ids = fields.List(
        fields.Integer(), load_default=list, metadata={"description": "several faces (a film's frames)"}
    )


class TagsInSchema(Schema):
    tags = fields.List(fields.Nested(TagInSchema), required=True)
    complete = fields.Boolean(required=True)


@blp.route("/media/<int:item_id>/tags", methods=["PUT"])
@blp.arguments(TagsInSchema)
@blp.response(200, MediaSchema)
@allow(*STAFF_ROLES)
def put_tags(body: dict[str, Any], item_id: int) -> Any:
    """Replace who is shown or heard, and whether that list is complete (the attestation)."""
    item = media_or_404(_user(), item_id)
    try:
        set_tags(
            item,
            [
                TagSpec(t["person_id"], t["box"], tuple(([t["face_id"]] if t["face_id"] else []) + t["face_ids"]))
                for t in body["tags"]
            ],
            complete=body["complete"],
            by=_user(),
        )
    except TaggingError as problem:
        db.session.rollback()
        api_error(422, problem.code, str(problem))
    db.session.commit()
    return item


class DismissSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf([r.value for r in DismissReason]))


@blp.route("/media/<int:item_id>/faces/<int:face_id>/dismiss", methods=["POST"])
@blp.arguments(DismissSchema)
@blp.response(200, MediaSchema)
@allow(*STAFF_ROLES)
def post_dismiss_face(body: dict[str, Any], item_id: int, face_id: int) -> Any:
    """Resolve a detected face without a tag: ``not_a_face`` or ``not_recognisable``."""
    item = media_or_404(_user(), item_id)
    face = db.session.get(Face, face_id)
    if face is None or face.media_id != item.id:
        api_error(404, "not_found", "This item has no such face.")
    try:
        dismiss_face(face, DismissReason(body["reason"]), by=_user())
    except TaggingError as problem:
        db.session.rollback()
        api_error(409, problem.code, str(problem))
    db.session.commit()
    return item

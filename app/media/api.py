"""/api/v1 endpoints of media: upload, an item, its tags and the dismissal of a detected face,
thin over the same operations as the library's pages."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, request
from werkzeug.wrappers import Response as WerkzeugResponse

from app.access import STAFF_ROLES, allow, current_account, group_or_404
from app.api.errors import documented
from app.api.multipart import MultipartBlueprint
from app.consent.queries import now
from app.extensions import db
from app.media.ingest import ingest_upload
from app.media.models import DismissReason, MediaItem
from app.media.operations import TagSpec, album_for, remove_files
from app.media.outsiders import outsider_of_or_404
from app.media.schemas import (
    DismissSchema,
    MediaFormSchema,
    MediaSchema,
    OutsiderInSchema,
    OutsiderSchema,
    TagsInSchema,
)
from app.media.serving import derivative_response, playback_response, sandboxed
from app.media.visibility import face_of_or_404, media_or_404
from app.release.approvals import (
    change_tags,
    dismiss_or_propose,
    mark_outside_or_propose,
    remove_outside_or_propose,
)
from app.release.models import Approval
from app.release.schemas import ApprovalSchema
from app.urls import API_PREFIX

blp = MultipartBlueprint(
    "media_api",
    __name__,
    url_prefix=API_PREFIX,
    description="Media: upload, tags, faces and people from outside the school.",
)


@blp.route("/media", methods=["POST"])
@blp.arguments(MediaFormSchema, location="form", content_type="multipart/form-data")
@blp.response(201, MediaSchema)
@blp.alt_response(200, schema=MediaSchema, description="The same bytes were uploaded before: the existing item.")
@blp.alt_response(413, response=documented(413))
@blp.alt_response(415, response=documented(415))
@allow(*STAFF_ROLES)
def post_media(form: dict[str, Any]) -> tuple[MediaItem, int]:
    """Upload one file (multipart ``file``) into a group's album. The same bytes already in an item
    the caller may see answer 200 with that item; otherwise a new item of this group (201)."""
    upload = form["file"]
    group = group_or_404(current_account(), form["group_id"])
    album = album_for(group, form["album"], form["taken_on"] or now().day)
    ingested = ingest_upload(upload.stream, album=album, uploaded_by=current_account())
    db.session.commit()
    return ingested.item, 201 if ingested.created else 200


@blp.route("/media/<int:item_id>")
@blp.response(200, MediaSchema)
@allow(*STAFF_ROLES)
def get_media(item_id: int) -> MediaItem:
    return media_or_404(current_account(), item_id)


PICTURE = {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}
RECORDING = {
    mime: {"schema": {"type": "string", "format": "binary"}}
    for mime in ("video/mp4", "video/webm", "audio/mp4", "audio/mpeg", "audio/wav", "audio/ogg")
}


@blp.route("/media/<int:item_id>/<any(thumbnail, display):variant>.jpg")
@blp.doc(responses={"200": {"description": "The JPEG, without any metadata.", "content": PICTURE}})
@allow(*STAFF_ROLES)
@sandboxed
def get_picture(item_id: int, variant: str) -> WerkzeugResponse:
    """An item's thumbnail (320 px) or display image (1600 px; a film's poster frame), with the same
    bearer token and the same access as the item itself (``thumbnail_url``, ``display_url`` and
    ``poster_url`` point here). A sound recording has no pictures: 404."""
    return derivative_response(media_or_404(current_account(), item_id), variant)


@blp.route("/media/<int:item_id>/playback")
@blp.doc(
    responses={"200": {"description": "The tag-free copy; Range requests are answered with 206.", "content": RECORDING}}
)
@allow(*STAFF_ROLES)
@sandboxed
def get_playback(item_id: int) -> WerkzeugResponse:
    """The tag-free playback copy of a film or sound recording (``playback_url`` points here), with
    the same bearer token and access as the item; a photo has none: 404."""
    return playback_response(media_or_404(current_account(), item_id))


@blp.route("/media/<int:item_id>/tags", methods=["PUT"])
@blp.arguments(TagsInSchema)
@blp.response(200, MediaSchema)
@blp.alt_response(202, schema=ApprovalSchema, description="The change waits for leadership's approval.")
@blp.alt_response(409, response=documented(409))
@allow(*STAFF_ROLES)
def put_tags(body: dict[str, Any], item_id: int) -> MediaItem | Response:
    """Replace who is shown or heard, and whether that list is complete (the attestation)."""
    item = media_or_404(current_account(), item_id)
    specs = [
        TagSpec(t["person_id"], t["box"], tuple(([t["face_id"]] if t["face_id"] else []) + t["face_ids"]))
        for t in body["tags"]
    ]
    proposal = change_tags(item, specs, complete=body["complete"], by=current_account(), reason=body["explanation"])
    db.session.commit()
    return pending(proposal) if proposal else item


@blp.route("/media/<int:item_id>/faces/<int:face_id>/dismiss", methods=["POST"])
@blp.arguments(DismissSchema)
@blp.response(200, MediaSchema)
@blp.alt_response(202, schema=ApprovalSchema, description="The dismissal waits for leadership's approval.")
@blp.alt_response(409, response=documented(409))
@allow(*STAFF_ROLES)
def post_dismiss_face(body: dict[str, Any], item_id: int, face_id: int) -> MediaItem | Response:
    """Resolve a detected face without a tag: ``not_a_face`` or ``not_recognisable``."""
    item = media_or_404(current_account(), item_id)
    face = face_of_or_404(item, face_id)
    proposal = dismiss_or_propose(face, DismissReason(body["reason"]), by=current_account(), why=body["explanation"])
    db.session.commit()
    return pending(proposal) if proposal else item


def pending(proposal: Approval) -> Response:
    """202: the change waits for leadership's approval (the item is blocked meanwhile)."""
    return make_response(ApprovalSchema().dump(proposal), 202)


@blp.route("/media/<int:item_id>/outside-people", methods=["POST"])
@blp.arguments(OutsiderInSchema)
@blp.response(201, OutsiderSchema)
@blp.alt_response(409, response=documented(409))
@allow(*STAFF_ROLES)
def post_outsider(body: dict[str, Any], item_id: int) -> Any:
    """Mark someone from outside the school (a visitor, a child of another school, a passer-by):
    with their detected face(s), which are then resolved, or a box on a photo. They block every
    public channel until an administrator records their own consent."""
    item = media_or_404(current_account(), item_id)
    face_ids = ([body["face_id"]] if body["face_id"] else []) + body["face_ids"]
    marked = mark_outside_or_propose(
        item, body["name"], by=current_account(), face_ids=face_ids, box=body["box"], why=body["explanation"]
    )
    db.session.commit()
    return pending(marked) if isinstance(marked, Approval) else marked


@blp.route("/media/<int:item_id>/outside-people/<int:outsider_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(202, schema=ApprovalSchema, description="The removal waits for leadership's approval.")
@allow(*STAFF_ROLES)
def delete_outsider(item_id: int, outsider_id: int) -> Response | None:
    """Remove someone from outside the school from the item (their faces are open again; their
    consents and the scans go)."""
    item = media_or_404(current_account(), item_id)
    outcome = remove_outside_or_propose(
        outsider_of_or_404(item, outsider_id), by=current_account(), why=request.args.get("explanation")
    )
    db.session.commit()
    if isinstance(outcome, Approval):
        return pending(outcome)
    remove_files(outcome)
    return None

"""/api/v1 endpoints of the release: channels, clearance, exports (and export requests), approvals,
publications, takedowns, thin over the same operations as the release pages. A refused export answers
409 with every blocker (``ExportBlocked``, turned into the error body by the one error handler)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select

from app.access import APPROVERS, RELEASERS, STAFF_ROLES, allow, current_account
from app.errors import NotFound
from app.extensions import db
from app.media.operations import remove_files
from app.media.visibility import media_or_404
from app.release.approvals import approve, reject
from app.release.clearance import clear
from app.release.exports import bundle_download, channel_or_error, export_media, prepare_bundle
from app.release.history import remember_blocks
from app.release.models import (
    Approval,
    ApprovalStatus,
    BlockCause,
    Channel,
    Export,
    ExportStatus,
    Takedown,
    TakedownStatus,
)
from app.release.publications import record_publication
from app.release.schemas import (
    ApprovalQuerySchema,
    ApprovalSchema,
    ChannelSchema,
    ClearanceQuerySchema,
    ClearanceSchema,
    DecisionNoteSchema,
    ExportInSchema,
    ExportOutSchema,
    PublicationInSchema,
    PublicationSchema,
    ResolveSchema,
    TakedownQuerySchema,
    TakedownSchema,
)
from app.release.takedowns import resolve
from app.urls import API_PREFIX

blp = Blueprint(
    "release_api", __name__, url_prefix=API_PREFIX, description="Release: channels, clearance, exports, takedowns."
)


def _export_or_404(export_id: int) -> Export:
    export = db.session.get(Export, export_id)
    if export is None:
        raise NotFound("not_found", _("There is no such export."))
    return export


@blp.route("/channels")
@blp.response(200, ChannelSchema(many=True))
@allow(*STAFF_ROLES)
def get_channels() -> Any:
    """Where media can be released, each serving one purpose of the consent form."""
    return db.session.scalars(select(Channel).order_by(Channel.id)).all()


@blp.route("/media/<int:item_id>/clearance")
@blp.arguments(ClearanceQuerySchema, location="query")
@blp.response(200, ClearanceSchema)
@allow(*STAFF_ROLES)
def get_clearance(query: dict[str, Any], item_id: int) -> Any:
    """May this item go to this channel now? Every blocker, in words."""
    item = media_or_404(current_account(), item_id)
    channel = channel_or_error(query["channel"])
    answer = clear([item.id], channel)[item.id]
    remember_blocks(answer.blockers, BlockCause.CLEARANCE)
    db.session.commit()
    return {"channel": channel.key, "cleared": answer.cleared, "blockers": [b.as_dict() for b in answer.blockers]}


@blp.route("/exports", methods=["POST"])
@blp.arguments(ExportInSchema)
@blp.response(201, ExportOutSchema)
@blp.alt_response(202, schema=ExportOutSchema, description="A request: the channel needs leadership's approval.")
@blp.alt_response(409, description="Blocked: every blocker of every item, nothing released.")
@allow(*RELEASERS)
def post_export(body: dict[str, Any]) -> Any:
    """Release items to a channel, optionally with the text of the post: 201 with the bundle's
    address; 202 ``awaiting_approval`` on a channel that needs leadership's approval; 409 with every
    blocker (a caption naming a pupil among them)."""
    export = export_media(
        body["channel"], body["media_ids"], by=current_account(), blurred=body["blurred"], caption=body["caption"]
    )
    db.session.commit()
    if export.status is ExportStatus.AWAITING_APPROVAL:
        return export, 202
    prepare_bundle(export)
    return export


@blp.route("/exports/<int:export_id>")
@blp.response(200, ExportOutSchema)
@allow(*RELEASERS)
def get_export(export_id: int) -> Any:
    """One export: its status (released, awaiting_approval, rejected) and, once released, its download."""
    return _export_or_404(export_id)


@blp.route("/exports/<int:export_id>/download")
@allow(*RELEASERS)
def get_export_download(export_id: int) -> Any:
    """The bundle: a ZIP of clean files with neutral names, after the gate has run once more (409
    with the blockers when someone in it has since withdrawn or been quarantined)."""
    response = bundle_download(_export_or_404(export_id), by=current_account())
    db.session.commit()
    return response


@blp.route("/approvals")
@blp.arguments(ApprovalQuerySchema, location="query")
@blp.response(200, ApprovalSchema(many=True))
@allow(*RELEASERS)
def get_approvals(query: dict[str, Any]) -> Any:
    """Proposals that wait for (or had) leadership's decision, oldest first; ``?status=open``."""
    statement = select(Approval).order_by(Approval.proposed_at, Approval.id)
    if query["status"]:
        statement = statement.where(Approval.status == ApprovalStatus(query["status"]))
    return db.session.scalars(statement.limit(500)).all()


@blp.route("/approvals/<int:approval_id>/approve", methods=["POST"])
@blp.arguments(DecisionNoteSchema)
@blp.response(200, ApprovalSchema)
@blp.alt_response(409, description="Already decided, the item is gone, or the gate refused the export.")
@allow(*APPROVERS)
def post_approval_approve(body: dict[str, Any], approval_id: int) -> Any:
    """Approve, with an optional note: the change is applied; an export request is released only
    if the gate, run again now, clears it (else 409 with every blocker). Never one's own proposal."""
    approval = _approval_or_404(approval_id)
    files = approve(approval, by=current_account(), note=body["note"])
    db.session.commit()
    remove_files(files)
    if approval.export is not None and approval.export.status is ExportStatus.RELEASED:
        prepare_bundle(approval.export)
    return approval


@blp.route("/approvals/<int:approval_id>/reject", methods=["POST"])
@blp.arguments(DecisionNoteSchema)
@blp.response(200, ApprovalSchema)
@blp.alt_response(409, description="Already decided.")
@allow(*APPROVERS)
def post_approval_reject(body: dict[str, Any], approval_id: int) -> Any:
    """Reject, with a note saying why: nothing of the change is applied. Never one's own proposal."""
    approval = _approval_or_404(approval_id)
    reject(approval, by=current_account(), note=body["note"])
    db.session.commit()
    return approval


def _approval_or_404(approval_id: int) -> Approval:
    approval = db.session.get(Approval, approval_id)
    if approval is None:
        raise NotFound("not_found", _("There is no such proposal."))
    return approval


@blp.route("/publications", methods=["POST"])
@blp.arguments(PublicationInSchema)
@blp.response(201, PublicationSchema)
@allow(*RELEASERS)
def post_publication(body: dict[str, Any]) -> Any:
    """Record where an exported item was posted."""
    export = _export_or_404(body["export_id"])
    publication = record_publication(
        export, body["media_id"], body["url"], by=current_account(), published_on=body["published_on"]
    )
    db.session.commit()
    return publication


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


@blp.route("/takedowns/<int:takedown_id>/resolve", methods=["POST"])
@blp.arguments(ResolveSchema)
@blp.response(200, TakedownSchema)
@allow(*RELEASERS)
def post_takedown_resolve(body: dict[str, Any], takedown_id: int) -> Any:
    """Mark a removal as done, with a note saying what was done."""
    takedown = db.session.get(Takedown, takedown_id)
    if takedown is None:
        raise NotFound("not_found", _("There is no such takedown."))
    resolve(takedown, body["note"], by=current_account())
    db.session.commit()
    return takedown

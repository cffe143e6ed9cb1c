"""Two people for every weakening (protocol B1, B3: in doubt, consult the school's leadership).

Once an item has been held back for a person, quarantined or taken down (``app.release.history``),
a change that could make it pass (removing a tag, setting a detected face aside, attesting that
everyone is tagged) does not take effect: it becomes an :class:`Approval` with the proposer's reason,
the item stays blocked (``approval_pending``), and the change is applied only when a second person
with the leadership role, never the proposer, approves it. What strengthens the evidence in the same
edit (a new tag, a box, a matched face, withdrawing the attestation) applies at once. On a fresh item
all of this stays one person's job. Exports to a channel that needs approval wait the same way
(``app.release.exports``). Everything is audited; the caller commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.access import APPROVERS
from app.accounts.models import User
from app.audit.log import record
from app.errors import DomainError
from app.extensions import db
from app.media.models import DismissReason, Face, MediaItem, OutsidePerson
from app.media.operations import TaggingError, TagSpec, dismiss_face, set_tags
from app.media.outsiders import add_outside_person, clean_name, free_faces, remove_outside_person
from app.release.exports import release_requested
from app.release.history import has_history
from app.release.models import Approval, ApprovalKind, ApprovalStatus, ExportStatus
from app.timestamps import database_now

MAX_TEXT = 2000


class ApprovalError(DomainError):
    """A proposal or a decision on one that cannot be taken as asked."""

    default_status = 409
    statuses = {"reason_required": 422, "note_required": 422, "text_too_long": 422, "own_proposal": 403}


def change_tags(
    item: MediaItem, tags: list[TagSpec], *, complete: bool, by: User, reason: str | None = None
) -> Approval | None:
    """``set_tags``, unless the edit weakens the evidence of an item with a history: then what
    strengthens it applies now and the rest waits for leadership (the returned proposal)."""
    removed = sorted({t.person_id for t in item.tags} - {t.person_id for t in tags})
    attest = complete and not item.tags_complete
    if not (removed or attest) or not has_history(item.id):
        set_tags(item, tags, complete=complete, by=by)
        return None
    why = _text(reason, "reason_required", _("Say why this change is right: leadership reads it before approving."))
    kept = [TagSpec(t.person_id, t.box) for t in item.tags if t.person_id in removed]
    set_tags(item, tags + kept, complete=complete and not attest, by=by)
    return _propose(item, ApprovalKind.TAGS, {"remove": removed, "attest": attest}, why, by)


def dismiss_or_propose(face: Face, reason: DismissReason, *, by: User, why: str | None = None) -> Approval | None:
    """``dismiss_face``, or on an item with a history a proposal to set the face aside."""
    if not has_history(face.media_id) or face.dismissed_reason is reason:
        dismiss_face(face, reason, by=by)
        return None
    if face.person_id is not None:
        raise TaggingError("face_tagged", _("This face is matched to a tagged person; remove that tag first."))
    if face.outside_person_id is not None:
        raise TaggingError("face_outside", _("This face is someone from outside the school; remove them first."))
    text = _text(why, "reason_required", _("Say why this face needs no tag: leadership reads it before approving."))
    return _propose(face.item, ApprovalKind.FACE, {"face_id": face.id, "reason": reason.value}, text, by)


def mark_outside_or_propose(
    item: MediaItem,
    name: str | None,
    *,
    by: User,
    face_ids: list[int],
    box: list[float] | None = None,
    why: str | None = None,
) -> OutsidePerson | Approval:
    """``add_outside_person``, unless it resolves detected faces of an item with a history: an open
    face blocks every channel, someone from outside the school only the public ones, so that waits
    for leadership like a dismissal."""
    if not face_ids or not has_history(item.id):
        return add_outside_person(item, name, by=by, face_ids=face_ids, box=box)
    cleaned = clean_name(name)
    free_faces(item, face_ids)
    text = _text(why, "reason_required", _("Say why this face needs no tag: leadership reads it before approving."))
    return _propose(item, ApprovalKind.FACE, {"face_ids": face_ids, "outside": cleaned, "box": box}, text, by)


def remove_outside_or_propose(person: OutsidePerson, *, by: User, why: str | None = None) -> Approval | list[str]:
    """``remove_outside_person`` (the scan files to delete after the commit), or on an item with a
    history a proposal: without them the item may pass where they blocked it."""
    if not has_history(person.media_id):
        return remove_outside_person(person, by=by)
    text = _text(why, "reason_required", _("Say why this change is right: leadership reads it before approving."))
    return _propose(person.item, ApprovalKind.OUTSIDER, {"outsider_id": person.id, "name": person.name}, text, by)


def _propose(item: MediaItem, kind: ApprovalKind, change: dict[str, object], reason: str, by: User) -> Approval:
    same = db.session.scalar(
        select(Approval).where(
            Approval.media_id == item.id,
            Approval.kind == kind,
            Approval.status == ApprovalStatus.OPEN,
            Approval.proposed_by_id == by.id,
        )
    )
    if same is not None and same.change == change:
        return same  # a double submit proposes nothing new
    approval = Approval(kind=kind, media_id=item.id, change=change, reason=reason, proposed_by_id=by.id)
    db.session.add(approval)
    db.session.flush()
    record(
        "release.approval_proposed", target=approval, actor_id=by.id, media_id=item.id, kind=kind.value, change=change
    )
    return approval


def approve(approval: Approval, *, by: User, note: str | None = None) -> list[str]:
    """Apply the change (for an export: run the gate again and release it) as the second person.
    Returns the storage keys to delete after the commit (a removed outside person's scans)."""
    _check_decider(approval, by)
    files: list[str] = []
    if approval.kind is ApprovalKind.EXPORT:
        assert approval.export is not None
        release_requested(approval.export, by=by)
    else:
        files = _apply(approval, by)
    _decide(approval, ApprovalStatus.APPROVED, by, _optional(note))
    return files


def reject(approval: Approval, *, by: User, note: str | None) -> None:
    """Refuse the change: nothing of it is applied (an export request's files are never made)."""
    _check_decider(approval, by)
    text = _text(note, "note_required", _("Say in a note why the change is rejected."))
    if approval.kind is ApprovalKind.EXPORT and approval.export is not None:
        approval.export.status = ExportStatus.REJECTED
    _decide(approval, ApprovalStatus.REJECTED, by, text)


def _check_decider(approval: Approval, by: User) -> None:
    if not by.has_role(*APPROVERS):
        raise ApprovalError("not_an_approver", _("Only the school's leadership decides on proposals."), status=403)
    if approval.proposed_by_id == by.id:
        raise ApprovalError("own_proposal", _("A second person must decide: you proposed this change yourself."))
    if approval.status is not ApprovalStatus.OPEN:
        raise ApprovalError("already_decided", _("This proposal was already decided."))


def _apply(approval: Approval, by: User) -> list[str]:
    item = approval.item
    if item is None:
        raise ApprovalError("item_gone", _("The item was deleted meanwhile; reject the proposal."))
    change = approval.change
    if approval.kind is ApprovalKind.TAGS:
        removed = set(change.get("remove", []))
        tags = [TagSpec(t.person_id, t.box) for t in item.tags if t.person_id not in removed]
        set_tags(item, tags, complete=bool(change.get("attest")) or item.tags_complete, by=by)
    elif approval.kind is ApprovalKind.OUTSIDER:
        person = db.session.get(OutsidePerson, int(change["outsider_id"]))
        if person is None or person.media_id != item.id:
            raise ApprovalError("item_gone", _("They were removed from the item meanwhile; reject the proposal."))
        return remove_outside_person(person, by=by)
    elif "outside" in change:
        add_outside_person(item, change["outside"], by=by, face_ids=change["face_ids"], box=change.get("box"))
    else:
        face = db.session.get(Face, int(change["face_id"]))
        if face is None or face.media_id != item.id:
            raise ApprovalError("item_gone", _("The face was removed meanwhile; reject the proposal."))
        dismiss_face(face, DismissReason(change["reason"]), by=by)
    return []


def _decide(approval: Approval, status: ApprovalStatus, by: User, note: str | None) -> None:
    approval.status, approval.decided_by_id, approval.decided_at, approval.note = status, by.id, database_now(), note
    record(
        f"release.approval_{status.value}",
        target=approval,
        actor_id=by.id,
        kind=approval.kind.value,
        media_id=approval.media_id,
        export_id=approval.export_id,
        proposed_by=approval.proposed_by_id,
    )


def _text(value: str | None, code: str, missing: str) -> str:
    text = _optional(value)
    if not text:
        raise ApprovalError(code, missing)
    return text


def _optional(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise ApprovalError("text_too_long", _("Keep it under %(n)d characters.", n=MAX_TEXT))
    return text or None


def open_proposals(media_id: int) -> list[Approval]:
    """The item's changes that wait for leadership."""
    return list(
        db.session.scalars(
            select(Approval)
            .where(Approval.media_id == media_id, Approval.status == ApprovalStatus.OPEN)
            .order_by(Approval.proposed_at)
        )
    )

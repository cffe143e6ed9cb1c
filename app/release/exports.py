"""Exports: the gate, the record with its evidence, and the clean bundle.

``export_media`` checks clearance and records the export in the caller's transaction (the items
and the people tagged on them locked first, see ``app.release.clearance``); a refused attempt is
audited and raises ``ExportBlocked`` (the caller commits the audit row and answers 409). After the
commit, ``build_bundle`` writes the ZIP: every file made anew from the original, nothing personal
in it.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask import Response, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.log import record
from app.consent.vocabulary import MediaType
from app.errors import DomainError
from app.extensions import db
from app.jobs.models import JobState
from app.jobs.queue import enqueue, latest_for
from app.media import photos
from app.media.formats import format_of
from app.media.ingest import media_storage
from app.media.models import Face, MediaItem
from app.media.photos import export_copy
from app.media.storage import original_key
from app.media.visibility import visible_media
from app.release.captions import CAPTION_NAMES_PUPIL, caption_blockers, check_caption
from app.release.clearance import Blocker, Clearance, clear
from app.release.export_recordings import entry_copy_key, files_problem, recordings_of, recordings_ready
from app.release.history import remember_blocks
from app.release.models import (
    Approval,
    ApprovalKind,
    BlockCause,
    Channel,
    Export,
    ExportItem,
    ExportStatus,
)
from app.timestamps import database_now

MAX_ITEMS = 500


class ExportError(DomainError):
    """An export, publication or incident that cannot be recorded as asked."""

    statuses = {
        "unknown_channel": 404,
        "unknown_item": 404,
        "blurring_off": 403,
        "not_listed": 403,
        "awaiting_approval": 409,
        "export_rejected": 409,
        "item_gone": 409,
        "not_released": 409,
        "bundle_pending": 409,
        "files_failed": 409,
    }


class ExportBlocked(DomainError):
    """The gate refused: every blocker of every item, nothing released. The refused attempt's
    audit row is kept (``keep_changes``)."""

    default_status = 409
    keep_changes = True

    def __init__(self, blockers: list[Blocker]) -> None:
        super().__init__(
            "export_blocked", _("Not everyone shown or heard may appear on this channel; nothing was released.")
        )
        self.blockers = blockers

    def details(self) -> dict[str, Any]:
        return {"blockers": [b.as_dict() for b in self.blockers]}

    @property
    def media_ids(self) -> list[int]:
        return sorted({b.media_id for b in self.blockers})


@dataclass(frozen=True)
class Plan:
    """What a blurred export may pixelate on one item, and what still blocks it."""

    blur: list[dict[str, object]]
    blockers: list[Blocker]


@dataclass(frozen=True)
class PartialExport:
    """What a refused export could release instead: the chosen items the gate cleared, in the order
    chosen, when the refusal was about items and not about the text of the post (a caption naming a
    pupil refuses every item). Only an offer: releasing them is a new ``export_media`` of exactly
    these ids, through the same gate, so an item blocked in the meantime refuses it again."""

    cleared: list[int]
    chosen: int
    caption_refused: bool


def partial_export(media_ids: list[int], blockers: list[Blocker]) -> PartialExport:
    caption_refused = any(b.code == CAPTION_NAMES_PUPIL for b in blockers)
    blocked = {b.media_id for b in blockers if b.code != CAPTION_NAMES_PUPIL}
    cleared = [] if caption_refused else [i for i in media_ids if i not in blocked]
    return PartialExport(cleared, len(media_ids), caption_refused)


def channel_or_error(key: str) -> Channel:
    if not key:
        raise ExportError("no_channel", _("Choose a channel."))
    channel = db.session.scalar(select(Channel).where(Channel.key == key))
    if channel is None:
        raise ExportError("unknown_channel", _("There is no channel called “%(key)s”.", key=key[:40]))
    if not channel.enabled:
        raise ExportError("channel_disabled", _("The channel %(name)s is switched off.", name=channel.name))
    return channel


def export_media(
    channel_key: str, media_ids: list[int], *, by: User, blurred: bool = False, caption: str | None = None
) -> Export:
    """Release the items to the channel if the gate clears them all and the caption names no pupil
    (else ``ExportBlocked``). On a channel that needs approval the cleared export is a request: it
    waits, without a bundle, until leadership approves it (``app.release.approvals``), and the gate
    runs again then."""
    caption = check_caption(caption)
    channel = channel_or_error(channel_key)
    if channel.exporters and by not in channel.exporters:
        raise ExportError(
            "not_listed", _("You are not one of the people who may export to %(name)s.", name=channel.name)
        )
    if not media_ids:
        raise ExportError("no_items", _("Choose at least one item to export."))
    if len(set(media_ids)) != len(media_ids):
        raise ExportError("duplicate_item", _("An item is in the list twice."))
    if len(media_ids) > MAX_ITEMS:
        raise ExportError("too_many_items", _("Export at most %(n)d items at a time.", n=MAX_ITEMS))
    if blurred and not current_app.config["BLURRED_EXPORTS"]:
        raise ExportError("blurring_off", _("This school does not allow blurred exports."))
    found = set(
        db.session.scalars(visible_media(by).with_only_columns(MediaItem.id).where(MediaItem.id.in_(media_ids)))
    )
    if set(media_ids) - found:
        raise ExportError("unknown_item", _("One of the items does not exist (any more)."))
    answers, plans = _gate(channel, media_ids, blurred, caption, by=by, lock=True)
    waits = channel.needs_approval
    export = Export(
        channel_id=channel.id,
        created_by_id=by.id,
        blurred=blurred,
        bundle_token=secrets.token_hex(32),
        status=ExportStatus.AWAITING_APPROVAL if waits else ExportStatus.RELEASED,
        released_at=None if waits else database_now(),
        caption=caption,
    )
    db.session.add(export)
    db.session.flush()
    rows = db.session.execute(select(MediaItem.id, MediaItem.mime_type).where(MediaItem.id.in_(media_ids)))
    kinds: dict[int, str] = {row.id: row.mime_type for row in rows}
    for position, media_id in enumerate(media_ids, start=1):
        export.items.append(
            ExportItem(
                media_id=media_id,
                position=position,
                file_name=f"beeldrecht-{export.id}-{position}.{format_of(kinds[media_id]).export_extension}",
                evidence=_evidence(answers[media_id], plans[media_id]),
            )
        )
    db.session.flush()
    if waits:
        db.session.add(Approval(kind=ApprovalKind.EXPORT, export_id=export.id, reason="", proposed_by_id=by.id))
    else:
        _bundle_in_a_job(export)
    record(
        "release.export_requested" if waits else "release.exported",
        target=export,
        actor_id=by.id,
        channel=channel.key,
        media_ids=media_ids,
        decision_ids=_decision_ids(answers),
        blurred=blurred,
    )
    return export


def release_requested(export: Export, *, by: User) -> None:
    """Leadership approved an export request: the gate runs again, under the same locks as an
    export, and only a cleared request is released (its evidence is the one of this moment)."""
    media_ids = [entry.media_id for entry in export.items if entry.media_id is not None]
    if len(media_ids) != len(export.items):
        raise ExportError("item_gone", _("An item of this request was deleted meanwhile; reject the request."))
    answers, plans = _gate(export.channel, media_ids, export.blurred, export.caption, by=by, lock=True)
    for entry in export.items:
        assert entry.media_id is not None
        entry.evidence = _evidence(answers[entry.media_id], plans[entry.media_id])
    export.status, export.released_at = ExportStatus.RELEASED, database_now()
    _bundle_in_a_job(export)
    record(
        "release.exported",
        target=export,
        actor_id=by.id,
        channel=export.channel.key,
        media_ids=media_ids,
        decision_ids=_decision_ids(answers),
        blurred=export.blurred,
        requested_by=export.created_by_id,
    )


def _gate(
    channel: Channel, media_ids: list[int], blurred: bool, caption: str | None, *, by: User, lock: bool
) -> tuple[dict[int, Clearance], dict[int, Plan]]:
    """Clearance and blur plan of every item, and the caption's check; every blocker refuses the
    whole release (audited, and remembered in the items' history)."""
    answers = clear(media_ids, channel, lock=lock)
    if set(media_ids) - set(answers):  # deleted while the export waited for its locks
        raise ExportError("unknown_item", _("One of the items does not exist (any more)."))
    plans = {mid: _plan(answers[mid], blurred) for mid in media_ids}
    blockers = [b for mid in media_ids for b in plans[mid].blockers] + caption_blockers(caption, media_ids[0])
    if blockers:
        record(
            "release.export_refused",
            actor_id=by.id,
            channel=channel.key,
            media_ids=media_ids,
            blockers=sorted({f"{b.media_id}:{b.code}:{b.person_id or ''}" for b in blockers}),
        )
        remember_blocks(blockers, BlockCause.REFUSED_EXPORT)
        raise ExportBlocked(blockers)
    return answers, plans


def _evidence(answer: Clearance, plan: Plan) -> dict[str, Any]:
    return {"decisions": {str(pid): ids for pid, ids in answer.evidence.items()}, "blurred": plan.blur}


def _decision_ids(answers: dict[int, Clearance]) -> list[int]:
    return sorted({i for a in answers.values() for ids in a.evidence.values() for i in ids})


def _plan(answer: Clearance, blurred: bool) -> Plan:
    """Without blurring every blocker stands. With it, what can be pixelated is, instead of
    blocking: on a photo, its unresolved faces and the boxes of tagged people without consent and
    of people from outside the school without consent of their own; on a film, the face tracks of
    the same (``_film_plan``). A person without a box or a track, incomplete tags, quarantine,
    anything still to be approved and sound still block."""
    if not blurred or answer.cleared:
        return Plan([], answer.blockers)
    if answer.media_type is MediaType.AUDIO:
        return Plan([], answer.blockers)
    item = db.session.get_one(MediaItem, answer.media_id)
    if answer.media_type is MediaType.FILM:
        return _film_plan(item, answer)
    blur: list[dict[str, object]] = []
    left: list[Blocker] = []
    for blocker in answer.blockers:
        if blocker.code == "face_unresolved":
            blur += [
                {"face_id": f.id, "box": f.box, "reason": "face_unresolved"}
                for f in item.faces
                if f.is_open and f.frame_ms is None
            ]
            continue
        boxes = _boxes_to_blur(item, blocker)
        if boxes is None:
            left.append(blocker)
        elif not boxes:
            no_box = _("There is no box around this person to blur.")
            left.append(replace(blocker, message=f"{blocker.message} {no_box}"))
        else:
            blur += boxes
    return Plan(blur, left)


def _film_plan(item: MediaItem, answer: Clearance) -> Plan:
    """A blurred film: every frame's box of the face tracks that are not resolved, of the tracks
    given to a tagged person without consent and of those given to someone from outside the school
    without consent of their own is pixelated (``app.media.film_blur``). The evidence keeps each
    such track whole (its rows), so the film is made from exactly what was judged. A person without
    a track (tagged, but their face never followed), or a face found before films were followed
    through (one frame, no track), still block: there is nothing to pixelate on every frame."""
    blur: list[dict[str, object]] = []
    left: list[Blocker] = []
    for blocker in answer.blockers:
        if blocker.code == "face_unresolved":
            faces, named = [f for f in item.faces if f.is_open], {}
        elif blocker.code == "no_consent":
            faces, named = [f for f in item.faces if f.person_id == blocker.person_id], {"person_id": blocker.person_id}
        elif blocker.code == "outside_person":
            outsider = blocker.outside_person_id
            faces, named = [f for f in item.faces if f.outside_person_id == outsider], {"outside_person_id": outsider}
        else:
            left.append(blocker)
            continue
        if faces and all(f.track for f in faces):
            blur += [_track_blur(f, blocker.code, named) for f in faces]
        elif blocker.code == "face_unresolved":
            old = _("Faces found on single frames (before films were scanned throughout) cannot be blurred.")
            left.append(replace(blocker, message=f"{blocker.message} {old}"))
        else:
            no_track = _("There is no face track of this person in the film to blur on every frame.")
            left.append(replace(blocker, message=f"{blocker.message} {no_track}"))
    return Plan(blur, left)


def _track_blur(face: Face, reason: str, named: dict[str, int | None]) -> dict[str, object]:
    return {
        "face_id": face.id,
        **named,
        "reason": reason,
        "first_ms": face.first_ms,
        "last_ms": face.last_ms,
        "track": face.track,
    }


def _boxes_to_blur(item: MediaItem, blocker: Blocker) -> list[dict[str, object]] | None:
    """What pixelating would hide for a blocker that names someone: a tagged person's boxes (tag and
    matched faces), or those of a person from outside the school; None for any other blocker."""
    if blocker.code == "no_consent":
        boxes = [t.box for t in item.tags if t.person_id == blocker.person_id and t.box]
        boxes += [f.box for f in item.faces if f.person_id == blocker.person_id and f.frame_ms is None]
        return [{"person_id": blocker.person_id, "box": box, "reason": "no_consent"} for box in boxes]
    if blocker.code == "outside_person":
        outsider = next(p for p in item.outside_people if p.id == blocker.outside_person_id)
        return [{"outside_person_id": outsider.id, "box": box, "reason": "outside_person"} for box in outsider.boxes]
    return None


def bundle_key(export: Export) -> str:
    return f"exports/{export.bundle_token[:2]}/{export.bundle_token}/bundle.zip"


class BundleFailed(DomainError):
    """An original could not be read back (damaged or missing storage): the export stands, the
    bundle is tried again on the next download."""

    default_status = 409

    def __init__(self) -> None:
        super().__init__("bundle_failed", _("The files of this export could not be made; ask an administrator."))


def ensure_bundle(export: Export) -> str:
    """The bundle's storage key, made now if it is not there yet."""
    key = bundle_key(export)
    if not media_storage().exists(key):
        try:
            build_bundle(export)
        except (OSError, ValueError, photos.PhotoRejected) as problem:
            current_app.logger.exception("bundle of export %s could not be made", export.id)
            raise BundleFailed() from problem
    return key


EXPORT_BUNDLE = "export.bundle"


class BundlePending(DomainError):
    """The export's files are not made yet (its films and sound are being made for the channel):
    try again in a moment. Keeps its changes: the job it may have queued."""

    default_status = 409
    keep_changes = True

    def __init__(self) -> None:
        super().__init__("bundle_pending", _("The files of this export are still being made; try again in a moment."))


def _bundle_in_a_job(export: Export) -> None:
    """An export with films or sound, or a large one (more than ``EXPORT_BUNDLE_JOB_ITEMS`` items
    or ``EXPORT_BUNDLE_JOB_BYTES``), gets its files made by a job, written in the export's own
    transaction (``app.release.tasks``); a small one of photos is made right after the commit
    (``prepare_bundle``)."""
    media_ids = [entry.media_id for entry in export.items if entry.media_id is not None]
    size = db.session.scalar(
        select(func.coalesce(func.sum(MediaItem.size_bytes), 0)).where(MediaItem.id.in_(media_ids))
    )
    config = current_app.config
    large = len(media_ids) > int(config["EXPORT_BUNDLE_JOB_ITEMS"]) or int(size or 0) > int(
        config["EXPORT_BUNDLE_JOB_BYTES"]
    )
    if large or recordings_of(export):
        enqueue(EXPORT_BUNDLE, export.id)


def bundle_job_pending(export: Export) -> bool:
    job = latest_for(EXPORT_BUNDLE, export.id)
    return job is not None and job.state in {JobState.QUEUED, JobState.RUNNING}


def files_state(export: Export) -> str | None:
    """How the export's files are: ``ready`` (or made at download), ``being_made`` by its job,
    ``failed`` (the job gave up; an administrator can send it again); None until released."""
    if export.status is not ExportStatus.RELEASED:
        return None
    if bundle_job_pending(export):
        return "being_made"
    if files_problem(latest_for(EXPORT_BUNDLE, export.id)) is not None and not (
        media_storage().exists(bundle_key(export)) or recordings_ready(export)
    ):
        return "failed"
    return "ready"


def prepare_bundle(export: Export) -> None:
    """Make the bundle right after the export is committed, so the download is ready (a large
    export's job makes it instead). A bundle that cannot be made now does not undo the export: the
    download tries again and says so if it fails."""
    if latest_for(EXPORT_BUNDLE, export.id) is not None:
        return
    with contextlib.suppress(BundleFailed):
        ensure_bundle(export)


def bundle_download(export: Export, *, by: User) -> Response:
    """The bundle as a private download, after the gate has run once more: an export that was
    cleared but never downloaded is not a publication, so anyone in it who has since withdrawn or
    been quarantined stops it (``ExportBlocked``; the bundle file is deleted). ``BundleFailed``
    when the files cannot be made. The caller commits (the refusal's audit row, or the download's
    time)."""
    if export.status is ExportStatus.AWAITING_APPROVAL:
        raise ExportError("awaiting_approval", _("This export waits for approval by the school's leadership."))
    if export.status is ExportStatus.REJECTED:
        raise ExportError("export_rejected", _("This export was rejected; its files are not available."))
    if bundle_job_pending(export):
        raise ExportError("bundle_pending", _("The files of this export are still being made; try again in a moment."))
    _recheck(export, by=by)
    if not media_storage().exists(bundle_key(export)) and not recordings_ready(export):
        problem = files_problem(latest_for(EXPORT_BUNDLE, export.id))
        if problem is not None:
            raise ExportError("files_failed", problem)
        enqueue(EXPORT_BUNDLE, export.id)  # made before films were made for channels, or a copy went missing
        raise BundlePending()
    key = ensure_bundle(export)
    export.downloaded_at = export.downloaded_at or database_now()
    record("release.downloaded", target=export, actor_id=by.id)
    response = send_file(
        media_storage().local_path(key),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"beeldrecht-export-{export.id}.zip",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _recheck(export: Export, *, by: User) -> None:
    """The gate for an export's items that still exist; a blurred export also stops when someone
    now needs blurring who was not blurred in its files."""
    media_ids = [entry.media_id for entry in export.items if entry.media_id is not None]
    answers = clear(media_ids, export.channel)
    blockers: list[Blocker] = []
    for entry in export.items:
        if entry.media_id is None:
            continue
        plan = _plan(answers[entry.media_id], export.blurred)
        blurred_then = {_blur_key(b) for b in entry.evidence.get("blurred", [])}
        if plan.blockers or {_blur_key(b) for b in plan.blur} - blurred_then:
            blockers += plan.blockers or answers[entry.media_id].blockers
    if media_ids:
        blockers += caption_blockers(export.caption, media_ids[0])
    if blockers:
        storage = media_storage()
        if storage.exists(bundle_key(export)):
            storage.delete(bundle_key(export))
        record(
            "release.download_refused",
            target=export,
            actor_id=by.id,
            blockers=sorted({f"{b.media_id}:{b.code}:{b.person_id or ''}" for b in blockers}),
        )
        remember_blocks(blockers, BlockCause.REFUSED_EXPORT)
        raise ExportBlocked(blockers)


def _blur_key(blur: dict[str, Any]) -> tuple[Any, Any]:
    """What was hidden: a film's track (whoever it was given to: it is pixelated either way), or a
    photo's box of a person or of a face."""
    if "track" in blur:
        return ("track", blur.get("face_id"))
    return (blur.get("person_id"), blur.get("face_id"))


def build_bundle(export: Export, progress: Callable[[int], None] | None = None) -> None:
    """The ZIP for an export: photos made anew from the original for the channel's size, films and
    sound as made for the channel by the export's job (``app.release.export_recordings``; a copy
    missing is an ``OSError``, never an encoding here); neutral names; no comments or dates that
    say anything. Made in a temporary folder and moved into place whole. ``progress`` hears how far
    it is (percent)."""
    storage = media_storage()
    max_pixels = int(current_app.config["PHOTO_MAX_PIXELS"])
    with tempfile.TemporaryDirectory(dir=storage.incoming) as folder:
        target = Path(folder) / "bundle.zip"
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as bundle:
            for entry in export.items:
                item = entry.item
                if item is None:
                    continue  # deleted since (retention or erasure): it is not sent out again
                path = source = Path(folder) / entry.file_name
                if item.media_type is MediaType.PHOTO:
                    boxes = [b["box"] for b in entry.evidence.get("blurred", [])]
                    export_copy(
                        storage.local_path(original_key(item.sha256)),
                        format_of(item.mime_type),
                        max_pixels,
                        export.channel.export_side,
                        path,
                        boxes,
                    )
                else:
                    source = storage.local_path(entry_copy_key(entry))
                info = zipfile.ZipInfo(entry.file_name, date_time=(1980, 1, 1, 0, 0, 0))
                with open(source, "rb") as handle, bundle.open(info, "w") as out:
                    while chunk := handle.read(1 << 20):
                        out.write(chunk)
                path.unlink(missing_ok=True)
                if progress is not None:
                    progress(100 * entry.position // max(len(export.items), 1))
        storage.put(target, bundle_key(export))

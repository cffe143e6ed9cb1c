"""The media module's jobs: ``film.process`` and ``audio.process`` finish taking in a film or sound
recording (``app.media.ingest.process_recording``); ``media.clear-incoming``, hourly from beat,
removes what killed uploads left behind (``clear_abandoned_uploads``). A file that turns out not to decode is
``refused`` with its reason (no retry: it would fail again); any other failure is tried again and,
in the end, leaves the item ``failed`` (blocked, shown to administrators with the error)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import handler, report_progress
from app.media.ingest import PROCESS_JOBS, MediaRejected, clear_abandoned_uploads, process_recording
from app.media.models import MediaItem, ProcessingState
from app.media.redaction import delete_after_commit
from app.media.storage import derivative_key


def _item(job: Job) -> MediaItem | None:
    return db.session.get(MediaItem, job.target_id) if job.target_id is not None else None


def process(job: Job) -> None:
    item = _item(job)
    if item is None or item.processing_state is not ProcessingState.PROCESSING:
        return  # deleted meanwhile, or finished by an earlier try
    stills_before = _stills(item)  # a film scanned again (``flask media rescan-films``) had some
    try:
        process_recording(item, lambda percent: report_progress(job, percent))
    except MediaRejected as problem:
        db.session.rollback()
        item = db.session.get_one(MediaItem, item.id)
        item.processing_state, item.processing_note = ProcessingState.REFUSED, problem.code[:40]
        return
    twins = db.session.scalars(select(MediaItem).where(MediaItem.sha256 == item.sha256, MediaItem.id != item.id))
    still_used = _stills(item).union(*(_stills(twin) for twin in twins))
    delete_after_commit([derivative_key(item.sha256, name) for name in sorted(stills_before - still_used)])


def _stills(item: MediaItem) -> set[str]:
    return {name for face in item.faces for name in face.still_names}


def failed(job: Job) -> None:
    item = _item(job)
    if item is not None and item.processing_state is ProcessingState.PROCESSING:
        item.processing_state = ProcessingState.FAILED


def retried(job: Job) -> None:
    item = _item(job)
    if item is not None and item.processing_state is ProcessingState.FAILED:
        item.processing_state = ProcessingState.PROCESSING


def link(job: Job) -> str | None:
    return url_for("media.show", item_id=job.target_id) if job.target_id is not None else None


for _kind in PROCESS_JOBS.values():
    handler(_kind, failed=failed, retried=retried, link=link)(process)


CLEAR_INCOMING = "media.clear-incoming"


@handler(CLEAR_INCOMING)
def clear_incoming(job: Job) -> None:
    """Uploads abandoned more than ``INCOMING_GRACE_MINUTES`` (an hour) ago; one in progress stays."""
    clear_abandoned_uploads()

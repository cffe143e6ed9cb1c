"""The release module's jobs: ``export.bundle`` makes an export's files: its films and sound for
the channel first (``app.release.export_recordings``), then the bundle. The export page shows its
progress; the download waits for it and still runs the gate again. A film or sound that cannot be
read fails the job at once (it would fail again); anything else is tried again."""

from __future__ import annotations

from flask import url_for

from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import handler, report_progress
from app.media.ingest import media_storage
from app.media.recordings import RecordingRejected
from app.release.export_recordings import RECORDINGS_SHARE, make_recordings, recordings_of
from app.release.exports import EXPORT_BUNDLE, build_bundle, bundle_key
from app.release.models import Export, ExportStatus


def _link(job: Job) -> str | None:
    return url_for("release.show_export", export_id=job.target_id) if job.target_id is not None else None


@handler(EXPORT_BUNDLE, link=_link, final=(RecordingRejected,))
def make_bundle(job: Job) -> None:
    export = db.session.get(Export, job.target_id) if job.target_id is not None else None
    if export is None or export.status is not ExportStatus.RELEASED:
        return
    if media_storage().exists(bundle_key(export)):
        return
    start = 0
    if recordings_of(export):
        make_recordings(export, lambda percent: report_progress(job, percent))
        start = RECORDINGS_SHARE
    export = db.session.get_one(Export, export.id)
    build_bundle(export, lambda percent: report_progress(job, start + percent * (100 - start) // 100))

"""The release module's jobs: ``export.bundle`` makes a large export's bundle (the export page shows
its progress; the download waits for it and still runs the gate again)."""

from __future__ import annotations

from flask import url_for

from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import handler, report_progress
from app.media.ingest import media_storage
from app.release.exports import EXPORT_BUNDLE, build_bundle, bundle_key
from app.release.models import Export, ExportStatus


def _link(job: Job) -> str | None:
    return url_for("release.show_export", export_id=job.target_id) if job.target_id is not None else None


@handler(EXPORT_BUNDLE, link=_link)
def make_bundle(job: Job) -> None:
    export = db.session.get(Export, job.target_id) if job.target_id is not None else None
    if export is None or export.status is not ExportStatus.RELEASED:
        return
    if not media_storage().exists(bundle_key(export)):
        build_bundle(export, lambda percent: report_progress(job, percent))

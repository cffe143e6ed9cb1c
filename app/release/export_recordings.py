"""An export's films and sound, made for its channel (the channel's longest side and bitrate cap,
``app.media.channel_copies``) by the export's job (``export.bundle``) before its bundle. The
download never encodes: until every copy is there, it answers that the files are being made.

A copy is shared by every export of the same bytes to a channel of the same size and cap, so it
is made once. In a blurred export, a film whose evidence names face tracks to blur
(``app.release.exports``) gets a copy with those tracks pixelated on every frame
(``app.media.film_blur``), made from the tracks as the evidence recorded them.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

from app.consent.vocabulary import MediaType
from app.extensions import db
from app.jobs.models import Job, JobState
from app.media.channel_copies import Tracks, copy_key, has_copy, make_copy
from app.media.models import MediaItem
from app.release.models import Export, ExportItem

# The share of the job's progress the recordings take (the bundle is the rest).
RECORDINGS_SHARE = 90


def recordings_of(export: Export) -> list[ExportItem]:
    """The export's entries with a film or sound that still exists (a deleted item is not sent again)."""
    return [e for e in export.items if e.item is not None and e.item.media_type is not MediaType.PHOTO]


def tracks_to_blur(entry: ExportItem) -> Tracks:
    """The face tracks the evidence says this entry's film is sent with pixelated."""
    return [blur["track"] for blur in entry.evidence.get("blurred", []) if blur.get("track")]


def entry_copy_key(entry: ExportItem) -> str:
    """Where the entry's film or sound, made for the export's channel, is stored."""
    assert entry.item is not None
    channel = entry.export.channel
    return copy_key(entry.item, channel.export_side, channel.film_kbps, tracks_to_blur(entry))


def recordings_ready(export: Export) -> bool:
    channel = export.channel
    return all(
        has_copy(e.item, channel.export_side, channel.film_kbps, tracks_to_blur(e))
        for e in recordings_of(export)
        if e.item is not None
    )


def make_recordings(export: Export, progress: Callable[[int], None]) -> None:
    """Every film and sound of the export made for its channel, unless already made (by this
    export's earlier try, or by another export to a channel of the same size and cap).
    ``RecordingRejected`` when an original cannot be read."""
    channel = export.channel
    side, kbps = channel.export_side, channel.film_kbps
    wanted = [(e.media_id, tracks_to_blur(e)) for e in recordings_of(export)]
    for n, (item_id, blur) in enumerate(wanted):
        item = db.session.get_one(MediaItem, item_id)  # progress reports commit: rows are read again

        def step(done: float, n: int = n) -> None:
            progress(int(RECORDINGS_SHARE * (n + done) / len(wanted)))

        make_copy(item, side, kbps, progress=step, blur=blur)
        step(1.0)


def files_problem(job: Job | None) -> str | None:
    """What to tell staff when the export's job failed for good; None when it did not."""
    if job is None or job.state is not JobState.FAILED:
        return None
    if (job.last_error or "").startswith("RecordingRejected"):
        return _(
            "One of the films or sound recordings of this export could not be read (the stored file is damaged);"
            " its files could not be made."
        )
    return _("The files of this export could not be made; an administrator can try again on the jobs page.")

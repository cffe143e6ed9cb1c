"""The store's files are the application's alone (0600, derivatives like originals), and what a
killed upload leaves in incoming/ is cleared once it is an hour old."""

from __future__ import annotations

import io
import os
import stat
import time
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.media.ingest import clear_abandoned_uploads, ingest_upload, media_storage
from app.media.models import Album, MediaItem
from app.media.storage import derivative_key, original_key
from tests.media.samples import film


@pytest.fixture
def album(app, world, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    with app.app_context():
        created = Album(group_id=world["5b"], title="Kerstmarkt", taken_on=date(2026, 12, 18))
        db.session.add(created)
        db.session.commit()
        yield created.id
    app.config["MEDIA_ROOT"] = None


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def _modes(item: MediaItem) -> dict[str, int]:
    storage = media_storage()
    keys = [original_key(item.sha256)] + [derivative_key(item.sha256, n) for n in item.derivative_names()]
    return {key: stat.S_IMODE(storage.local_path(key).stat().st_mode) for key in keys}


@pytest.mark.parametrize("data", [_photo(), film()], ids=["photo", "film"])
def test_every_stored_file_of_an_upload_is_0600(app, album, data):
    old_umask = os.umask(0o022)  # the usual umask: what Pillow and FFmpeg write is 0644
    try:
        with app.app_context():
            item = ingest_upload(io.BytesIO(data), album=db.session.get(Album, album), uploaded_by=None).item
            db.session.commit()
            modes = _modes(item)
    finally:
        os.umask(old_umask)
    assert len(modes) >= 3  # the original and at least a thumbnail and a display image (or playback copy)
    assert modes == dict.fromkeys(modes, 0o600)


def test_fsck_reports_files_others_may_read_and_repair_restricts_them(app, album, runner):
    with app.app_context():
        item = ingest_upload(io.BytesIO(_photo()), album=db.session.get(Album, album), uploaded_by=None).item
        db.session.commit()
        loose = media_storage().local_path(derivative_key(item.sha256, "display.jpg"))
    os.chmod(loose, 0o644)  # as an install before this fix wrote it
    found = runner.invoke(args=["media", "fsck"])
    assert found.exit_code == 1 and "readable by others (644): derivatives/" in found.output
    repaired = runner.invoke(args=["media", "fsck", "--repair"])
    assert "1 files made readable by the application only" in repaired.output
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    assert runner.invoke(args=["media", "fsck"]).exit_code == 0


def _aged(path, minutes: float) -> None:
    then = time.time() - minutes * 60
    os.utime(path, (then, then))


def test_abandoned_uploads_older_than_an_hour_are_cleared_and_fresh_ones_kept(app, album):
    with app.app_context():
        incoming = media_storage().incoming
        killed = incoming / "upload-killed"
        killed.write_bytes(b"half a film")
        _aged(killed, 61)
        probe = incoming / "probe-killed"
        probe.mkdir()
        (probe / "film.mp4").write_bytes(b"more")
        _aged(probe, 90)
        streaming = incoming / "upload-streaming"
        streaming.write_bytes(b"still arriving")
        _aged(streaming, 59)
        assert clear_abandoned_uploads() == ["probe-killed", "upload-killed"]
        assert sorted(p.name for p in incoming.iterdir()) == ["upload-streaming"]
        app.config["INCOMING_GRACE_MINUTES"] = 30
        try:
            assert clear_abandoned_uploads() == ["upload-streaming"]
        finally:
            app.config["INCOMING_GRACE_MINUTES"] = 60


def test_clear_incoming_command_takes_a_grace_period(app, album, runner):
    with app.app_context():
        incoming = media_storage().incoming
    old, fresh = incoming / "upload-old", incoming / "upload-fresh"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    _aged(old, 120)
    _aged(fresh, 10)
    result = runner.invoke(args=["media", "clear-incoming"])
    assert result.exit_code == 0 and "removed: incoming/upload-old" in result.output
    assert "1 abandoned uploads removed" in result.output
    assert not old.exists() and fresh.exists()
    assert (
        "1 abandoned uploads removed" in runner.invoke(args=["media", "clear-incoming", "--grace-minutes", "5"]).output
    )
    assert not fresh.exists()


def test_the_worker_clears_abandoned_uploads_every_hour(app, album):
    """Beat sends ``media.clear-incoming`` hourly; the job removes what is over an hour old."""
    from app.jobs.models import Job, JobState

    with app.app_context():
        celery = app.extensions["celery"]
        schedule = celery.conf.beat_schedule["clear-abandoned-uploads"]
        assert schedule["args"] == ("media.clear-incoming",) and schedule["schedule"] == 3600.0
        incoming = media_storage().incoming
        killed, streaming = incoming / "upload-killed", incoming / "upload-streaming"
        killed.write_bytes(b"half a film")
        _aged(killed, 61)
        streaming.write_bytes(b"still arriving")
        celery.tasks[schedule["task"]].apply(args=schedule["args"])
        job = db.session.scalar(select(Job).where(Job.kind == "media.clear-incoming"))
        assert job is not None and job.state is JobState.DONE
        assert sorted(p.name for p in incoming.iterdir()) == ["upload-streaming"]

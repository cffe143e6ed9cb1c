"""Films and sound are taken in by a job: the upload answers at once with the item ``processing``,
the gate blocks it until the job has made the playback copy, the poster and the faces, and the item
page shows how far it is."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.jobs import queue
from app.jobs.models import Job, JobState
from app.media.models import Face, MediaItem, ProcessingState
from app.media.storage import derivative_key
from tests.media.samples import film, sound
from tests.media.test_faces import astronaut_film
from tests.release.helpers import Release


def _item(app, item_id: int) -> MediaItem:
    with app.app_context():
        item = db.session.get_one(MediaItem, item_id)
        db.session.expunge(item)
        return item


def _job(app, item_id: int) -> Job:
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.target_id == item_id, Job.kind == "film.process"))
        assert job is not None
        db.session.expunge(job)
        return job


def test_a_film_upload_answers_at_once_and_a_job_finds_its_faces(app, client, runner, world, media_root):
    release = Release(app, client, runner, world)
    item_id = release.upload(astronaut_film())
    item = _item(app, item_id)
    # Jobs run eagerly in the tests: by the time the upload has answered, the job has run.
    assert item.processing_state is ProcessingState.READY
    assert item.playback_name == "playback.mp4"
    job = _job(app, item_id)
    assert (job.state, job.progress, job.attempts, job.last_error) == (JobState.DONE, 100, 1, None)
    with app.app_context():
        assert db.session.scalar(select(func.count(Face.id)).where(Face.media_id == item_id)) >= 1
    for name in ("playback.mp4", "thumbnail.jpg", "display.jpg"):
        assert (media_root / derivative_key(item.sha256, name)).is_file()


def test_an_item_still_processing_is_blocked_and_shows_its_progress(
    app, client, runner, world, media_root, published_form, held_jobs, login_as
):
    release = Release(app, client, runner, world)
    item_id = release.upload(film())
    assert len(held_jobs) == 1
    answer = release.comms.get(f"/api/v1/media/{item_id}").get_json()
    assert answer["processing_state"] == "processing" and answer["playback_url"] is None
    assert answer["thumbnail_url"] is None and answer["poster_url"] is None  # made by the job, not there yet
    # Nobody has seen it yet: "everyone is tagged" waits until it can be played.
    early = release.teacher.put(f"/api/v1/media/{item_id}/tags", json={"tags": [], "complete": True})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_ready"
    blockers = release.comms.get(f"/api/v1/media/{item_id}/clearance?channel=newsletter").get_json()["blockers"]
    assert [b["code"] for b in blockers] == ["processing", "tags_incomplete"]
    refused = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item_id]})
    assert refused.status_code == 409
    assert [b["code"] for b in refused.get_json()["error"]["blockers"]] == ["processing", "tags_incomplete"]

    login_as("teacher")
    page = client.get(f"/media/{item_id}").get_data(as_text=True)
    assert "Bezig met verwerken… 0%" in page and "processing.js" in page and "<video" not in page
    assert 'disabled aria-describedby="complete-wait"' in page and "Kan zodra de opname af te spelen is." in page
    assert client.get(f"/media/{item_id}/status").get_json() == {"id": item_id, "state": "processing", "progress": 0}
    assert client.get(f"/media/{item_id}/display.jpg").status_code == 404
    library = client.get("/media/").get_data(as_text=True)
    assert "verwerken…" in library and "wordt nog verwerkt" in library  # the tile and its blocked reason

    with app.app_context():
        queue.run(held_jobs[0])
    assert client.get(f"/media/{item_id}/status").get_json() == {"id": item_id, "state": "ready", "progress": 100}
    page = client.get(f"/media/{item_id}").get_data(as_text=True)
    assert "<video" in page and "Bezig met verwerken" not in page and "complete-wait" not in page
    release.tag(item_id, [], complete=True)
    assert release.comms.get(f"/api/v1/media/{item_id}/clearance?channel=newsletter").get_json()["blockers"] == []


def test_a_recording_that_does_not_decode_in_the_job_is_refused_without_retries(
    app, client, runner, world, media_root, published_form, held_jobs, login_as, monkeypatch
):
    from app.media import recordings

    release = Release(app, client, runner, world)
    item_id = release.upload(sound())

    def broken(*args, **kwargs):
        raise recordings.RecordingRejected("broken")

    monkeypatch.setattr(recordings, "clean_playback", broken)
    with app.app_context():
        queue.run(held_jobs[0])
    assert held_jobs == held_jobs[:1]  # not sent again
    item = _item(app, item_id)
    assert (item.processing_state, item.processing_note) == (ProcessingState.REFUSED, "broken")
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.target_id == item_id, Job.kind == "audio.process"))
        assert (job.state, job.attempts) == (JobState.DONE, 1)
    never = release.teacher.put(f"/api/v1/media/{item_id}/tags", json={"tags": [], "complete": True})
    assert never.status_code == 409 and never.get_json()["error"]["code"] == "not_ready"  # it cannot be heard
    blockers = release.comms.get(f"/api/v1/media/{item_id}/clearance?channel=newsletter").get_json()["blockers"]
    assert [b["code"] for b in blockers] == ["refused", "tags_incomplete"]
    login_as("teacher")
    page = client.get(f"/media/{item_id}").get_data(as_text=True)
    assert "De opname is beschadigd of onvolledig." in page


def test_the_storage_check_expects_no_derivatives_of_an_item_still_processing(
    app, client, runner, world, media_root, held_jobs
):
    release = Release(app, client, runner, world)
    item_id = release.upload(film())
    result = runner.invoke(args=["media", "fsck"])
    assert result.exit_code == 0, result.output
    assert "0 items with missing files" in result.output
    with app.app_context():
        queue.run(held_jobs[0])
    result = runner.invoke(args=["media", "fsck"])
    assert result.exit_code == 0 and "0 items with missing files, 0 orphan files" in result.output
    assert _item(app, item_id).processing_state is ProcessingState.READY

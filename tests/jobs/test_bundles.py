"""A large export's bundle is made by a job: the export page shows it is being made, the download
waits for it, and once made the download still runs the gate again. Reminders run as a job too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import queue
from app.jobs.models import Job, JobState
from tests.release.helpers import Release


@pytest.fixture
def release(app, client, runner, world, published_form, media_root):
    return Release(app, client, runner, world)


@pytest.fixture
def every_export_is_large(app):
    app.config["EXPORT_BUNDLE_JOB_ITEMS"] = 0
    yield
    app.config["EXPORT_BUNDLE_JOB_ITEMS"] = 20


def test_a_large_export_makes_its_bundle_in_a_job(release, app, client, login_as, held_jobs, every_export_is_large):
    item = release.cleared_photo("newsletter")
    held_jobs.clear()
    response = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]})
    assert response.status_code == 201, response.get_data(as_text=True)
    export_id = response.get_json()["id"]
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "export.bundle", Job.target_id == export_id))
        assert job is not None and job.state is JobState.QUEUED and held_jobs == [job.id]
        job_id = job.id

    login_as("comms")
    page = client.get(f"/release/exports/{export_id}").get_data(as_text=True)
    assert "bundle_pending" in page
    assert "De bestanden worden gemaakt… 0%" in page
    assert 'id="download"' not in page
    waiting = release.comms.get(f"/api/v1/exports/{export_id}/download")
    assert waiting.status_code == 409 and waiting.get_json()["error"]["code"] == "bundle_pending"

    with app.app_context():
        queue.run(job_id)
        assert db.session.get_one(Job, job_id).state is JobState.DONE
    page = client.get(f"/release/exports/{export_id}").get_data(as_text=True)
    assert 'id="download"' in page
    bundle = client.get(f"/release/exports/{export_id}/bundle.zip")
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"

    release.decide("sem", "photo", "newsletter", "withdraw")  # the gate runs again at download
    assert client.get(f"/release/exports/{export_id}/bundle.zip").status_code == 409


def test_a_small_export_is_still_made_at_once(release, app):
    item = release.cleared_photo("newsletter")
    response = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]})
    assert response.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(Job).where(Job.kind == "export.bundle")) is None


def test_the_daily_reminders_run_as_a_job(app, world, monkeypatch):
    rounds = []
    monkeypatch.setattr("app.consent.tasks.remind_open_campaigns", lambda now, dry_run: rounds.append(dry_run))
    with app.app_context():
        celery = app.extensions["celery"]
        schedule = celery.conf.beat_schedule["consent-reminders"]
        assert schedule["args"] == ("consent.remind",)
        celery.tasks[schedule["task"]].apply(args=schedule["args"])
        job = db.session.scalar(select(Job).where(Job.kind == "consent.remind"))
        assert job is not None and job.state is JobState.DONE
    assert rounds == [False]

"""A job that raises is tried again (JOB_MAX_ATTEMPTS), then shown to administrators as failed with
its error, its item blocked; "try again" sends it once more. A job sent twice runs once."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.jobs import queue
from app.jobs.models import Job, JobState, MailOutbox
from app.media.models import MediaItem, ProcessingState
from tests.media.samples import film
from tests.release.helpers import Release


def test_a_job_that_raises_is_retried_then_failed_and_shown_to_admins(
    app, client, runner, world, media_root, published_form, login_as, monkeypatch
):
    from app.media import ingest

    calls = []

    def crash(item, progress):
        calls.append(item.id)
        raise OSError("disk full at /srv/media/incoming/upload-x")

    monkeypatch.setattr("app.media.tasks.process_recording", crash)
    release = Release(app, client, runner, world)
    item_id = release.upload(film())
    assert len(calls) == app.config["JOB_MAX_ATTEMPTS"] == 3
    with app.app_context():
        item = db.session.get_one(MediaItem, item_id)
        job = db.session.scalar(select(Job).where(Job.kind == "film.process", Job.target_id == item_id))
        assert item.processing_state is ProcessingState.FAILED
        assert (job.state, job.attempts) == (JobState.FAILED, 3)
        assert job.last_error == "OSError: disk full at /srv/media/incoming/upload-x"
        job_id = job.id
    blockers = release.comms.get(f"/api/v1/media/{item_id}/clearance?channel=newsletter").get_json()["blockers"]
    assert [b["code"] for b in blockers] == ["processing", "tags_incomplete"]

    login_as("admin")
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert f'id="job-{job_id}"' in page and "OSError: disk full" in page and "Een film verwerken" in page
    assert f'href="/media/{item_id}"' in page and "mislukt: 1" in page

    monkeypatch.setattr("app.media.tasks.process_recording", ingest.process_recording)
    response = client.submit(f"/admin/jobs/{job_id}/try-again")
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get_one(MediaItem, item_id)
        job = db.session.get_one(Job, job_id)
        assert (item.processing_state, job.state, job.attempts) == (ProcessingState.READY, JobState.DONE, 1)
    assert f'id="job-{job_id}"' not in client.get("/admin/jobs/").get_data(as_text=True)


def test_the_jobs_page_is_for_admins_only(client, login_as, world):
    login_as("comms")
    assert client.get("/admin/jobs/").status_code == 404


def test_try_again_needs_a_csrf_token(client, login_as, world, app):
    login_as("admin")
    assert client.get("/admin/jobs/").status_code == 200
    with app.app_context():
        job = queue.enqueue("mail.send", None)
        job.state = JobState.FAILED
        db.session.commit()
        job_id = job.id
    assert client.post(f"/admin/jobs/{job_id}/try-again").status_code == 400
    with app.app_context():
        assert db.session.get_one(Job, job_id).state is JobState.FAILED


def test_a_job_sent_twice_runs_once(app, held_jobs, world):
    from app.jobs.mail import queue_mail

    with app.app_context():
        queue_mail(to="a@example.org", subject="s", body="b", sender="x@example.org")
        db.session.commit()
    assert len(held_jobs) == 1
    ran = []
    monkey = queue.HANDLERS["mail.send"]
    queue.HANDLERS["mail.send"] = queue.Handler(lambda job: ran.append(job.id))
    try:
        with app.app_context():
            queue.run(held_jobs[0])
            queue.run(held_jobs[0])
    finally:
        queue.HANDLERS["mail.send"] = monkey
    assert ran == [held_jobs[0]]


def test_a_failed_mail_keeps_its_error_but_not_the_address(app, world, monkeypatch):
    import smtplib

    from app.jobs.mail import queue_mail

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"karin.devries@example.org": (550, b"no such user")})

    monkeypatch.setattr("flask_mailman.EmailMessage.send", refuse)
    with app.app_context():
        mail = queue_mail(to="karin.devries@example.org", subject="s", body="b", sender="x@example.org")
        db.session.commit()
        job = db.session.scalar(select(Job).where(Job.kind == "mail.send", Job.target_id == mail.id))
        assert job.state is JobState.FAILED and job.attempts == 3
        assert "SMTPRecipientsRefused" in job.last_error and "<address>" in job.last_error
        assert "karin" not in job.last_error
        assert db.session.get(MailOutbox, mail.id) is not None  # kept, to be tried again


def test_a_job_that_runs_normally_is_not_tried_again(client, login_as, world, app):
    login_as("admin")
    with app.app_context():
        job = queue.enqueue("mail.send", None)
        job.state = JobState.RUNNING
        job.heartbeat_at = job.created_at
        db.session.commit()
        job_id = job.id
    assert client.submit(f"/admin/jobs/{job_id}/try-again").status_code == 302
    with app.app_context():
        assert db.session.get_one(Job, job_id).state is JobState.RUNNING

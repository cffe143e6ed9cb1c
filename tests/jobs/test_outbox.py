"""The transactional outbox: a job is written with the thing it is about and sent after the commit;
with Redis down the request still succeeds, the job stays queued and the sweeper sends it when Redis
is back. Mail is rendered in the request and sent by a job, never in the request."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import PasswordResetRequest
from app.extensions import db
from app.jobs import queue
from app.jobs.models import Job, JobState, MailOutbox
from app.jobs.setup import celery_init_app
from app.media.models import MediaItem, ProcessingState
from app.timestamps import utcnow
from tests.media.samples import film
from tests.release.helpers import Release


@pytest.fixture
def redis_down(app, monkeypatch):
    """Jobs go to a real broker that does not answer (a closed port); restored afterwards."""
    monkeypatch.setattr(queue, "_broker_down_until", 0.0)  # and forgotten afterwards
    saved = {key: app.config[key] for key in ("JOBS_EAGER", "REDIS_URL")}
    app.config.update(JOBS_EAGER=False, REDIS_URL="redis://127.0.0.1:9/0")
    celery_init_app(app)

    def back() -> None:
        app.config.update(saved)
        celery_init_app(app)

    yield back
    back()


def test_with_redis_down_an_upload_succeeds_and_its_job_is_sent_when_redis_is_back(
    app, client, runner, world, media_root, redis_down
):
    release = Release(app, client, runner, world)
    item_id = release.upload(film())  # 201 although the broker cannot be reached
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.target_id == item_id, Job.kind == "film.process"))
        assert (job.state, job.sent_at, job.attempts) == (JobState.QUEUED, None, 0)
        job_id = job.id
        assert db.session.get_one(MediaItem, item_id).processing_state is ProcessingState.PROCESSING
        assert queue.sweep() == []  # too young to send again; and Redis is still down
    with app.app_context():  # a second job while Redis is down costs no second wait
        started = time.monotonic()
        assert queue.send(job_id) is False
        assert time.monotonic() - started < 0.5
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "degraded", "database": "ok", "redis": "down", "worker": "unknown"}

    redis_down()  # Redis is back (eager in the tests: the sweeper's send runs the job)
    with app.app_context():
        assert queue.sweep(now=utcnow() + timedelta(seconds=31)) == [job_id]
        job = db.session.get_one(Job, job_id)
        assert (job.state, job.attempts) == (JobState.DONE, 1)
        assert db.session.get_one(MediaItem, item_id).processing_state is ProcessingState.READY


def test_a_rolled_back_change_sends_no_job(app, held_jobs, world):
    with app.app_context():
        queue.enqueue("mail.send", None)
        db.session.rollback()
        db.session.commit()
        assert db.session.scalar(select(func.count(Job.id))) == 0
    assert held_jobs == []


def test_a_savepoint_rolled_back_keeps_the_transactions_other_jobs(app, held_jobs, world):
    """One family's step failing inside ``begin_nested`` (a round of reminders) must not drop the jobs
    the rest of the transaction wrote: they go after its commit."""
    with app.app_context():
        kept = queue.enqueue("mail.send", None).id
        savepoint = db.session.begin_nested()
        queue.enqueue("mail.send", None)
        savepoint.rollback()
        db.session.commit()
        assert db.session.scalars(select(Job.id)).all() == [kept]
    assert kept in held_jobs


def test_a_password_reset_is_mailed_by_a_job_not_by_the_request(client, world, app, held_jobs, outbox):
    """The request does the same for every address (an address and a job), so its time tells
    nobody whether an account exists (bench/reset_timing.py); the job makes and mails the link."""

    def forgot(email: str) -> None:
        response = client.submit("/password/forgot", {"email": email})
        assert response.status_code == 302

    forgot("nobody@example.org")
    forgot("parent@example.org")
    assert outbox == []  # no mail server was spoken to in either request
    assert len(held_jobs) == 2  # one job for each address, real or not
    with app.app_context():
        asked = db.session.scalars(select(PasswordResetRequest.email).order_by(PasswordResetRequest.id)).all()
        assert asked == ["nobody@example.org", "parent@example.org"]
        assert db.session.scalar(select(func.count(MailOutbox.id))) == 0
        for job_id in list(held_jobs):
            queue.run(job_id)
        assert db.session.scalar(select(func.count(PasswordResetRequest.id))) == 0
        rendered = db.session.scalars(select(MailOutbox)).all()
        assert [m.to_address for m in rendered] == ["parent@example.org"]
        assert rendered[0].subject == "Kies een nieuw wachtwoord voor Beeldrecht"  # the recipient's language
        assert "/password/reset/" in rendered[0].body
    assert len(held_jobs) == 3  # the mail's own job
    with app.app_context():
        queue.run(held_jobs[2])
        assert db.session.scalar(select(func.count(MailOutbox.id))) == 0  # sent, then removed
        assert db.session.get_one(Job, held_jobs[2]).state is JobState.DONE
    assert [m.to for m in outbox] == [["parent@example.org"]]


def test_healthz_names_every_part(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "redis": "ok", "worker": "eager"}

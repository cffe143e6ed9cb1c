"""What the job table and the mail outbox keep, and for how long: done jobs are history for a month;
a mail that failed for good is kept a week for an administrator to try again, then removed with its
job; a mail not sent yet to a person who is erased goes with them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import PasswordResetRequest
from app.extensions import db
from app.jobs import queue
from app.jobs.mail import MAIL_SEND
from app.jobs.models import Job, JobState, MailOutbox
from app.jobs.retention import JOBS_PURGE
from app.timestamps import utcnow


def _job(kind: str, state: JobState, days_ago: float, target_id: int | None = None) -> int:
    at = utcnow() - timedelta(days=days_ago)
    job = Job(
        kind=kind,
        target_id=target_id,
        state=state,
        created_at=at,
        finished_at=at if state is not JobState.QUEUED else None,
    )
    db.session.add(job)
    db.session.flush()
    return job.id


def _mail(to: str) -> int:
    mail = MailOutbox(to_address=to, from_address="school@example.org", subject="Herinnering", body="Beste ...")
    db.session.add(mail)
    db.session.flush()
    return mail.id


def test_the_daily_purge_removes_old_done_jobs_and_mails_failed_for_good(app):
    with app.app_context():
        old_mail, new_mail = _mail("a@example.org"), _mail("b@example.org")
        keep = {
            _job(MAIL_SEND, JobState.FAILED, 2, new_mail),  # an administrator may still try it again
            _job("film.process", JobState.DONE, 3),
            _job("film.process", JobState.FAILED, 60),  # a failed job that is no mail stays shown
            _job("consent.remind", JobState.QUEUED, 40),
        }
        gone = {_job(MAIL_SEND, JobState.FAILED, 8, old_mail), _job("film.process", JobState.DONE, 31)}
        db.session.commit()
        queue.enqueue_now(JOBS_PURGE)  # as beat does; jobs run eagerly in the tests
        left = set(db.session.scalars(select(Job.id)))
        assert keep <= left and not gone & left
        assert set(db.session.scalars(select(MailOutbox.id))) == {new_mail}


def test_an_erasure_removes_the_mails_not_sent_yet_to_the_person(client, login_as, world, app, held_jobs, outbox):
    for email in ("parent2@example.org", "parent@example.org"):
        assert client.submit("/password/forgot", {"email": email}).status_code == 302
    with app.app_context():
        for job_id in list(held_jobs):
            queue.run(job_id)  # each makes its mail and hands its mail's job over
    mails = held_jobs[2:]
    assert len(mails) == 2  # the mail server is unreachable: both wait in the outbox
    assert client.submit("/password/forgot", {"email": "parent2@example.org"}).status_code == 302
    login_as("admin")
    erased = client.submit(f"/admin/persons/{world['parent2']}/erase", {"reason": "Verzoek", "confirm": "y"})
    assert erased.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(MailOutbox.to_address)).all() == ["parent@example.org"]
        assert db.session.scalar(select(func.count(PasswordResetRequest.id))) == 0  # the newest request too
        for job_id in held_jobs[2:]:
            queue.run(job_id)
        assert db.session.scalar(select(func.count(MailOutbox.id))) == 0
    assert [m.to for m in outbox] == [["parent@example.org"]]

"""``flask jobs``: the Jobs page for a terminal."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.jobs.models import Job, JobState
from app.timestamps import utcnow


def _job(app, kind: str, state: JobState, *, error: str | None = None, days_ago: float = 0) -> int:
    with app.app_context():
        at = utcnow() - timedelta(days=days_ago)
        job = Job(kind=kind, target_id=7, state=state, attempts=3, last_error=error, created_at=at, finished_at=at)
        db.session.add(job)
        db.session.commit()
        return job.id


def test_list_shows_the_problems_and_retry_sends_a_failed_job_again(app, runner, held_jobs):
    failed = _job(app, "film.process", JobState.FAILED, error="OSError: disk full\nTraceback ...")
    done = _job(app, "mail.send", JobState.DONE)
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0
    assert f"{failed}\tfilm.process\tfailed" in listed.output and "OSError: disk full" in listed.output
    assert "Traceback" not in listed.output and f"{done}\tmail.send" not in listed.output
    assert f"{done}\tmail.send\tdone" in runner.invoke(args=["jobs", "list", "--state", "done"]).output

    again = runner.invoke(args=["jobs", "retry", str(failed)])
    assert again.exit_code == 0 and "will be tried again" in again.output
    assert held_jobs == [failed]
    with app.app_context():
        job = db.session.get_one(Job, failed)
        assert (job.state, job.attempts) == (JobState.QUEUED, 0)


def test_retry_refuses_a_job_that_is_not_failed_or_stuck_and_an_unknown_id(app, runner, held_jobs):
    done = _job(app, "mail.send", JobState.DONE)
    refused = runner.invoke(args=["jobs", "retry", str(done)])
    assert refused.exit_code == 1 and "cannot be tried again" in refused.output
    assert runner.invoke(args=["jobs", "retry", "999999"]).exit_code == 1
    assert runner.invoke(args=["jobs", "retry", str(2**40)]).exit_code == 2  # a clear usage error, no traceback
    assert held_jobs == []


def test_purge_removes_what_is_past_its_time(app, runner):
    _job(app, "film.process", JobState.DONE, days_ago=40)
    recent = _job(app, "film.process", JobState.DONE, days_ago=1)
    purged = runner.invoke(args=["jobs", "purge"])
    assert purged.exit_code == 0 and "1 done jobs and 0 mails" in purged.output
    with app.app_context():
        assert [j.id for j in db.session.query(Job).all()] == [recent]

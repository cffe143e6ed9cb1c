"""How long the job table and the mail outbox keep what they hold: the ``jobs.purge`` job, daily
from beat. A job that is done is only history (``JOB_KEEP_DAYS``); a mail whose sending failed for
good is kept ``MAIL_FAILED_KEEP_DAYS`` for an administrator to try again, then removed with its job:
it holds a name, an address and maybe a sign-in link, and nobody will send it any more."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from app.extensions import db
from app.jobs.mail import MAIL_SEND
from app.jobs.models import Job, JobState, MailOutbox
from app.jobs.queue import handler
from app.timestamps import utcnow

JOBS_PURGE = "jobs.purge"


def purge(now: datetime | None = None) -> tuple[int, int]:
    """Remove done jobs past their time and mails failed for good past theirs (with their jobs);
    the caller commits. How many jobs and mails went."""
    now = now or utcnow()
    mail_before = now - timedelta(days=int(current_app.config["MAIL_FAILED_KEEP_DAYS"]))
    failed_mails = select(Job.target_id).where(
        Job.kind == MAIL_SEND, Job.state == JobState.FAILED, Job.finished_at < mail_before
    )
    mails = getattr(db.session.execute(delete(MailOutbox).where(MailOutbox.id.in_(failed_mails))), "rowcount", 0)
    db.session.execute(
        delete(Job).where(Job.kind == MAIL_SEND, Job.state == JobState.FAILED, Job.finished_at < mail_before)
    )
    done_before = now - timedelta(days=int(current_app.config["JOB_KEEP_DAYS"]))
    jobs = getattr(
        db.session.execute(delete(Job).where(Job.state == JobState.DONE, Job.finished_at < done_before)), "rowcount", 0
    )
    return int(jobs or 0), int(mails or 0)


@handler(JOBS_PURGE)
def purge_job(job: Job) -> None:
    purge()

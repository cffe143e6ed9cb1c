"""The accounts module's job: ``accounts.password-reset`` mails a reset link for a request of the
form (``PasswordResetRequest``) when an active account has its address, and removes the request
either way. The request itself only writes the row and the job, the same work for every address."""

from __future__ import annotations

from app.accounts.models import PasswordResetRequest
from app.accounts.operations import request_password_reset
from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import enqueue, handler

RESET_LINK_JOB = "accounts.password-reset"


def ask_password_reset(email: str) -> None:
    """The form's work: keep the address for the job, in the caller's transaction."""
    asked = PasswordResetRequest(email=email.strip().lower()[:254])
    db.session.add(asked)
    db.session.flush()
    enqueue(RESET_LINK_JOB, asked.id)


def _drop(job: Job) -> None:
    """A request whose job failed for good is not kept (it holds an address)."""
    if job.target_id is not None and (asked := db.session.get(PasswordResetRequest, job.target_id)) is not None:
        db.session.delete(asked)


@handler(RESET_LINK_JOB, failed=_drop)
def mail_reset_link(job: Job) -> None:
    asked = db.session.get(PasswordResetRequest, job.target_id) if job.target_id is not None else None
    if asked is None:  # done by an earlier try
        return
    request_password_reset(asked.email)
    db.session.delete(asked)

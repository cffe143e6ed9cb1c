"""The job queue: ``enqueue`` writes a ``Job`` row in the caller's transaction and hands its id to
the broker only after that transaction commits (a transactional outbox: a job is never sent for
something that was rolled back, and a job whose sending failed, with Redis down, stays ``queued``
until the sweeper sends it again). ``run`` is what the worker does with an id: claim the row, run
the kind's handler, and record the outcome; an exception is tried again (``JOB_MAX_ATTEMPTS``, with
a growing wait) and then shown to administrators as ``failed`` with its error.

A handler does its slow work under temporary names, may report progress (each report its own short
transaction), and leaves its final writes uncommitted: ``run`` marks the job done in the same
transaction, so the result and "done" are written together or not at all.

Each module registers its kinds in its own ``tasks.py`` with ``@handler("film.process", ...)``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, event, func, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db
from app.jobs.models import Job, JobState
from app.timestamps import utcnow

log = logging.getLogger("beeldrecht.jobs")

RUN_JOB = "beeldrecht.run_job"
SWEEP = "beeldrecht.sweep_jobs"
ENQUEUE = "beeldrecht.enqueue"
PENDING = "beeldrecht_jobs_to_send"


@dataclass(frozen=True)
class Handler:
    """What a job kind does (``run``), what its thing becomes when the job has failed for good
    (``failed``) or is tried again by an administrator (``retried``), where its thing is shown, and
    which errors would only happen again (``final``: the job fails at once, without more tries)."""

    run: Callable[[Job], None]
    failed: Callable[[Job], None] | None = None
    retried: Callable[[Job], None] | None = None
    link: Callable[[Job], str | None] | None = None
    final: tuple[type[Exception], ...] = ()


HANDLERS: dict[str, Handler] = {}


def handler(
    kind: str,
    *,
    failed: Callable[[Job], None] | None = None,
    retried: Callable[[Job], None] | None = None,
    link: Callable[[Job], str | None] | None = None,
    final: tuple[type[Exception], ...] = (),
) -> Callable[[Callable[[Job], None]], Callable[[Job], None]]:
    def register(run: Callable[[Job], None]) -> Callable[[Job], None]:
        HANDLERS[kind] = Handler(run, failed, retried, link, final)
        return run

    return register


def enqueue(kind: str, target_id: int | None) -> Job:
    """A new job about ``target_id``, in the current transaction; sent once it commits."""
    job = Job(kind=kind, target_id=target_id, state=JobState.QUEUED, progress=0, attempts=0, created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    _send_after_commit(job.id)
    return job


def _send_after_commit(job_id: int) -> None:
    db.session.info.setdefault(PENDING, []).append(job_id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop(PENDING, None)
    if ids:
        sent = [job_id for job_id in ids if send(job_id)]
        if sent and not _eager():
            _mark_sent(sent)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    """The whole transaction rolled back: none of its jobs exist, nothing is sent. A savepoint
    rolled back (``begin_nested``, e.g. one family's invitation failing in a round of reminders)
    keeps the rest of the transaction's jobs: they go after its commit; a job written inside the
    savepoint no longer exists then, and ``run`` skips an id it cannot claim."""
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)


def _eager() -> bool:
    return bool(current_app.config["JOBS_EAGER"])


# After a failed hand-over, the broker is not tried again for this many seconds (in this process):
# finding out costs about two seconds each time, and a request may queue many mails.
BROKER_PAUSE = 15.0
_broker_down_until = 0.0


def send(job_id: int, countdown: float | None = None) -> bool:
    """Hand the id to the broker (eager: run it now). False when the broker cannot be reached: the
    row stays queued and the sweeper sends it again; the caller's work stands."""
    global _broker_down_until  # one flag per process
    if not _eager() and time.monotonic() < _broker_down_until:
        return False
    task = current_app.extensions["celery"].tasks[RUN_JOB]
    try:
        task.apply_async((job_id,), countdown=countdown, retry=False)
    except Exception as problem:  # the broker's errors: kombu, redis, OSError
        if _eager():
            raise
        _broker_down_until = time.monotonic() + BROKER_PAUSE
        log.warning("job %s could not be handed to the broker (%s); the sweeper sends it again", job_id, problem)
        return False
    return True


def _mark_sent(ids: list[int]) -> None:
    """Note when the ids were handed over, in a transaction of its own (the caller's has ended)."""
    try:
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id.in_(ids), Job.sent_at.is_(None)).values(sent_at=utcnow()))
    except Exception:
        log.warning("could not note that jobs %s were sent", ids, exc_info=True)


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=int(current_app.config[name]))


def _claim(job_id: int) -> bool:
    """Take the job: queued, or running on a worker that stopped reporting. Exactly one worker
    wins, so a job sent twice (by the sweeper, by Redis after a worker was lost) runs once."""
    now = utcnow()
    stale = now - _seconds("JOB_STALE_SECONDS")
    result = db.session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(Job.state == JobState.QUEUED, and_(Job.state == JobState.RUNNING, Job.heartbeat_at < stale)),
        )
        .values(state=JobState.RUNNING, attempts=Job.attempts + 1, started_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def run(job_id: int) -> None:
    """What the worker does with a job id."""
    if not _claim(job_id):
        log.info("job %s is not waiting to run (done, failed, running elsewhere or gone)", job_id)
        return
    job = db.session.get_one(Job, job_id)
    kind = HANDLERS.get(job.kind)
    try:
        if kind is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        if job.attempts > int(current_app.config["JOB_MAX_ATTEMPTS"]) + 1:
            raise RuntimeError("the worker stopped during this job too many times")
        kind.run(job)
        job.state, job.progress, job.finished_at, job.heartbeat_at = JobState.DONE, 100, utcnow(), None
        db.session.commit()
    except Exception as problem:
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, getattr(job, "kind", "?"))
        _attempt_failed(job_id, problem)


ADDRESS = re.compile(r"[^\s<>'\"(),;:]+@[^\s<>'\"(),;:]+")


def error_text(problem: BaseException) -> str:
    """The exception's kind and message, cut short, without personal data: files are named by
    their hash, and a mail address (a mail server's refusal names its recipient) is left out."""
    return ADDRESS.sub("<address>", f"{type(problem).__name__}: {problem}")[:2000]


def _attempt_failed(job_id: int, problem: BaseException) -> None:
    job = db.session.get(Job, job_id)
    if job is None:
        return
    job.last_error = error_text(problem)
    job.heartbeat_at = None
    kind = HANDLERS.get(job.kind)
    final = kind is not None and isinstance(problem, kind.final)
    if job.attempts < int(current_app.config["JOB_MAX_ATTEMPTS"]) and not final:
        wait = int(current_app.config["JOB_RETRY_SECONDS"]) * 2 ** (job.attempts - 1)
        job.state, job.sent_at = JobState.QUEUED, utcnow()
        db.session.commit()
        # Nothing is read between the commit and the sending: an eager run (tests) must not find
        # this session in a new transaction that would roll its work back when this one closes.
        send(job_id, countdown=wait)
        return
    job.state, job.finished_at = JobState.FAILED, utcnow()
    if kind is not None and kind.failed is not None:
        kind.failed(job)
    db.session.commit()


def report_progress(job: Job, percent: int) -> None:
    """The job is ``percent`` done (and its worker alive): its own short transaction. It also ends
    the transaction the job had open, so a job never holds one during its slow work."""
    job.progress = max(0, min(99, int(percent)))
    job.heartbeat_at = utcnow()
    db.session.commit()


def stuck_condition(now: datetime) -> ColumnElement[bool]:
    """Running without a sign of life, or waiting long after it was handed over."""
    stale = now - _seconds("JOB_STALE_SECONDS")
    lost = now - _seconds("JOB_LOST_SECONDS")
    return or_(
        and_(Job.state == JobState.RUNNING, Job.heartbeat_at < stale),
        and_(Job.state == JobState.QUEUED, Job.created_at < lost),
    )


def may_try_again(job: Job) -> bool:
    """Only a failed or stuck job: one that runs or waits normally would then run twice."""
    if job.state is JobState.FAILED:
        return True
    return db.session.scalar(select(Job.id).where(Job.id == job.id, stuck_condition(utcnow()))) is not None


def try_again(job: Job) -> None:
    """An administrator sends a failed (or stuck) job again, with a fresh count of attempts."""
    job.state, job.attempts, job.progress, job.finished_at, job.heartbeat_at = JobState.QUEUED, 0, 0, None, None
    job.sent_at = None
    kind = HANDLERS.get(job.kind)
    if kind is not None and kind.retried is not None:
        kind.retried(job)
    _send_after_commit(job.id)


def sweep(now: datetime | None = None) -> list[int]:
    """Send again what the broker may not have: queued jobs never handed over (after
    ``JOB_RESEND_SECONDS``) or handed over long ago and not started (``JOB_LOST_SECONDS``: Redis
    lost its queue), and running jobs whose worker stopped reporting (``JOB_STALE_SECONDS``)."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Job.id)
            .where(
                or_(
                    and_(
                        Job.state == JobState.QUEUED,
                        or_(
                            and_(Job.sent_at.is_(None), Job.created_at < now - _seconds("JOB_RESEND_SECONDS")),
                            Job.sent_at < now - _seconds("JOB_LOST_SECONDS"),
                        ),
                    ),
                    and_(Job.state == JobState.RUNNING, Job.heartbeat_at < now - _seconds("JOB_STALE_SECONDS")),
                )
            )
            .order_by(Job.id)
        )
    )
    db.session.commit()
    sent = [job_id for job_id in ids if send(job_id)]
    if sent:
        db.session.execute(update(Job).where(Job.id.in_(sent)).values(sent_at=utcnow()))
        db.session.commit()
    return sent


def enqueue_now(kind: str) -> int:
    """A job of ``kind`` about nothing in particular (the daily reminders), committed and sent."""
    job = enqueue(kind, None)
    db.session.commit()
    return job.id


def counts() -> dict[JobState, int]:
    rows = db.session.execute(select(Job.state, func.count(Job.id)).group_by(Job.state)).tuples().all()
    found = dict(rows)
    return {state: int(found.get(state, 0)) for state in JobState}


def latest_for(kind: str, target_id: int) -> Job | None:
    return db.session.scalar(
        select(Job).where(Job.kind == kind, Job.target_id == target_id).order_by(Job.id.desc()).limit(1)
    )


def describe(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "state": job.state.value, "progress": job.progress}

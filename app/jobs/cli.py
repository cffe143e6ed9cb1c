"""``flask jobs``: the Jobs page for a terminal (a server without a browser, a script that checks
after a deploy): list jobs, try a failed or stuck one again, purge what is past its time."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import or_, select

from app.extensions import db
from app.jobs.models import Job, JobState
from app.jobs.queue import counts, may_try_again, stuck_condition, try_again
from app.jobs.retention import purge
from app.timestamps import utcnow

jobs_cli = AppGroup("jobs", help="Background jobs.")

STATES = [state.value for state in JobState] + ["stuck", "problems"]


@jobs_cli.command("list")
@click.option(
    "--state",
    type=click.Choice(STATES),
    default="problems",
    show_default=True,
    help="problems: failed or stuck (what the Jobs page shows).",
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def list_command(state: str, limit: int) -> None:
    """The newest jobs in a state, one line each (no personal data: a job names an id only)."""
    now = utcnow()
    condition = {
        "stuck": stuck_condition(now),
        "problems": or_(Job.state == JobState.FAILED, stuck_condition(now)),
    }.get(state, Job.state == state)
    jobs = db.session.scalars(select(Job).where(condition).order_by(Job.id.desc()).limit(limit)).all()
    totals = counts()
    click.echo(", ".join(f"{n} {s.value}" for s, n in totals.items()))
    for job in jobs:
        error = (job.last_error or "").splitlines()[0][:120] if job.last_error else ""
        click.echo(
            f"{job.id}\t{job.kind}\t{job.state.value}\t{job.progress}%\tattempts {job.attempts}\t"
            f"{job.created_at:%Y-%m-%d %H:%M}\t{error}"
        )


@jobs_cli.command("retry")
@click.argument("job_id", type=click.IntRange(1, 2**31 - 1))
def retry_command(job_id: int) -> None:
    """Send a failed or stuck job again (the Jobs page's *Try again*)."""
    job = db.session.get(Job, job_id)
    if job is None:
        click.echo(f"There is no job {job_id}.", err=True)
        sys.exit(1)
    if not may_try_again(job):
        click.echo(f"Job {job_id} is {job.state.value} and not stuck: it cannot be tried again.", err=True)
        sys.exit(1)
    try_again(job)
    db.session.commit()
    click.echo(f"Job {job_id} ({job.kind}) will be tried again.")


@jobs_cli.command("purge")
def purge_command() -> None:
    """Remove done jobs and mails failed for good that are past their time, now (the worker's daily ``jobs.purge``)."""
    jobs, mails = purge()
    db.session.commit()
    click.echo(f"{jobs} done jobs and {mails} mails failed for good removed.")

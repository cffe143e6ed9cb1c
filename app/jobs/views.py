"""Administrators' page of the job queue: what failed (with its error) or is stuck, how many jobs
wait or run, and "try again" for a failed or stuck job."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from app.access import allow
from app.accounts.models import Role
from app.errors import NotFound
from app.extensions import db
from app.jobs.models import Job, JobState
from app.jobs.queue import HANDLERS, counts, may_try_again, stuck_condition, try_again
from app.timestamps import utcnow

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")

KIND_LABELS = {
    "film.process": _l("Processing a film"),
    "audio.process": _l("Processing a sound recording"),
    "mail.send": _l("Sending a mail"),
    "export.bundle": _l("Making an export's files"),
    "consent.remind": _l("Consent reminders"),
}


class TryAgainForm(FlaskForm):
    pass


@bp.route("/")
@allow(Role.ADMIN)
def index() -> str:
    now = utcnow()
    problems = list(
        db.session.scalars(
            select(Job)
            .where(or_(Job.state == JobState.FAILED, stuck_condition(now)))
            .order_by(Job.id.desc())
            .limit(200)
        )
    )
    links = {}
    for job in problems:
        kind = HANDLERS.get(job.kind)
        links[job.id] = kind.link(job) if kind is not None and kind.link is not None else None
    return render_template(
        "jobs/index.html",
        problems=problems,
        links=links,
        counts=counts(),
        kinds=KIND_LABELS,
        states=JobState,
        form=TryAgainForm(),
    )


@bp.route("/<int:job_id>/try-again", methods=["POST"])
@allow(Role.ADMIN)
def try_job_again(job_id: int) -> Response:
    form = TryAgainForm()
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("not_found", _("There is no such job."))
    if not form.validate_on_submit() or not may_try_again(job):
        flash(_("This job cannot be tried again."), "warning")
        return redirect(url_for("jobs.index"))
    try_again(job)
    db.session.commit()
    flash(_("The job will be tried again."), "success")
    return redirect(url_for("jobs.index"))

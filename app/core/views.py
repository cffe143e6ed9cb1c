"""The home page, which depends on the roles of whoever signs in."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.access import (
    ANONYMOUS,
    SIGNED_IN,
    STAFF_ROLES,
    allow,
    children_deciding_alone,
    children_who_left,
    current_account,
    own_children,
    visible_groups,
)
from app.accounts.models import Role
from app.consent.overview import open_questions
from app.consent.queries import active_form, now
from app.extensions import db
from app.school.models import Group, Person, SchoolYear

bp = Blueprint("core", __name__)


@bp.route("/")
@allow(ANONYMOUS)
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    return redirect(url_for("accounts.sign_in"))


@bp.route("/favicon.ico")
@allow(ANONYMOUS)
def favicon() -> Response:
    """The icon browsers ask for at this address whatever the page links (the pages link the SVG)."""
    return current_app.send_static_file("favicon.svg")


@bp.route("/home")
@allow(SIGNED_IN)
def home() -> str:
    user = current_account()
    children: list[Person] = []
    grown: list[Person] = []  # 16 or older: they decide, their choices are their own
    left: list[Person] = []  # left the school: nothing to decide any more
    if user.has_role(Role.PARENT):
        children = list(db.session.scalars(own_children(user).order_by(Person.first_name)))
        grown = list(db.session.scalars(children_deciding_alone(user).order_by(Person.first_name)))
        left = list(db.session.scalars(children_who_left(user).order_by(Person.first_name)))
    groups: list[Group] = []
    if user.has_role(*STAFF_ROLES):
        groups = list(
            db.session.scalars(
                visible_groups(user).join(Group.school_year).order_by(SchoolYear.starts_on.desc(), Group.name).limit(50)
            )
        )
    counts = {}
    if user.has_role(Role.ADMIN):
        counts = {
            "persons": db.session.scalar(select(func.count(Person.id))),
            "groups": db.session.scalar(select(func.count(Group.id))),
        }
    open_counts: dict[int, int] = {}
    if children:
        moment = now()
        form = active_form(moment.day)
        if form is not None:
            open_counts = open_questions([c.id for c in children], form, moment)
    return render_template(
        "core/home.html",
        children=children,
        grown=grown,
        left=left,
        groups=groups,
        counts=counts,
        open_counts=open_counts,
    )


@bp.route("/healthz")
@allow(ANONYMOUS)
def healthz() -> tuple[dict[str, str], int]:
    """Which part is down: the database (then 503: nothing works), Redis or the worker (then
    "degraded": pages and uploads still work, slow work waits in the job table)."""
    from app.jobs.health import job_health

    parts = {"database": "ok"}
    try:
        db.session.execute(select(1))
    except SQLAlchemyError:
        db.session.rollback()
        parts["database"] = "down"
    parts.update(job_health())
    if parts["database"] != "ok":
        return {"status": "down", **parts}, 503
    degraded = (parts["redis"] != "ok" and parts["worker"] != "eager") or parts["worker"] in {"down", "unknown"}
    return {"status": "degraded" if degraded else "ok", **parts}, 200


@bp.route("/metrics")
@allow(ANONYMOUS)
def metrics() -> Response:
    """Prometheus' text format, for the scraper holding ``METRICS_TOKEN`` (a bearer token; no
    session, no CSRF, no rate limit). Without the setting the address does not exist (404)."""
    from prometheus_client.exposition import choose_encoder

    from app.core.metrics import registry_for_scrape, token_state
    from app.jobs.metrics import JobCollector

    state = token_state()
    if state == "off":
        abort(404)
    if state == "refused":
        abort(401)
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encode(registry_for_scrape([JobCollector()]))
    return Response(body, 200, {"Cache-Control": "no-store"}, content_type=content_type)

"""The audit log for administrators: list and filter."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import distinct, select

from app.access import allow
from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


def _day(value: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        return None


@bp.route("/")
@allow(Role.LEADERSHIP, Role.ADMIN)
def list_events() -> str:
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    action = request.args.get("action", "").strip()
    if action:
        query = query.where(AuditEvent.action == action)
    actor = request.args.get("actor", "").strip()
    if actor.isdigit():
        query = query.where(AuditEvent.actor_id == int(actor))
    since = _day(request.args.get("from", ""))
    if since:
        query = query.where(AuditEvent.occurred_at >= since)
    until = _day(request.args.get("until", ""))
    if until:
        query = query.where(AuditEvent.occurred_at < until + timedelta(days=1))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    actions = db.session.scalars(select(distinct(AuditEvent.action)).order_by(AuditEvent.action)).all()
    actor_ids = {e.actor_id for e in page.items if e.actor_id is not None}
    actors = (
        {u.id: u.email for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    )
    return render_template(
        "audit/list.html",
        page=page,
        actions=actions,
        actors=actors,
        filters={k: request.args.get(k, "") for k in ("action", "actor", "from", "until")},
    )

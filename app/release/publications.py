"""Publications (where an exported item was posted) and incidents (what went out against the protocol)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.extensions import db
from app.release.exports import ExportError
from app.release.models import Export, ExportStatus, Incident, Measure, Publication, Takedown
from app.school.models import Person
from app.timestamps import database_now, school_today


def clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(url) > 500 or any(c.isspace() for c in url):
        raise ExportError("bad_url", _("Give the full web address of the post, starting with https://."))
    return url


def record_publication(
    export: Export, media_id: int, url: str, *, by: User, published_on: date | None = None
) -> Publication:
    url = clean_url(url)
    if export.status is not ExportStatus.RELEASED:
        raise ExportError("not_released", _("This export was not released (yet): nothing of it may be posted."))
    if media_id not in {entry.media_id for entry in export.items}:
        raise ExportError("not_in_export", _("That item was not part of this export."))
    duplicate = db.session.scalar(
        select(Publication).where(
            Publication.export_id == export.id, Publication.media_id == media_id, Publication.url == url
        )
    )
    if duplicate is not None:
        return duplicate  # a double submit records nothing new
    day = published_on or school_today()
    if day > school_today() or day < export.created_at.date() - timedelta(days=1):
        raise ExportError("bad_date", _("The date must lie between the export and today."))
    publication = Publication(
        export_id=export.id,
        media_id=media_id,
        channel_id=export.channel_id,
        url=url,
        published_on=day,
        caption=export.caption,
        created_by_id=by.id,
    )
    db.session.add(publication)
    db.session.flush()
    record("release.published", target=publication, actor_id=by.id, export_id=export.id, media_id=media_id)
    return publication


def register_incident(
    *,
    occurred_on: date,
    channel: str,
    url: str | None,
    people: list[Person],
    measure: Measure,
    notes: str | None,
    open_takedown: bool,
    by: User,
) -> Incident:
    if occurred_on > school_today():
        raise ExportError("bad_date", _("An incident cannot lie in the future."))
    url = clean_url(url) if url else None
    if open_takedown and not url:
        raise ExportError("url_required", _("Give the address of the post to open a removal task for it."))
    incident = Incident(
        occurred_on=occurred_on,
        channel=channel.strip()[:80],
        url=url,
        measure=measure,
        notes=(notes or "").strip() or None,
        created_by_id=by.id,
        people=people,
    )
    db.session.add(incident)
    db.session.flush()
    if open_takedown and url:
        hours = int(current_app.config["TAKEDOWN_DUE_HOURS"])
        at = database_now()
        incident.takedowns.append(Takedown(url=url, opened_at=at, due_at=at + timedelta(hours=hours)))
        db.session.flush()
    record(
        "release.incident_registered",
        target=incident,
        actor_id=by.id,
        people=[p.id for p in people],
        measure=measure.value,
        takedown=open_takedown,
    )
    return incident

""" "Download our data" (GDPR art. 15): everything held about a signed-in person and the children
they are a guardian of, as one document (JSON, or the same read as a page), and the audit row that
says it was handed out.

Who is in it is ``app.access.family_subjects``'s answer, never a list of its own. Of the media,
only what concerns the family is given: the items on which one of them is tagged
(``app.media.visibility.family_media``), their tags of the family (never another child's tag), a
thumbnail link valid for this account for a week (``app.media.links``), where the items were
published with the removal work opened for the family (``app.release.family.published_for``), and
the incidents that name one of them (without the notes, which may name other people)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.access import family_subjects
from app.accounts.models import User
from app.audit.log import record
from app.consent.models import ConsentForm, Decision
from app.consent.vocabulary import MediaType
from app.extensions import db
from app.media.links import LINK_DAYS, thumbnail_link
from app.media.models import MediaItem, Tag
from app.media.visibility import family_media
from app.release.family import published_for
from app.release.models import Incident, Takedown, incident_person
from app.school.models import Guardianship, Person


def export_family_data(viewer: User, *, as_page: bool = False) -> dict[str, Any]:
    """The viewer's account, their family's records, guardianships, every decision about or by
    them with the text of the form version it was given under, the media showing them, their
    tags, publications and removals, and the incidents naming them; audited as ``data.exported``
    (``as_page``: read on screen rather than downloaded). The caller commits."""
    people = db.session.scalars(family_subjects(viewer)).all()
    ids = [p.id for p in people]
    decisions = db.session.scalars(
        select(Decision).where(or_(Decision.subject_id.in_(ids), Decision.decided_by_id.in_(ids))).order_by(Decision.id)
    ).all()
    forms = db.session.scalars(
        select(ConsentForm).where(ConsentForm.id.in_({d.form_id for d in decisions})).order_by(ConsentForm.id)
    ).all()
    links = db.session.scalars(select(Guardianship).where(Guardianship.pupil_id.in_(ids))).all()
    items = db.session.scalars(
        family_media(viewer)
        .options(selectinload(MediaItem.tags), selectinload(MediaItem.album), selectinload(MediaItem.group))
        .order_by(MediaItem.uploaded_at, MediaItem.id)
    ).all()
    publications = [(person_id, p) for person_id in ids for p in published_for(person_id)]
    takedowns = db.session.scalars(select(Takedown).where(Takedown.person_id.in_(ids)).order_by(Takedown.id)).all()
    incidents = db.session.scalars(
        select(Incident)
        .where(Incident.id.in_(select(incident_person.c.incident_id).where(incident_person.c.person_id.in_(ids))))
        .order_by(Incident.occurred_on, Incident.id)
    ).all()
    record(
        "data.exported",
        target=viewer,
        people=len(people),
        decisions=len(decisions),
        media=len(items),
        format="page" if as_page else "json",
    )
    return {
        "account": {"email": viewer.email, "roles": sorted(r.value for r in viewer.roles), "locale": viewer.locale},
        "people": [_person(p) for p in people],
        "guardians": [
            {
                "pupil_id": g.pupil_id,
                "guardian_id": g.guardian_id,
                "guardian_name": g.guardian.full_name,
                "has_parental_authority": g.has_parental_authority,
            }
            for g in links
        ],
        "decisions": [
            {
                "id": d.id,
                "subject_id": d.subject_id,
                "media_type": d.media_type.value,
                "purpose": d.purpose,
                "decision": d.action.value,
                "decided_by_id": d.decided_by_id,
                "means": d.means.value,
                "form": f"{d.form.form_key} v{d.form.version}",
                "form_id": d.form_id,
                "decided_at": d.decided_at.isoformat(),
            }
            for d in decisions
        ],
        # The exact text agreed to: each form version the decisions were given under, as published.
        "forms": [
            {
                "id": f.id,
                "form": f"{f.form_key} v{f.version}",
                "published_at": f.published_at.isoformat(),
                "valid_until": f.valid_until.isoformat() if f.valid_until else None,
                "content_hash": f.content_hash,
                "content": f.content,
            }
            for f in forms
        ],
        "media": [_item(viewer, item, set(ids)) for item in items],
        "media_links_valid_days": LINK_DAYS,
        "publications": [
            {
                "person_id": person_id,
                "media_id": p.media_id,
                "channel": p.channel,
                "published_on": p.published_on.isoformat(),
                "url": p.url,
                "removal": p.removal,
            }
            for person_id, p in publications
        ],
        "takedowns": [
            {
                "id": t.id,
                "person_id": t.person_id,
                "media_id": t.publication.media_id if t.publication else None,
                "url": t.url,
                "status": t.status.value,
                "opened_at": t.opened_at.isoformat(),
                "due_at": t.due_at.isoformat(),
                "resolved_at": t.resolved_at.isoformat() if t.resolved_at else None,
            }
            for t in takedowns
        ],
        "incidents": [
            {
                "id": i.id,
                "occurred_on": i.occurred_on.isoformat(),
                "channel": i.channel,
                "url": i.url,
                "measure": i.measure.value,
                "person_ids": sorted(p.id for p in i.people if p.id in ids),
                "removal": [t.status.value for t in i.takedowns],
            }
            for i in incidents
        ],
    }


def _person(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "kind": person.kind.value,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "email": person.email,
        "external_id": person.external_id,
        "groups": [
            {"name": g.name, "location": g.location.name, "school_year": g.school_year.name}
            for g in person.pupil_groups
        ],
    }


def _item(viewer: User, item: MediaItem, family: set[int]) -> dict[str, Any]:
    """One item showing the family: what and when, and only the family's own tags."""
    return {
        "id": item.id,
        "media_type": item.media_type.value,
        "taken_on": item.album.taken_on.isoformat(),
        "uploaded_at": item.uploaded_at.isoformat(),
        "album": item.album.title,
        "group": item.group.name,
        "thumbnail_url": None if item.media_type is MediaType.AUDIO else thumbnail_link(viewer, item.id),
        "tags": [_tag(tag) for tag in item.tags if tag.person_id in family],
    }


def _tag(tag: Tag) -> dict[str, Any]:
    return {"person_id": tag.person_id, "box": tag.box, "tagged_at": tag.created_at.isoformat()}

""" "Download our data" (GDPR art. 15): everything held about a signed-in person and the children
they are a guardian of, as one JSON document, and the audit row that says it was handed out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from app.access import family_subjects
from app.accounts.models import User
from app.audit.log import record
from app.consent.models import Decision
from app.extensions import db
from app.school.models import Guardianship, Person


def export_family_data(viewer: User) -> dict[str, Any]:
    """The viewer's account, their family's records, guardianships and every decision about or by
    them; audited as ``data.exported`` (the caller commits)."""
    people = db.session.scalars(family_subjects(viewer)).all()
    ids = [p.id for p in people]
    decisions = db.session.scalars(
        select(Decision).where(or_(Decision.subject_id.in_(ids), Decision.decided_by_id.in_(ids))).order_by(Decision.id)
    ).all()
    links = db.session.scalars(select(Guardianship).where(Guardianship.pupil_id.in_(ids))).all()
    record("data.exported", target=viewer, people=len(people), decisions=len(decisions))
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
                "decided_at": d.decided_at.isoformat(),
            }
            for d in decisions
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

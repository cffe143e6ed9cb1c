"""Erasure of a person on request: everything personal goes, a tombstone and the audit chain stay."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.consent.models import Decision
from app.consent.operations import decide
from app.consent.vocabulary import Means
from app.extensions import db
from app.privacy.erasure import ErasureTombstone
from app.school.models import Guardianship, Person


def test_admin_erases_a_parent_with_account_and_decisions(client, login_as, world, published_form, app, runner):
    with app.app_context():
        decide(
            db.session.get(Person, world["sem"]),
            "photo",
            "website",
            "grant",
            decided_by=db.session.get(Person, world["parent"]),
            recorded_by=None,
            means=Means.WEB,
        )
        db.session.commit()
    login_as("admin")
    url = f"/admin/persons/{world['parent']}/erase"
    assert client.submit(url, {"reason": "Verzoek per e-mail"}).status_code == 400  # not confirmed
    response = client.submit(url, {"reason": "Verzoek per e-mail van 3 maart", "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Person, world["parent"]) is None
        assert db.session.scalar(select(User).where(User.email == "parent@example.org")) is None
        assert (
            db.session.scalar(
                select(func.count(Decision.id)).where(
                    or_(Decision.subject_id == world["parent"], Decision.decided_by_id == world["parent"])
                )
            )
            == 0
        )
        assert (
            db.session.scalar(select(func.count(Guardianship.id)).where(Guardianship.guardian_id == world["parent"]))
            == 0
        )
        tombstone = db.session.scalars(select(ErasureTombstone)).one()
        assert tombstone.person_id == world["parent"] and "3 maart" in tombstone.reason
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.erased")).one()
        assert event.details["decisions_removed"] == 1 and "maart" not in str(event.details)
    assert client.get(f"/admin/persons/{world['parent']}").status_code == 404
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    client.submit("/sign-out")
    assert client.submit("/sign-in", {"email": "parent@example.org", "password": "demo-password"}).status_code == 401


def test_erasing_needs_a_reason_and_only_admins_may(client, login_as, world, app):
    login_as("admin")
    assert client.submit(f"/admin/persons/{world['noah']}/erase", {"confirm": "y"}).status_code == 400
    assert client.submit("/admin/persons/999999/erase", {"reason": "x", "confirm": "y"}).status_code == 404
    client.submit("/sign-out")
    login_as("comms")
    assert client.submit(f"/admin/persons/{world['noah']}/erase", {"reason": "x", "confirm": "y"}).status_code == 404
    with app.app_context():
        assert db.session.get(Person, world["noah"]) is not None


def test_an_admin_cannot_erase_themself(client, login_as, world, app):
    login_as("admin")
    with app.app_context():
        own = db.session.scalar(select(User.person_id).where(User.email == "admin@example.org"))
    response = client.submit(f"/admin/persons/{own}/erase", {"reason": "x", "confirm": "y"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Person, own) is not None

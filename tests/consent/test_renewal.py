"""Renewal: response rates per group and reminders to guardians who still have to decide."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.consent.operations import decide
from app.consent.vocabulary import Means, MediaType
from app.extensions import db
from app.school.models import Group, Person
from tests.forms import FORM_PURPOSES as PURPOSES


def answer_everything(app, world, child: str, guardian: str) -> None:
    with app.app_context():
        pupil, parent = db.session.get(Person, world[child]), db.session.get(Person, world[guardian])
        for media in MediaType:
            for purpose in PURPOSES:
                decide(pupil, media, purpose, "refuse", decided_by=parent, recorded_by=None, means=Means.WEB)
        db.session.commit()


def test_admin_sees_the_response_rate_per_group(client, login_as, world, published_form, app):
    answer_everything(app, world, "emma", "parent")
    login_as("admin")
    page = client.get("/consent/renewal").get_data(as_text=True)
    rates = dict(
        re.findall(r'>(\w+)</a> <span[^>]*>[^<]*</span></td>\s*<td>\d+</td><td>\d+</td><td data-rate="(\d+)"', page)
    )
    with app.app_context():
        pupils_3a = len(db.session.get_one(Group, world["3a"]).pupils)
    assert pupils_3a > 1
    assert rates["3a"] == str(round(100 / pupils_3a))  # Emma is the only one of 3a who answered everything
    assert rates["5b"] == "0"


def test_reminders_mail_account_holders_and_invite_the_others(
    client, login_as, world, published_form, app, outbox, runner
):
    answer_everything(app, world, "noah", "parent2")
    dry = runner.invoke(args=["consent", "remind", "--dry-run"])
    assert dry.exit_code == 0 and "would get" in dry.output
    assert outbox == []
    login_as("admin")
    response = client.submit("/consent/renewal")
    assert response.status_code == 302
    recipients = {m.to[0] for m in outbox}
    assert "parent@example.org" in recipients  # Sem and Emma still open
    assert "parent2@example.org" not in recipients  # Noah fully answered
    reminder = next(m for m in outbox if m.to == ["parent@example.org"])
    assert "Emma" in reminder.body and "Sem" in reminder.body and "http" in reminder.body
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "consent.reminders_sent")).one()
        assert event.details["mailed"] == 1
        assert event.details["without_email"] > 0  # the classmates' guardians have no address


def test_guardians_without_account_get_an_invitation_that_expires(client, login_as, world, published_form, app, outbox):
    with app.app_context():
        mark = db.session.scalar(select(Person).where(Person.first_name == "Mark"))
        mark.email = "mark@example.org"
        db.session.commit()
    login_as("admin")
    client.submit("/consent/renewal")
    invitation = next(m for m in outbox if m.to == ["mark@example.org"])
    assert "/invitation/" in invitation.body


def test_only_admins_send_reminders(client, login_as, world, published_form, outbox):
    login_as("comms")
    assert client.get("/consent/renewal").status_code == 404
    assert client.submit("/consent/renewal").status_code == 404
    assert outbox == []

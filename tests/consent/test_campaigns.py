"""Campaigns: an administrator asks the families (or a group, staff, volunteers) to answer the form
in force by a deadline, sees per group and per family who answered, downloads the list, resends to a
family; ``flask consent remind`` reminds who has not answered, spaced, and escalates to the teachers."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.consent.models import Campaign, CampaignMail
from app.consent.operations import decide
from app.consent.vocabulary import Means, MediaType
from app.extensions import db
from app.school.models import Person
from tests.factories import GuardianFactory, GuardianshipFactory, PupilFactory
from tests.forms import FORM_PURPOSES as PURPOSES

START = "/consent/campaigns"


def school_today(app) -> date:
    from app.consent.queries import now

    with app.app_context():
        return now().day


def in_days(app, days: int) -> str:
    return (school_today(app) + timedelta(days=days)).isoformat()


def answer(app, world, child: str, guardian: str, purposes=PURPOSES, media=tuple(MediaType)) -> None:
    with app.app_context():
        pupil, parent = db.session.get(Person, world[child]), db.session.get(Person, world[guardian])
        for medium in media:
            for purpose in purposes:
                decide(pupil, medium, purpose, "refuse", decided_by=parent, recorded_by=None, means=Means.WEB)
        db.session.commit()


def start(client, audience: str = "families", deadline: str | None = None, group: int = 0):
    data = {"audience": audience, "group": str(group)}
    if deadline is not None:
        data["deadline"] = deadline
    return client.submit(START, data)


def campaign_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Campaign))


def campaign_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Campaign.id)).one()


def table(page: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert match, table_id
    return match.group(0)


def statuses(page: str, table_id: str) -> dict[str, str]:
    """Name -> status of each row of a table on the campaign page."""
    rows = re.findall(
        r"<tr data-person=\"\d+\"><td>[^<]*</td><td>([^<]+)</td>.*?data-status=\"(\w+)\"", table(page, table_id), re.S
    )
    return dict(rows)


@pytest.fixture
def admin(login_as, published_form):
    login_as("admin")


# --- Starting --------------------------------------------------------------------------------


def test_starting_a_campaign_sends_the_first_round(app, client, admin, world, outbox):
    answer(app, world, "noah", "parent2")
    response = start(client, deadline=in_days(app, 21))
    assert response.status_code == 302
    assert f"/consent/campaigns/{campaign_id(app)}" in response.headers["Location"]
    recipients = {m.to[0] for m in outbox}
    assert recipients == {"parent@example.org"}  # Noah is answered; the classmates' guardians have no address
    reminder = outbox[0]
    assert reminder.body.startswith("Beste Karin,")
    assert "Sem" in reminder.body and "Emma" in reminder.body and "http" in reminder.body
    with app.app_context():
        campaign = db.session.get_one(Campaign, campaign_id(app))
        assert campaign.deadline == school_today(app) + timedelta(days=21)
        events = {e.action for e in db.session.scalars(select(AuditEvent))}
        assert {"consent.campaign_started", "consent.campaign_reminded"} <= events
        assert [m.kind.value for m in db.session.scalars(select(CampaignMail))] == ["reminder"]


@pytest.mark.parametrize(
    ("deadline", "status", "message"),
    [
        (None, 400, "Give the campaign a deadline"),
        (0, 422, "after today"),
        (-3, 422, "after today"),
        (400, 422, "when this form expires"),
    ],
)
def test_a_campaign_needs_a_deadline_after_today(app, client, admin, outbox, deadline, status, message):
    with client.session_transaction() as session:
        session["locale"] = "en"
    response = start(client, deadline=None if deadline is None else in_days(app, deadline))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert campaign_count(app) == 0
    assert outbox == []


def test_a_double_submit_starts_one_campaign(app, client, admin, outbox):
    assert start(client, deadline=in_days(app, 14)).status_code == 302
    mails = len(outbox)
    again = start(client, deadline=in_days(app, 14))
    assert again.status_code == 409
    assert campaign_count(app) == 1
    assert len(outbox) == mails  # nobody was mailed twice
    # One group overlaps "all families" too; staff do not.
    assert start(client, "group", in_days(app, 14), group=0).status_code == 422  # no group chosen
    with app.app_context():
        g5b = world_group(app, "5b")
    assert start(client, "group", in_days(app, 14), group=g5b).status_code == 409
    assert start(client, "staff", in_days(app, 14)).status_code == 302
    assert campaign_count(app) == 2


def world_group(app, name: str) -> int:
    from app.school.models import Group

    return db.session.scalar(select(Group.id).where(Group.name == name))


def test_only_administrators_run_campaigns(app, client, login_as, world, published_form, outbox):
    login_as("comms")
    assert client.get(START).status_code == 404
    assert start(client, deadline=in_days(app, 14)).status_code == 404
    assert campaign_count(app) == 0 and outbox == []


# --- The page --------------------------------------------------------------------------------


def test_the_page_shows_per_group_and_family_who_answered(app, client, admin, world):
    answer(app, world, "noah", "parent2")
    answer(app, world, "sem", "parent", purposes=PURPOSES[:2])
    start(client, deadline=in_days(app, 14))
    url = f"{START}/{campaign_id(app)}"
    page = client.get(url).get_data(as_text=True)
    families = statuses(page, "families")
    assert families["Noah Jansen"] == "answered"
    assert families["Sem de Vries"] == "partly"
    assert families["Emma de Vries"] == "none"
    sem_row = re.search(rf'<tr data-person="{world["sem"]}">.*?</tr>', page, re.S).group(0)
    assert "Karin de Vries" in sem_row and "Mark de Vries" in sem_row  # the people asked
    counts = table(page, "counts")
    assert re.search(r'data-group="5b".*?data-answered="1".*?data-partly="1"', counts, re.S)
    assert re.search(r'data-group="3a".*?data-answered="0".*?data-partly="0"', counts, re.S)
    # Filters: by status, by group.
    partly = statuses(client.get(url + "?status=partly").get_data(as_text=True), "families")
    assert partly == {"Sem de Vries": "partly"}
    only_3a = statuses(client.get(url + f"?group={world['3a']}").get_data(as_text=True), "families")
    assert "Emma de Vries" in only_3a and "Sem de Vries" not in only_3a and "Noah Jansen" not in only_3a
    # An unknown filter value filters nothing, and a campaign that does not exist is 404.
    assert statuses(client.get(url + "?status=bogus&group=abc").get_data(as_text=True), "families") == families
    assert client.get(f"{START}/999999").status_code == 404


def test_pupils_of_16_are_listed_apart_and_asked_themselves(app, client, admin, world, outbox):
    with app.app_context():
        from app.school.models import Group

        group = db.session.get_one(Group, world["5b"])
        lisa = PupilFactory(first_name="Lisa", last_name="Bakker", age=17, email="lisa@example.org", group=group)
        GuardianshipFactory(
            guardian=GuardianFactory(first_name="Els", last_name="Bakker", email="els@example.org"), pupil=lisa
        )
        db.session.commit()
    start(client, deadline=in_days(app, 14))
    page = client.get(f"{START}/{campaign_id(app)}").get_data(as_text=True)
    assert "Lisa Bakker" in statuses(page, "deciding-alone")
    assert "Lisa Bakker" not in statuses(page, "families")
    assert "Els Bakker" not in page  # her parent is no longer asked
    recipients = {m.to[0] for m in outbox}
    assert "lisa@example.org" in recipients and "els@example.org" not in recipients  # invited herself
    invitation = next(m for m in outbox if m.to == ["lisa@example.org"])
    assert "/invitation/" in invitation.body


def test_families_without_email_are_counted_and_listed(app, client, admin, world):
    start(client, deadline=in_days(app, 14))
    page = client.get(f"{START}/{campaign_id(app)}").get_data(as_text=True)
    block = re.search(r'<div[^>]*id="without-email".*?</div>', page, re.S).group(0)
    with app.app_context():
        classmates = db.session.scalar(
            select(func.count()).select_from(Person).where(Person.first_name.like("Voornaam%"), Person.kind == "pupil")
        )
    assert re.search(rf"\b{classmates}\b", block)  # the classmates' guardians have no address
    assert "Sem de Vries" not in block  # Karin has an account
    with app.app_context():
        group_5b = world["5b"]
    link = re.search(rf'href="(/consent/paper-forms\?group_id={group_5b}&amp;without_email=1)"', block)
    assert link, block  # each group's families without email: their paper forms, one PDF
    pdf = client.get(link.group(1).replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_csv_has_the_page_rows_and_no_formulas(app, client, admin, world):
    with app.app_context():
        from app.school.models import Group

        PupilFactory(
            first_name='=HYPERLINK("http://x")', last_name="@evil", group=db.session.get_one(Group, world["3a"])
        )
        db.session.commit()
    start(client, deadline=in_days(app, 14))
    response = client.get(f"{START}/{campaign_id(app)}/export.csv?group={world['3a']}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    names = [row[1] for row in rows[1:]]
    assert "Emma de Vries" in names and "Sem de Vries" not in names  # the filter applies
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert '\'=HYPERLINK("http://x") @evil' in names
    assert "@example.org" not in response.get_data(as_text=True)  # no addresses: the page shows none
    emma = next(row for row in rows if row[1] == "Emma de Vries")
    assert emma[0] == "3a" and "Karin de Vries" in emma[3] and emma[5].endswith(f"/{len(PURPOSES) * 3}")


# --- Resend ----------------------------------------------------------------------------------


def test_resend_to_one_family_once_a_day(app, client, admin, world, outbox):
    start(client, deadline=in_days(app, 14))
    outbox.clear()
    url = f"{START}/{campaign_id(app)}/resend/{world['sem']}"
    assert client.submit(url).status_code == 302
    assert [m.to for m in outbox] == [["parent@example.org"]]
    again = client.submit(url)
    assert again.status_code == 429
    assert len(outbox) == 1
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "consent.campaign_resent")).one()
        assert event.target_id == str(world["sem"]) or event.target_id == world["sem"]
    # Someone outside the campaign, a fully answered family, nobody to mail: clear refusals.
    assert client.submit(f"{START}/{campaign_id(app)}/resend/{world['parent']}").status_code == 404
    answer(app, world, "noah", "parent2")
    assert client.submit(f"{START}/{campaign_id(app)}/resend/{world['noah']}").status_code == 409
    with app.app_context():
        classmate = db.session.scalar(
            select(Person.id).where(Person.first_name.like("Voornaam%"), Person.kind == "pupil").limit(1)
        )
    assert client.submit(f"{START}/{campaign_id(app)}/resend/{classmate}").status_code == 409
    assert len(outbox) == 1


# --- flask consent remind --------------------------------------------------------------------


def test_remind_without_an_open_campaign_says_so(runner, world, published_form, outbox):
    result = runner.invoke(args=["consent", "remind"])
    assert result.exit_code == 0 and "No open campaign" in result.output
    assert outbox == []


def test_remind_is_spaced_and_idempotent(app, client, admin, runner, world, outbox):
    answer(app, world, "noah", "parent2")  # only Karin (Sem and Emma) is left to remind
    start(client, deadline=in_days(app, 30))
    assert len(outbox) == 1
    twice = [runner.invoke(args=["consent", "remind"]) for _ in range(2)]
    assert all(r.exit_code == 0 for r in twice)
    assert len(outbox) == 1  # reminded today: not again, however often cron runs
    assert "reminded recently" in twice[0].output
    # Six days later: still within the interval (7 by default); eight days later: due.
    for days_ago, expected in ((6, 1), (8, 2)):
        with app.app_context():
            db.session.execute(update(CampaignMail).values(sent_on=school_today(app) - timedelta(days=days_ago)))
            db.session.commit()
        assert runner.invoke(args=["consent", "remind"]).exit_code == 0
        assert len(outbox) == expected
    # Answering everything stops the reminders.
    answer(app, world, "sem", "parent")
    answer(app, world, "emma", "parent")
    with app.app_context():
        db.session.execute(update(CampaignMail).values(sent_on=school_today(app) - timedelta(days=30)))
        db.session.commit()
    dry = runner.invoke(args=["consent", "remind", "--dry-run"])
    assert "0 people would get a reminder" in dry.output
    runner.invoke(args=["consent", "remind"])
    assert len(outbox) == 2


def test_a_week_before_the_deadline_teachers_get_their_non_responders(app, client, admin, runner, world, outbox):
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.email == "teacher@example.org"))
        teacher.locale = "en"
        db.session.commit()
    # Far from the deadline: no escalation.
    start(client, "group", in_days(app, 20), group=world["5b"])
    assert all(m.to != ["teacher@example.org"] for m in outbox)
    with app.app_context():
        db.session.execute(update(Campaign).values(deadline=school_today(app) + timedelta(days=6)))
        db.session.commit()
    answer(app, world, "noah", "parent2")
    result = runner.invoke(args=["consent", "remind"])
    assert result.exit_code == 0 and "1 teachers got their non-responders" in result.output
    escalation = next(m for m in outbox if m.to == ["teacher@example.org"])
    assert escalation.body.startswith(("Beste Marieke,", "Hello Marieke,"))  # in the teacher's language
    assert "has not answered" in escalation.subject  # in the teacher's language (English)
    assert "Sem de Vries" in escalation.body and "Noah Jansen" not in escalation.body
    assert "Emma" not in escalation.body  # 3a is not the teacher's group
    assert "@" not in escalation.body.replace("teacher@example.org", "")  # names only
    runner.invoke(args=["consent", "remind"])
    assert sum(m.to == ["teacher@example.org"] for m in outbox) == 1  # once per campaign


def test_a_staff_campaign_asks_staff_themselves(app, client, admin, world, outbox):
    assert start(client, "staff", in_days(app, 14)).status_code == 302
    recipients = {m.to[0] for m in outbox}
    assert {"teacher@example.org", "comms@example.org", "admin@example.org"} <= recipients
    assert "parent@example.org" not in recipients
    mail = next(m for m in outbox if m.to == ["teacher@example.org"])
    assert "yourself" in mail.body or "uzelf" in mail.body or "jezelf" in mail.body
    assert "From 16" not in mail.body and "Vanaf 16" not in mail.body  # the text for pupils of 16 is not for staff
    page = client.get(f"{START}/{campaign_id(app)}").get_data(as_text=True)
    assert "Marieke Hoekstra" in statuses(page, "people")

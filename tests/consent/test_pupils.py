"""Pupils of 16 and over decide in their own account (issue 10, part 5): the pupil role is refused
below 16, pupils who turned 16 are invited once, the pupil sees only their own pages, reminders
about them go to them, and their guardians no longer see their choices."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.consent.rules import Subject, born_on_or_before_to_decide_alone, decided_by_guardians
from app.extensions import db
from app.school.models import Group, Person
from tests.conftest import extract_link
from tests.factories import GuardianshipFactory, PupilFactory, UserFactory, today


def sixteen_years_before(day: date, days: int = 0) -> date:
    """A date of birth that makes someone exactly 16 on ``day`` (``days`` later: 15 until then)."""
    try:
        born = day.replace(year=day.year - 16)
    except ValueError:  # 29 February
        born = date(day.year - 16, 2, 28)
    return born + timedelta(days=days)


def a_pupil(app, world, *, born: date | None = None, age: int = 16, email: str | None = None, account=False) -> int:
    """A pupil of 5b (Karin, parent@, is their guardian), optionally with an account of their own."""
    with app.app_context():
        parent = db.session.get_one(Person, world["parent"])
        group = db.session.get_one(Group, world["5b"])
        pupil = PupilFactory(first_name="Lisa", last_name="de Vries", age=age, email=email, group=group)
        if born is not None:
            pupil.date_of_birth = born
        GuardianshipFactory(guardian=parent, pupil=pupil)
        if account:
            UserFactory(email=email, person=pupil, roles={Role.PUPIL})
        db.session.commit()
        return pupil.id


def accounts_for(app, person_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)).where(User.person_id == person_id))


def set_birth(app, person_id: int, born: date) -> None:
    with app.app_context():
        db.session.get_one(Person, person_id).date_of_birth = born
        db.session.commit()


def cell_state(page: str, media: str, purpose: str) -> str:
    match = re.search(rf'id="{media}-{purpose}" data-state="(\w+)"', page)
    assert match, (media, purpose)
    return match.group(1)


def test_the_age_bound_of_the_queries_is_the_rules_age(app_ctx):
    """Every birth date over four years, on every day around leap days: decides alone exactly when
    the rules say the guardians no longer decide."""
    for day in (date(2028, 2, 29), date(2027, 2, 28), date(2027, 3, 1), date(2026, 12, 31)):
        bound = born_on_or_before_to_decide_alone(day)
        born = day.replace(year=day.year - 18, month=1, day=1)
        while born <= date(day.year - 14, 12, 31):
            alone = not decided_by_guardians(Subject(1, True, born, frozenset({2})), day)
            assert alone == (born <= bound), (day, born)
            born += timedelta(days=1)


def test_a_pupil_account_for_a_pupil_under_16_is_refused_everywhere(client, login_as, world, app, runner, outbox):
    young = a_pupil(app, world, born=sixteen_years_before(today(), days=1), email="lisa@example.net")
    result = runner.invoke(args=["users", "invite", "lisa@example.net", "--role", "pupil", "--person-id", str(young)])
    assert result.exit_code != 0 and "not 16 yet" in result.output
    # Another role does not get round it: a pupil under 16 has no account at all.
    result = runner.invoke(args=["users", "invite", "lisa@example.net", "--role", "parent", "--person-id", str(young)])
    assert result.exit_code != 0 and "not 16 yet" in result.output
    # The pupil role for someone who is not a pupil.
    result = runner.invoke(
        args=["users", "invite", "karin2@example.net", "--role", "pupil", "--person-id", str(world["parent"])]
    )
    assert result.exit_code != 0 and "Only a pupil of 16 or older" in result.output
    login_as("admin")
    response = client.submit(f"/consent/pupils/{young}/invite")
    assert response.status_code == 409
    assert "nog geen 16" in response.get_data(as_text=True)
    response = client.submit(
        "/admin/users/invite", {"email": "lisa@example.net", "roles": "pupil", "person_id": young, "locale": "nl"}
    )
    assert response.status_code == 400 and "nog geen 16" in response.get_data(as_text=True)
    assert accounts_for(app, young) == 0
    assert outbox == []
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "lisa@example.net")) is None


def test_admin_invites_a_pupil_of_16_from_the_person_page(client, login_as, world, app, outbox):
    lisa = a_pupil(app, world, born=sixteen_years_before(today()), email="lisa@example.net")
    login_as("admin")
    page = client.get(f"/admin/persons/{lisa}").get_data(as_text=True)
    assert 'id="invite-pupil"' in page
    assert 'id="invite-pupil"' not in client.get(f"/admin/persons/{world['sem']}").get_data(as_text=True)
    response = client.submit(f"/consent/pupils/{lisa}/invite")
    assert response.status_code == 302
    assert [m.to for m in outbox] == [["lisa@example.net"]]
    assert "16" in outbox[0].body and "ouders" in outbox[0].body  # written to the pupil, not to a parent
    with app.app_context():
        account = db.session.scalar(select(User).where(User.person_id == lisa))
        assert account.roles == {Role.PUPIL}


def test_a_pupil_whose_address_is_another_account_is_not_given_it(client, login_as, world, app, outbox):
    lisa = a_pupil(app, world, age=17, email="parent@example.org")  # the parent's address given for the child
    login_as("admin")
    assert client.submit(f"/consent/pupils/{lisa}/invite").status_code == 409
    with app.app_context():
        parent_account = db.session.scalar(select(User).where(User.email == "parent@example.org"))
        assert parent_account.person_id == world["parent"] and parent_account.roles == {Role.PARENT}
    assert outbox == []


def test_invite_sixteen_invites_each_pupil_who_turned_16_once(world, app, runner, outbox):
    turned = a_pupil(app, world, born=sixteen_years_before(today()), email="lisa@example.net")
    almost = a_pupil(app, world, born=sixteen_years_before(today(), days=1), email="young@example.net")
    no_address = a_pupil(app, world, age=17)
    shared = a_pupil(app, world, age=17, email="parent2@example.org")
    first = runner.invoke(args=["people", "invite-sixteen"])
    assert first.exit_code == 0, first.output
    assert "1 pupils of 16 or older were invited; 1 have no email address" in first.output
    assert "1 have an address that belongs to another account" in first.output
    assert [m.to for m in outbox] == [["lisa@example.net"]]
    link = extract_link(outbox[0].body)
    assert accounts_for(app, turned) == 1
    assert accounts_for(app, almost) == accounts_for(app, no_address) == accounts_for(app, shared) == 0
    again = runner.invoke(args=["people", "invite-sixteen"])
    assert again.exit_code == 0 and "0 pupils" in again.output
    assert len(outbox) == 1  # run daily from cron: nobody is invited twice
    assert link.startswith("http")


def test_a_pupil_account_sees_only_their_own_consent_history_and_data(client, login_as, world, published_form, app):
    lisa = a_pupil(app, world, age=17, email="lisa@example.net", account=True)
    login_as("lisa@example.net")
    home = client.get("/home").get_data(as_text=True)
    assert "kinderen" not in home.lower() and "children" not in home.lower()
    assert f"/consent/{lisa}/history" in home and "/consent/our-data.json" in home
    response = client.submit(
        f"/consent/{lisa}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"}
    )
    assert response.status_code == 302
    page = client.get(f"/consent/{lisa}?overview=1").get_data(as_text=True)
    assert cell_state(page, "photo", "website") == "granted"
    assert client.get(f"/consent/{lisa}/history").status_code == 200
    for url in (
        f"/consent/{world['sem']}",
        f"/consent/{world['sem']}/history",
        f"/consent/{world['sem']}/state",
        f"/people/{world['sem']}",
        f"/people/{world['parent']}",
        f"/consent/groups/{world['5b']}",
    ):
        assert client.get(url).status_code == 404, url
    data = json.loads(client.get("/consent/our-data.json").get_data(as_text=True))
    assert [p["id"] for p in data["people"]] == [lisa]
    assert {d["subject_id"] for d in data["decisions"]} == {lisa}


def test_guardians_see_that_the_pupil_decides_but_not_their_choices(client, login_as, world, published_form, app):
    lisa = a_pupil(app, world, age=17, email="lisa@example.net", account=True)
    login_as("lisa@example.net")
    client.submit(f"/consent/{lisa}/decide", {"media_type": "photo", "purpose": "website", "decision": "refuse"})
    client.submit("/sign-out")
    login_as("parent")
    home = client.get("/home").get_data(as_text=True)
    notice = home.split('id="deciding-alone"')[1]
    assert "Lisa de Vries" in notice and "beslist nu zelf" in notice
    assert f"/consent/{lisa}" not in home
    assert f"/consent/{world['sem']}" in home  # the younger children as before
    for url in (f"/consent/{lisa}", f"/consent/{lisa}/history", f"/consent/{lisa}/form", f"/people/{lisa}"):
        assert client.get(url).status_code == 404, url
    response = client.submit(
        f"/consent/{lisa}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"}
    )
    assert response.status_code == 404
    data = json.loads(client.get("/consent/our-data.json").get_data(as_text=True))
    assert lisa not in {p["id"] for p in data["people"]}
    assert lisa not in {d["subject_id"] for d in data["decisions"]}
    assert lisa not in {g["pupil_id"] for g in data["guardians"]}
    assert world["sem"] in {p["id"] for p in data["people"]}


def test_on_the_16th_birthday_the_guardians_decisions_stop_counting(client, login_as, world, published_form, app):
    lisa = a_pupil(app, world, born=sixteen_years_before(today(), days=1), email="lisa@example.net")
    login_as("parent")
    response = client.submit(
        f"/consent/{lisa}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"}
    )
    assert response.status_code == 302
    assert cell_state(client.get(f"/consent/{lisa}?overview=1").get_data(as_text=True), "photo", "website") == "granted"
    client.submit("/sign-out")
    set_birth(app, lisa, sixteen_years_before(today()))  # a day later: her 16th birthday
    login_as("parent")
    assert client.get(f"/consent/{lisa}").status_code == 404
    client.submit("/sign-out")
    login_as("teacher")
    page = client.get(f"/consent/{lisa}/state").get_data(as_text=True)
    assert cell_state(page, "photo", "website") == "none"  # Karin's grant no longer counts
    assert "beslist zelf" in page
    client.submit("/sign-out")
    with app.app_context():
        UserFactory(email="lisa@example.net", person=db.session.get_one(Person, lisa), roles={Role.PUPIL})
        db.session.commit()
    login_as("lisa@example.net")
    page = client.get(f"/consent/{lisa}?overview=1").get_data(as_text=True)
    assert cell_state(page, "photo", "website") == "none"


def open_campaign(app) -> None:
    """A campaign asking all families, open for two weeks (how it is started: test_campaigns.py)."""
    from app.consent.models import Campaign
    from app.consent.queries import active_form, now
    from app.consent.vocabulary import Audience

    with app.app_context():
        day = now().day
        db.session.add(Campaign(form=active_form(day), audience=Audience.FAMILIES, deadline=day + timedelta(days=14)))
        db.session.commit()


def test_reminders_about_a_pupil_of_16_go_to_the_pupil(client, login_as, world, published_form, app, outbox, runner):
    lisa = a_pupil(app, world, age=17, email="lisa@example.net", account=True)
    open_campaign(app)
    result = runner.invoke(args=["consent", "remind"])
    assert result.exit_code == 0, result.output
    to_lisa = [m for m in outbox if m.to == ["lisa@example.net"]]
    assert len(to_lisa) == 1 and "van jou" in to_lisa[0].body
    to_karin = next(m for m in outbox if m.to == ["parent@example.org"])
    assert "Sem" in to_karin.body and "Lisa" not in to_karin.body
    assert lisa


def test_a_pupil_of_16_without_an_account_is_invited_by_the_reminder(world, published_form, app, outbox, runner):
    lisa = a_pupil(app, world, age=16, email="lisa@example.net")
    open_campaign(app)
    assert runner.invoke(args=["consent", "remind"]).exit_code == 0
    assert any(m.to == ["lisa@example.net"] for m in outbox)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.person_id == lisa)).roles == {Role.PUPIL}


@pytest.mark.parametrize(
    ("email", "problem"),
    [("not-an-address", "is not valid"), ("karin.devries@example.org", "is a guardian's")],
)
def test_the_import_refuses_a_bad_pupil_address(runner, world, tmp_path, email, problem):
    csv = tmp_path / "pupils.csv"
    csv.write_text(
        "external_id;first_name;last_name;date_of_birth;group;email;guardian1_last_name;guardian1_email\n"
        f"LL00001;Sem;de Vries;01-01-{today().year - 8};5b;{email};de Vries;"
        "karin.devries@example.org\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["people", "import", str(csv)])
    assert result.exit_code == 1 and problem in result.output


def test_the_import_stores_the_pupils_own_address(runner, world, tmp_path, app):
    csv = tmp_path / "pupils.csv"
    born = sixteen_years_before(today())
    csv.write_text(
        "external_id;first_name;last_name;date_of_birth;group;email\n"
        f"LL90001;Lisa;Bakker;{born:%d-%m-%Y};5b;Lisa.Bakker@Example.net\n"
        f"LL00001;Sem;de Vries;01-01-{today().year - 8};5b;\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["people", "import", str(csv)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        lisa = db.session.scalar(select(Person).where(Person.external_id == "LL90001"))
        assert lisa.email == "lisa.bakker@example.net"
    again = runner.invoke(args=["people", "import", str(csv)])
    assert "0 updated, 2 unchanged" in again.output

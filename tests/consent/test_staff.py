"""Staff views of consent: the group overview, the printable list, and paper forms."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.consent.models import Decision
from app.consent.operations import decide
from app.consent.vocabulary import Means
from app.extensions import db
from app.school.models import Person


def give(app, world, child: str, media: str, purpose: str, action: str, guardian: str = "parent"):
    with app.app_context():
        decide(
            db.session.get(Person, world[child]),
            media,
            purpose,
            action,
            decided_by=db.session.get(Person, world[guardian]),
            recorded_by=None,
            means=Means.WEB,
        )
        db.session.commit()


def cell(page: str, pupil: int, media: str, purpose: str) -> str:
    match = re.search(rf'data-cell="{pupil}-{media}-{purpose}" data-state="(\w+)"', page)
    assert match, (pupil, media, purpose)
    return match.group(1)


def test_teacher_sees_the_overview_of_their_group(client, login_as, world, published_form, app):
    give(app, world, "sem", "photo", "social_media", "withdraw")
    give(app, world, "noah", "photo", "social_media", "grant", guardian="parent2")
    login_as("teacher")
    page = client.get(f"/consent/groups/{world['5b']}?media=photo").get_data(as_text=True)
    assert cell(page, world["sem"], "photo", "social_media") == "refused"
    assert cell(page, world["noah"], "photo", "social_media") == "granted"
    assert f'data-cell="{world["sem"]}-film-' not in page  # filtered to photos
    only = client.get(f"/consent/groups/{world['5b']}?media=photo&purpose=website").get_data(as_text=True)
    assert "social_media" not in only.split('id="overview"')[1]
    assert client.get(f"/consent/groups/{world['5b']}?media=nonsense").status_code == 200


def test_teachers_cannot_see_other_groups_but_communications_can(client, login_as, world, published_form):
    login_as("teacher")
    assert client.get(f"/consent/groups/{world['3a']}").status_code == 404
    assert client.get(f"/consent/groups/{world['3a']}/not-allowed").status_code == 404
    client.submit("/sign-out")
    login_as("comms")
    assert client.get(f"/consent/groups/{world['3a']}").status_code == 200
    client.submit("/sign-out")
    login_as("parent")
    assert client.get(f"/consent/groups/{world['5b']}").status_code == 404


def test_the_class_list_sorts_pupils_into_not_at_all_some_uses_and_nothing_chosen(
    client, login_as, world, published_form, app
):
    for purpose in ("parent_portal", "newsletter"):
        give(app, world, "noah", "photo", purpose, "grant", guardian="parent2")
    give(app, world, "sem", "photo", "social_media", "refuse")
    login_as("teacher")
    page = client.get(f"/consent/groups/{world['5b']}/not-allowed?media=photo").get_data(as_text=True)

    def section(name: str) -> str:
        start = page.index(f'id="{name}"')
        return page[start : page.index("</ul>", start)]

    assert "Sem de Vries" in section("not-at-all")  # said no, and yes to nothing
    some = section("some-uses")
    assert "Noah Jansen" in some and "Ouderportaal" in some and "Nieuwsbrief" in some and "Website" not in some
    undecided = section("undecided")
    assert "Sem" not in undecided and "Noah" not in undecided and undecided.count("card-body") == 6  # classmates
    assert "0 leerlingen hebben toestemming voor elk gebruik" in page
    login_as("comms")
    assert "@media print" in client.get("/static/app.css").get_data(as_text=True)


def test_admin_records_a_paper_form_naming_signer_and_recorder(client, login_as, world, published_form, app):
    login_as("admin")
    url = f"/consent/{world['noah']}/paper"
    assert client.get(url).status_code == 200
    response = client.submit(
        url,
        {"decided_by": world["parent2"], "signed_on": "2026-09-02", "photo__website": "grant", "film__press": "refuse"},
    )
    assert response.status_code == 302
    with app.app_context():
        recorded = db.session.scalars(select(Decision).order_by(Decision.id)).all()
        assert [(d.media_type.value, d.purpose, d.action.value, d.means.value) for d in recorded] == [
            ("photo", "website", "grant", "paper"),
            ("film", "press", "refuse", "paper"),
        ]
        assert all(d.decided_by_id == world["parent2"] and d.recorded_by_id is not None for d in recorded)
        assert recorded[0].decided_at.date().isoformat() == "2026-09-02"
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "consent.decided")).all()
        assert {e.actor_id for e in audit} == {recorded[0].recorded_by_id}


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"decided_by": "parent", "signed_on": "2099-01-01", "photo__website": "grant"}, "future date"),
        ({"decided_by": "parent", "signed_on": "", "photo__website": "grant"}, "missing date"),
        ({"decided_by": "teacher", "signed_on": "2026-09-02", "photo__website": "grant"}, "signer not a guardian"),
    ],
)
def test_bad_paper_forms_record_nothing(client, login_as, world, published_form, app, data, why):
    login_as("admin")
    data = dict(data, decided_by=world[data["decided_by"]])
    response = client.submit(f"/consent/{world['sem']}/paper", data)
    assert response.status_code == 400, why
    with app.app_context():
        assert db.session.scalar(select(Decision)) is None


def test_only_admins_enter_paper_forms(client, login_as, world, published_form):
    login_as("comms")
    assert client.get(f"/consent/{world['sem']}/paper").status_code == 404

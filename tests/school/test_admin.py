"""The administrator's pages for the school's records, through HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.school.models import Group, Guardianship, Location, Person, SchoolYear


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def the(app, model, **where):
    with app.app_context():
        return db.session.scalars(select(model).filter_by(**where)).one()


@pytest.fixture
def admin(client, login_as):
    login_as("admin")
    return client


def test_admin_creates_and_edits_a_location(admin, app):
    response = admin.submit("/admin/locations/new", {"name": "Dependance Noord", "address": "Noordweg 3"})
    assert response.status_code == 302
    location = the(app, Location, name="Dependance Noord")
    assert admin.submit(f"/admin/locations/{location.id}", {"name": "Noord", "address": ""}).status_code == 302
    assert the(app, Location, id=location.id).name == "Noord"
    assert [e.details["fields"] for e in audit(app, "school.location_updated")] == [["address", "name"]]
    assert len(audit(app, "school.location_created")) == 1
    assert "Noord" in admin.get("/admin/locations").get_data(as_text=True)


def test_duplicate_location_name_is_refused(admin, app):
    before = count(app, Location)
    response = admin.submit("/admin/locations/new", {"name": "st. jozefschool"})
    assert response.status_code == 400
    assert "al een locatie met deze naam" in response.get_data(as_text=True)
    assert count(app, Location) == before


def test_school_year_rules(admin, app):
    good = admin.submit("/admin/years/new", {"name": "2030-2031", "starts_on": "2030-08-01", "ends_on": "2031-07-31"})
    assert good.status_code == 302
    backwards = admin.submit(
        "/admin/years/new", {"name": "2032-2033", "starts_on": "2033-07-31", "ends_on": "2032-08-01"}
    )
    assert backwards.status_code == 400 and "moet eindigen na" in backwards.get_data(as_text=True)
    overlapping = admin.submit("/admin/years/new", {"name": "x", "starts_on": "2031-01-01", "ends_on": "2031-12-31"})
    assert overlapping.status_code == 400
    missing = admin.submit("/admin/years/new", {"name": "2040-2041"})
    assert missing.status_code == 400
    assert count(app, SchoolYear) == 2


def test_admin_creates_a_group_with_a_teacher(admin, app, world):
    location = the(app, Location, name="De Pontonnier")
    year = the(app, SchoolYear)
    response = admin.submit(
        "/admin/groups/new",
        {"name": "8a", "location_id": location.id, "school_year_id": year.id, "teacher_ids": [world["teacher"]]},
    )
    assert response.status_code == 302
    group = the(app, Group, name="8a")
    with app.app_context():
        assert [t.id for t in db.session.get(Group, group.id).teachers] == [world["teacher"]]
    duplicate = admin.submit("/admin/groups/new", {"name": "8A", "location_id": location.id, "school_year_id": year.id})
    assert duplicate.status_code == 400
    pupil_as_teacher = admin.submit(
        "/admin/groups/new",
        {"name": "8b", "location_id": location.id, "school_year_id": year.id, "teacher_ids": [world["sem"]]},
    )
    assert pupil_as_teacher.status_code == 400  # not a staff member: not among the choices
    foreign_location = admin.submit(
        "/admin/groups/new", {"name": "8c", "location_id": 999999, "school_year_id": year.id}
    )
    assert foreign_location.status_code == 400
    assert count(app, Group) == 3


def test_groups_page_lists_the_year_with_pupil_counts(admin, world):
    page = admin.get("/admin/groups").get_data(as_text=True)
    assert "5b" in page and "3a" in page and "Marieke Hoekstra" in page
    assert admin.get("/admin/groups?year=999999").status_code == 200


def test_admin_creates_a_pupil_in_a_group(admin, app, world):
    response = admin.submit(
        "/admin/persons/new",
        {
            "kind": "pupil",
            "first_name": "Lotte",
            "last_name": "Kok",
            "date_of_birth": "2018-02-03",
            "external_id": "X1",
            "group_id": world["5b"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        lotte = db.session.scalar(select(Person).where(Person.external_id == "X1"))
        assert [g.id for g in lotte.pupil_groups] == [world["5b"]]
    event = audit(app, "school.person_created")[0]
    assert "Lotte" not in str(event.details) and "2018" not in str(event.details)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "pupil", "first_name": "A", "last_name": "B"}, "geboortedatum nodig"),
        ({"kind": "pupil", "first_name": "A", "last_name": "B", "date_of_birth": "2099-01-01"}, "in de toekomst"),
        (
            {
                "kind": "pupil",
                "first_name": "A",
                "last_name": "B",
                "date_of_birth": "2018-01-01",
                "external_id": "LL00001",
            },
            "externe id",
        ),
        ({"kind": "guardian", "first_name": "A", "last_name": "B", "email": "not-an-email"}, "email"),
        ({"kind": "alien", "first_name": "A", "last_name": "B"}, "kind"),
        ({"kind": "staff", "first_name": "", "last_name": "B"}, "first_name"),
        ({"kind": "pupil", "first_name": "A", "last_name": "B", "date_of_birth": "not-a-date"}, "date_of_birth"),
    ],
)
def test_bad_person_input_is_refused_and_nothing_is_stored(admin, app, world, data, message):
    before = count(app, Person)
    response = admin.submit("/admin/persons/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page or f'id="{message}"' in page
    assert "is-invalid" in page or "alert-danger" in page
    assert count(app, Person) == before


def test_editing_a_pupil_moves_them_to_another_group_of_the_year(admin, app, world):
    response = admin.submit(
        f"/admin/persons/{world['sem']}",
        {
            "kind": "pupil",
            "first_name": "Sem",
            "last_name": "de Vries",
            "date_of_birth": "2018-02-02",
            "external_id": "LL00001",
            "group_id": world["3a"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert [g.id for g in db.session.get(Person, world["sem"]).pupil_groups] == [world["3a"]]
    assert "group" in audit(app, "school.person_updated")[0].details["fields"]


def test_search_finds_by_name_external_id_and_email_and_treats_wildcards_literally(admin, world):
    assert "de Vries, Sem" in admin.get("/admin/persons?q=sem de").get_data(as_text=True)
    assert "Jansen, Noah" in admin.get("/admin/persons?q=LL00003").get_data(as_text=True)
    assert "de Vries, Karin" in admin.get("/admin/persons?q=parent@example").get_data(as_text=True)
    only_5b = admin.get(f"/admin/persons?group={world['5b']}&kind=pupil").get_data(as_text=True)
    assert "Jansen, Noah" in only_5b and "de Vries, Emma" not in only_5b


def test_wildcards_in_a_search_match_nothing_extra(admin):
    for term in ("%", "_", "\\"):
        page = admin.get("/admin/persons", query_string={"q": term}).get_data(as_text=True)
        assert 'id="persons"' not in page, term


def test_admin_links_a_new_and_an_existing_guardian(admin, app, world):
    response = admin.submit(
        f"/admin/persons/{world['noah']}/guardians",
        {"email": "Opa.Jansen@example.org", "first_name": "Kees", "last_name": "Jansen", "has_parental_authority": ""},
    )
    assert response.status_code == 302
    opa = the(app, Person, email="opa.jansen@example.org")
    link = the(app, Guardianship, guardian_id=opa.id, pupil_id=world["noah"])
    assert link.has_parental_authority is False
    existing = admin.submit(
        f"/admin/persons/{world['sem']}/guardians", {"email": "parent2@example.org", "has_parental_authority": "y"}
    )
    assert existing.status_code == 302
    assert the(app, Guardianship, guardian_id=world["parent2"], pupil_id=world["sem"]).has_parental_authority
    again = admin.submit(f"/admin/persons/{world['sem']}/guardians", {"email": "parent2@example.org"})
    assert again.status_code == 400 and "al aan deze leerling gekoppeld" in again.get_data(as_text=True)
    nameless = admin.submit(f"/admin/persons/{world['sem']}/guardians", {"email": "nobody.yet@example.org"})
    assert nameless.status_code == 400
    assert len(audit(app, "school.guardian_added")) == 2


def test_guardian_of_a_guardian_is_refused(admin, world):
    response = admin.submit(f"/admin/persons/{world['parent']}/guardians", {"email": "parent2@example.org"})
    assert response.status_code == 400


def test_admin_changes_authority_and_removes_a_guardian(admin, app, world):
    link = the(app, Guardianship, guardian_id=world["parent2"], pupil_id=world["noah"])
    assert admin.submit(f"/admin/guardianships/{link.id}", {"has_parental_authority": ""}).status_code == 302
    assert the(app, Guardianship, id=link.id).has_parental_authority is False
    assert admin.submit(f"/admin/guardianships/{link.id}/remove").status_code == 302
    with app.app_context():
        assert db.session.get(Guardianship, link.id) is None
    assert len(audit(app, "school.guardian_removed")) == 1
    assert admin.submit(f"/admin/guardianships/{link.id}/remove").status_code == 404


def test_nonexistent_and_non_numeric_ids_are_404(admin):
    for url in (
        "/admin/persons/999999",
        "/admin/persons/abc",
        "/admin/groups/999999",
        "/admin/locations/999999",
        "/admin/years/999999",
        "/admin/guardianships/999999/remove",
    ):
        method = admin.post if url.endswith("remove") else admin.get
        assert method(url).status_code in (404, 400 if url.endswith("remove") else 404), url


def test_post_without_csrf_token_changes_nothing(admin, app):
    before = count(app, Location)
    response = admin.post("/admin/locations/new", data={"name": "Sneaky"})
    assert response.status_code == 400
    assert count(app, Location) == before


@pytest.mark.parametrize("who", ["parent", "teacher", "comms"])
def test_school_admin_pages_are_404_for_everyone_else(client, login_as, world, who):
    login_as(who)
    for url in (
        "/admin/persons",
        f"/admin/persons/{world['sem']}",
        "/admin/groups",
        "/admin/locations",
        "/admin/years",
    ):
        assert client.get(url).status_code == 404, url
    assert client.submit("/admin/locations/new", {"name": "X"}).status_code == 404

"""Pupils who left the school are archived: no new media (not in the tag picker, a new tag is
refused with 422 and changes nothing, an old tag stays and can be removed), not in the lists staff
use for the current year (group pages, consent overview, "not allowed" list, the administrator's
people list unless filtered on "left the school"), and nothing to decide for their guardians."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import delete, select

from app.accounts.models import Role
from app.extensions import db
from app.media.models import MediaItem
from app.school.models import Location, Person, group_pupil
from tests.factories import GroupFactory, GuardianFactory, GuardianshipFactory, PupilFactory, UserFactory
from tests.school.test_school_year import years_from_now


@pytest.fixture
def last_year(app, world) -> dict[str, Any]:
    """Last year's group 4b, taught by teacher@: Sem (now in 5b) and Lotte Bakker, who left the
    school (in no group of this or next year); her mother Ilse (lotte-mum@) has an account."""
    with app.app_context():
        location = db.session.scalar(select(Location).where(Location.name == "St. Jozefschool"))
        old = GroupFactory(name="4b", location=location, school_year=years_from_now(app, -1))
        old.teachers.append(db.session.get(Person, world["teacher"]))
        old.pupils.append(db.session.get(Person, world["sem"]))
        lotte = PupilFactory(first_name="Lotte", last_name="Bakker", age=9, group=old)
        mum = GuardianFactory(first_name="Ilse", last_name="Bakker", email="lotte-mum@example.org")
        GuardianshipFactory(guardian=mum, pupil=lotte)
        UserFactory(email="lotte-mum@example.org", person=mum, roles={Role.PARENT})
        db.session.commit()
        return {"group": old.id, "lotte": lotte.id}


def _upload(client, group_id: int) -> int:
    data = io.BytesIO()
    Image.new("RGB", (80, 60), (9, 9, 9)).save(data, format="JPEG")
    response = client.post(
        "/media/upload",
        data={
            "csrf_token": client.csrf_token(),
            "group_id": group_id,
            "album_title": "Sportdag",
            "album_date": "2026-06-20",
            "files": [(io.BytesIO(data.getvalue()), "a.jpg")],
        },
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return int(response.get_json()["results"][0]["id"])


@pytest.fixture
def old_item(client, login_as, last_year, app, tmp_path):
    """A photo of last year's sports day, in 4b's album, uploaded by its teacher."""
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    login_as("teacher")
    yield _upload(client, last_year["group"])
    app.config["MEDIA_ROOT"] = None


def _tagged(app, item_id: int) -> set[int]:
    with app.app_context():
        return {t.person_id for t in db.session.get_one(MediaItem, item_id).tags}


def _token(runner, email: str) -> dict[str, str]:
    token = runner.invoke(args=["users", "token", email]).output.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


def test_a_leaver_is_not_offered_in_the_tag_picker(client, world, last_year, old_item):
    page = client.get(f"/media/{old_item}").get_data(as_text=True)
    assert 'id="tag-{}"'.format(world["sem"]) in page  # still at school: offered
    assert "Lotte" not in page
    found = client.get(f"/media/{old_item}/people?q=Bakker").get_json()
    assert [p["name"] for p in found] == ["Ilse Bakker"]  # her mother is in the circle, Lotte is not


def test_tagging_a_leaver_on_the_web_is_refused_and_changes_nothing(client, app, world, last_year, old_item):
    response = client.submit(f"/media/{old_item}", {"person_id": [world["sem"], last_year["lotte"]], "complete": "y"})
    assert response.status_code == 422
    assert "Van school gegaan, dus geen nieuwe beelden: Lotte Bakker." in response.get_data(as_text=True)
    assert _tagged(app, old_item) == set()
    with app.app_context():
        assert db.session.get_one(MediaItem, old_item).tags_complete is False


def test_tagging_a_leaver_through_the_api_is_refused_with_422(client, runner, app, world, last_year, old_item):
    headers = _token(runner, "teacher@example.org")
    body = {"tags": [{"person_id": last_year["lotte"], "box": None}], "complete": False}
    response = client.put(f"/api/v1/media/{old_item}/tags", headers=headers, json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "pupil_left" and "Lotte Bakker" in error["message"]
    assert _tagged(app, old_item) == set()


def test_a_tag_from_before_she_left_stays_and_can_be_removed(client, runner, app, world, last_year, old_item):
    headers = _token(runner, "teacher@example.org")
    lotte = {"person_id": last_year["lotte"], "box": None}
    sem = {"person_id": world["sem"], "box": None}
    with app.app_context():  # Lotte is still at school (in 5b this year) when she is tagged
        db.session.execute(group_pupil.insert().values(group_id=world["5b"], person_id=last_year["lotte"]))
        db.session.commit()
    assert (
        client.put(
            f"/api/v1/media/{old_item}/tags", headers=headers, json={"tags": [lotte], "complete": False}
        ).status_code
        == 200
    )
    with app.app_context():  # ... and then she leaves
        db.session.execute(
            delete(group_pupil).where(
                group_pupil.c.group_id == world["5b"], group_pupil.c.person_id == last_year["lotte"]
            )
        )
        db.session.commit()
    page = client.get(f"/media/{old_item}").get_data(as_text=True)
    assert "Lotte Bakker" in page and "left-school" in page  # her tag is shown, marked
    kept = client.put(f"/api/v1/media/{old_item}/tags", headers=headers, json={"tags": [lotte, sem], "complete": False})
    assert kept.status_code == 200 and _tagged(app, old_item) == {last_year["lotte"], world["sem"]}
    removed = client.put(f"/api/v1/media/{old_item}/tags", headers=headers, json={"tags": [sem], "complete": False})
    assert removed.status_code == 200 and _tagged(app, old_item) == {world["sem"]}


def test_a_leaver_is_not_on_the_group_pages_or_lists(client, login_as, world, last_year, published_form):
    login_as("teacher")
    group = client.get(f"/groups/{last_year['group']}").get_data(as_text=True)
    assert "Sem de Vries" in group and "Lotte" not in group
    assert "1 leerling van deze groep is van school gegaan" in group
    listing = client.get("/groups").get_data(as_text=True)
    assert listing.count("<td>1</td>") == 1  # 4b counts Sem only
    overview = client.get(f"/consent/groups/{last_year['group']}")
    assert overview.status_code == 200
    assert "Sem" in overview.get_data(as_text=True) and "Lotte" not in overview.get_data(as_text=True)
    not_allowed = client.get(f"/consent/groups/{last_year['group']}/not-allowed?media=photo").get_data(as_text=True)
    assert "Sem" in not_allowed and "Lotte" not in not_allowed  # neither has decided: Sem is listed


def test_the_admin_sees_leavers_only_under_the_filter_left_the_school(client, login_as, app, world, last_year):
    with app.app_context():  # imported for next year only: not a leaver
        newcomer = PupilFactory(
            first_name="Fenna", last_name="Bakker", group=GroupFactory(school_year=years_from_now(app, 1))
        )
        db.session.commit()
        newcomer_id = newcomer.id
    login_as("admin")
    current = client.get("/admin/persons?q=bakker").get_data(as_text=True)
    assert "Bakker, Ilse" in current and "Bakker, Fenna" in current and "Lotte" not in current
    left = client.get("/admin/persons?q=bakker&status=left").get_data(as_text=True)
    assert "Bakker, Lotte" in left and "Fenna" not in left and "Ilse" not in left
    assert 'class="badge text-bg-secondary left-school"' in left
    person = client.get(f"/admin/persons/{last_year['lotte']}").get_data(as_text=True)
    assert 'id="left-school"' in person
    assert 'id="left-school"' not in client.get(f"/admin/persons/{newcomer_id}").get_data(as_text=True)


def test_the_api_lists_leavers_only_when_asked(client, runner, world, last_year):
    headers = _token(runner, "admin@example.org")
    names = {p["name"] for p in client.get("/api/v1/people?kind=pupil", headers=headers).get_json()}
    assert "Sem de Vries" in names and "Lotte Bakker" not in names
    left = client.get("/api/v1/people?left=true", headers=headers).get_json()
    assert [p["id"] for p in left] == [last_year["lotte"]]


def test_a_guardian_of_only_a_leaver_has_nothing_to_decide(client, login_as, world, last_year, published_form):
    login_as("lotte-mum")
    home = client.get("/home").get_data(as_text=True)
    assert 'id="children"' not in home and "Er zijn nog geen kinderen" not in home
    assert "Lotte is van school gegaan: er valt niets meer te beslissen." in home
    # The earlier choices stay reachable: withdrawing is always possible.
    assert f"/consent/{last_year['lotte']}?overview=1" in home
    assert client.get(f"/consent/{last_year['lotte']}?overview=1").status_code == 200


def test_a_parent_still_sees_the_children_at_school(client, login_as, app, world, last_year):
    with app.app_context():
        GuardianshipFactory(
            guardian=db.session.get(Person, world["parent"]), pupil=db.session.get(Person, last_year["lotte"])
        )
        db.session.commit()
    login_as("parent")
    home = client.get("/home").get_data(as_text=True)
    children = home[home.index('id="children"') : home.index('id="left-school"')]
    assert "Sem de Vries" in children and "Emma de Vries" in children and "Lotte" not in children
    assert "Lotte is van school gegaan" in home

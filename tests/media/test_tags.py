"""Tagging who is shown, and the attestation that everyone is tagged."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.media.models import MediaItem


@pytest.fixture
def item(client, login_as, world, app, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    login_as("teacher")
    data = io.BytesIO()
    Image.new("RGB", (80, 60), (9, 9, 9)).save(data, format="JPEG")
    response = client.post(
        "/media/upload",
        data={
            "csrf_token": client.csrf_token(),
            "group_id": world["5b"],
            "album_title": "Gym",
            "album_date": "2026-11-02",
            "files": [(io.BytesIO(data.getvalue()), "a.jpg")],
        },
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    yield response.get_json()["results"][0]["id"]
    app.config["MEDIA_ROOT"] = None


def test_teacher_tags_pupils_and_attests_on_the_item_page(client, world, item, app):
    page = client.get(f"/media/{item}").get_data(as_text=True)
    assert "Sem de Vries" in page and "Emma" not in page  # the group's pupils
    assert page.count('id="tags"') == 1 and "<title>Gym · Beeldrecht</title>" in page
    response = client.submit(f"/media/{item}", {"person_id": [world["sem"], world["noah"]], "complete": "y"})
    assert response.status_code == 302
    with app.app_context():
        media = db.session.get(MediaItem, item)
        assert sorted(t.person_id for t in media.tags) == sorted([world["sem"], world["noah"]])
        assert media.tags_complete and media.tags_attested_by_id is not None
    # Changing tags afterwards keeps the attestation, and says so in the audit log.
    client.submit(f"/media/{item}", {"person_id": [world["sem"]], "complete": "y"})
    with app.app_context():
        assert db.session.get(MediaItem, item).tags_complete
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "media.tags_changed")).all()
        assert [e.details["after_attestation"] for e in events] == [False, True]


def test_tags_through_the_api_with_boxes(client, runner, world, item, app):
    token = runner.invoke(args=["users", "token", "teacher@example.org"]).output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "tags": [{"person_id": world["sem"], "box": [0.1, 0.2, 0.3, 0.4]}, {"person_id": world["noah"], "box": None}],
        "complete": True,
    }
    response = client.put(f"/api/v1/media/{item}/tags", headers=headers, json=body)
    assert response.status_code == 200
    data = response.get_json()
    assert data["tags_complete"] is True
    assert {t["person_id"]: t["box"] for t in data["tags"]} == {world["sem"]: [0.1, 0.2, 0.3, 0.4], world["noah"]: None}


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ([{"person_id": "emma", "box": None}], "unknown_person"),  # another group's pupil: not the teacher's to tag
        ([{"person_id": 999999, "box": None}], "unknown_person"),
        ([{"person_id": "sem", "box": [0.8, 0.1, 0.5, 0.2]}], "bad_box"),  # sticks out on the right
        ([{"person_id": "sem", "box": None}, {"person_id": "sem", "box": None}], "duplicate"),
        ([{"person_id": "sem", "box": [0.1, 0.1]}], "invalid_input"),
    ],
)
def test_bad_tags_are_refused_and_change_nothing(client, runner, world, item, app, tags, code):
    token = runner.invoke(args=["users", "token", "teacher@example.org"]).output.strip().splitlines()[-1]
    body = {"tags": [dict(t, person_id=world.get(t["person_id"], t["person_id"])) for t in tags], "complete": True}
    response = client.put(f"/api/v1/media/{item}/tags", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code
    with app.app_context():
        media = db.session.get(MediaItem, item)
        assert media.tags == [] and not media.tags_complete


def test_library_filters_by_kind_date_and_incomplete_tags(client, world, item, app):
    listing = client.get("/media/?incomplete=1").get_data(as_text=True)
    assert f"/media/{item}/thumbnail.jpg" in listing
    client.submit(f"/media/{item}", {"person_id": [world["sem"]], "complete": "y"})
    assert f"/media/{item}/thumbnail.jpg" not in client.get("/media/?incomplete=1").get_data(as_text=True)
    assert f"/media/{item}/thumbnail.jpg" in client.get("/media/?type=photo&date=2026-11-02").get_data(as_text=True)
    assert f"/media/{item}/thumbnail.jpg" not in client.get("/media/?type=film").get_data(as_text=True)
    assert f"/media/{item}/thumbnail.jpg" not in client.get("/media/?date=2026-11-03").get_data(as_text=True)
    assert client.get("/media/?date=not-a-date&type=nonsense").status_code == 200

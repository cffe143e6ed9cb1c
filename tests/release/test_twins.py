"""Twins: the same bytes in two groups' albums are two items (``app.media.twins``), but one picture.
Whoever is shown on one is shown on the other: the gate, a withdrawal's removal tasks and an erasure
follow the bytes to every twin, and say so without naming the other group's pupil."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.release.models import EVERY_PURPOSE, Quarantine
from app.school.models import Group
from tests.factories import StaffFactory, UserFactory
from tests.release.helpers import Release


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


@pytest.fixture
def twins(release, app, world):
    """The same photo in 3a's album with Emma tagged (by 3a's own teacher) and in 5b's with Sem
    (who has consent for the website); returns (3a's item, 5b's item)."""
    with app.app_context():
        person = StaffFactory(first_name="Fenna", last_name="Bakker", email="teacher3a@example.org")
        group = db.session.get_one(Group, world["3a"])
        group.teachers.append(person)
        UserFactory(email="teacher3a@example.org", person=person, roles={Role.TEACHER})
        db.session.commit()
    teacher_3a = release.token("teacher3a")
    data = release.photo_of_two((33, 66, 99))
    created = teacher_3a.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(data), "x.jpg"), "group_id": world["3a"], "album": "Kamp 3a"},
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    theirs = created.get_json()["id"]
    tagged = teacher_3a.put(
        f"/api/v1/media/{theirs}/tags", json={"tags": [{"person_id": world["emma"]}], "complete": True}
    )
    assert tagged.status_code == 200
    mine = release.upload(data)  # 5b's teacher cannot see 3a's item: an item of their own
    assert mine != theirs
    release.tag(mine, [world["sem"]], complete=True)
    release.decide("sem", "photo", "website", "grant")
    return theirs, mine


def blockers(release, item: int, channel: str) -> dict[str, str]:
    answer = release.comms.get(f"/api/v1/media/{item}/clearance?channel={channel}").get_json()
    return {b["code"]: b["message"] for b in answer["blockers"]}


def test_an_item_is_blocked_while_someone_shown_on_its_twin_has_no_consent(release, world, twins):
    theirs, mine = twins
    refused = release.export("website", [mine])
    assert refused.status_code == 409
    found = blockers(release, mine, "website")
    assert list(found) == ["twin_blocked"]
    assert "Emma" not in found["twin_blocked"] and "3a" not in found["twin_blocked"]
    assert "no_consent" in blockers(release, theirs, "website")  # 3a's own item names her to who may see it
    release.decide("emma", "photo", "website", "grant")
    assert blockers(release, mine, "website") == {}
    assert release.export("website", [mine]).status_code == 200
    # Only what is about the people in the picture follows the bytes: 3a's own work left to do does not.
    with release.app.app_context():
        from app.media.models import MediaItem

        db.session.get_one(MediaItem, theirs).tags_complete = False
        db.session.commit()
    assert blockers(release, mine, "website") == {}


def test_the_library_shows_the_short_reason_without_the_name(release, world, twins, client, login_as):
    _theirs, mine = twins
    login_as("teacher")
    page = client.get(f"/media/?group={world['5b']}").get_data(as_text=True)
    assert f"/media/{mine}" in page and "elders niet vrijgegeven" in page and "Emma" not in page


def test_a_withdrawal_opens_removal_work_for_the_twins_publication(release, world, twins):
    _theirs, mine = twins
    release.decide("emma", "photo", "website", "grant")
    export = release.export("website", [mine]).get_json()["id"]
    posted = release.comms.post(
        "/api/v1/publications", json={"export_id": export, "media_id": mine, "url": "https://school.example/foto"}
    )
    assert posted.status_code == 201
    release.decide("emma", "photo", "website", "withdraw")
    [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
    assert task["media_id"] == mine and task["url"] == "https://school.example/foto"
    assert set(blockers(release, mine, "website")) == {"quarantined", "twin_blocked"}


def test_an_erasure_holds_back_every_twin(release, world, twins, client, login_as, app):
    theirs, mine = twins
    release.decide("emma", "photo", "website", "grant")
    export = release.export("website", [mine]).get_json()["id"]
    release.comms.post("/api/v1/publications", json={"export_id": export, "media_id": mine, "url": "https://x.nl/1"})
    login_as("admin")
    erased = client.submit(f"/admin/persons/{world['emma']}/erase", {"reason": "Verzoek", "confirm": "y"})
    assert erased.status_code == 302
    with app.app_context():
        held = db.session.scalars(select(Quarantine.media_id).where(Quarantine.purpose == EVERY_PURPOSE)).all()
        assert sorted(held) == sorted([theirs, mine])
    assert "quarantined" in blockers(release, mine, "website")
    assert "tags_incomplete" in blockers(release, mine, "website")  # 5b must look at it again
    [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
    assert task["media_id"] == mine and task["person_id"] is None

"""Publications, and what a withdrawal sets in motion: takedowns, quarantine, a mail to
communications, and what the parent sees; incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.release.models import Publication, Quarantine, Takedown
from tests.release.helpers import Release


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


def published(release, channel="instagram") -> tuple[int, int, int]:
    """An item of Sem exported to ``channel`` and posted; returns (item, export, publication)."""
    item = release.cleared_photo(channel)
    export = release.export(channel, [item]).get_json()["id"]
    response = release.comms.post(
        "/api/v1/publications", json={"export_id": export, "media_id": item, "url": "https://instagram.com/p/abc"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return item, export, response.get_json()["id"]


def test_a_publication_is_recorded_once_and_only_for_its_export(release, app):
    item, export, publication = published(release)
    again = release.comms.post(
        "/api/v1/publications", json={"export_id": export, "media_id": item, "url": "https://instagram.com/p/abc"}
    )
    assert again.status_code == 201 and again.get_json()["id"] == publication  # a double submit adds nothing
    other = release.cleared_photo("website")
    for body, status, code in [
        ({"export_id": export, "media_id": other, "url": "https://x.nl/1"}, 422, "not_in_export"),
        ({"export_id": export, "media_id": item, "url": "javascript:alert(1)"}, 422, "bad_url"),
        ({"export_id": export, "media_id": item, "url": "x.nl/1"}, 422, "bad_url"),
        ({"export_id": 999999, "media_id": item, "url": "https://x.nl/1"}, 404, "not_found"),
        ({"export_id": export, "media_id": item}, 422, "invalid_input"),
    ]:
        response = release.comms.post("/api/v1/publications", json=body)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), body
    with app.app_context():
        assert db.session.scalar(select(func.count(Publication.id))) == 1


def test_a_withdrawal_opens_a_takedown_quarantines_and_mails(release, world, app, outbox):
    item, _export, publication = published(release)
    assert release.comms.get("/api/v1/takedowns?status=open").get_json() == []
    release.decide("sem", "photo", "social_media", "withdraw")
    [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
    assert task["url"] == "https://instagram.com/p/abc" and task["channel"] == "instagram"
    assert task["media_id"] == item and task["person_id"] == world["sem"] and task["status"] == "open"
    mails = [m for m in outbox if "comms@example.org" in m.to]
    assert len(mails) == 1 and "1 publicatie moet offline" in mails[0].body and "Sem" not in mails[0].body
    assert mails[0].body.startswith("Beste Jeroen,")
    # The item is held back for social media even if consent came back, until the removal is done.
    release.decide("sem", "photo", "social_media", "grant")
    blockers = release.comms.get(f"/api/v1/media/{item}/clearance?channel=facebook").get_json()["blockers"]
    assert [b["code"] for b in blockers] == ["quarantined"]
    # A second withdrawal while the task is open adds no second task.
    release.decide("sem", "photo", "social_media", "withdraw")
    assert len(release.comms.get("/api/v1/takedowns?status=open").get_json()) == 1
    # Other purposes are not touched.
    with app.app_context():
        assert db.session.scalar(select(func.count(Quarantine.id))) == 1
        assert db.session.get(Publication, publication) is not None


def test_resolving_a_takedown_needs_a_note_and_happens_once(release, app):
    published(release)
    release.decide("sem", "photo", "social_media", "withdraw")
    [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
    url = f"/api/v1/takedowns/{task['id']}/resolve"
    assert release.comms.post(url, json={"note": "  "}).status_code == 422
    assert release.comms.post(url, json={}).status_code == 422
    response = release.comms.post(url, json={"note": "Bericht verwijderd"})
    assert response.status_code == 200 and response.get_json()["status"] == "resolved"
    again = release.comms.post(url, json={"note": "nogmaals"})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "already_resolved")
    assert release.comms.post("/api/v1/takedowns/999999/resolve", json={"note": "x"}).status_code == 404
    with app.app_context():
        assert db.session.get(Takedown, task["id"]).note == "Bericht verwijderd"
        assert db.session.scalars(select(Quarantine)).one().lifted_at is not None
    assert release.comms.get("/api/v1/takedowns?status=open").get_json() == []
    assert release.comms.get("/api/v1/takedowns?status=bogus").status_code == 422
    # The post is gone: granting and withdrawing again opens no new task for it.
    release.decide("sem", "photo", "social_media", "grant")
    release.decide("sem", "photo", "social_media", "withdraw")
    assert release.comms.get("/api/v1/takedowns?status=open").get_json() == []


def test_the_worklist_highlights_overdue_tasks(release, app, client, login_as):
    published(release)
    release.decide("sem", "photo", "social_media", "withdraw")
    with app.app_context():
        task = db.session.scalars(select(Takedown)).one()
        task.due_at = datetime.now(UTC) - timedelta(hours=1)
        db.session.commit()
        task_id = task.id
    login_as("comms")
    page = client.get("/release/takedowns").get_data(as_text=True)
    assert f'id="takedown-{task_id}"' in page and "overdue" in page and "te laat" in page
    response = client.submit(f"/release/takedowns/{task_id}/resolve", {"note": ""})
    assert response.status_code == 422
    assert client.submit(f"/release/takedowns/{task_id}/resolve", {"note": "weg"}).status_code == 302
    assert client.submit(f"/release/takedowns/{task_id}/resolve", {"note": "weg"}).status_code == 409
    assert "Niets te verwijderen." in client.get("/release/takedowns").get_data(as_text=True)


def test_the_parent_sees_where_it_was_published_and_the_pending_removal(release, world, client, login_as):
    published(release)
    login_as("parent")
    page = client.get(f"/consent/{world['sem']}?overview=1").get_data(as_text=True)
    assert "https://instagram.com/p/abc" in page and "removal-pending" not in page
    response = client.submit(
        f"/consent/{world['sem']}/decide", {"media_type": "photo", "purpose": "social_media", "decision": "withdraw"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dit wordt verwijderd: Instagram" in page
    assert "removal-pending" in page
    # Another family sees nothing of it.
    client.submit("/sign-out")
    login_as("parent2")
    assert "instagram.com" not in client.get(f"/consent/{world['noah']}?overview=1").get_data(as_text=True)
    assert client.get(f"/consent/{world['sem']}").status_code == 404


def test_incidents_are_registered_with_a_takedown(release, world, client, login_as, app):
    login_as("comms")
    assert "Incidenten" in client.get("/release/incidents").get_data(as_text=True)
    response = client.submit(
        "/release/incidents",
        {
            "occurred_on": "2026-11-20",
            "channel": "Facebook (ouder)",
            "url": "https://facebook.com/groups/x/1",
            "people": [world["sem"], world["noah"]],
            "measure": "warning",
            "notes": "Klassenfoto zonder toestemming gedeeld",
            "open_takedown": "y",
        },
    )
    assert response.status_code == 302
    [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
    assert task["incident_id"] and task["url"] == "https://facebook.com/groups/x/1"
    for bad in (
        {"occurred_on": "2099-01-01", "channel": "x", "measure": "warning"},
        {"occurred_on": "2026-11-20", "channel": "x", "measure": "warning", "open_takedown": "y"},
        {"occurred_on": "2026-11-20", "channel": "x", "measure": "flogging"},
        {"occurred_on": "", "channel": "x", "measure": "warning"},
    ):
        assert client.submit("/release/incidents", bad).status_code == 422, bad
    client.submit("/sign-out")
    login_as("teacher")
    assert client.get("/release/incidents").status_code == 404


def test_publications_are_listed_per_channel_and_per_item(release, client, login_as):
    item, _export, _publication = published(release)
    login_as("comms")
    assert "https://instagram.com/p/abc" in client.get(f"/media/{item}").get_data(as_text=True)
    assert "https://instagram.com/p/abc" in client.get("/release/publications?channel=1").get_data(as_text=True)
    assert "https://instagram.com/p/abc" not in client.get("/release/publications?channel=3").get_data(as_text=True)
    assert "https://instagram.com/p/abc" in client.get(f"/release/publications?media={item}").get_data(as_text=True)
    client.submit("/sign-out")
    login_as("teacher")  # teachers tag, but do not see where things were posted
    assert "https://instagram.com/p/abc" not in client.get(f"/media/{item}").get_data(as_text=True)
    assert client.get("/release/publications").status_code == 404


def test_channels_are_managed_by_administrators(release, client, login_as):
    login_as("admin")
    assert client.submit("/release/channels", {"key": "Bad Key", "name": "x", "purpose": "website"}).status_code == 422
    assert client.submit("/release/channels", {"key": "website", "name": "x", "purpose": "website"}).status_code == 422
    response = client.submit(
        "/release/channels", {"key": "yearbook", "name": "Jaarboek", "purpose": "school_guide", "enabled": "y"}
    )
    assert response.status_code == 302
    channels = {c["key"]: c for c in release.comms.get("/api/v1/channels").get_json()}
    assert channels["yearbook"] == {
        "key": "yearbook",
        "name": "Jaarboek",
        "purpose": "school_guide",
        "export_side": None,
        "film_kbps": 4000,
        "enabled": True,
    }
    assert channels["instagram"]["export_side"] == 1080 and channels["instagram"]["purpose"] == "social_media"
    assert channels["instagram"]["film_kbps"] == 3500
    client.submit("/sign-out")
    login_as("comms")
    assert client.get("/release/channels").status_code == 404


def test_a_recording_goes_out_without_its_tags(release, world, app):
    import io
    import zipfile

    import av

    from tests.media.samples import sound
    from tests.media.test_recordings import tagged

    response = release.teacher.post(
        "/api/v1/media",
        data={
            "file": (io.BytesIO(tagged(sound(seconds=2), "mp3")), "lied.mp3"),
            "group_id": world["5b"],
            "album": "Zang",
        },
        content_type="multipart/form-data",
    )
    item = response.get_json()["id"]
    release.tag(item, [world["sem"]], complete=True)
    release.decide("sem", "audio", "website", "grant")
    made = release.export("website", [item]).get_json()
    bundle = release.comms.get(made["download_url"]).data
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        [name] = archive.namelist()
        data = archive.read(name)
    assert name == f"beeldrecht-{made['id']}-1.m4a"
    assert b"Karin de Vries" not in data and b"Sem en Noah" not in data
    with av.open(io.BytesIO(data), format="mp4") as container:
        assert "title" not in container.metadata and container.duration
        assert container.streams.audio[0].codec_context.name == "aac"


def test_erasing_a_pupil_keeps_the_removal_work(release, world, app, client, login_as):
    published(release)
    release.decide("sem", "photo", "social_media", "withdraw")
    login_as("admin")
    response = client.submit(
        f"/admin/persons/{world['sem']}/erase", {"reason": "Verzoek van de ouders", "confirm": "y"}
    )
    assert response.status_code == 302
    [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
    assert task["person_id"] is None and task["url"] == "https://instagram.com/p/abc"
    # The photo still shows the child, now untagged: it must be checked again before any release.
    codes = [
        b["code"]
        for b in release.comms.get(f"/api/v1/media/{task['media_id']}/clearance?channel=website").get_json()["blockers"]
    ]
    assert "tags_incomplete" in codes

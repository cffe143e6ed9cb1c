"""The family's data download (JSON and a page), and the parent portal's page of media showing a
child: only the family's own data, thumbnails through links for one account and one week."""

from __future__ import annotations

import json
import re
import time

import itsdangerous
import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db
from app.media import links
from app.media.ingest import media_storage
from app.media.models import MediaItem
from app.media.storage import derivative_key, original_key
from tests.release.helpers import Release


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


@pytest.fixture
def school_year(release, world, client, login_as):
    """Sem and Noah on one posted photo (Sem's consent then withdrawn, so a removal is open), a
    photo of Noah alone, an untagged photo, and an incident naming Sem."""
    together = release.upload(release.photo_of_two((200, 10, 10)))
    release.tag(together, [world["sem"], world["noah"]], complete=True)
    release.decide("sem", "photo", "newsletter", "grant")
    release.decide("noah", "photo", "newsletter", "grant")
    export = release.export("newsletter", [together]).get_json()["id"]
    posted = release.comms.post(
        "/api/v1/publications", json={"export_id": export, "media_id": together, "url": "https://school.nl/nieuws/1"}
    )
    assert posted.status_code == 201
    release.decide("sem", "photo", "newsletter", "withdraw")
    noah_alone = release.upload(release.photo_of_two((10, 200, 10)))
    release.tag(noah_alone, [world["noah"]], complete=True)
    untagged = release.upload(release.photo_of_two((10, 10, 200)))
    login_as("comms")
    response = client.submit(
        "/release/incidents",
        {
            "occurred_on": "2026-11-20",
            "channel": "Facebook (ouder)",
            "url": "https://facebook.com/groups/x/1",
            "people": [world["sem"]],
            "measure": "warning",
            "notes": "Gedeeld door de vader van Noah",
        },
    )
    assert response.status_code == 302
    client.submit("/sign-out")
    return {"together": together, "noah_alone": noah_alone, "untagged": untagged}


def download(client) -> dict:
    response = client.get("/consent/our-data.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def test_the_download_holds_the_familys_media_tags_publications_removals_incidents_and_form_text(
    school_year, world, client, login_as, app
):
    login_as("parent")
    data = download(client)
    [item] = data["media"]
    assert item["id"] == school_year["together"] and item["album"] == "Gym" and item["taken_on"]
    assert [t["person_id"] for t in item["tags"]] == [world["sem"]]  # never Noah's tag
    assert item["thumbnail_url"].startswith("http") and data["media_links_valid_days"] == 7
    [publication] = data["publications"]
    assert publication["url"] == "https://school.nl/nieuws/1" and publication["removal"] == "pending"
    [takedown] = data["takedowns"]
    assert takedown["status"] == "open" and takedown["person_id"] == world["sem"]
    [incident] = data["incidents"]
    assert incident["channel"] == "Facebook (ouder)" and incident["person_ids"] == [world["sem"]]
    assert "Noah" not in json.dumps(data) and "vader" not in json.dumps(data)
    forms = {f["id"]: f for f in data["forms"]}
    assert {d["form_id"] for d in data["decisions"]} <= set(forms)
    assert all("uitdrukkelijk toestemming" in f["content"]["text"]["nl"] for f in forms.values())
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "data.exported")).one()
        assert event.details["media"] == 1 and event.details["format"] == "json"
    client.submit("/sign-out")
    login_as("parent2")
    other = download(client)
    assert {m["id"] for m in other["media"]} == {school_year["together"], school_year["noah_alone"]}
    assert all(t["person_id"] == world["noah"] for m in other["media"] for t in m["tags"])
    assert other["incidents"] == [] and other["takedowns"] == []


def test_a_thumbnail_link_serves_the_clean_thumbnail_to_that_parent_only(school_year, world, client, login_as, app):
    login_as("parent")
    link = download(client)["media"][0]["thumbnail_url"]
    path = link[link.index("/media/family/") :]
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"
    with app.app_context():
        sha = db.session.get(MediaItem, school_year["together"]).sha256
        with media_storage().open(derivative_key(sha, "thumbnail.jpg")) as handle:
            assert response.data == handle.read()
        with media_storage().open(original_key(sha)) as handle:
            assert response.data != handle.read()
    token = path.split("/")[3]
    tampered = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert client.get(tampered).status_code == 410
    client.submit("/sign-out")
    assert "/sign-in" in client.get(path).headers["Location"]
    login_as("parent2")  # Noah is on the same photo, but the link was made for Sem's parent
    assert client.get(path).status_code == 404


def test_a_thumbnail_link_ends_after_seven_days_or_when_the_child_is_no_longer_shown(
    school_year, release, world, client, login_as, app
):
    alone = release.upload(release.photo_of_two((90, 90, 10)))
    release.tag(alone, [world["sem"]], complete=False)
    login_as("parent")
    fresh = next(m for m in download(client)["media"] if m["id"] == alone)["thumbnail_url"]
    fresh = fresh[fresh.index("/media/") :]

    class EightDaysAgo(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 8 * 24 * 3600

    with app.test_request_context():
        parent = db.session.scalar(select(User).where(User.email == "parent@example.org"))
        serializer = links._serializer()
        serializer.signer = EightDaysAgo
        old = f"/media/family/{serializer.dumps([parent.id, alone])}/thumbnail.jpg"
    assert client.get(old).status_code == 410
    assert client.get(fresh).status_code == 200
    release.tag(alone, [world["noah"]], complete=False)  # Sem was tagged by mistake
    assert client.get(fresh).status_code == 404


def test_the_portal_lists_the_media_a_child_is_tagged_on_with_where_it_was_published(
    school_year, world, client, login_as
):
    login_as("parent")
    page = client.get(f"/consent/{world['sem']}/media").get_data(as_text=True)
    assert f'id="item-{school_year["together"]}"' in page
    assert f'id="item-{school_year["noah_alone"]}"' not in page and f'id="item-{school_year["untagged"]}"' not in page
    assert "https://school.nl/nieuws/1" in page and "Nieuwsbrief" in page
    thumbnail = re.search(r'<img class="card-img-top" src="([^"]+)"', page).group(1)
    assert thumbnail.startswith("/media/family/") and client.get(thumbnail).status_code == 200
    assert client.get(f"/consent/{world['noah']}/media").status_code == 404
    assert client.get("/consent/999999/media").status_code == 404
    empty = client.get(f"/consent/{world['emma']}/media")
    assert empty.status_code == 200 and 'id="media"' not in empty.get_data(as_text=True)


def test_the_readable_page_shows_the_same_data_with_the_form_text(school_year, world, client, login_as, app):
    login_as("parent")
    response = client.get("/consent/our-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "uitdrukkelijk toestemming" in page and "Sem" in page and "https://school.nl/nieuws/1" in page
    assert "Facebook (ouder)" in page and "Noah" not in page
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "data.exported")).one()
        assert event.details["format"] == "page"

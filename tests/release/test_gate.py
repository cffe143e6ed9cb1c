"""The export gate: clearance with every blocker in words, refused exports that release nothing,
and cleared exports with their evidence and a clean bundle."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.release.models import Export
from tests.release.helpers import Release


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


def test_clearance_names_every_blocker_then_clears(release, world):
    item = release.upload(release.photo_of_two())
    response = release.comms.get(f"/api/v1/media/{item}/clearance?channel=instagram")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["cleared"] is False
    assert [b["code"] for b in answer["blockers"]] == ["tags_incomplete"]  # nobody tagged yet
    release.tag(item, [world["sem"], world["noah"]], complete=True)
    answer = release.comms.get(f"/api/v1/media/{item}/clearance?channel=instagram").get_json()
    blockers = {b["person_id"]: b for b in answer["blockers"]}
    assert set(blockers) == {world["sem"], world["noah"]}
    assert {b["code"] for b in blockers.values()} == {"no_consent"}
    assert blockers[world["sem"]]["message"] == (
        "Sem de Vries (groep 5b) heeft geen toestemming voor foto's bij „Sociale media van de school "
        "(Instagram, Facebook)”: nooit beslist."
    )
    release.decide("noah", "photo", "social_media", "refuse")
    answer = release.comms.get(f"/api/v1/media/{item}/clearance?channel=instagram").get_json()
    noah = next(b for b in answer["blockers"] if b["person_id"] == world["noah"])
    assert "geweigerd door een ouder op" in noah["message"]
    release.decide("noah", "photo", "social_media", "grant")
    release.decide("sem", "photo", "social_media", "grant")
    answer = release.comms.get(f"/api/v1/media/{item}/clearance?channel=instagram").get_json()
    assert answer == {"channel": "instagram", "cleared": True, "blockers": []}
    # Consent for social media says nothing about the newsletter.
    assert release.comms.get(f"/api/v1/media/{item}/clearance?channel=newsletter").get_json()["cleared"] is False


def test_an_unresolved_face_blocks(release, world):
    item = release.upload(release.astronaut())
    release.tag(item, [world["sem"]], complete=True)
    release.decide("sem", "photo", "website", "grant")
    codes = [
        b["code"] for b in release.comms.get(f"/api/v1/media/{item}/clearance?channel=website").get_json()["blockers"]
    ]
    assert codes == ["face_unresolved"]


def test_a_blocked_export_releases_nothing_and_is_audited(release, world, app):
    cleared = release.cleared_photo("website")
    blocked = release.upload(release.photo_of_two((9, 9, 9)))
    release.tag(blocked, [world["noah"]], complete=True)
    response = release.comms.post("/api/v1/exports", json={"channel": "website", "media_ids": [cleared, blocked]})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "export_blocked"
    assert error["blockers"] == [
        {
            "media_id": blocked,
            "code": "no_consent",
            "person_id": world["noah"],
            "message": "Noah Jansen (groep 5b) heeft geen toestemming voor foto's bij „Website van de school”: nooit beslist.",
        }
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count(Export.id))) == 0
        refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "release.export_refused")).all()
        assert len(refused) == 1 and refused[0].details["media_ids"] == [cleared, blocked]


def test_a_cleared_export_records_evidence_and_makes_a_clean_bundle(release, world, app):
    item = release.cleared_photo("instagram", orientation=6, size=(3000, 2000))
    response = release.export("instagram", [item])
    assert response.status_code == 200, response.get_data(as_text=True)
    made = response.get_json()
    assert made["download_url"] == f"/api/v1/exports/{made['id']}/download"
    with app.app_context():
        export = db.session.get(Export, made["id"])
        decisions = export.items[0].evidence["decisions"]
        assert set(decisions) == {str(world["sem"])} and decisions[str(world["sem"])]
        exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "release.exported")).one()
        assert exported.details["decision_ids"] == decisions[str(world["sem"])]
    bundle = release.comms.get(made["download_url"])
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        assert archive.namelist() == [f"beeldrecht-{made['id']}-1.jpg"]
        assert archive.comment == b""
        data = archive.read(archive.namelist()[0])
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.size == (720, 1080)  # upright, and 1080 px for Instagram
        assert not picture.getexif() and "icc_profile" not in picture.info and "comment" not in picture.info
        assert set(picture.info) <= {
            "jfif",
            "jfif_version",
            "jfif_unit",
            "jfif_density",
            "dpi",
            "progressive",
            "progression",
        }
    for secret in (b"Exif", b"PhoneMaker", b"Sem", b"http://ns.adobe.com/xap"):
        assert secret not in data


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"channel": "tiktok", "media_ids": ["ITEM"]}, 404, "unknown_channel"),
        ({"channel": "website", "media_ids": []}, 422, "no_items"),
        ({"channel": "website", "media_ids": [999999]}, 404, "unknown_item"),
        ({"channel": "website", "media_ids": ["ITEM", "ITEM"]}, 422, "duplicate_item"),
        ({"channel": "website", "media_ids": ["ITEM"], "blurred": True}, 403, "blurring_off"),
        ({"channel": "website"}, 422, "invalid_input"),
    ],
)
def test_bad_exports_are_refused_and_change_nothing(release, app, body, status, code):
    item = release.cleared_photo("website")
    body = (
        {**body, "media_ids": [item if v == "ITEM" else v for v in body.get("media_ids", [])]}
        if "media_ids" in body
        else body
    )
    response = release.comms.post("/api/v1/exports", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    with app.app_context():
        assert db.session.scalar(select(func.count(Export.id))) == 0


def test_a_disabled_channel_and_a_deleted_item_are_refused(release, app, client, login_as):
    item = release.cleared_photo("website")
    login_as("admin")
    response = client.submit(
        "/release/channels/3", {"key": "website", "name": "Website", "purpose": "website", "export_side": "1600"}
    )
    assert response.status_code == 302  # saved without "enabled": switched off
    response = release.comms.post("/api/v1/exports", json={"channel": "website", "media_ids": [item]})
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, "channel_disabled")
    assert client.submit(f"/media/{item}/delete", {}).status_code == 302
    response = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]})
    assert (response.status_code, response.get_json()["error"]["code"]) == (404, "unknown_item")


def test_teachers_and_parents_cannot_export(release, runner, client):
    item = release.cleared_photo("website")
    for who in ("teacher", "parent"):
        token = runner.invoke(args=["users", "token", f"{who}@example.org"]).output.strip().splitlines()[-1]
        headers = {"Authorization": f"Bearer {token}"}
        response = client.post("/api/v1/exports", json={"channel": "website", "media_ids": [item]}, headers=headers)
        assert response.status_code == 404, who
        assert client.get("/api/v1/takedowns", headers=headers).status_code == 404
        assert client.post("/api/v1/publications", json={}, headers=headers).status_code == 404


def test_clearance_takes_six_statements_for_many_items(release, world, app):
    items = [release.upload(release.photo_of_two((n * 40, 40, 80))) for n in range(6)]
    for item in items:
        release.tag(item, [world["sem"], world["noah"]], complete=True)
    from app.release.clearance import clear
    from app.release.models import Channel

    with app.test_request_context(), app.app_context():
        channel = db.session.scalar(select(Channel).where(Channel.key == "website"))
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            answers = clear(items, channel)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(answers) == 6
        assert (
            len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 7
        )  # 6 (the twins first) + the form's labels


def test_blurred_export_pixelates_people_without_consent(release, world, app):
    app.config["BLURRED_EXPORTS"] = True
    try:
        item = release.upload(release.photo_of_two((200, 200, 200)))
        release.tag(item, [world["sem"], world["noah"]], complete=True, boxes={world["noah"]: [0.5, 0.0, 0.5, 0.5]})
        release.decide("sem", "photo", "website", "grant")
        response = release.export("website", [item], blurred=True)
        assert response.status_code == 200, response.get_data(as_text=True)
        with app.app_context():
            evidence = db.session.get(Export, response.get_json()["id"]).items[0].evidence
            assert evidence["blurred"] == [
                {"person_id": world["noah"], "box": [0.5, 0.0, 0.5, 0.5], "reason": "no_consent"}
            ]
        bundle = release.comms.get(response.get_json()["download_url"]).data
        with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
            picture = Image.open(io.BytesIO(archive.read(archive.namelist()[0]))).convert("RGB")
        # Noah's corner is a coarse mosaic now; Sem's half is untouched detail.
        noah_corner = picture.crop((picture.width * 3 // 4 - 40, 40, picture.width * 3 // 4 + 40, 120))
        sem_corner = picture.crop((0, picture.height - 80, 80, picture.height))
        assert len(noah_corner.getcolors(1 << 16)) < len(sem_corner.getcolors(1 << 16)) / 4
        # Without a box around the person, blurring cannot help: still blocked.
        other = release.upload(release.photo_of_two((10, 200, 10)))
        release.tag(other, [world["sem"], world["noah"]], complete=True)
        response = release.comms.post(
            "/api/v1/exports", json={"channel": "website", "media_ids": [other], "blurred": True}
        )
        assert response.status_code == 409
        assert "kader" in response.get_json()["error"]["blockers"][0]["message"]
    finally:
        app.config["BLURRED_EXPORTS"] = False


def test_the_export_page_in_the_library(release, world, client, login_as, app):
    item = release.cleared_photo("newsletter")
    blocked = release.upload(release.photo_of_two((1, 2, 3)))
    login_as("comms")
    page = client.get("/media/").get_data(as_text=True)
    assert 'name="media_id"' in page and 'name="channel"' in page
    response = client.submit("/release/export", {"media_id": [item, blocked], "channel": "newsletter"})
    assert response.status_code == 409
    assert "Niets geëxporteerd" in response.get_data(as_text=True)
    response = client.submit("/release/export", {"media_id": [item], "channel": "newsletter"})
    assert response.status_code == 302
    export_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "bundle.zip" in export_page
    response = client.submit("/release/export", {"media_id": [], "channel": "newsletter"})
    assert response.status_code == 422


def test_a_bundle_that_cannot_be_made_is_a_clear_409(release, app):
    from app.media.ingest import media_storage
    from app.media.models import MediaItem
    from app.media.storage import original_key
    from app.release.exports import bundle_key

    item = release.cleared_photo("website")
    made = release.export("website", [item]).get_json()
    with app.app_context():
        storage = media_storage()
        export = db.session.get(Export, made["id"])
        storage.delete(bundle_key(export))
        storage.local_path(original_key(db.session.get(MediaItem, item).sha256)).write_bytes(b"not a photo any more")
    response = release.comms.get(made["download_url"])
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "bundle_failed")


def test_a_bundle_that_cannot_be_made_on_the_web_page(release, app, client, login_as):
    from app.media.ingest import media_storage
    from app.media.models import MediaItem
    from app.media.storage import original_key
    from app.release.exports import bundle_key

    item = release.cleared_photo("newsletter")
    made = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]}).get_json()
    with app.app_context():
        storage = media_storage()
        storage.delete(bundle_key(db.session.get(Export, made["id"])))
        storage.local_path(original_key(db.session.get(MediaItem, item).sha256)).write_bytes(b"not a photo any more")
    login_as("comms")
    response = client.get(f"/release/exports/{made['id']}/bundle.zip")
    assert response.status_code == 409 and "konden niet worden gemaakt" in response.get_data(as_text=True)

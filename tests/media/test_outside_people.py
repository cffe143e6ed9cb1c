"""People from outside the school: staff mark them (a face, a box, or neither), they block every
public channel until an administrator records their own consent (with a scan of the paper), a
blurred export can pixelate them instead, and they are never people of the school."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.media.models import OutsideConsent, OutsidePerson
from app.release.models import Export
from app.timestamps import school_today
from tests.release.helpers import Release

GRANDFATHER = "Bezoeker: opa van een leerling"


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


def clearance(release: Release, item: int, channel: str) -> dict:
    response = release.comms.get(f"/api/v1/media/{item}/clearance?channel={channel}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def codes(answer: dict) -> list[str]:
    return [b["code"] for b in answer["blockers"]]


def mark(release: Release, item: int, **body) -> dict:
    response = release.teacher.post(f"/api/v1/media/{item}/outside-people", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def scan_with_gps() -> bytes:
    """A phone's picture of a signed paper: EXIF with GPS and a comment that must not be kept."""
    image = Image.new("RGB", (600, 800), (250, 250, 245))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"Handtekening opa")
    return out.getvalue()


def today(app):
    with app.app_context():
        return school_today()


def record_consent(client, outsider: int, *, purposes=("website",), media=("photo",), scan: bytes | None = None):
    data = {"media_types": list(media), "purposes": list(purposes), "given_on": today(client.application).isoformat()}
    if scan is not None:
        data["scan"] = (io.BytesIO(scan), "papier.jpg")
    return client.submit(f"/admin/outside-people/{outsider}", data, content_type="multipart/form-data")


def test_marking_a_face_outside_the_school_resolves_it(release, world, app):
    item = release.upload(release.astronaut())
    release.tag(item, [world["sem"]], complete=True)
    release.decide("sem", "photo", "newsletter", "grant")
    release.decide("sem", "photo", "website", "grant")
    assert codes(clearance(release, item, "newsletter")) == ["face_unresolved"]
    face = release.teacher.get(f"/api/v1/media/{item}").get_json()["faces"][0]

    person = mark(release, item, name=f"  {GRANDFATHER} ", face_id=face["id"])
    assert person["name"] == GRANDFATHER and person["face_ids"] == [face["id"]] and person["consents"] == []
    shown = release.teacher.get(f"/api/v1/media/{item}").get_json()
    assert shown["faces"][0]["status"] == "outside" and shown["faces"][0]["outside_person_id"] == person["id"]
    # Resolved: the newsletter (not public) is cleared; the website is blocked by them, in words.
    assert clearance(release, item, "newsletter")["cleared"] is True
    website = clearance(release, item, "website")
    assert website["blockers"] == [
        {
            "code": "outside_person",
            "person_id": None,
            "outside_person_id": person["id"],
            "message": f"Iemand van buiten de school (“{GRANDFATHER}”) heeft geen eigen toestemming voor foto's "
            "bij „Website van de school”.",
        }
    ]
    # The face is theirs: it cannot be given to a pupil, nor marked again.
    body = {"tags": [{"person_id": world["sem"], "face_id": face["id"]}], "complete": True}
    response = release.teacher.put(f"/api/v1/media/{item}/tags", json=body)
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "face_outside")
    response = release.teacher.post(f"/api/v1/media/{item}/outside-people", json={"name": "x", "face_id": face["id"]})
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "face_outside")
    response = release.teacher.post(f"/api/v1/media/{item}/faces/{face['id']}/dismiss", json={"reason": "not_a_face"})
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "face_outside")
    # Removed again: the face is open again.
    assert (
        release.teacher.client.delete(
            f"/api/v1/media/{item}/outside-people/{person['id']}", headers=release.teacher.headers
        ).status_code
        == 204
    )
    assert codes(clearance(release, item, "newsletter")) == ["face_unresolved"]
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("media.outsider%")).order_by(AuditEvent.id)
        ).all()
        assert actions == ["media.outsider_added", "media.outsider_removed"]
        assert GRANDFATHER not in str(db.session.scalars(select(AuditEvent.details)).all())  # ids only


def test_the_item_page_marks_a_face_and_adds_someone_without_one(release, world, client, login_as, app):
    item = release.upload(release.astronaut())
    face = release.teacher.get(f"/api/v1/media/{item}").get_json()["faces"][0]
    login_as("teacher")
    page = client.get(f"/media/{item}").get_data(as_text=True)
    assert "Iemand van buiten de school" in page and f'name="face_id" value="{face["id"]}"' in page
    url = f"/media/{item}/outside-people"
    response = client.submit(url, {"action": "add", "face_id": face["id"], "name": "Scheidsrechter"})
    assert response.status_code == 302
    response = client.submit(url, {"action": "add", "name": "Voorbijganger", "box": "0.1,0.1,0.2,0.3"})
    assert response.status_code == 302
    page = client.get(f"/media/{item}").get_data(as_text=True)
    assert "Scheidsrechter" in page and "Voorbijganger" in page and "geen eigen toestemming" in page
    with app.app_context():
        people = db.session.scalars(select(OutsidePerson).order_by(OutsidePerson.id)).all()
        assert [(p.name, p.box, [f.id for f in p.faces]) for p in people] == [
            ("Scheidsrechter", None, [face["id"]]),
            ("Voorbijganger", [0.1, 0.1, 0.2, 0.3], []),
        ]
        passer_by = people[1].id
    assert client.submit(url, {"action": "remove", "outsider_id": passer_by}).status_code == 302
    assert count(app, OutsidePerson) == 1
    # Another item's person from outside the school is not this item's to remove.
    other = release.upload(release.photo_of_two())
    response = client.submit(f"/media/{other}/outside-people", {"action": "remove", "outsider_id": passer_by - 1})
    assert response.status_code == 404
    assert count(app, OutsidePerson) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_input"),
        ({"name": ""}, "name_required"),
        ({"name": "   \t "}, "name_required"),
        ({"name": "x" * 121}, "name_too_long"),
        ({"name": "Opa\u0000"}, "name_invalid"),
        ({"name": "Opa", "face_id": 999999}, "unknown_face"),
        ({"name": "Opa", "box": [0.5, 0.5, 0.9, 0.9]}, "bad_box"),
    ],
)
def test_an_outside_person_without_a_name_or_with_bad_input_is_refused(release, app, body, code):
    item = release.upload(release.photo_of_two())
    response = release.teacher.post(f"/api/v1/media/{item}/outside-people", json=body)
    assert 400 <= response.status_code < 500
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]
    assert count(app, OutsidePerson) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "media.outsider_added")) == 0


def test_the_item_page_refuses_a_nameless_outside_person(release, client, login_as, app):
    item = release.upload(release.photo_of_two())
    login_as("teacher")
    response = client.submit(f"/media/{item}/outside-people", {"action": "add", "name": "  "})
    assert response.status_code == 422
    assert "Zeg wie dit is" in response.get_data(as_text=True)
    assert count(app, OutsidePerson) == 0


def test_an_outside_person_blocks_public_channels_until_an_admin_records_their_consent(
    release, world, client, login_as, app
):
    item = release.upload(release.photo_of_two())
    release.tag(item, [world["sem"]], complete=True)
    for purpose in ("website", "social_media", "newsletter"):
        release.decide("sem", "photo", purpose, "grant")
    person = mark(release, item, name=GRANDFATHER)
    assert codes(clearance(release, item, "website")) == ["outside_person"]
    assert codes(clearance(release, item, "instagram")) == ["outside_person"]
    assert clearance(release, item, "newsletter")["cleared"] is True
    response = release.comms.post("/api/v1/exports", json={"channel": "instagram", "media_ids": [item]})
    assert response.status_code == 409
    assert [b["code"] for b in response.get_json()["error"]["blockers"]] == ["outside_person"]

    login_as("admin")
    assert GRANDFATHER in client.get("/admin/outside-people/").get_data(as_text=True)
    response = record_consent(client, person["id"], purposes=["website"], scan=scan_with_gps())
    assert response.status_code == 302, response.get_data(as_text=True)
    assert clearance(release, item, "website")["cleared"] is True
    assert codes(clearance(release, item, "instagram")) == ["outside_person"]  # only the website was signed for
    assert release.export("website", [item]).status_code == 200  # a request, approved by the leadership
    with app.app_context():
        consent = db.session.scalars(select(OutsideConsent)).one()
        assert (consent.media_type.value, consent.purpose, consent.given_on) == ("photo", "website", today(app))
        assert consent.recorded_by_id is not None and consent.scan_key.startswith("scans/")
        consent_id = consent.id
    # The scan: only for administrators, served as a clean JPEG without the phone's metadata.
    scan = client.get(f"/media/outside-consents/{consent_id}/scan.jpg")
    assert scan.status_code == 200 and scan.mimetype == "image/jpeg"
    assert scan.headers["Content-Security-Policy"].strip() == "sandbox"
    picture = Image.open(io.BytesIO(scan.data))
    assert picture.size == (600, 800) and not picture.getexif() and "comment" not in picture.info
    # Withdrawn: the website is blocked again; the row stays with who withdrew it.
    response = client.submit(f"/admin/outside-people/{person['id']}/consents/{consent_id}/withdraw")
    assert response.status_code == 302
    assert codes(clearance(release, item, "website")) == ["outside_person"]
    with app.app_context():
        assert db.session.get(OutsideConsent, consent_id).withdrawn_by_id is not None


def test_recording_their_consent_refuses_bad_input_and_changes_nothing(release, client, login_as, app):
    item = release.upload(release.photo_of_two())
    person = mark(release, item, name=GRANDFATHER)
    login_as("admin")
    pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert record_consent(client, person["id"], scan=pdf).status_code == 415
    assert record_consent(client, person["id"], purposes=["newsletter"]).status_code == 400  # not offered: public only
    assert record_consent(client, person["id"], purposes=[]).status_code == 422
    assert record_consent(client, person["id"], media=[]).status_code == 422
    tomorrow = today(app) + timedelta(days=1)
    response = client.submit(
        f"/admin/outside-people/{person['id']}",
        {"media_types": ["photo"], "purposes": ["website"], "given_on": tomorrow.isoformat()},
    )
    assert response.status_code == 422
    assert count(app, OutsideConsent) == 0
    assert not list((Path(app.config["MEDIA_ROOT"]) / "scans").glob("**/*"))


@pytest.mark.parametrize("who", ["teacher", "comms", "parent"])
def test_only_an_administrator_records_their_consent(release, client, login_as, app, who):
    item = release.upload(release.photo_of_two())
    person = mark(release, item, name=GRANDFATHER)
    login_as(who)
    assert client.get("/admin/outside-people/").status_code == 404
    assert client.get(f"/admin/outside-people/{person['id']}").status_code == 404
    assert record_consent(client, person["id"], scan=scan_with_gps()).status_code == 404
    assert count(app, OutsideConsent) == 0


def test_a_blurred_export_pixelates_someone_from_outside_the_school(release, world, app):
    app.config["BLURRED_EXPORTS"] = True
    try:
        item = release.upload(release.photo_of_two((200, 200, 200)))
        release.tag(item, [world["sem"]], complete=True)
        release.decide("sem", "photo", "website", "grant")
        person = mark(release, item, name=GRANDFATHER, box=[0.5, 0.0, 0.5, 0.5])
        plain = release.comms.post("/api/v1/exports", json={"channel": "website", "media_ids": [item]})
        assert plain.status_code == 409
        response = release.export("website", [item], blurred=True)
        assert response.status_code == 200, response.get_data(as_text=True)
        with app.app_context():
            evidence = db.session.get(Export, response.get_json()["id"]).items[0].evidence
            assert evidence["blurred"] == [
                {"outside_person_id": person["id"], "box": [0.5, 0.0, 0.5, 0.5], "reason": "outside_person"}
            ]
        bundle = release.comms.get(response.get_json()["download_url"]).data
        with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
            picture = Image.open(io.BytesIO(archive.read(archive.namelist()[0]))).convert("RGB")
        blurred = picture.crop((picture.width * 3 // 4 - 40, 40, picture.width * 3 // 4 + 40, 120))
        untouched = picture.crop((0, picture.height - 80, 80, picture.height))
        assert len(blurred.getcolors(1 << 16)) < len(untouched.getcolors(1 << 16)) / 4
        # Someone without a box cannot be blurred: still blocked.
        other = release.upload(release.photo_of_two((10, 200, 10)))
        release.tag(other, [world["sem"]], complete=True)
        mark(release, other, name="Voorbijganger")
        response = release.comms.post(
            "/api/v1/exports", json={"channel": "website", "media_ids": [other], "blurred": True}
        )
        assert response.status_code == 409
        blocker = response.get_json()["error"]["blockers"][0]
        assert blocker["code"] == "outside_person" and "kader" in blocker["message"]
    finally:
        app.config["BLURRED_EXPORTS"] = False


def test_they_appear_in_no_group_list_or_parent_page(release, world, client, login_as, app):
    item = release.upload(release.photo_of_two())
    release.tag(item, [world["sem"]], complete=True)
    release.decide("sem", "photo", "newsletter", "grant")
    mark(release, item, name="Opa Buitenschool")
    assert release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]}).status_code == 201
    pages = {
        "admin": ["/admin/persons", "/admin/persons?q=Opa", f"/admin/groups/{world['5b']}"],
        "teacher": [
            "/groups",
            f"/groups/{world['5b']}",
            f"/consent/groups/{world['5b']}",
            f"/media/{item}/people?q=Opa",
        ],
        "parent": ["/home", f"/consent/{world['sem']}", "/consent/our-data.json"],
    }
    for who, urls in pages.items():
        client.submit("/sign-out")
        login_as(who)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (who, url)
            assert "Buitenschool" not in response.get_data(as_text=True), (who, url)
    for url in ("/api/v1/people", "/api/v1/people?q=Opa", "/api/v1/groups"):
        response = release.comms.get(url)
        assert response.status_code == 200 and "Buitenschool" not in response.get_data(as_text=True), url


def test_deleting_the_item_removes_them_their_consent_and_the_scan(release, client, login_as, app, runner):
    item = release.upload(release.photo_of_two())
    person = mark(release, item, name=GRANDFATHER)
    login_as("admin")
    assert record_consent(client, person["id"], scan=scan_with_gps()).status_code == 302
    scans = Path(app.config["MEDIA_ROOT"]) / "scans"
    assert len([p for p in scans.glob("**/*") if p.is_file()]) == 1
    assert runner.invoke(args=["media", "fsck", "--grace-minutes", "0"]).exit_code == 0  # the scan is expected
    assert client.submit(f"/media/{item}/delete").status_code == 302
    assert count(app, OutsidePerson) == 0 and count(app, OutsideConsent) == 0
    assert not [p for p in scans.glob("**/*") if p.is_file()]


def test_a_scan_two_people_share_stays_until_the_last_goes(release, client, login_as, app):
    """The same paper (the same bytes) for two people is one stored file: removing one keeps it."""
    item = release.upload(release.photo_of_two())
    first, second = mark(release, item, name="Opa"), mark(release, item, name="Oma")
    login_as("admin")
    paper = scan_with_gps()
    assert record_consent(client, first["id"], scan=paper).status_code == 302
    assert record_consent(client, second["id"], scan=paper).status_code == 302
    scans = Path(app.config["MEDIA_ROOT"]) / "scans"
    assert len([p for p in scans.glob("**/*") if p.is_file()]) == 1
    url = f"/media/{item}/outside-people"
    assert client.submit(url, {"action": "remove", "outsider_id": first["id"]}).status_code == 302
    assert len([p for p in scans.glob("**/*") if p.is_file()]) == 1
    assert client.submit(url, {"action": "remove", "outsider_id": second["id"]}).status_code == 302
    assert not [p for p in scans.glob("**/*") if p.is_file()]


def test_clearance_with_outside_people_keeps_its_statement_count(release, world, app):
    items = [release.upload(release.photo_of_two((n * 40, 40, 80))) for n in range(4)]
    for n, item in enumerate(items):
        release.tag(item, [world["sem"], world["noah"]], complete=True)
        mark(release, item, name=f"Bezoeker {n}")
        mark(release, item, name=f"Gast {n}")
    from app.release.clearance import clear
    from app.release.models import Channel

    with app.test_request_context(), app.app_context():
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        for key, outside in (("website", True), ("newsletter", False)):
            channel = db.session.scalar(select(Channel).where(Channel.key == key))
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                answers = clear(items, channel)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 7, key
            outsiders = [b for a in answers.values() for b in a.blockers if b.code == "outside_person"]
            assert len(outsiders) == (8 if outside else 0)
        website = db.session.scalar(select(Channel).where(Channel.key == "website"))
        names = [b.message for b in clear(items, website)[items[0]].blockers if b.code == "outside_person"]
        assert [n.split("“")[1].split("”")[0] for n in names] == ["Bezoeker 0", "Gast 0"]

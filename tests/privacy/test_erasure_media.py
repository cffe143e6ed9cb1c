"""Erasure reaches the media: the items that show the erased person are deleted (when they show
nobody else and the administrator chose so) or kept, held back for every purpose, with the person
pixelated in every stored picture; their publications get removal tasks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.media.ingest import media_storage
from app.media.models import Face, MediaItem
from app.media.storage import derivative_key
from app.privacy.erasure import ErasureTombstone
from tests.media.samples import film
from tests.release.helpers import Release

BOX = [0.1, 0.1, 0.3, 0.4]  # where Sem is on the test photos


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


def photo(release, people, colour=(120, 160, 200)) -> int:
    item = release.upload(release.photo_of_two(colour))
    release.tag(item, people, complete=True, boxes={release.world["sem"]: BOX})
    return item


def picture(client, item, variant="display") -> Image.Image:
    response = client.get(f"/media/{item}/{variant}.jpg")
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.data)).convert("L")


def detail(image: Image.Image, box) -> float:
    """How much the picture changes from one pixel to the next inside ``box`` (a mosaic: little)."""
    w, h = image.size
    area = image.crop((int(box[0] * w), int(box[1] * h), int((box[0] + box[2]) * w), int((box[1] + box[3]) * h)))
    shifted = ImageChops.offset(area, 1, 0)
    return ImageStat.Stat(ImageChops.difference(area, shifted)).mean[0]


def erase_sem(client, world, **extra):
    return client.submit(f"/admin/persons/{world['sem']}/erase", {"reason": "Verzoek", "confirm": "y", **extra})


def codes(release, item, channel):
    answer = release.comms.get(f"/api/v1/media/{item}/clearance?channel={channel}").get_json()
    return {b["code"]: b["message"] for b in answer["blockers"]}


def test_by_default_items_are_kept_held_back_for_every_purpose_with_the_person_pixelated(
    release, world, app, client, login_as, outbox
):
    item = photo(release, [world["sem"], world["noah"]])
    release.decide("sem", "photo", "social_media", "grant")
    release.decide("noah", "photo", "social_media", "grant")
    export = release.export("instagram", [item]).get_json()["id"]
    posted = release.comms.post(
        "/api/v1/publications", json={"export_id": export, "media_id": item, "url": "https://instagram.com/p/x"}
    )
    assert posted.status_code == 201
    login_as("admin")
    before, small_before = picture(client, item), picture(client, item, "thumbnail")
    assert detail(before, BOX) > 5
    assert erase_sem(client, world).status_code == 302
    after, small_after = picture(client, item), picture(client, item, "thumbnail")
    assert detail(after, BOX) < detail(before, BOX) / 4  # a mosaic where Sem was
    elsewhere = [0.6, 0.6, 0.3, 0.3]
    assert abs(detail(after, elsewhere) - detail(before, elsewhere)) < 2  # the rest as it was
    assert detail(small_after, BOX) < detail(small_before, BOX) / 2  # the thumbnail made anew from it
    for channel in ("instagram", "website", "newsletter", "parent_portal", "school_guide"):
        blockers = codes(release, item, channel)
        assert "quarantined" in blockers and "gewist" in blockers["quarantined"], channel
    [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
    assert task["url"] == "https://instagram.com/p/x" and task["person_id"] is None
    [mail] = [m for m in outbox if "comms@example.org" in m.to]
    assert "1 publicatie moet offline" in mail.body and "Sem" not in mail.body
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.erased")).one()
        assert event.details["items_kept"] == 1 and event.details["takedowns_opened"] == 1
        assert "Sem" not in str(event.details) and "Vries" not in str(event.details)
        assert db.session.scalars(select(ErasureTombstone)).one().reason == "Verzoek"
    assert client.get(f"/media/{item}").status_code == 200  # Noah's photo is still there


def test_items_that_show_nobody_else_can_be_deleted(release, world, app, client, login_as):
    alone = photo(release, [world["sem"]], colour=(10, 20, 30))
    together = photo(release, [world["sem"], world["noah"]], colour=(30, 20, 10))
    with app.app_context():
        sha = db.session.get(MediaItem, alone).sha256
    login_as("admin")
    page = client.get(f"/admin/persons/{world['sem']}").get_data(as_text=True)
    assert "getagd op 2 opname(s); op 1 daarvan staat verder niemand" in page
    assert erase_sem(client, world, media="delete_alone").status_code == 302
    assert client.get(f"/media/{alone}").status_code == 404
    with app.app_context():
        assert not media_storage().exists(derivative_key(sha, "display.jpg"))
    assert client.get(f"/media/{together}").status_code == 200
    assert "quarantined" in codes(release, together, "newsletter")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.erased")).one()
        assert event.details["items_deleted"] == 1 and event.details["items_kept"] == 1


def test_a_film_is_held_back_and_its_frames_blurred_where_there_is_a_box(release, world, app, client, login_as):
    item = release.upload(film(size=(160, 120)))
    release.tag(item, [world["sem"]], complete=True)
    with app.app_context():
        media = db.session.get(MediaItem, item)
        frame = Image.effect_noise((160, 120), 80).convert("RGB")
        with media_storage().temporary_file() as handle:
            frame.save(handle, format="JPEG")
        media_storage().put(Path(handle.name), derivative_key(media.sha256, "frame_0.jpg"))
        face = Face(
            media_id=item, frame_ms=0, box_x=0.2, box_y=0.2, box_w=0.5, box_h=0.5, score=0.9, person_id=world["sem"]
        )
        db.session.add(face)
        db.session.commit()
        face_id, sha = face.id, media.sha256
    login_as("admin")
    response = erase_sem(client, world)
    assert response.status_code == 302
    flashed = client.get("/admin/persons").get_data(as_text=True)
    assert "alleen tegengehouden" in flashed or "only held back" in flashed
    assert "quarantined" in codes(release, item, "website")
    with app.app_context():
        with media_storage().open(derivative_key(sha, "frame_0.jpg")) as handle:
            after = Image.open(handle).convert("L")
            assert detail(after, [0.25, 0.25, 0.4, 0.4]) < 5
        assert db.session.get(Face, face_id).dismissed_reason.value == "not_recognisable"


def test_a_film_track_is_blurred_on_every_stored_frame_it_is_on_and_nobody_else_is(
    release, world, app, client, login_as
):
    """Sem's track runs from 0 to 1.5 s (his stills: 0 and 1500 ms); frame 1000 is stored as the
    still of Noah's track, and Sem is on it too: he is blurred there as well, Noah is not."""
    item = release.upload(film(size=(160, 120)))
    release.tag(item, [world["sem"], world["noah"]], complete=True)
    with app.app_context():
        media = db.session.get(MediaItem, item)
        for ms in (0, 1000, 1500):
            with media_storage().temporary_file() as handle:
                Image.effect_noise((160, 120), 80).convert("RGB").save(handle, format="JPEG")
            media_storage().put(Path(handle.name), derivative_key(media.sha256, f"frame_{ms}.jpg"))
        rows = [[ms, 0.05, 0.1, 0.3, 0.4] for ms in (0, 500, 1000, 1500)]
        sem = Face(media_id=item, frame_ms=0, first_ms=0, last_ms=1500, track=rows, person_id=world["sem"])
        noah = Face(media_id=item, frame_ms=1000, first_ms=1000, last_ms=1000, track=[[1000, 0.6, 0.2, 0.3, 0.4]])
        noah.person_id = world["noah"]
        for face, box in ((sem, (0.05, 0.1)), (noah, (0.6, 0.2))):
            face.box_x, face.box_y, face.box_w, face.box_h, face.score = *box, 0.3, 0.4, 0.9
        db.session.add_all([sem, noah])
        db.session.commit()
        assert [ms for ms, _box in sem.stills] == [0, 1500]
        sha = media.sha256
    login_as("admin")
    assert erase_sem(client, world).status_code == 302
    with app.app_context():
        for ms in (0, 1000, 1500):
            with media_storage().open(derivative_key(sha, f"frame_{ms}.jpg")) as handle:
                after = Image.open(handle).convert("L")
                assert detail(after, [0.1, 0.15, 0.2, 0.3]) < 5, ms  # Sem, blurred
        assert detail(after, [0.65, 0.25, 0.2, 0.3]) > 20  # Noah on frame 1500 (not blurred)
        with media_storage().open(derivative_key(sha, "frame_1000.jpg")) as handle:
            assert detail(Image.open(handle).convert("L"), [0.65, 0.25, 0.2, 0.3]) > 20  # Noah, untouched


def test_erasing_twice_or_a_foreign_id_or_a_bad_choice_changes_nothing(release, world, app, client, login_as):
    item = photo(release, [world["sem"]])
    login_as("admin")
    before = picture(client, item).tobytes()
    assert erase_sem(client, world, media="burn").status_code == 400
    assert client.submit("/admin/persons/999999/erase", {"reason": "x", "confirm": "y"}).status_code == 404
    assert picture(client, item).tobytes() == before
    assert "quarantined" not in codes(release, item, "newsletter")
    assert erase_sem(client, world).status_code == 302
    assert erase_sem(client, world).status_code == 404
    with app.app_context():
        assert len(db.session.scalars(select(ErasureTombstone)).all()) == 1

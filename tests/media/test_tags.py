"""Tagging who is shown, and the attestation that everyone is tagged."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db
from app.media.models import DismissReason, Face, MediaItem
from app.media.operations import TaggingError, TagSpec, match_faces, replace_tags, set_attestation, set_tags
from app.timestamps import utcnow


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
    assert page.count('id="tags"') == 1
    assert re.search(r"<title>Gym · \d+ \w+ \d{4} · nr\. 1 · Beeldrecht</title>", page)  # album, date, number
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


# --- The pieces of set_tags, each on its own -------------------------------------------------


@pytest.fixture
def tagging(app, item):
    """Inside a request: the uploaded photo with two detected faces (added by hand: the detector is
    tested elsewhere), and its tagger, the demo teacher of 5b."""
    with app.test_request_context():
        media = db.session.get_one(MediaItem, item)
        media.faces = [
            Face(box_x=0.1, box_y=0.1, box_w=0.2, box_h=0.3, score=0.9),
            Face(box_x=0.5, box_y=0.2, box_w=0.2, box_h=0.3, score=0.8),
        ]
        db.session.flush()
        teacher = db.session.scalar(select(User).where(User.email == "teacher@example.org"))
        yield media, teacher


def _faces(media: MediaItem) -> list[tuple[int | None, str | None]]:
    return [(f.person_id, f.dismissed_reason.value if f.dismissed_reason else None) for f in media.faces]


@pytest.mark.parametrize(
    ("specs", "code"),
    [
        (lambda w, f: [TagSpec(w["emma"])], "unknown_person"),  # another group's pupil
        (lambda w, f: [TagSpec(999999)], "unknown_person"),
        (lambda w, f: [TagSpec(w["sem"]), TagSpec(w["sem"])], "duplicate"),
        (lambda w, f: [TagSpec(w["sem"], face_ids=(f[0],)), TagSpec(w["noah"], face_ids=(f[0],))], "duplicate_face"),
        (lambda w, f: [TagSpec(w["sem"], face_ids=(999999,))], "unknown_face"),
        (lambda w, f: [TagSpec(w["sem"], box=[0.8, 0.1, 0.5, 0.2])], "bad_box"),  # sticks out on the right
        (lambda w, f: [TagSpec(w["sem"], box=[0.1, 0.1])], "bad_box"),
    ],
    ids=["foreign_pupil", "nobody", "twice", "face_twice", "foreign_face", "box_outside", "box_short"],
)
def test_replace_tags_checks_people_faces_and_boxes_before_changing_anything(tagging, world, specs, code):
    media, teacher = tagging
    with pytest.raises(TaggingError) as refused:
        replace_tags(media, specs(world, [f.id for f in media.faces]), by=teacher)
    assert refused.value.code == code
    assert media.tags == [] and _faces(media) == [(None, None), (None, None)]


def test_replace_tags_takes_a_single_faces_box_and_rewrites_nothing_when_repeated(tagging, world):
    media, teacher = tagging
    face = media.faces[0]
    specs = [TagSpec(world["sem"], face_ids=(face.id,)), TagSpec(world["noah"], box=[0.6, 0.5, 0.2, 0.2])]
    assert replace_tags(media, specs, by=teacher) is True
    db.session.flush()
    assert {t.person_id: t.box for t in media.tags} == {world["sem"]: face.box, world["noah"]: [0.6, 0.5, 0.2, 0.2]}
    assert all(t.created_by_id == teacher.id for t in media.tags)
    assert face.person_id is None  # giving the face to Sem is the next step's work
    rows = [t.id for t in media.tags]
    assert replace_tags(media, specs, by=teacher) is False
    assert [t.id for t in media.tags] == rows
    assert replace_tags(media, specs[:1], by=teacher) is True
    assert [t.person_id for t in media.tags] == [world["sem"]]


def test_a_box_on_a_sound_recording_is_refused(client, world, item, app):
    from tests.media.samples import sound

    response = client.post(
        "/media/upload",
        data={
            "csrf_token": client.csrf_token(),
            "group_id": world["5b"],
            "album_title": "Gym",
            "album_date": "2026-11-02",
            "files": [(io.BytesIO(sound()), "a.mp3")],
        },
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    with app.test_request_context():
        recording = db.session.get_one(MediaItem, response.get_json()["results"][0]["id"])
        teacher = db.session.scalar(select(User).where(User.email == "teacher@example.org"))
        with pytest.raises(TaggingError) as refused:
            replace_tags(recording, [TagSpec(world["sem"], box=[0.1, 0.1, 0.2, 0.2])], by=teacher)
        assert refused.value.code == "bad_box"
        assert replace_tags(recording, [TagSpec(world["sem"])], by=teacher) is True


def test_match_faces_gives_named_faces_and_undoes_their_dismissal(tagging, world):
    media, teacher = tagging
    first, second = media.faces
    first.dismissed_reason, first.dismissed_by_id, first.dismissed_at = DismissReason.NOT_A_FACE, teacher.id, utcnow()
    assert match_faces(media, [TagSpec(world["sem"], face_ids=(first.id,))]) is True
    assert _faces(media) == [(world["sem"], None), (None, None)]
    assert first.dismissed_by_id is None and first.dismissed_at is None
    assert not first.is_open and second.is_open
    assert match_faces(media, [TagSpec(world["sem"], face_ids=(first.id,))]) is False


def test_match_faces_keeps_a_match_while_the_person_is_tagged_and_reopens_it_after(tagging, world):
    media, _teacher = tagging
    first, second = media.faces
    second.dismissed_reason = DismissReason.NOT_RECOGNISABLE
    assert match_faces(media, [TagSpec(world["sem"], face_ids=(first.id,))]) is True
    # Sem is still tagged (the face not named again): the match stands; Noah's tag changes nothing.
    assert match_faces(media, [TagSpec(world["sem"]), TagSpec(world["noah"])]) is False
    assert _faces(media) == [(world["sem"], None), (None, "not_recognisable")]
    # Sem is untagged: the face is open again, to be given to someone else or set aside.
    assert match_faces(media, [TagSpec(world["noah"])]) is True
    assert first.is_open and _faces(media) == [(None, None), (None, "not_recognisable")]


def test_set_attestation_sets_keeps_and_clears_who_and_when(tagging, world):
    media, teacher = tagging
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    assert set_attestation(media, complete=True, by=teacher) is True
    attested = (media.tags_complete, media.tags_attested_by_id, media.tags_attested_at)
    assert attested[:2] == (True, teacher.id) and attested[2] is not None
    assert set_attestation(media, complete=True, by=admin) is False  # the first attester stays
    assert (media.tags_complete, media.tags_attested_by_id, media.tags_attested_at) == attested
    assert set_attestation(media, complete=False, by=admin) is True
    assert (media.tags_complete, media.tags_attested_by_id, media.tags_attested_at) == (False, None, None)
    assert set_attestation(media, complete=False, by=admin) is False


def test_set_tags_writes_one_audit_row_for_all_three_and_none_when_nothing_changed(tagging, world):
    media, teacher = tagging
    face = media.faces[0]

    def rows() -> list[dict]:
        statement = select(AuditEvent).where(AuditEvent.action == "media.tags_changed").order_by(AuditEvent.id)
        return [event.details for event in db.session.scalars(statement)]

    set_tags(media, [TagSpec(world["sem"], face_ids=(face.id,))], complete=True, by=teacher)
    assert rows() == [
        {"people": [world["sem"]], "faces_matched": [face.id], "complete": True, "after_attestation": False}
    ]
    assert [t.person_id for t in media.tags] == [world["sem"]] and face.person_id == world["sem"]
    assert media.tags_complete and media.open_faces == [media.faces[1]]
    set_tags(media, [TagSpec(world["sem"], box=face.box)], complete=True, by=teacher)  # the same: the match stands
    assert len(rows()) == 1
    set_tags(media, [TagSpec(world["noah"])], complete=True, by=teacher)  # after the attestation
    assert rows()[-1] == {"people": [world["noah"]], "faces_matched": [], "complete": True, "after_attestation": True}
    assert face.is_open
    set_tags(media, [TagSpec(world["noah"])], complete=False, by=teacher)  # only the attestation
    assert rows()[-1] == {"people": [world["noah"]], "faces_matched": [], "complete": False, "after_attestation": False}
    assert len(rows()) == 3

"""A blurred export of a film: where the school allows blurred exports, the face tracks of people
without consent and the tracks nobody resolved are pixelated on every frame of the film made for the
channel (boxes interpolated between the scanned frames and padded), and the evidence records which
tracks were blurred. Checked the way an attacker would: the face detector is run on every frame of
the exported film, and the blurred children's faces are measured where the film was drawn."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.media import faces as detector
from app.media.film_blur import FilmBlur
from app.media.models import Face
from app.release.models import Export
from tests.media.samples import (
    THREE_CHILDREN_SIZE,
    child_box,
    every,
    face_detail,
    face_film,
    film_frames,
    three_children_film,
)
from tests.release.helpers import Release

SIZE = THREE_CHILDREN_SIZE


def child_at(ms: int) -> tuple[str, tuple[int, int, int, int]]:
    """Who is on the frame at ``ms`` (Sem, Noah, then a third child nobody resolves) and their face."""
    return ("sem" if ms < 2000 else "noah" if ms < 4000 else "third"), child_box(ms)


@pytest.fixture
def release(app, client, runner, world, published_form, media_root):
    app.config["BLURRED_EXPORTS"] = True
    yield Release(app, client, runner, world)
    app.config["BLURRED_EXPORTS"] = False


def _tracks(release: Release, item: int) -> list[dict]:
    answer = release.comms.get(f"/api/v1/media/{item}").get_json()
    assert answer["processing_state"] == "ready", answer
    return sorted(answer["faces"], key=lambda face: face["first_ms"])


def _tag_tracks(release: Release, item: int, people: dict[int, int]) -> None:
    """Give tracks (face id: person id) to people, and confirm everyone is tagged."""
    body = {
        "tags": [{"person_id": person, "box": None, "face_ids": [face]} for face, person in people.items()],
        "complete": True,
    }
    response = release.teacher.put(f"/api/v1/media/{item}/tags", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_blurred_film_goes_out_with_the_unconsented_and_unresolved_children_pixelated_on_every_frame(
    release, app, world
):
    item = release.upload(three_children_film())
    sem_track, noah_track, third_track = _tracks(release, item)
    assert [t["first_ms"] // 2000 for t in (sem_track, noah_track, third_track)] == [0, 1, 2]
    _tag_tracks(release, item, {sem_track["id"]: world["sem"], noah_track["id"]: world["noah"]})
    release.decide("sem", "film", "website", "grant")  # Noah's parents never answered for films

    refused = release.export("website", [item])
    assert refused.status_code == 409
    blockers = {b["code"]: b for b in refused.get_json()["error"]["blockers"]}
    assert set(blockers) == {"no_consent", "face_unresolved"}
    assert blockers["no_consent"]["person_id"] == world["noah"]
    assert "0:04\N{EN DASH}0:06" in blockers["face_unresolved"]["message"]  # which child: the one on screen then

    response = release.export("website", [item], blurred=True)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    export_id = response.get_json()["id"]
    with app.app_context():
        (entry,) = db.session.get_one(Export, export_id).items
        blurred = {b["face_id"]: b for b in entry.evidence["blurred"]}
        tracks = {f.id: f.track for f in db.session.scalars(select(Face).where(Face.media_id == item))}
    assert set(blurred) == {noah_track["id"], third_track["id"]}  # Sem, with consent, is not blurred
    assert blurred[noah_track["id"]]["reason"] == "no_consent"
    assert blurred[noah_track["id"]]["person_id"] == world["noah"]
    assert blurred[third_track["id"]]["reason"] == "face_unresolved"
    for face_id, blur in blurred.items():  # the evidence keeps each blurred track whole
        assert blur["track"] == tracks[face_id]
        assert (blur["first_ms"], blur["last_ms"]) == (tracks[face_id][0][0], tracks[face_id][-1][0])

    download = release.comms.get(f"/api/v1/exports/{export_id}/download")
    assert download.status_code == 200, download.get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        [name] = archive.namelist()
        film = archive.read(name)
    download.close()
    frames = film_frames(film)
    assert len(frames) == 60  # every frame of the film went out
    hidden = FilmBlur([blur["track"] for blur in blurred.values()])
    side = max(SIZE)
    with app.app_context():
        threshold = float(app.config["FACE_DETECTION_THRESHOLD"])
    found_sem = 0
    for ms, pixels in frames:
        who, box = child_at(ms)
        found = detector.detect_faces(Image.fromarray(pixels), side, threshold)
        for face in found:  # no face is found inside a blurred track's area on any frame
            cx, cy = face.x + face.w / 2, face.y + face.h / 2
            for x, y, w, h in hidden.boxes_at(ms):
                assert not (x <= cx <= x + w and y <= cy <= y + h), (ms, face)
        if who == "sem":
            found_sem += bool(found)
            assert face_detail(pixels, box) > 0.5, ms  # untouched
        else:
            assert face_detail(pixels, box) < 0.3, (ms, who)  # pixelated where the child really is, throughout
    assert found_sem >= 15  # the detector does find faces on this film: Sem's, who has consent


def test_a_blurred_film_is_refused_where_there_is_no_track_to_blur(release, app, world):
    """Noah is tagged by name only (no face track of his), and a face found before films were
    scanned throughout has one frame, no track: neither can be pixelated on every frame."""
    item = release.upload(face_film(every(2), lambda ms: [(20, 40)], size=SIZE))
    (track,) = _tracks(release, item)
    body = {
        "tags": [
            {"person_id": world["sem"], "box": None, "face_ids": [track["id"]]},
            {"person_id": world["noah"], "box": None, "face_ids": []},
        ],
        "complete": True,
    }
    assert release.teacher.put(f"/api/v1/media/{item}/tags", json=body).status_code == 200
    release.decide("sem", "film", "website", "grant")
    refused = release.export("website", [item], blurred=True)
    assert refused.status_code == 409
    (blocker,) = refused.get_json()["error"]["blockers"]
    assert blocker["code"] == "no_consent" and "gezichtsspoor" in blocker["message"]

    with app.app_context():
        old = Face(media_id=item, frame_ms=500, box_x=0.5, box_y=0.1, box_w=0.2, box_h=0.3, score=0.9)
        db.session.add(old)
        db.session.commit()
    release.decide("noah", "film", "website", "grant")
    refused = release.export("website", [item], blurred=True)
    assert refused.status_code == 409
    (blocker,) = refused.get_json()["error"]["blockers"]
    assert blocker["code"] == "face_unresolved" and "losse beelden" in blocker["message"]


def test_the_download_is_refused_when_a_track_is_found_that_the_film_did_not_blur(release, app, world):
    """The file was made with nobody blurred; when a child's consent is withdrawn afterwards, their
    track needs blurring that the file does not have: the download stops."""
    item = release.upload(face_film(every(4), lambda ms: [(20, 40)] if ms < 2000 else [(200, 60)], size=SIZE))
    first, second = _tracks(release, item)
    _tag_tracks(release, item, {first["id"]: world["sem"], second["id"]: world["noah"]})
    release.decide("sem", "film", "website", "grant")
    release.decide("noah", "film", "website", "grant")
    response = release.export("website", [item], blurred=True)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    export_id = response.get_json()["id"]
    with app.app_context():
        assert db.session.get_one(Export, export_id).items[0].evidence["blurred"] == []  # nobody needed it

    release.decide("noah", "film", "website", "withdraw")
    refused = release.comms.get(f"/api/v1/exports/{export_id}/download")
    assert refused.status_code == 409
    assert "no_consent" in {b["code"] for b in refused.get_json()["error"]["blockers"]}

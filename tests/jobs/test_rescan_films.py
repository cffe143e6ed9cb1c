"""Films processed before films were scanned throughout had their faces looked for on six sampled
frames: a child who walked through between two samples was never seen. Such a film is blocked
(``rescan_needed``) until ``flask media rescan-films --apply`` has it scanned again; what staff
resolved on the old frames is carried over to the new tracks that cover the same faces, and a face
the samples missed is a new track to resolve."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.jobs import queue
from app.media.ingest import media_storage
from app.media.models import DismissReason, Face, MediaItem
from app.media.rescans import carry_over
from app.media.storage import derivative_key
from tests.media.samples import every, face_film
from tests.release.helpers import Release

# Sem on the left for the whole film; someone on the right from 2.0 s to 2.4 s only, between the
# old sample points (0.5, 1.5, 2.5, ... s of a 6 s film).
FILM = face_film(every(6), lambda ms: [(10, 40)] + ([(160, 50)] if 2000 <= ms < 2400 else []))


@pytest.fixture
def release(app, client, runner, world, published_form, media_root):
    return Release(app, client, runner, world)


def _as_sampled_the_old_way(app, item_id: int) -> int:
    """Turn the freshly scanned film back into what the old job left: one face per sampled frame
    (here Sem's, on the frame at 1.05 s, with its still), no tracks, and the film marked."""
    with app.app_context():
        item = db.session.get_one(MediaItem, item_id)
        sem_track = min(item.faces, key=lambda face: face.box_x)
        row = next(r for r in sem_track.track if r[0] == 1000)
        old = Face(frame_ms=1050, box_x=row[1], box_y=row[2], box_w=row[3], box_h=row[4], score=0.9)
        for name in {name for face in item.faces for name in face.still_names}:  # the dense scan's stills
            media_storage().delete(derivative_key(item.sha256, name))
        item.faces = [old]
        item.sampled_only = True
        with media_storage().temporary_file() as handle:
            handle.write(b"old still")
        media_storage().put(Path(handle.name), derivative_key(item.sha256, "frame_1050.jpg"))
        db.session.commit()
        return old.id


def _codes(release: Release, item_id: int) -> list[str]:
    answer = release.comms.get(f"/api/v1/media/{item_id}/clearance?channel=newsletter").get_json()
    return sorted(b["code"] for b in answer["blockers"])


def test_a_sampled_film_is_blocked_until_scanned_again_and_keeps_what_staff_resolved(
    release, app, runner, world, media_root, client, login_as
):
    item_id = release.upload(FILM)
    old_face = _as_sampled_the_old_way(app, item_id)
    body = {"tags": [{"person_id": world["sem"], "box": None, "face_ids": [old_face]}], "complete": True}
    assert release.teacher.put(f"/api/v1/media/{item_id}/tags", json=body).status_code == 200
    release.decide("sem", "film", "newsletter", "grant")
    assert _codes(release, item_id) == ["rescan_needed"]  # everything resolved, but on six frames only
    login_as("teacher")
    assert 'id="sampled-only"' in client.get(f"/media/{item_id}").get_data(as_text=True)
    refused = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item_id]})
    assert refused.status_code == 409
    assert "flask media rescan-films" in refused.get_json()["error"]["blockers"][0]["message"]

    listed = runner.invoke(args=["media", "rescan-films"])
    assert listed.exit_code == 0 and f"film {item_id}:" in listed.output and "1 films to scan again" in listed.output
    assert _codes(release, item_id) == ["rescan_needed"]  # listing changes nothing

    done = runner.invoke(args=["media", "rescan-films", "--apply"])  # jobs run at the commit in tests
    assert done.exit_code == 0 and "1 films queued" in done.output, done.output
    with app.app_context():
        item = db.session.get_one(MediaItem, item_id)
        assert not item.sampled_only
        faces = sorted(item.faces, key=lambda face: face.box_x)
        assert [f.track is not None for f in faces] == [True, True]
        sem, walker = faces
        assert sem.person_id == world["sem"] and (sem.first_ms, sem.last_ms) == (0, 5800)  # carried over
        assert walker.is_open and 2000 <= walker.first_ms <= walker.last_ms < 2400  # missed by the samples
        assert not (media_root / derivative_key(item.sha256, "frame_1050.jpg")).exists()  # the old still went
        assert all((media_root / derivative_key(item.sha256, name)).exists() for name in item.derivative_names())
        rescanned = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "media.rescanned")).one()
        assert rescanned.details["carried_over"] == 1 and rescanned.details["tracks"] == 2
    assert _codes(release, item_id) == ["face_unresolved"]  # the child between the samples
    assert 'id="sampled-only"' not in client.get(f"/media/{item_id}").get_data(as_text=True)
    again = runner.invoke(args=["media", "rescan-films", "--apply"])
    assert "0 films queued" in again.output  # nothing left to scan again


def test_a_resolution_goes_to_one_track_and_conflicting_ones_leave_it_open(app):
    """Pure: two old faces on one track with different resolutions leave it open; an old face that
    overlaps no track carries nothing."""
    track = Face(frame_ms=0, track=[[0, 0.1, 0.1, 0.2, 0.2], [250, 0.12, 0.1, 0.2, 0.2]])
    other = Face(frame_ms=0, track=[[0, 0.6, 0.1, 0.2, 0.2]])
    sem = Face(frame_ms=10, box_x=0.1, box_y=0.1, box_w=0.2, box_h=0.2, person_id=7)
    dismissed = Face(frame_ms=240, box_x=0.12, box_y=0.1, box_w=0.2, box_h=0.2)
    dismissed.dismissed_reason = DismissReason.NOT_A_FACE
    elsewhere = Face(frame_ms=0, box_x=0.4, box_y=0.7, box_w=0.1, box_h=0.1, person_id=8)
    assert carry_over([sem, dismissed, elsewhere], [track, other]) == 0
    assert track.is_open and other.is_open
    assert carry_over([sem, elsewhere], [track, other]) == 1
    assert track.person_id == 7 and other.is_open


def test_while_a_film_is_scanned_again_its_files_are_still_its_own(release, app, runner, held_jobs):
    """Until its job has run, the film keeps the files of its last processing: ``fsck`` does not
    call them orphans (``--repair`` would delete them)."""
    item_id = release.upload(FILM)
    with app.app_context():
        queue.run(held_jobs.pop())  # the upload's own processing
    _as_sampled_the_old_way(app, item_id)
    assert "1 films queued" in runner.invoke(args=["media", "rescan-films", "--apply"]).output
    assert len(held_jobs) == 1
    with app.app_context():
        assert db.session.get_one(MediaItem, item_id).processing_state.value == "processing"
    checked = runner.invoke(args=["media", "fsck", "--grace-minutes", "0"])
    assert checked.exit_code == 0 and "orphan file:" not in checked.output, checked.output

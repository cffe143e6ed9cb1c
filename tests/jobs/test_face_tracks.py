"""Films are scanned densely for faces (``FILM_DETECTION_FPS`` frames a second, chosen by their
timestamps), and the faces on consecutive frames are linked into tracks: a track is one face to
resolve, shown on the item page as a strip of stills with its first and last second. Films that
cannot be scanned end refused with their reason, and a job run again starts clean."""

from __future__ import annotations

import io
import re
import struct

import av
import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import queue
from app.media import faces as detector
from app.media.models import Face, MediaItem, ProcessingState
from app.media.storage import derivative_key, original_key
from tests.media.samples import every, face_film
from tests.release.helpers import Release


@pytest.fixture
def release(app, client, runner, world, media_root):
    return Release(app, client, runner, world)


def _faces(release: Release, item_id: int) -> list[dict]:
    answer = release.comms.get(f"/api/v1/media/{item_id}").get_json()
    assert answer["processing_state"] == "ready", answer
    return answer["faces"]


def _item(app, item_id: int) -> MediaItem:
    with app.app_context():
        item = db.session.get_one(MediaItem, item_id)
        item.faces  # noqa: B018 - loaded before the session goes
        db.session.expunge_all()
        return item


def _stored_frames(media_root, sha256: str) -> list[str]:
    folder = (media_root / derivative_key(sha256, "x")).parent
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("frame_"))


def test_a_face_seen_only_between_the_old_sample_points_is_found(app, release):
    """Six samples of a six-second film were at 0.5, 1.5, ... 5.5 s; this face is there from 2.0 s
    to 2.4 s only. At four frames a second it is found, and it blocks the item until resolved."""
    item_id = release.upload(face_film(every(6), lambda ms: [(90, 50)] if 2000 <= ms < 2400 else []))
    (face,) = _faces(release, item_id)
    assert 2000 <= face["first_ms"] <= face["frame_ms"] <= face["last_ms"] < 2400
    release.tag(item_id, [], complete=True)
    blockers = release.comms.get(f"/api/v1/media/{item_id}/clearance?channel=newsletter").get_json()["blockers"]
    assert [b["code"] for b in blockers] == ["face_unresolved"]


def test_one_person_moving_across_the_film_is_one_track_resolved_once(
    app, client, release, world, media_root, login_as
):
    moving = face_film(every(3), lambda ms: [(10 + ms * 140 // 3000, 40)], face_width=70)  # left to right
    item_id = release.upload(moving)
    (face,) = _faces(release, item_id)
    assert (face["first_ms"], face["last_ms"]) == (0, 2800)  # the first frame of each quarter second
    item = _item(app, item_id)
    (row,) = item.faces
    assert [r[0] for r in row.track] == [0, 300, 500, 800, 1000, 1300, 1500, 1800, 2000, 2300, 2500, 2800]
    xs = [r[1] for r in row.track]
    assert xs == sorted(xs) and xs[-1] - xs[0] > 0.5  # it moved across, and it is one track
    assert all(round(v, 4) == v for r in row.track for v in r[1:])
    stills = [ms for ms, _box in row.stills]
    assert stills[0] == 0 and stills[-1] == 2800 and len(stills) in (2, 3) and row.frame_ms in stills
    assert _stored_frames(media_root, item.sha256) == sorted(f"frame_{ms}.jpg" for ms in stills)  # nothing else

    login_as("teacher")
    page = client.get(f"/media/{item_id}").get_data(as_text=True)
    crops = re.findall(rf'src="(/media/{item_id}/faces/{row.id}\.jpg\?at=\d+)"', page)
    assert len(crops) == len(stills)
    assert (
        "0:00\u20130:03" in page and 'data-seek="0.0"' in page and "tracks.js" in page and 'id="track-timeline"' in page
    )
    for url in crops:
        picture = client.get(url)
        assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
    for other in ("1", "abc", "-0", "²"):  # not one of its stills
        assert client.get(f"/media/{item_id}/faces/{row.id}.jpg?at={other}").status_code == 404

    assert client.submit(f"/media/{item_id}", {f"face_{row.id}": world["sem"], "complete": "y"}).status_code == 302
    (face,) = _faces(release, item_id)
    assert face["status"] == "tagged" and face["person_id"] == world["sem"]
    blockers = release.comms.get(f"/api/v1/media/{item_id}/clearance?channel=newsletter").get_json()["blockers"]
    assert "face_unresolved" not in {b["code"] for b in blockers}


def test_two_people_at_once_are_two_tracks(app, release):
    item_id = release.upload(face_film(every(2), lambda ms: [(10, 40), (160, 50)]))
    faces = _faces(release, item_id)
    assert len(faces) == 2
    assert all((f["first_ms"], f["last_ms"]) == (0, 1800) for f in faces)


def test_a_variable_frame_rate_film_is_scanned_by_its_timestamps(app, release):
    """The stream says 30 frames a second; the phone sent frames when the picture changed. The face
    is shown from 1.5 s on, with no frame at all between 1.54 s and 2.6 s: still one track."""
    times = [0, 30, 200, 210, 900, 1500, 1520, 1540, 2600, 2700]
    item_id = release.upload(face_film(times, lambda ms: [(90, 50)] if ms >= 1500 else [], rate=30))
    (face,) = _faces(release, item_id)
    assert (face["first_ms"], face["last_ms"]) == (1500, 2600)
    assert 2.6 < _item(app, item_id).duration_seconds < 3


def test_a_portrait_phone_film_is_searched_upright(app, release, media_root):
    """Stored as landscape frames with a display matrix of -90 degrees: the face is at the top of
    the upright picture, and that is where its box and its stills are."""
    identity = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    quarter = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    data = face_film(every(1), lambda ms: [(60, 20)], size=(180, 240), turn=Image.Transpose.ROTATE_90)
    at = data.rfind(identity)  # the track header's matrix
    item_id = release.upload(data[:at] + quarter + data[at + len(identity) :])
    (face,) = _faces(release, item_id)
    x, y, w, h = face["box"]
    assert 0.3 < x + w / 2 < 0.6 and y + h / 2 < 0.35  # upright: centred, near the top
    item = _item(app, item_id)
    assert (item.width, item.height) == (180, 240)
    with Image.open(media_root / derivative_key(item.sha256, f"frame_{face['frame_ms']}.jpg")) as still:
        assert still.size == (180, 240)


def _lying_webm(real_seconds: int, claimed_ms: float) -> bytes:
    """A WebM film whose header claims ``claimed_ms`` milliseconds (its Segment Info Duration)."""
    data = face_film(every(real_seconds), lambda ms: [(90, 50)], fmt="webm", codec="libvpx")
    at = data.find(bytes.fromhex("448988"))  # the Duration element: an 8-byte float
    lying = data[: at + 3] + struct.pack(">d", claimed_ms) + data[at + 11 :]
    with av.open(io.BytesIO(lying), format="matroska") as container:
        assert container.duration == claimed_ms * 1000
    return lying


def test_a_film_longer_than_its_header_says_is_refused_when_it_runs_past_the_limit(app, release, monkeypatch):
    monkeypatch.setitem(app.config, "FILM_MAX_SECONDS", 2)
    item_id = release.upload(_lying_webm(real_seconds=3, claimed_ms=500.0))  # the probe believes 0.5 s
    item = _item(app, item_id)
    assert (item.processing_state, item.processing_note, item.faces) == (ProcessingState.REFUSED, "too_long", [])
    blockers = release.comms.get(f"/api/v1/media/{item_id}/clearance?channel=newsletter").get_json()["blockers"]
    assert [b["code"] for b in blockers] == ["refused", "tags_incomplete"]


def test_a_film_shorter_than_its_header_says_is_scanned_to_its_real_end(app, release):
    item_id = release.upload(_lying_webm(real_seconds=2, claimed_ms=600_000.0))  # claims ten minutes
    (face,) = _faces(release, item_id)
    assert (face["first_ms"], face["last_ms"]) == (0, 1800)
    assert 1.8 <= _item(app, item_id).duration_seconds <= 2.1  # the length the scan measured


def test_a_film_without_a_picture_is_refused_by_the_job_with_its_reason(
    app, client, release, media_root, held_jobs, login_as
):
    item_id = release.upload(face_film(every(1), lambda ms: []))
    sound_only = io.BytesIO()
    with av.open(sound_only, mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=22050)
        stream.layout = "mono"
        for n in range(20):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            frame.planes[0].update(bytes(4096))
            frame.sample_rate, frame.pts = 22050, n * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
    item = _item(app, item_id)
    (media_root / original_key(item.sha256)).write_bytes(sound_only.getvalue())  # what the job will read
    with app.app_context():
        queue.run(held_jobs[0])
    item = _item(app, item_id)
    assert (item.processing_state, item.processing_note) == (ProcessingState.REFUSED, "no_video")
    login_as("teacher")
    assert "Dit bestand bevat geen beeld" in client.get(f"/media/{item_id}").get_data(as_text=True)


def test_a_job_stopped_mid_scan_and_run_again_leaves_no_duplicates(app, release, media_root, held_jobs, monkeypatch):
    item_id = release.upload(face_film(every(3), lambda ms: [(20 + ms // 30, 40)]))
    real, calls = detector.detect_faces, []

    def stops_halfway(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:
            raise RuntimeError("the worker stopped")  # nothing this try made is committed
        return real(*args, **kwargs)

    monkeypatch.setattr(detector, "detect_faces", stops_halfway)
    with app.app_context():
        queue.run(held_jobs[0])
    item = _item(app, item_id)
    assert item.processing_state is ProcessingState.PROCESSING and item.faces == []
    assert list((media_root / "incoming").iterdir()) == []  # its stills were temporary files, gone
    assert len(held_jobs) == 2  # sent again

    monkeypatch.setattr(detector, "detect_faces", real)
    with app.app_context():
        queue.run(held_jobs[1])
    first = _item(app, item_id)
    assert first.processing_state is ProcessingState.READY and len(first.faces) == 1
    stored = _stored_frames(media_root, first.sha256)

    # Sent once more (a broker delivering twice, a sweeper that thought the worker dead): the item
    # is processed again from scratch and keeps one face, the same stills.
    with app.app_context():
        db.session.get_one(MediaItem, item_id).processing_state = ProcessingState.PROCESSING
        db.session.commit()
        from app.jobs.models import Job

        job = db.session.get_one(Job, held_jobs[1])
        from app.media.tasks import process

        process(job)
        db.session.commit()
        assert db.session.scalar(select(func.count(Face.id)).where(Face.media_id == item_id)) == 1
    again = _item(app, item_id)
    assert again.processing_state is ProcessingState.READY
    assert [(f.first_ms, f.last_ms, f.track) for f in again.faces] == [
        (f.first_ms, f.last_ms, f.track) for f in first.faces
    ]
    assert _stored_frames(media_root, again.sha256) == stored


def test_the_scan_reports_its_progress_as_it_goes(app, release, monkeypatch):
    """The scan is most of the work: the job's progress (the item page's bar) moves through it."""
    from app.media import tasks

    seen: list[int] = []
    real = tasks.report_progress

    def noted(job, percent):
        seen.append(percent)
        real(job, percent)

    monkeypatch.setattr(tasks, "report_progress", noted)
    item_id = release.upload(face_film(every(4), lambda ms: []))
    assert _item(app, item_id).processing_state is ProcessingState.READY
    assert seen == sorted(seen) and seen[-1] >= 90
    assert len([p for p in seen if 15 < p < 95]) >= 10  # sixteen scanned frames, each a step


def test_a_film_whose_clock_runs_back_is_refused(app, release):
    """One frame stamped 1.5 s late, then the clock runs back: frames chosen by time would leave a
    stretch unscanned, so the film is refused as damaged (not passed with a gap)."""
    source, out = face_film(every(2), lambda ms: [(90, 50)]), io.BytesIO()
    with av.open(io.BytesIO(source)) as film, av.open(out, "w", format="mp4") as copy:
        video = film.streams.video[0]
        stream = copy.add_stream_from_template(video)
        for n, packet in enumerate(p for p in film.demux(video) if p.dts is not None):
            if n == 10:
                packet.pts += int(1.5 / video.time_base)
            packet.stream = stream
            copy.mux(packet)
    item_id = release.upload(out.getvalue())
    item = _item(app, item_id)
    assert (item.processing_state, item.processing_note, item.faces) == (ProcessingState.REFUSED, "broken", [])

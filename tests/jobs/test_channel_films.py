"""Films and sound in an export are made anew for the channel by the export's job: H.264/AAC in MP4
with the index first (sound: AAC in .m4a), upright, no larger than the channel's export size, the
picture's bitrate capped by the channel, and no tags at all. The download waits for the job; two
exports of the same film to channels of the same size and cap encode it once; a recording that
cannot be read fails the job, shown on the export page, never a 500."""

from __future__ import annotations

import io
import struct
import zipfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import queue
from app.jobs.models import Job, JobState
from app.media import formats
from app.media.models import MediaItem
from app.media.transcode import film_for_channel
from tests.release.helpers import Release

NEWSLETTER = 4  # the seeded channels' ids: instagram, facebook, website, newsletter, ...
PHONE_TAGS = (b"loci", b"+52.0907", b"2026-05-01", b"PhoneMaker", b"Sem de Vries")
BARE_CONTAINER = {"major_brand", "minor_version", "compatible_brands"}
BARE_STREAM = {"language", "handler_name", "vendor_id"}


@pytest.fixture
def release(app, client, runner, world, published_form, media_root):
    return Release(app, client, runner, world)


def phone_film(size: tuple[int, int] = (640, 360), seconds: int = 2, noise: bool = False) -> bytes:
    """A landscape-stored film a phone turned to portrait (display matrix: a quarter clockwise),
    left half red and right half blue as stored (so upright the top is red and the bottom blue),
    with AAC sound and a phone's tags: creation time, location, device, title."""
    out = io.BytesIO()
    width, height = size
    rng = np.random.default_rng(3)
    with av.open(out, mode="w", format="mp4") as container:
        container.metadata.update(
            {
                "creation_time": "2026-05-01T10:00:00Z",
                "location": "+52.0907+005.1214/",
                "make": "PhoneMaker",
                "title": "Sem de Vries",
            }
        )
        video = container.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "10"}
        audio = container.add_stream("aac", rate=44100)
        audio.layout = "stereo"
        for n in range(seconds * 25):
            picture = np.zeros((height, width, 3), dtype=np.uint8)
            picture[:, : width // 2] = (220, 20, 20)
            picture[:, width // 2 :] = (20, 20, 220)
            if noise:
                picture[height // 4 : 3 * height // 4] = rng.integers(0, 256, (height // 2, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = n, Fraction(1, 25)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        tone = (np.sin(np.arange(seconds * 44100) * 2 * np.pi * 440 / 44100) * 0.3).astype(np.float32)
        for start in range(0, len(tone) - 1024, 1024):
            frame = av.AudioFrame.from_ndarray(
                np.stack([tone[start : start + 1024]] * 2), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = 44100, start
            container.mux(audio.encode(frame))
        container.mux(audio.encode(None))
    data = out.getvalue()
    identity = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    quarter = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    at = data.find(identity, data.find(b"tkhd"))  # the video track's header (the first track)
    return data[:at] + quarter + data[at + len(identity) :]


def top_level_boxes(data: bytes) -> list[bytes]:
    boxes, at = [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        boxes.append(kind)
        if size < 8:
            break
        at += size
    return boxes


def creation_times(data: bytes) -> list[int]:
    """The creation times in the movie, track and media headers (seconds since 1904; 0: none)."""
    times = []
    for box in (b"mvhd", b"tkhd", b"mdhd"):
        at = data.find(box)
        while at != -1:
            wide = data[at + 4] == 1
            times.append(struct.unpack(">Q" if wide else ">I", data[at + 8 : at + (16 if wide else 12)])[0])
            at = data.find(box, at + 4)
    return times


def set_newsletter(client, login_as, side: int | None, kbps: int) -> None:
    login_as("admin")
    form = {"key": "newsletter", "name": "Nieuwsbrief", "purpose": "newsletter", "enabled": "y"}
    form |= {"export_side": str(side or ""), "film_kbps": str(kbps)}
    assert client.submit(f"/release/channels/{NEWSLETTER}", form).status_code == 302
    page = client.get("/release/channels").get_data(as_text=True)
    assert f"films {kbps} kbit/s" in page
    client.submit("/sign-out")


def cleared(release: Release, data: bytes, media: str = "film", held: list[int] | None = None) -> int:
    """Uploaded, processed (its held jobs run, when jobs are held), tagged and granted."""
    item = release.upload(data)
    if held is not None:
        run_held(release.app, held)
    release.tag(item, [release.world["sem"]], complete=True)
    release.decide("sem", media, "newsletter", "grant")
    return item


def run_held(app, held: list[int]) -> list[int]:
    ran = list(held)
    held.clear()
    with app.app_context():
        for job_id in ran:
            queue.run(job_id)
    return ran


def export_job(app, export_id: int) -> Job:
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "export.bundle", Job.target_id == export_id))
        assert job is not None
        db.session.expunge(job)
        return job


def bundle_file(response) -> tuple[str, bytes]:
    assert response.status_code == 200, response.get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        [name] = archive.namelist()
        return name, archive.read(name)


def test_a_film_goes_out_upright_at_the_channels_size_without_tags_once_its_job_ran(
    release, app, client, login_as, held_jobs
):
    set_newsletter(client, login_as, side=200, kbps=400)
    source = phone_film()
    assert all(creation_times(source)) and b"loci" in source and b"Sem de Vries" in source
    item = cleared(release, source, held=held_jobs)
    response = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]})
    assert response.status_code == 201, response.get_data(as_text=True)
    export_id = response.get_json()["id"]
    assert response.get_json()["files"] == "being_made"

    waiting = release.comms.get(f"/api/v1/exports/{export_id}/download")
    assert waiting.status_code == 409 and waiting.get_json()["error"]["code"] == "bundle_pending"
    login_as("comms")
    page = client.get(f"/release/exports/{export_id}").get_data(as_text=True)
    assert 'data-status="bundle_pending"' in page and 'id="download"' not in page
    assert client.get(f"/release/exports/{export_id}/bundle.zip").status_code == 409

    assert run_held(app, held_jobs) == [export_job(app, export_id).id]
    assert export_job(app, export_id).state is JobState.DONE
    assert release.comms.get(f"/api/v1/exports/{export_id}").get_json()["files"] == "ready"
    name, data = bundle_file(client.get(f"/release/exports/{export_id}/bundle.zip"))

    assert name == f"beeldrecht-{export_id}-1.mp4"
    boxes = top_level_boxes(data)
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # faststart
    for secret in PHONE_TAGS:
        assert secret not in data
    assert set(creation_times(data)) == {0}  # no moment of recording in any header
    with av.open(io.BytesIO(data), format="mp4") as container:
        assert set(container.metadata) <= BARE_CONTAINER
        assert [s.type for s in container.streams] == ["video", "audio"]
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and video.codec_context.pix_fmt == "yuv420p"
        assert audio.codec_context.name == "aac"
        for stream in container.streams:
            assert set(stream.metadata) <= BARE_STREAM
        frame = next(container.decode(video))
        assert (frame.width, frame.height) == (112, 200)  # 640 x 360 turned upright, longest side 200
        assert not frame.rotation  # turned in the pixels, not left to the player
        picture = frame.to_ndarray(format="rgb24").astype(int)
    top, bottom = picture[10, 56], picture[190, 56]
    assert top[0] > 150 and top[2] < 100, top  # red on top: turned a quarter clockwise
    assert bottom[2] > 150 and bottom[0] < 100, bottom


def test_an_approved_film_is_made_for_its_channel_but_never_larger_than_it_is(release, app):
    item = release.upload(phone_film(size=(320, 180)))
    release.tag(item, [release.world["sem"]], complete=True)
    release.decide("sem", "film", "website", "grant")
    made = release.export("website", [item]).get_json()  # website: every export approved by leadership
    assert made["status"] == "released" and made["files"] == "ready"
    _name, data = bundle_file(release.comms.get(made["download_url"]))
    with av.open(io.BytesIO(data), format="mp4") as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (180, 320)


def test_the_channels_cap_bounds_the_films_bitrate(tmp_path):
    source, target = tmp_path / "noisy.mp4", tmp_path / "out.mp4"
    source.write_bytes(phone_film(size=(640, 360), seconds=3, noise=True))
    film_for_channel(source, target, 640, 300, media_format=formats.MP4)
    uncapped = tmp_path / "uncapped.mp4"
    film_for_channel(source, uncapped, 640, 50000, media_format=formats.MP4)
    with av.open(str(target)) as capped, av.open(str(uncapped)) as free:
        capped_bytes = sum(p.size for p in capped.demux(video=0))
        free_bytes = sum(p.size for p in free.demux(video=0))
    # 300 kbit/s for 3 s, plus what the two-second buffer may hold at the start
    assert capped_bytes <= (300_000 * 3 + 600_000) / 8 * 1.1
    assert free_bytes > 2 * capped_bytes  # the noise needs far more without the cap


def test_two_exports_of_one_film_to_the_same_kind_of_channel_encode_it_once(
    release, app, client, login_as, monkeypatch
):
    from app.media import channel_copies

    set_newsletter(client, login_as, side=240, kbps=500)
    calls: list[tuple[int | None, int]] = []
    real = channel_copies.film_for_channel

    def counted(source: Path, target: Path, max_side: int | None, max_kbps: int, **kw: object) -> None:
        calls.append((max_side, max_kbps))
        real(source, target, max_side, max_kbps, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(channel_copies, "film_for_channel", counted)
    item = cleared(release, phone_film())
    first = release.export("newsletter", [item]).get_json()
    second = release.export("newsletter", [item]).get_json()
    assert first["id"] != second["id"]
    _a, one = bundle_file(release.comms.get(first["download_url"]))
    _b, two = bundle_file(release.comms.get(second["download_url"]))
    assert one == two and calls == [(240, 500)]

    set_newsletter(client, login_as, side=240, kbps=700)  # another cap: another copy
    third = release.export("newsletter", [item]).get_json()
    _c, three = bundle_file(release.comms.get(third["download_url"]))
    assert calls == [(240, 500), (240, 700)] and three != one


def test_sound_goes_out_as_aac_without_tags(release, app):
    from tests.media.samples import sound
    from tests.media.test_recordings import tagged

    data = tagged(sound(seconds=2), "mp3")
    assert b"Karin de Vries" in data
    item = cleared(release, data, media="audio")
    made = release.export("newsletter", [item]).get_json()
    name, copy = bundle_file(release.comms.get(made["download_url"]))
    assert name == f"beeldrecht-{made['id']}-1.m4a"
    assert b"Karin de Vries" not in copy and b"Sem en Noah" not in copy
    boxes = top_level_boxes(copy)
    assert boxes.index(b"moov") < boxes.index(b"mdat")
    with av.open(io.BytesIO(copy), format="mp4") as container:
        assert set(container.metadata) <= BARE_CONTAINER
        assert [s.type for s in container.streams] == ["audio"]
        assert container.streams.audio[0].codec_context.name == "aac"
        assert set(container.streams.audio[0].metadata) <= BARE_STREAM
        assert container.duration and abs(container.duration / av.time_base - 2) < 0.3


def test_a_damaged_film_fails_its_exports_job_with_a_clear_state(release, app, client, login_as, media_root, held_jobs):
    item = cleared(release, phone_film(), held=held_jobs)
    with app.app_context():
        sha = db.session.get_one(MediaItem, item).sha256
    original = media_root / "originals" / sha[:2] / sha
    original.write_bytes(original.read_bytes()[:4096] + b"\x00" * 20000)  # damaged on disk since

    response = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]})
    assert response.status_code == 201
    export_id = response.get_json()["id"]
    run_held(app, held_jobs)
    job = export_job(app, export_id)
    assert job.state is JobState.FAILED and job.attempts == 1  # not tried again: it would fail again
    assert job.last_error.startswith("RecordingRejected") and sha not in job.last_error
    assert held_jobs == []

    assert release.comms.get(f"/api/v1/exports/{export_id}").get_json()["files"] == "failed"
    answer = release.comms.get(f"/api/v1/exports/{export_id}/download")
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "files_failed"
    login_as("comms")
    page = client.get(f"/release/exports/{export_id}").get_data(as_text=True)
    assert 'data-status="files_failed"' in page and "beschadigd" in page
    assert client.get(f"/release/exports/{export_id}/bundle.zip").status_code == 409
    assert not list(media_root.glob("channels/**/*.mp4"))
    assert not list((media_root / "incoming").iterdir())


def test_a_missing_copy_is_made_again_by_a_job_before_the_download(
    release, app, client, login_as, media_root, held_jobs
):
    item = cleared(release, phone_film(size=(320, 180)), held=held_jobs)
    response = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]})
    export_id = response.get_json()["id"]
    run_held(app, held_jobs)
    for stored in [*(media_root / "channels").rglob("*.mp4"), *(media_root / "exports").rglob("*.zip")]:
        stored.unlink()  # lost from storage; the download never encodes itself
    answer = release.comms.get(f"/api/v1/exports/{export_id}/download")
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "bundle_pending"
    assert len(run_held(app, held_jobs)) == 1
    bundle_file(release.comms.get(f"/api/v1/exports/{export_id}/download"))


def test_channel_copies_are_no_orphans_and_go_with_the_film(release, app, client, login_as, runner, media_root):
    item = cleared(release, phone_film(size=(320, 180)))
    made = release.export("newsletter", [item]).get_json()
    bundle_file(release.comms.get(made["download_url"]))
    assert [p.name for p in media_root.glob("channels/**/*") if p.is_file()] == ["film_1200_2000.mp4"]
    checked = runner.invoke(args=["media", "fsck", "--grace-minutes", "0"])
    assert checked.exit_code == 0 and "0 orphan files" in checked.output
    login_as("admin")
    assert client.submit(f"/media/{item}/delete", {}).status_code == 302
    assert not [p for p in media_root.glob("channels/**/*") if p.is_file()]

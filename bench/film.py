"""Benchmark: faces found in a film, the job's way, against a known ground truth.

A 1920 x 1080 film at 30 frames a second (default 60 s) is generated with PyAV (libx264) in a
temporary folder: scikit-image's "coffee" picture as a textured background and ``--people`` faces
from its Labeled Faces in the Wild subset (25 x 25, grey, enlarged to 80..200 pixels, the size of a
child's face in a class film) moving along paths. Only LFW faces that the photo detector
(``app.media.faces`` with the application's settings) finds on a still at both 80 and 200 pixels
are used (printed: how many of the 100 it finds at each size); the bench measures the film path
(scanning, linking), not the detector's recall, which ``bench/faces.py`` measures. The people:
some stay and wander, some walk in at one edge and out at the other, two walk towards each other
and cross (the later one in front), some appear and go again between the old sample points (the
old job looked at 6 frames, at 1/12, 3/12, ... 11/12 of the length), one comes closer (80 to 200
pixels) and one goes away for 3 s and comes back. The ground truth is each person's box per frame;
a face counts as visible on a frame when at least 60% of it is in the picture and not covered by
someone in front. A person's ground-truth tracks are their visible stretches (gaps up to 1 s
joined, as the application's linker does).

The job itself runs on it, in a child process: a Flask app (testing settings, jobs eager) on SQLite
in the temporary folder with the demo school, the film taken in with ``ingest_upload`` and its
``film.process`` job run at the commit, as in the tests. Before the measured upload the child takes
in the demo photos and a short 1080p face film (the detector and PyAV loaded, as on a worker that
has done some work); then its peak RSS is reset (``/proc/self/clear_refs``) and read back
(``VmHWM``) after the job. The Face rows (tracks, ``[ms, x, y, w, h]`` rows) are read back and
compared with the ground truth, a detected box matching a face at IoU >= 0.3 or when either box's
centre is inside the other:

- recall per ground-truth track: found when any of its frames is matched by a detected track's box
  at that millisecond (goal >= 0.98);
- the longest stretch a face is visible without a detected track over it (a track's box
  interpolated between its rows, held one scan interval past its ends) (goal < 1 s);
- detected tracks per real person (each track belongs to the person most of its boxes match)
  (goal <= 1.5), false tracks (matching nobody), and tracks that switch from one person to another
  (where two faces cross: the linker knows positions and sizes, not directions);
- detection time per minute of film: wall time of the job's scan (``_track_faces``: decoding,
  detection, linking, stills), median of ``--runs``, with the job's total and the detector's share;
- the job's peak memory above its resting size (goal <= 300 MB).

Re-encoding is measured by ``bench/film_encode.py``. Linux only (``/proc``). Takes several
minutes: the detector costs about half a second a scanned frame on a small machine.

    python bench/film.py --seconds 60 --people 10 --fps 4 --runs 1 [--side 1440] [--seed 12] [--keep FOLDER]

``--fps`` and ``--side`` set the job's ``FILM_DETECTION_FPS`` and ``FILM_DETECTION_SIDE`` (default:
the application's); ``--keep`` keeps the film and the job's tracks (JSON) for a closer look.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, RATE = 1920, 1080, 30
SMALL, LARGE = 80, 200  # face sizes in pixels
SIZES = (SMALL, 140, LARGE)
SURE = 0.5  # the detector's score a face must have on a still at every size to be used
VISIBLE = 0.6  # the share of a face that must be in the picture and uncovered to count as visible
JOIN_MS = 1000  # a person's visible stretches closer than this are one ground-truth track
Box = tuple[float, float, float, float]


# --- the scene -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """A stretch of a person's path: from ``start`` to ``end`` (top left corners, pixels) between
    ``t0`` and ``t1`` seconds, the face growing from ``size0`` to ``size1`` pixels."""

    t0: float
    t1: float
    start: tuple[float, float]
    end: tuple[float, float]
    size0: float
    size1: float


@dataclass(frozen=True)
class Person:
    face: int  # index into the usable LFW faces
    role: str
    legs: tuple[Leg, ...]

    def box(self, t: float) -> Box | None:
        """Where the face is at ``t`` seconds (possibly partly outside the picture), or None."""
        for leg in self.legs:
            if leg.t0 <= t < leg.t1:
                a = (t - leg.t0) / (leg.t1 - leg.t0)
                size = leg.size0 + a * (leg.size1 - leg.size0)
                x = leg.start[0] + a * (leg.end[0] - leg.start[0])
                y = leg.start[1] + a * (leg.end[1] - leg.start[1])
                return (x, y, size, size)
        return None


def old_sample_points(seconds: float) -> list[float]:
    return [(2 * k + 1) * seconds / 12 for k in range(6)]


def scene(people: int, seconds: float, seed: int = 12) -> list[Person]:
    """``people`` people in roles that cycle through the cases a film scan must handle."""
    rng = np.random.default_rng(seed)
    roles = ["stayer", "walker", "cross", "cross", "between", "closer", "returner", "walker", "between", "stayer"]
    olds = old_sample_points(seconds)
    cast: list[Person] = []
    row, cast_cross = 0, (seconds / 2, HEIGHT / 2.0, 120.0)
    for n in range(people):
        role = roles[n % len(roles)]
        size = float(rng.uniform(SMALL + 10, 170))
        y = float(rng.uniform(60, HEIGHT - size - 60))
        legs: list[Leg] = []
        if role == "stayer":  # there most of the film, wandering slowly in four legs
            t = float(rng.uniform(0, seconds * 0.1))
            end_t = seconds - float(rng.uniform(0, seconds * 0.1))
            here = (float(rng.uniform(0, WIDTH - size)), y)
            for k in range(4):
                t1 = t + (end_t - t) / (4 - k)
                there = (float(np.clip(here[0] + rng.uniform(-300, 300), 0, WIDTH - size)), here[1])
                legs.append(Leg(t, t1, here, there, size, size))
                t, here = t1, there
        elif role == "walker":  # in at one edge, out at the other, 120..300 pixels a second
            speed = float(rng.uniform(120, 300))
            duration = (WIDTH + size) / speed
            t0 = float(rng.uniform(0, max(0.1, seconds - duration)))
            left_to_right = bool(rng.integers(0, 2))
            xs = (-size, float(WIDTH)) if left_to_right else (float(WIDTH), -size)
            legs.append(Leg(t0, t0 + duration, (xs[0], y), (xs[1], y + rng.uniform(-100, 100)), size, size))
        elif role == "cross":  # two people on one row walking towards each other, crossing mid-picture
            if row == 0:
                row = 1
                cast_cross = (float(rng.uniform(seconds * 0.3, seconds * 0.7)), y, size)
            else:
                row = 0
            cross_t, cross_y, cross_size = cast_cross
            speed = 200.0
            half = (WIDTH / 2 + cross_size) / speed
            centre = WIDTH / 2 - cross_size / 2
            if row == 1:  # left to right
                legs.append(
                    Leg(
                        cross_t - half,
                        cross_t + half,
                        (centre - speed * half, cross_y),
                        (centre + speed * half, cross_y),
                        cross_size,
                        cross_size,
                    )
                )
            else:  # right to left, a little lower and larger (nearer the camera)
                s = cross_size * 1.15
                legs.append(
                    Leg(
                        cross_t - half,
                        cross_t + half,
                        (centre + speed * half, cross_y + 20),
                        (centre - speed * half, cross_y + 20),
                        s,
                        s,
                    )
                )
        elif role == "between":  # shows up between two old sample points, for 1.5..4 s, and goes
            k = int(rng.integers(0, len(olds) - 1))
            t0 = olds[k] + float(rng.uniform(0.5, 3))
            t1 = min(olds[k + 1] - 0.5, t0 + float(rng.uniform(1.5, 4)))
            x = float(rng.uniform(0, WIDTH - size - 200))
            legs.append(Leg(t0, t1, (x, y), (x + rng.uniform(-150, 150), y + rng.uniform(-60, 60)), size, size))
        elif role == "closer":  # comes towards the camera: 80 to 200 pixels over 8 s
            t0 = float(rng.uniform(0, max(0.1, seconds - 10)))
            x = float(rng.uniform(200, WIDTH - LARGE - 200))
            legs.append(Leg(t0, t0 + 8, (x, y), (x - 60, min(y, HEIGHT - LARGE - 10)), SMALL, LARGE))
        elif role == "returner":  # there, gone for 3 s (turned away, behind a door), back nearby
            t0 = float(rng.uniform(0, max(0.1, seconds - 14)))
            x = float(rng.uniform(0, WIDTH - size - 300))
            legs.append(Leg(t0, t0 + 5, (x, y), (x + 150, y), size, size))
            legs.append(Leg(t0 + 8, t0 + 13, (x + 150, y), (x + 300, y), size, size))
        cast.append(Person(n, role, tuple(clipped for g in legs if (clipped := _within(g, seconds)) is not None)))
    return cast


def _within(leg: Leg, seconds: float) -> Leg | None:
    """The part of ``leg`` within the film (its path and size cut at the same moments)."""
    t0, t1 = max(0.0, leg.t0), min(seconds, leg.t1)
    if t1 <= t0:
        return None

    def at(t: float) -> tuple[tuple[float, float], float]:
        a = (t - leg.t0) / (leg.t1 - leg.t0)
        x = leg.start[0] + a * (leg.end[0] - leg.start[0])
        y = leg.start[1] + a * (leg.end[1] - leg.start[1])
        return (x, y), leg.size0 + a * (leg.size1 - leg.size0)

    (start, size0), (end, size1) = at(t0), at(t1)
    return Leg(t0, t1, start, end, size0, size1)


def _inside(box: Box) -> Box | None:
    x, y, w, h = box
    left, top, right, bottom = max(0.0, x), max(0.0, y), min(float(WIDTH), x + w), min(float(HEIGHT), y + h)
    return (left, top, right - left, bottom - top) if right > left and bottom > top else None


def truth(cast: list[Person], frame: int) -> dict[int, Box]:
    """The faces visible on ``frame``: person -> box in the picture (clipped to it)."""
    t = frame / RATE
    boxes = [p.box(t) for p in cast]
    grid = (np.arange(10) + 0.5) / 10
    visible: dict[int, Box] = {}
    for n, box in enumerate(boxes):
        if box is None:
            continue
        x, y, w, h = box
        px = (x + grid * w)[None, :].repeat(10, 0)
        py = (y + grid * h)[:, None].repeat(10, 1)
        seen = (px >= 0) & (px < WIDTH) & (py >= 0) & (py < HEIGHT)
        for front in boxes[n + 1 :]:  # pasted later: in front
            if front is not None:
                fx, fy, fw, fh = front
                seen &= ~((px >= fx) & (px < fx + fw) & (py >= fy) & (py < fy + fh))
        clipped = _inside(box)
        if seen.mean() >= VISIBLE and clipped is not None:
            visible[n] = clipped
    return visible


# --- faces and film -------------------------------------------------------------------------


def background() -> Image.Image:
    import skimage.data

    picture = Image.fromarray(skimage.data.coffee()).convert("RGB")
    return picture.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)


def lfw_faces() -> list[Image.Image]:
    import skimage.data

    crops = (skimage.data.lfw_subset()[:100] * 255).astype(np.uint8)
    return [Image.fromarray(c).convert("RGB") for c in crops]


def usable_faces(faces: list[Image.Image], back: Image.Image) -> tuple[list[int], dict[int, int]]:
    """The LFW faces the photo detector finds surely (score >= SURE, the application's threshold
    being lower) on a still at each of SIZES pixels (pasted ten at a time on the background), and
    how many it finds at all at each size."""
    from app.media.faces import detect_faces
    from config import Config
    from tests.media.group_photos import iou

    side, threshold = int(Config.FACE_DETECTION_SIDE), float(Config.FACE_DETECTION_THRESHOLD)
    found: dict[int, set[int]] = {}
    sure = set(range(len(faces)))
    for size in SIZES:
        found[size], sure_here = set(), set()
        for first in range(0, len(faces), 10):
            still = back.copy()
            spots: dict[int, Box] = {}
            for k, n in enumerate(range(first, min(first + 10, len(faces)))):
                x = 60 + (k % 5) * (WIDTH - 120 - size) // 4
                y = 150 + (k // 5) * (HEIGHT - 300 - size)
                still.paste(faces[n].resize((size, size), Image.Resampling.BICUBIC), (x, y))
                spots[n] = (x, y, size, size)
            boxes = [
                ((f.x * WIDTH, f.y * HEIGHT, f.w * WIDTH, f.h * HEIGHT), f.score)
                for f in detect_faces(still, side, threshold)
            ]
            for n, spot in spots.items():
                scores = [score for box, score in boxes if iou(box, spot) >= 0.3]
                if scores:
                    found[size].add(n)
                if scores and max(scores) >= SURE:
                    sure_here.add(n)
        sure &= sure_here
    return sorted(sure), {size: len(hits) for size, hits in found.items()}


def make_film(path: Path, cast: list[Person], faces: list[Image.Image], seconds: float) -> None:
    import av

    back = background()
    tiles: dict[tuple[int, int], Image.Image] = {}
    with av.open(str(path), mode="w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=RATE, options={"preset": "veryfast", "crf": "20"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for frame in range(round(seconds * RATE)):
            picture = back.copy()
            for person in cast:
                box = person.box(frame / RATE)
                if box is None:
                    continue
                size = max(1, round(box[2]))
                tile = tiles.get((person.face, size))
                if tile is None:
                    tile = tiles[(person.face, size)] = faces[person.face].resize(
                        (size, size), Image.Resampling.BICUBIC
                    )
                picture.paste(tile, (round(box[0]), round(box[1])))
            for packet in stream.encode(av.VideoFrame.from_image(picture)):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)


# --- the job, in a child process ------------------------------------------------------------


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def child(folder: Path, film: Path, warm_up: Path, fps: float, side: int, out: Path) -> None:
    """Take the film in as the application does and run its job; write what it found and cost."""
    import io
    from datetime import date

    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.core.demo import load_demo_data
    from app.extensions import db
    from app.media import faces, ingest
    from app.media.models import Album, MediaItem
    from app.school.models import Group

    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "MEDIA_ROOT": str(folder / "media"),
            "SERVER_NAME": None,
            "FILM_DETECTION_FPS": fps,
            **({"FILM_DETECTION_SIDE": side} if side else {}),
        },
    )
    app.instance_path = str(folder / "instance")
    timings = {"scan": 0.0, "detector": 0.0}
    scan, detect = ingest._track_faces, faces.detect_faces

    def timed_scan(*args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        try:
            scan(*args, **kwargs)
        finally:
            timings["scan"] += time.perf_counter() - start

    def timed_detect(*args: Any, **kwargs: Any) -> list[faces.FaceBox]:
        start = time.perf_counter()
        try:
            return detect(*args, **kwargs)
        finally:
            timings["detector"] += time.perf_counter() - start

    ingest._track_faces = timed_scan  # type: ignore[assignment]
    faces.detect_faces = timed_detect  # type: ignore[assignment]

    def take_in(path: Path, title: str) -> tuple[int, float, float]:
        with app.app_context():
            group = db.session.scalars(select(Group).order_by(Group.id)).first()
            assert group is not None
            album = Album(group_id=group.id, title=title, taken_on=date(2026, 12, 2))
            db.session.add(album)
            db.session.commit()
            start = time.perf_counter()
            item = ingest.ingest_upload(io.BytesIO(path.read_bytes()), album=album, uploaded_by=None).item
            probed = time.perf_counter()
            item_id = item.id
            db.session.commit()  # the job runs here (eager, as in the tests)
            return item_id, probed - start, time.perf_counter() - probed

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_demo_data()
        db.session.commit()
    take_in(warm_up, "Warm-up")
    timings.update(scan=0.0, detector=0.0)
    Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from the current size
    resting = _kib("VmRSS")
    item_id, upload_s, job_s = take_in(film, "Film")
    peak = _kib("VmHWM")
    with app.app_context():
        item = db.session.get_one(MediaItem, item_id)
        tracks = [{"first_ms": f.first_ms, "last_ms": f.last_ms, "track": f.track} for f in item.faces]
        state, note, duration = item.processing_state.value, item.processing_note, item.duration_seconds
    out.write_text(
        json.dumps(
            {
                "state": state,
                "side": int(app.config["FILM_DETECTION_SIDE"]),
                "threshold": float(app.config["FACE_DETECTION_THRESHOLD"]),
                "note": note,
                "duration": duration,
                "tracks": tracks,
                "upload_s": upload_s,
                "job_s": job_s,
                "scan_s": timings["scan"],
                "detector_s": timings["detector"],
                "resting_kib": resting,
                "peak_kib": peak,
            }
        )
    )


# --- scoring --------------------------------------------------------------------------------


def matches(found: Box, face: Box) -> bool:
    from tests.media.group_photos import iou

    if iou(found, face) >= 0.3:
        return True
    for (ax, ay, aw, ah), (bx, by, bw, bh) in ((found, face), (face, found)):
        cx, cy = ax + aw / 2, ay + ah / 2
        if bx <= cx <= bx + bw and by <= cy <= by + bh:
            return True
    return False


class DetectedTrack:
    def __init__(self, rows: list[list[float]]) -> None:
        self.rows = sorted(rows)
        self.ms = [r[0] for r in self.rows]

    def box_at(self, ms: float, hold: float) -> Box | None:
        """Its box at ``ms`` in pixels: interpolated between its rows, held ``hold`` ms past its ends."""
        if ms < self.ms[0] - hold or ms > self.ms[-1] + hold:
            return None
        i = bisect.bisect_right(self.ms, ms)
        if i == 0:
            row = self.rows[0][1:]
        elif i == len(self.rows):
            row = self.rows[-1][1:]
        else:
            (m0, *a), (m1, *b) = self.rows[i - 1], self.rows[i]
            k = (ms - m0) / (m1 - m0) if m1 > m0 else 0.0
            row = [u + k * (v - u) for u, v in zip(a, b, strict=True)]
        x, y, w, h = row
        return (x * WIDTH, y * HEIGHT, w * WIDTH, h * HEIGHT)


def _rows_of(track: DetectedTrack, n: int, cast: list[Person], frames: int) -> list[float]:
    """The ms of the track's rows that match person ``n`` (for ordering who it follows)."""
    found = []
    for ms, *row in track.rows:
        f = round(ms * RATE / 1000)
        face = truth(cast, f).get(n) if f < frames else None
        if face is not None and matches((row[0] * WIDTH, row[1] * HEIGHT, row[2] * WIDTH, row[3] * HEIGHT), face):
            found.append(ms)
    return found or [math.inf]


@dataclass
class Score:
    truth_tracks: int
    found_tracks: int
    missed: list[str]
    longest_gap_s: float
    longest_gap_at: str
    people: int
    tracks_of_people: int
    false_tracks: int
    split_people: list[str]
    switched: list[str]


def score(cast: list[Person], frames: int, detected: list[DetectedTrack], fps: float) -> Score:
    hold = 1000 / fps
    visible = [truth(cast, f) for f in range(frames)]
    # Ground-truth tracks: each person's visible frames, gaps up to JOIN_MS joined.
    truth_tracks: list[tuple[int, list[int]]] = []
    for n in range(len(cast)):
        seen = [f for f in range(frames) if n in visible[f]]
        for f in seen:
            if truth_tracks and truth_tracks[-1][0] == n and (f - truth_tracks[-1][1][-1]) * 1000 / RATE <= JOIN_MS:
                truth_tracks[-1][1].append(f)
            else:
                truth_tracks.append((n, [f]))
    # Each detected row against the faces visible on its frame.
    owner_votes: list[dict[int, int]] = []
    sole_votes: list[dict[int, int]] = []  # rows matching one person only: who a track follows
    hit_frames: set[tuple[int, int]] = set()  # (person, frame) matched by some detected row
    for track in detected:
        votes: dict[int, int] = {}
        sole: dict[int, int] = {}
        for ms, *row in track.rows:
            f = round(ms * RATE / 1000)
            box = (row[0] * WIDTH, row[1] * HEIGHT, row[2] * WIDTH, row[3] * HEIGHT)
            matched = [n for n, face in (visible[f].items() if f < frames else ()) if matches(box, face)]
            for n in matched:
                votes[n] = votes.get(n, 0) + 1
                hit_frames.add((n, f))
            if len(matched) == 1:
                sole[matched[0]] = sole.get(matched[0], 0) + 1
        owner_votes.append(votes)
        sole_votes.append(sole)
    found = 0
    missed = []
    for n, track_frames in truth_tracks:
        if any((n, f) in hit_frames for f in track_frames):
            found += 1
        else:
            missed.append(f"{cast[n].role} #{n} at {track_frames[0] / RATE:.1f}-{track_frames[-1] / RATE:.1f} s")
    # The longest stretch a visible face has no detected track over it.
    longest, longest_at = 0, "-"
    for n in range(len(cast)):
        run = 0
        for f in range(frames + 1):
            face = visible[f].get(n) if f < frames else None
            covered = face is None or any(
                (box := t.box_at(f * 1000 / RATE, hold)) is not None and matches(box, face) for t in detected
            )
            if face is not None and not covered:
                run += 1
            else:
                if run > longest:
                    longest, longest_at = run, f"{cast[n].role} #{n} until {f / RATE:.1f} s"
                run = 0
    owners = [max(votes, key=votes.__getitem__) if votes else None for votes in owner_votes]
    people = {n for n, _ in truth_tracks}
    per_person = {n: sum(1 for o in owners if o == n) for n in people}
    split = [
        f"{cast[n].role} #{n} "
        + ", ".join(
            f"{t.ms[0] / 1000:.1f}-{t.ms[-1] / 1000:.1f} s" for t, o in zip(detected, owners, strict=True) if o == n
        )
        for n in sorted(people)
        if per_person[n] > 1
    ]
    switched = [
        f"{t.ms[0] / 1000:.1f}-{t.ms[-1] / 1000:.1f} s: "
        + " then ".join(f"{cast[n].role} #{n}" for n in sorted(sole, key=lambda n: min(_rows_of(t, n, cast, frames))))
        for t, sole in zip(detected, sole_votes, strict=True)
        if sum(1 for count in sole.values() if count >= 2) >= 2
    ]
    return Score(
        truth_tracks=len(truth_tracks),
        found_tracks=found,
        missed=missed,
        longest_gap_s=longest / RATE,
        longest_gap_at=longest_at,
        people=len(people),
        tracks_of_people=sum(per_person.values()),
        false_tracks=sum(1 for o in owners if o is None),
        split_people=split,
        switched=switched,
    )


# --- main -----------------------------------------------------------------------------------


def run_child(folder: Path, film: Path, warm_up: Path, fps: float, side: int, n: int) -> dict[str, Any]:
    work = folder / f"run-{n}"
    work.mkdir()
    out = work / "result.json"
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(work), str(film), str(warm_up), str(fps), str(side), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the job's process failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    shutil.rmtree(work / "media", ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--fps", type=float, default=4.0, help="FILM_DETECTION_FPS of the job")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="copy the film and the job's result (JSON) to this folder")
    parser.add_argument("--side", type=int, default=0, help="FILM_DETECTION_SIDE of the job (default: the app's)")
    parser.add_argument("--seed", type=int, default=12, help="another seed: another film (paths, sizes, times)")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        folder, film, warm_up, fps, side, out = args.child
        child(Path(folder), Path(film), Path(warm_up), float(fps), int(side), Path(out))
        return

    folder = Path(tempfile.mkdtemp(prefix="bench-film-"))
    try:
        back, faces = background(), lfw_faces()
        start = time.perf_counter()
        usable, found_at = usable_faces(faces, back)
        counts = ", ".join(f"{found_at[size]}/100 at {size} px" for size in SIZES)
        print(
            f"LFW faces the photo detector finds on a still: {counts}; {len(usable)} found with a score "
            f">= {SURE} at every size are used ({time.perf_counter() - start:.0f} s)"
        )
        if len(usable) < args.people:
            raise SystemExit("not enough usable faces for that many people")
        picked = [faces[n] for n in usable]
        cast = scene(args.people, args.seconds, args.seed)
        film, warm_up = folder / "film.mp4", folder / "warm-up.mp4"
        start = time.perf_counter()
        make_film(film, cast, picked, args.seconds)
        one = Person(0, "warm-up", (Leg(0, 2, (300, 300), (600, 300), 120, 120),))
        make_film(warm_up, [one], picked, 2)
        frames = round(args.seconds * RATE)
        print(
            f"film: {args.seconds:.0f} s, {WIDTH} x {HEIGHT} at {RATE} fps, {args.people} people "
            f"({', '.join(sorted({p.role for p in cast}))}), {film.stat().st_size / 2**20:.1f} MiB, "
            f"made in {time.perf_counter() - start:.0f} s"
        )
        results = [run_child(folder, film, warm_up, args.fps, args.side, n) for n in range(args.runs)]
        for result in results:
            if result["state"] != "ready":
                raise SystemExit(f"the job did not finish: {result['state']} {result['note']}")
        last = results[-1]
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(film, args.keep / "film.mp4")
            (args.keep / "result.json").write_text(json.dumps(last))
        detected = [DetectedTrack(t["track"]) for t in last["tracks"]]
        s = score(cast, frames, detected, args.fps)
        minutes = args.seconds / 60
        scan = statistics.median(r["scan_s"] for r in results) / minutes
        job = statistics.median(r["job_s"] for r in results) / minutes
        detector = statistics.median(r["detector_s"] for r in results) / minutes
        growth = max(r["peak_kib"] - r["resting_kib"] for r in results) / 1024
        resting = statistics.median(r["resting_kib"] for r in results) / 1024
        scanned = args.seconds * args.fps
        recall = s.found_tracks / s.truth_tracks if s.truth_tracks else 1.0
        per_person = s.tracks_of_people / s.people if s.people else 0.0
        ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
        print(
            f"\njob: FILM_DETECTION_FPS {args.fps:g}, FILM_DETECTION_SIDE {last['side']}, threshold "
            f"{last['threshold']:g}; {len(detected)} tracks found; {s.truth_tracks} ground-truth tracks of "
            f"{s.people} people"
        )
        print(f"  {'measure':<44}{'value':>14}  {'goal':<12}")
        rows = [
            ("recall per ground-truth track", f"{recall:.3f}", ">= 0.98", ok(recall >= 0.98)),
            ("longest visible stretch without a track", f"{s.longest_gap_s:.2f} s", "< 1 s", ok(s.longest_gap_s < 1)),
            ("detected tracks per real person", f"{per_person:.2f}", "<= 1.5", ok(per_person <= 1.5)),
            ("false tracks (matching nobody)", f"{s.false_tracks}", "", ""),
            ("tracks that follow two people (a switch)", f"{len(s.switched)}", "", ""),
            ("scan time per minute of film", f"{scan:.0f} s", "", ""),
            ("  of which the detector", f"{detector:.0f} s", "", ""),
            ("  per scanned frame", f"{scan * minutes / scanned * 1000:.0f} ms", "", ""),
            ("job time per minute of film", f"{job:.0f} s", "", ""),
            ("peak memory of the job above resting", f"{growth:.0f} MiB", "<= 300 MB", ok(growth * 1.048576 <= 300)),
        ]
        for name, value, goal, verdict in rows:
            print(f"  {name:<44}{value:>14}  {goal:<12}{verdict}")
        print(f"  (job resting RSS {resting:.0f} MiB; {args.runs} run(s), median; memory: the worst run)")
        if s.missed:
            print("missed ground-truth tracks: " + "; ".join(s.missed))
        print(f"longest uncovered stretch: {s.longest_gap_at}")
        if s.switched:
            print("tracks that switch people: " + "; ".join(s.switched))
        if s.split_people:
            print("people with more than one track: " + "; ".join(s.split_people))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

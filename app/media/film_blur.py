"""Face tracks pixelated out of a film, on every frame, irreversibly (a blurred export's film).

A track is the list of its scanned boxes, ``[ms, x, y, w, h]`` rows (``app.media.tracking``:
milliseconds from the film's first frame, fractions of the upright picture). The film has many more
frames than were scanned, so the box on any frame is worked out from the rows around it:

- between two rows it is interpolated (the face moved from one box to the next);
- before the first row and after the last, it is carried on along the track's motion for
  ``PAD_MS`` (a face is on screen a little before it is first found and after it is last found:
  the scan looks at one frame per slot, and the detector needs a face of some size);
- it is padded on every side by ``MARGIN`` of its size, and by ``GROWTH`` more for every scan
  interval (``STEP_MS``) the frame is away from the nearest row: the further from a row, the less
  sure we are where the face is, the more is covered.

A box is replaced by a mosaic of at most ``BLOCKS`` blocks across, each block the mean of its pixels,
in all three planes of the encoder's YUV 4:2:0 frame (so no colour detail is left either): nothing
of the face can be recovered from it.

Pure functions and plain data (numpy and a PyAV frame): no Flask, no database.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

# The version of the rules below: a copy made under other rules is another copy (``digest``).
RULES = 1
PAD_MS = 500
STEP_MS = 250
MARGIN = 0.25
GROWTH = 0.5
BLOCKS = 8
# A track's motion carried on past its ends is at most this many face sizes per scan interval (one
# jittery pair of rows must not throw the box off the picture).
MAX_SPEED = 1.0

Row = Sequence[float]  # [ms, x, y, w, h]


@dataclass(frozen=True)
class _Track:
    times: list[int]
    boxes: npt.NDArray[np.float64]  # (n, 4): x, y, w, h

    @classmethod
    def of(cls, rows: Sequence[Row]) -> _Track:
        ordered = sorted((int(row[0]), [float(v) for v in row[1:5]]) for row in rows)
        return cls([ms for ms, _box in ordered], np.array([box for _ms, box in ordered], dtype=np.float64))

    def box_at(self, ms: int) -> list[float] | None:
        """The padded box at ``ms``, or None when the track is not on screen then."""
        first, last = self.times[0], self.times[-1]
        if ms < first - PAD_MS or ms > last + PAD_MS:
            return None
        i = bisect.bisect_right(self.times, ms)
        if 0 < i < len(self.times):  # between two rows (or on the earlier one)
            t0, t1 = self.times[i - 1], self.times[i]
            share = (ms - t0) / (t1 - t0)
            box = self.boxes[i - 1] + share * (self.boxes[i] - self.boxes[i - 1])
            away = min(ms - t0, t1 - ms)
        elif i == 0:  # before the first row: carried back along the first motion
            box, away = self._carried(0, 1, first - ms), first - ms
        else:  # on or after the last row: carried on along the last motion
            box, away = self._carried(-1, -2, ms - last), ms - last
        return _padded(box, MARGIN + GROWTH * away / STEP_MS)

    def _carried(self, end: int, inner: int, away: int) -> npt.NDArray[np.float64]:
        box: npt.NDArray[np.float64] = self.boxes[end].copy()
        if away <= 0 or len(self.times) < 2:
            return box
        span = abs(self.times[end] - self.times[inner])
        if span <= 0:
            return box
        size = max(box[2], box[3])
        limit = MAX_SPEED * size / STEP_MS  # per millisecond
        velocity = np.clip((self.boxes[end][:2] - self.boxes[inner][:2]) / span, -limit, limit)
        box[:2] += velocity * away
        return box


def _padded(box: npt.NDArray[np.float64], margin: float) -> list[float]:
    x, y, w, h = (float(v) for v in box)
    left, top = max(0.0, x - w * margin), max(0.0, y - h * margin)
    right, bottom = min(1.0, x + w * (1 + margin)), min(1.0, y + h * (1 + margin))
    return [left, top, max(0.0, right - left), max(0.0, bottom - top)]


class FilmBlur:
    """The tracks to hide in one film: ``boxes_at(ms)`` gives the padded boxes on the frame shown
    ``ms`` milliseconds after the first."""

    def __init__(self, tracks: Sequence[Sequence[Row]]) -> None:
        self.tracks = [_Track.of(rows) for rows in tracks if rows]

    def __bool__(self) -> bool:
        return bool(self.tracks)

    def boxes_at(self, ms: int) -> list[list[float]]:
        return [box for track in self.tracks if (box := track.box_at(ms)) is not None and box[2] > 0 and box[3] > 0]


def digest(tracks: Sequence[Sequence[Row]]) -> str:
    """A short, stable name for a set of tracks under these rules (the same tracks in any order:
    the same name), for the blurred copy's file name. Says nothing about who is in the film."""
    canonical = sorted(json.dumps([[round(float(v), 4) for v in row] for row in rows]) for rows in tracks)
    return hashlib.sha256(json.dumps([RULES, canonical]).encode()).hexdigest()[:16]


def pixelate_frame(frame: av.VideoFrame, boxes: list[list[float]]) -> None:
    """Pixelate ``boxes`` (fractions) on a YUV 4:2:0 frame, in place (``make_writable`` first, so a
    buffer the decoder still holds is never written)."""
    if frame.format.name != "yuv420p":
        raise ValueError("frames are pixelated as the encoder takes them: yuv420p")
    frame.make_writable()
    width, height = frame.width, frame.height
    planes = [_plane(frame, n) for n in range(3)]
    for x, y, w, h in boxes:
        # Even edges, so the half-size colour planes cover exactly the same area.
        left, top = int(x * width) // 2 * 2, int(y * height) // 2 * 2
        right = min(width, math.ceil((x + w) * width / 2) * 2)
        bottom = min(height, math.ceil((y + h) * height / 2) * 2)
        if right - left < 2 or bottom - top < 2:
            continue
        block = max(4, math.ceil((right - left) / BLOCKS / 2) * 2)
        _mosaic(planes[0], top, bottom, left, right, block)
        for chroma in planes[1:]:
            _mosaic(chroma, top // 2, bottom // 2, left // 2, right // 2, block // 2)


def _plane(frame: av.VideoFrame, n: int) -> npt.NDArray[np.uint8]:
    """The frame's plane ``n`` as a writable view of its own buffer (rows padded to ``line_size``)."""
    plane = frame.planes[n]
    rows: npt.NDArray[np.uint8] = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(-1, plane.line_size)
    return rows[: plane.height, : plane.width]


def _mosaic(plane: npt.NDArray[np.uint8], top: int, bottom: int, left: int, right: int, block: int) -> None:
    """Every ``block`` x ``block`` square of the area becomes its mean (partial blocks at the edges too)."""
    region = plane[top:bottom, left:right].astype(np.uint32)
    rows, cols = np.arange(0, bottom - top, block), np.arange(0, right - left, block)
    sums = np.add.reduceat(np.add.reduceat(region, rows, axis=0), cols, axis=1)
    heights, widths = np.diff(np.append(rows, bottom - top)), np.diff(np.append(cols, right - left))
    means = np.rint(sums / np.outer(heights, widths)).astype(np.uint8)
    plane[top:bottom, left:right] = np.repeat(np.repeat(means, heights, axis=0), widths, axis=1)

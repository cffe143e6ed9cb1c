"""Face tracks on a film: the boxes found on its scanned frames (``app.media.recordings.FilmScan``)
linked into tracks, so that one child walking through a film is one face to resolve, not one per
frame. Boxes only: a box is linked to the track whose last box is near it, by position and size
alone (no appearance, no embedding, nothing compared across items or with anyone's picture).

A small greedy linker, not a tracking library: norfair (the library we looked at) pins numpy
below 2 and pulls in matplotlib through filterpy, which the rest of the stack (ONNX Runtime,
scikit-image) cannot go back to. Linking errs on the safe side: when in doubt a box starts a new
track (one more face to resolve), and a face seen on a single frame is a track of its own (every
face in every second is resolved, however briefly it was seen).

Pure functions and plain data: no Flask, no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from app.media.faces import FaceBox

# A track waits this long for its face to come back (turned away, hidden behind someone) before a
# box where it was heading starts a new track. Counted from the first scanned frame the face is missing
# on, not from its last box: a variable-frame-rate film may have no frame at all for a while (the
# picture did not change), which is no evidence that the face went.
MAX_GAP_MS = 1000
# How far a face may be from where its track was heading (``predicted``): its centre at most this
# many times the face's size away (at 4 frames a second, a child running and turning).
MAX_JUMP = 1.0
# How far ahead a track's motion is carried on to tell which face is whose (``predicted``), in
# intervals between its last two boxes.
MAX_STEPS = 2.0
# How much a face may grow or shrink between two of its boxes (area ratio): more is someone else.
MAX_GROWTH = 3.0
# A link is in doubt when another face (or another track) is nearly as close as the one chosen: less
# than this many face sizes further. Then the track ends and the box starts a new one. Chosen with
# bench/film.py (three generated films): 0.25 splits every crossing where one child hides another and
# nothing else; at 0.5 children passing close by were split too.
DOUBT = 0.25


@dataclass
class Track:
    """One face followed through a film: its boxes in time order, ``(ms, box)``."""

    boxes: list[tuple[int, FaceBox]] = field(default_factory=list)
    missing_since: int | None = None  # the first scanned frame after its last box that lacks it

    @property
    def first_ms(self) -> int:
        return self.boxes[0][0]

    @property
    def last_ms(self) -> int:
        return self.boxes[-1][0]

    @property
    def representative(self) -> tuple[int, FaceBox]:
        """The detection that shows the face best: its largest box (the earliest of equals)."""
        return max(self.boxes, key=lambda found: (found[1].w * found[1].h, -found[0]))

    @property
    def still_ms(self) -> list[int]:
        """The frames kept as stills of this track: its first, representative and last (distinct)."""
        return sorted({self.first_ms, self.representative[0], self.last_ms})

    def rows(self) -> list[list[float]]:
        """Its boxes compactly, as ``[ms, x, y, w, h]`` rows rounded to 4 decimals."""
        return [[ms, round(b.x, 4), round(b.y, 4), round(b.w, 4), round(b.h, 4)] for ms, b in self.boxes]


def distance(a: FaceBox, b: FaceBox) -> float:
    """How far apart two boxes are, in face sizes: the distance between their centres, each axis
    measured in the two boxes' mean width (height)."""
    width, height = (a.w + b.w) / 2, (a.h + b.h) / 2
    if width <= 0 or height <= 0:
        return math.inf
    dx = (a.x + a.w / 2) - (b.x + b.w / 2)
    dy = (a.y + a.h / 2) - (b.y + b.h / 2)
    return math.hypot(dx / width, dy / height)


def predicted(track: Track, ms: int) -> FaceBox:
    """Where the track's face would be at ``ms`` if it kept moving as between its last two boxes
    (its last box when it has only one), carried on for at most ``MAX_STEPS`` of their interval:
    a face gone for a while may have stopped."""
    ms2, last = track.boxes[-1]
    if len(track.boxes) < 2:
        return last
    ms1, before = track.boxes[-2]
    step = min(MAX_STEPS, (ms - ms2) / (ms2 - ms1))  # a track's boxes are on distinct, rising ms
    return FaceBox(last.x + (last.x - before.x) * step, last.y + (last.y - before.y) * step, last.w, last.h, last.score)


def similar_size(a: FaceBox, b: FaceBox) -> bool:
    small, large = sorted((a.w * a.h, b.w * b.h))
    return small > 0 and large / small <= MAX_GROWTH


class TrackLinker:
    """Feed it every scanned frame's boxes in time order (``add``, with no boxes too); ``tracks``
    are the result.

    On each frame, the pairs (live track, box) that are close enough (``MAX_JUMP``, ``MAX_GROWTH``)
    are linked closest first, each track and each box at most once; a box left over starts a new
    track. Closeness is measured from where the track's face would be had it kept moving as between
    its last two boxes, so two faces that cross between two frames each keep their own track, and a
    box where a face was but not where it was going is not taken for it. A track stays live until
    its face has been missing from the scanned frames for more than ``MAX_GAP_MS``.

    A link in doubt is not made (``DOUBT``): when a box is nearly as close to a track whose face is
    missing on this frame as to the track it would join (one child walked in front of another and
    hides them), or a track has a second box left over nearly as close as its own (the two come
    apart again), the track ends there and the box starts a new track; a hidden face's track ends
    too. One child can then be two or three tracks, never one track that shows two children (which,
    resolved as one of them, would hide the other)."""

    def __init__(self, max_gap_ms: int = MAX_GAP_MS, max_jump: float = MAX_JUMP) -> None:
        self.max_gap_ms, self.max_jump = max_gap_ms, max_jump
        self.tracks: list[Track] = []
        self._live: list[Track] = []
        self._last_ms: int | None = None

    def add(self, ms: int, boxes: list[FaceBox]) -> None:
        if self._last_ms is not None and ms < self._last_ms:
            raise ValueError("frames must come in time order")
        self._last_ms = ms
        self._live = [
            track for track in self._live if track.missing_since is None or ms - track.missing_since <= self.max_gap_ms
        ]
        near = {
            (t, b): gap
            for t, track in enumerate(self._live)
            for b, box in enumerate(boxes)
            if track.last_ms < ms
            and similar_size(track.boxes[-1][1], box)
            and (gap := distance(predicted(track, ms), box)) <= self.max_jump
        }
        links: dict[int, int] = {}  # track: box
        taken_boxes: set[int] = set()
        for (t, b), _gap in sorted(near.items(), key=lambda pair: (pair[1], pair[0])):
            if t not in links and b not in taken_boxes:
                links[t] = b
                taken_boxes.add(b)
        ended: set[int] = set()
        for t, b in list(links.items()):
            gap = near[(t, b)]
            hidden = [o for (o, ob), d in near.items() if ob == b and o != t and o not in links and d < gap + DOUBT]
            apart = [ob for (o, ob), d in near.items() if o == t and ob not in taken_boxes and d < gap + DOUBT]
            if hidden or apart:
                del links[t]
                taken_boxes.discard(b)
                ended.update([t, *hidden])
        for t, b in links.items():
            self._live[t].boxes.append((ms, boxes[b]))
            self._live[t].missing_since = None
        for t, track in enumerate(self._live):
            if t not in links and track.missing_since is None and track.last_ms < ms:
                track.missing_since = ms
        self._live = [track for t, track in enumerate(self._live) if t not in ended]
        for b, box in enumerate(boxes):
            if b not in taken_boxes:
                track = Track([(ms, box)])
                self.tracks.append(track)
                self._live.append(track)

    def still_ms(self) -> set[int]:
        """Every frame some track keeps as a still (so far): the others need not be kept."""
        return {ms for track in self.tracks for ms in track.still_ms}

"""Scanning a film again without losing what staff resolved: a film processed before films were
scanned throughout had its faces looked for on six sampled frames (``MediaItem.sampled_only``). Its
new scan finds tracks; a face staff resolved on one of the old frames carries its resolution (given
to a person, to someone from outside the school, or set aside with a reason) over to the new track
that covers the same face on that frame.

On the safe side: an old face goes to at most one track, the one whose box on that frame (the
nearest of its rows within ``NEAR_MS``) overlaps it most, at least ``MIN_OVERLAP`` (intersection
over union); a track that two old faces with different resolutions would go to stays open; every
track nobody resolved before (a child seen between the old samples) is open, to be resolved.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from app.media.models import DismissReason, Face

NEAR_MS = 250  # one scan interval at 4 frames a second
MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class Resolution:
    person_id: int | None
    outside_person_id: int | None
    dismissed_reason: DismissReason | None
    dismissed_by_id: int | None

    @classmethod
    def of(cls, face: Face) -> Resolution:
        return cls(face.person_id, face.outside_person_id, face.dismissed_reason, face.dismissed_by_id)

    def given_to(self, face: Face) -> None:
        face.person_id, face.outside_person_id = self.person_id, self.outside_person_id
        face.dismissed_reason, face.dismissed_by_id = self.dismissed_reason, self.dismissed_by_id

    def same_as(self, other: Resolution) -> bool:
        return (self.person_id, self.outside_person_id, self.dismissed_reason) == (
            other.person_id,
            other.outside_person_id,
            other.dismissed_reason,
        )


def carry_over(old: list[Face], new: list[Face]) -> int:
    """Give each new track the resolution of the resolved old face it covers; returns how many
    tracks got one. ``old`` are the film's faces before the scan (read before they are replaced)."""
    chosen: dict[int, list[Resolution]] = {}
    for face in old:
        if face.is_open or face.frame_ms is None:
            continue
        scores = [(_overlap(track, face.frame_ms, face.box), n) for n, track in enumerate(new)]
        best, n = max(scores, default=(0.0, -1))
        if best >= MIN_OVERLAP:
            chosen.setdefault(n, []).append(Resolution.of(face))
    given = 0
    for n, resolutions in chosen.items():
        if all(r.same_as(resolutions[0]) for r in resolutions):
            resolutions[0].given_to(new[n])
            given += 1
    return given


def _overlap(track: Face, ms: int, box: list[float]) -> float:
    rows = track.track or []
    times = [int(row[0]) for row in rows]
    i = bisect.bisect_left(times, ms)
    near = [rows[j] for j in (i - 1, i) if 0 <= j < len(rows) and abs(times[j] - ms) <= NEAR_MS]
    return max((_iou([float(v) for v in row[1:5]], box) for row in near), default=0.0)


def _iou(a: list[float], b: list[float]) -> float:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, right - left) * max(0.0, bottom - top)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0

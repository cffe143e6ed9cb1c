"""Linking a film's face boxes into tracks (``app.media.tracking``): one face followed through the
film is one track; two faces are two; a face that leaves for more than a second comes back as a
new track; a face seen on one frame only is still a track (every face in every second is resolved)."""

from __future__ import annotations

import pytest

from app.media.faces import FaceBox
from app.media.tracking import TrackLinker


def box(x: float, y: float = 0.3, side: float = 0.2) -> FaceBox:
    return FaceBox(x, y, side, side, 0.9)


def link(frames: list[tuple[int, list[FaceBox]]]) -> list[list[int]]:
    """The tracks made of these frames, each as the list of its frames' ms."""
    linker = TrackLinker()
    for ms, boxes in frames:
        linker.add(ms, boxes)
    return [[ms for ms, _box in track.boxes] for track in linker.tracks]


def test_a_face_moving_across_the_picture_is_one_track():
    frames = [(ms, [box(0.05 + ms / 5000)]) for ms in range(0, 3000, 250)]  # left to right in 3 s
    assert link(frames) == [list(range(0, 3000, 250))]


def test_two_faces_side_by_side_are_two_tracks_even_when_one_is_missed_now_and_then():
    frames = [(ms, [box(0.1), box(0.6)] if ms != 750 else [box(0.6)]) for ms in range(0, 2000, 250)]
    tracks = link(frames)
    assert len(tracks) == 2
    assert sorted(map(len, tracks)) == [7, 8]  # the left face was not found at 0.75 s: still one track


def test_a_face_gone_for_more_than_a_second_comes_back_as_a_new_track():
    seen = [0, 250, 500, 2000, 2250]  # missing from 0.75 s to 1.75 s: more than a second of scanned frames
    frames = [(ms, [box(0.4)] if ms in seen else []) for ms in range(0, 2500, 250)]
    assert link(frames) == [[0, 250, 500], [2000, 2250]]
    back_in_time = [(ms, [box(0.4)] if ms in (0, 250, 500, 1500) else []) for ms in range(0, 1750, 250)]
    assert link(back_in_time) == [[0, 250, 500, 1500]]  # missing from 0.75 s to 1.25 s: within the second


def test_two_faces_crossing_each_other_keep_their_own_tracks():
    """Two children walking towards each other pass between two scanned frames: after the crossing
    each face is nearer the other's last box, but each track goes on with the face that keeps its
    direction (found by ``bench/film.py``: every crossing swapped the two tracks)."""
    frames = [(k * 250, [box(0.05 + 0.1 * k), box(0.75 - 0.1 * k, y=0.32)]) for k in range(8)]
    tracks = TrackLinker()
    for ms, boxes in frames:
        tracks.add(ms, boxes)
    xs = sorted([round(b.x, 4) for _ms, b in track.boxes] for track in tracks.tracks)
    assert len(xs) == 2 and all(len(track) == 8 for track in xs)
    assert xs[0] == sorted(xs[0]) and xs[1] == sorted(xs[1], reverse=True)


def test_a_child_hidden_behind_another_while_they_cross_never_shares_a_track_with_them():
    """The same crossing, but on one line: for a second only the child in front is found (the
    other is behind them). Which face comes out on which side cannot be told from boxes, so no
    track goes on through the crossing with a face that may be the other child's (found by
    ``bench/film.py``: the tracks swapped children)."""
    frames = []
    for k in range(12):
        left, right = 0.05 + 0.06 * k, 0.71 - 0.06 * k  # they meet at k = 5.5
        boxes = [box(right)] if abs(left - right) < 0.25 else [box(left), box(right)]  # the right one in front
        frames.append((k * 250, boxes))
    linker = TrackLinker()
    for ms, boxes in frames:
        linker.add(ms, boxes)
    for track in linker.tracks:  # each track is one child: all its boxes on that child's path
        children = set()
        for ms, found in track.boxes:
            k = ms // 250
            left, right = 0.05 + 0.06 * k, 0.71 - 0.06 * k
            children.add("left" if abs(found.x - left) < 1e-9 and abs(left - right) >= 0.25 else "right")
        assert len(children) == 1, [(ms, round(b.x, 2)) for ms, b in track.boxes]
    assert len(linker.tracks) <= 5  # each child's walk is at most a few tracks


def test_a_face_is_followed_where_it_is_going_not_where_it_was():
    """A child speeding up to a face and a quarter every scanned frame is one track; a face that turns up
    where the runner was a moment ago is someone else (found by ``bench/film.py``: a track took over
    a child standing where the child it followed had just been)."""
    running = [(k * 250, [box(x)]) for k, x in enumerate((0.05, 0.2, 0.4, 0.65, 0.9))]
    assert link(running) == [[0, 250, 500, 750, 1000]]
    left_behind = [*running[:4], (1000, [box(0.65)])]  # the runner gone; someone where they were at 0.75 s
    assert link(left_behind) == [[0, 250, 500, 750], [1000]]


def test_no_frames_is_no_evidence_that_a_face_went():
    """A variable-frame-rate film may have no frame for seconds (the picture did not change)."""
    assert link([(0, [box(0.4)]), (2600, [box(0.42)])]) == [[0, 2600]]


def test_a_face_seen_once_is_a_track_of_its_own():
    frames = [(ms, [box(0.1)] + ([box(0.7)] if ms == 500 else [])) for ms in range(0, 1500, 250)]
    assert link(frames) == [list(range(0, 1500, 250)), [500]]


def test_a_far_jump_or_a_much_larger_face_is_someone_else():
    assert len(link([(0, [box(0.05)]), (250, [box(0.7)])])) == 2
    assert len(link([(0, [box(0.4, side=0.1)]), (250, [box(0.35, side=0.3)])])) == 2


def test_a_track_keeps_its_first_largest_and_last_frame_as_stills_and_its_boxes_compactly():
    linker = TrackLinker()
    for ms, side in [(0, 0.1), (250, 0.12), (500, 0.15), (750, 0.13), (1000, 0.11)]:
        linker.add(ms, [FaceBox(0.4, 0.4, side, side / 3 * 3.00001, 0.8)])
    (track,) = linker.tracks
    assert (track.first_ms, track.representative[0], track.last_ms) == (0, 500, 1000)
    assert track.still_ms == [0, 500, 1000] and linker.still_ms() == {0, 500, 1000}
    assert track.rows()[2] == [500, 0.4, 0.4, 0.15, 0.15]


def test_frames_must_come_in_time_order():
    linker = TrackLinker()
    linker.add(500, [])
    with pytest.raises(ValueError):
        linker.add(250, [])

"""Where a blurred film is pixelated between and around a track's scanned boxes: interpolated
between rows, carried on along the track's motion for half a second past its ends, and padded more
the further a frame is from a scanned one."""

from __future__ import annotations

import pytest

from app.media.film_blur import PAD_MS, FilmBlur, digest


def covers(outer: list[float], inner: list[float]) -> bool:
    x, y, w, h = outer
    a, b, c, d = inner
    return x <= a and y <= b and a + c <= x + w + 1e-9 and b + d <= y + h + 1e-9


# A face 0.1 wide moving right 0.05 every quarter second, scanned from 1.0 s to 2.0 s.
ROWS = [[1000 + 250 * k, 0.3 + 0.05 * k, 0.4, 0.1, 0.1] for k in range(5)]


def face_at(ms: int) -> list[float]:
    return [0.3 + 0.05 * (ms - 1000) / 250, 0.4, 0.1, 0.1]


@pytest.mark.parametrize("ms", [500, 600, 800, 1000, 1100, 1375, 2000, 2200, 2500])
def test_the_face_is_covered_wherever_it_moves_within_half_a_second_of_its_track(ms):
    (box,) = FilmBlur([ROWS]).boxes_at(ms)
    assert covers(box, face_at(ms)), (ms, box)


def test_nothing_is_pixelated_long_before_or_after_a_track_and_far_frames_get_more_margin():
    blur = FilmBlur([ROWS])
    assert blur.boxes_at(1000 - PAD_MS - 1) == [] and blur.boxes_at(2000 + PAD_MS + 1) == []
    on_row, between, past = blur.boxes_at(1250)[0], blur.boxes_at(1375)[0], blur.boxes_at(2400)[0]
    assert on_row[2] < between[2] < past[2]
    assert not FilmBlur([]) and FilmBlur([ROWS])


def test_the_copys_name_depends_on_the_tracks_not_their_order():
    other = [[0, 0.1, 0.1, 0.1, 0.1]]
    assert digest([ROWS, other]) == digest([other, ROWS]) != digest([ROWS])

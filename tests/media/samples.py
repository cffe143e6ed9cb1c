"""Small films and recordings made with PyAV for the tests (no files checked in)."""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from PIL import Image


def film(fmt: str = "mp4", codec: str = "mpeg4", seconds: int = 1, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        container.metadata["location"] = "+52.0907+005.1214/"  # a phone's GPS tag
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * 10):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (i * 20 % 255, 100, 50)))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def sound(fmt: str = "mp3", codec: str = "mp3", seconds: int = 1, rate: int = 22050) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        samples = 960 if codec == "libopus" else 1152
        for n in range(seconds * rate // samples + 1):
            frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
            frame.planes[0].update(bytes(samples * 2))
            frame.sample_rate = rate
            frame.pts = n * samples
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def _face(width: int) -> Image.Image:
    """The astronaut's face (scikit-image's sample picture), with a little margin, ``width`` wide."""
    import skimage.data

    face = Image.fromarray(skimage.data.astronaut()).crop((150, 20, 300, 200))
    return face.resize((width, round(width * 180 / 150)))


def face_film(
    times_ms: list[int],
    where: Callable[[int], list[tuple[int, int]]],
    size: tuple[int, int] = (240, 180),
    fmt: str = "mp4",
    codec: str = "mpeg4",
    rate: int = 10,
    face_width: int = 60,
    turn: Image.Transpose | None = None,
) -> bytes:
    """A film with a frame at each of ``times_ms`` (timestamps in milliseconds, so the frame rate
    may vary whatever ``rate`` the stream declares), showing the astronaut's face with its top left
    corner at each of ``where(ms)`` (pixels) on a plain background. With ``turn``, each picture is
    stored turned that way (as a phone stores a portrait film, to be turned back on display)."""
    out = io.BytesIO()
    face = _face(face_width)
    with av.open(out, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        width, height = size if turn is None else (size[1], size[0])
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for ms in times_ms:
            picture = Image.new("RGB", size, (30, 90, 160))
            for corner in where(ms):
                picture.paste(face, corner)
            if turn is not None:
                picture = picture.transpose(turn)
            frame = av.VideoFrame.from_image(picture)
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def every(seconds: float, rate: int = 10) -> list[int]:
    """Timestamps of a constant frame rate film."""
    return [round(n * 1000 / rate) for n in range(round(seconds * rate))]


# Three children, one after another, in a 6 s film of 320 x 240: the first (left, 0-2 s), the second
# (middle, 2-4 s) and the third (right, 4-6 s), each moving a little; faces 60 px wide (the
# astronaut's face picture is 1.2 times as high).
THREE_CHILDREN_SIZE, THREE_CHILDREN_FACE = (320, 240), 60


def three_children_at(ms: int) -> list[tuple[int, int]]:
    if ms < 2000:
        return [(20 + ms // 50, 60)]
    if ms < 4000:
        return [(130, 40 + (ms - 2000) // 50)]
    return [(240 - (ms - 4000) // 50, 70)]


def three_children_film() -> bytes:
    return face_film(every(6), three_children_at, size=THREE_CHILDREN_SIZE, face_width=THREE_CHILDREN_FACE)


def child_box(ms: int) -> tuple[int, int, int, int]:
    """The face drawn on the three children's film at ``ms``, in pixels (x, y, w, h)."""
    (x, y) = three_children_at(ms)[0]
    return x, y, THREE_CHILDREN_FACE, round(THREE_CHILDREN_FACE * 1.2)


def film_frames(data: bytes) -> list[tuple[int, Any]]:
    """Every frame of an MP4 film: (ms from its first frame, RGB pixels as a numpy array)."""
    frames = []
    with av.open(io.BytesIO(data), format="mp4") as container:
        video = container.streams.video[0]
        start = None
        for frame in container.decode(video):
            start = frame.pts if start is None else start
            ms = round(float((frame.pts - start) * video.time_base) * 1000)
            frames.append((ms, frame.to_ndarray(format="rgb24")))
    return frames


def face_detail(pixels: Any, box: tuple[int, int, int, int]) -> float:
    """How much detail the face drawn in ``box`` has: the share of neighbouring pixels in its middle
    that differ (a face: about two thirds; a mosaic of blocks: only at the blocks' edges)."""
    import numpy as np

    x, y, w, h = box
    grey = pixels[y + h // 4 : y + h * 3 // 4, x + w // 4 : x + w * 3 // 4].mean(axis=2)
    return float((np.abs(np.diff(grey, axis=1)) > 4).mean())

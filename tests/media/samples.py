"""Small films and recordings made with PyAV for the tests (no files checked in)."""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction

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

"""Small films and recordings made with PyAV for the tests (no files checked in)."""

from __future__ import annotations

import io

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

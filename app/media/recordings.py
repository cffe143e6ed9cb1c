"""Films and sound: probing with PyAV (FFmpeg inside the wheel), restricted to the local file.

FFmpeg recognises a concat script or a playlist by its content whatever the file is called, and
can then read other files or the network. So the demuxer is forced from the file's magic bytes
(``format=``), only the ``file`` protocol is allowed, and each upload is probed alone in an empty
folder of its own.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from app.consent.vocabulary import MediaType


class RecordingRejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RecordingInfo:
    duration: float
    width: int | None
    height: int | None


OPTIONS = {"protocol_whitelist": "file", "safe": "1"}


def probe(path: Path, demuxer: str, media_type: MediaType, max_seconds: int, poster: Path | None) -> RecordingInfo:
    """Open the file with the forced demuxer, check its streams and length, and (for a film) save
    the first decodable frame, as plain pixels, to ``poster``."""
    folder = Path(tempfile.mkdtemp(prefix="probe-"))
    alone = folder / "upload"
    try:
        shutil.copyfile(path, alone)  # alone in an empty folder: nothing next to it to read
        try:
            container = av.open(str(alone), format=demuxer, options=OPTIONS, metadata_errors="ignore")
        except (av.FFmpegError, ValueError, OSError):
            raise RecordingRejected("not_a_recording") from None
        with container:
            video = container.streams.video[0] if container.streams.video else None
            audio = container.streams.audio[0] if container.streams.audio else None
            if media_type is MediaType.FILM and video is None:
                raise RecordingRejected("no_video")
            if media_type is MediaType.AUDIO and (audio is None or (video is not None and video.frames > 1)):
                raise RecordingRejected("no_audio")
            duration = _duration(container, video or audio)
            if duration is None or duration <= 0:
                raise RecordingRejected("broken")
            if duration > max_seconds:
                raise RecordingRejected("too_long")
            width = height = None
            if video is not None and media_type is MediaType.FILM:
                frame = _first_frame(container, video)
                width, height = frame.width, frame.height
                if poster is not None:
                    image = frame.to_image().convert("RGB")  # type: ignore[no-untyped-call]
                    clean = Image.new("RGB", image.size)
                    clean.paste(image)
                    clean.save(poster, format="JPEG", quality=85)
            return RecordingInfo(duration, width, height)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _duration(container: av.container.InputContainer, stream: av.stream.Stream | None) -> float | None:
    if container.duration:
        return float(container.duration / av.time_base)
    if stream is not None and stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _first_frame(container: av.container.InputContainer, video: av.video.stream.VideoStream) -> av.VideoFrame:
    try:
        for frame in container.decode(video):
            return frame
    except (av.FFmpegError, ValueError):
        pass
    raise RecordingRejected("broken")

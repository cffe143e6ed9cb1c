"""Films and sound: probing, sampling frames and making the playback copy with PyAV (FFmpeg inside
the wheel), restricted to the local file.

FFmpeg recognises a concat script or a playlist by its content whatever the file is called, and
can then read other files or the network. So the demuxer is forced from the file's magic bytes
(``format=``: the decoder of the ``app.media.formats`` entry that sniffing chose), only the
``file`` protocol is allowed, and each upload is opened alone in an empty folder of its own
(``isolated``).

Everything here streams: packets and frames pass one at a time, so a 2 GB film never sits in memory.

Whatever FFmpeg (or the conversion of a frame to pixels) raises on a hostile file
(``app.media.decoding.DECODER_ERRORS``) is a ``RecordingRejected``, within the calls into PyAV only.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from app.consent.vocabulary import MediaType
from app.media.decoding import DECODER_ERRORS
from app.media.formats import MediaFormat, Playback


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


@contextlib.contextmanager
def _refused_as(code: str) -> Iterator[None]:
    """Within a call into PyAV: what a decoder raises on a bad file is ``RecordingRejected(code)``."""
    try:
        yield
    except DECODER_ERRORS:
        raise RecordingRejected(code) from None


@contextlib.contextmanager
def isolated(path: Path) -> Iterator[Path]:
    """The upload, linked (or, across file systems, copied) alone into an empty folder."""
    folder = Path(tempfile.mkdtemp(prefix="probe-", dir=path.parent))
    alone = folder / "upload"
    try:
        try:
            os.link(path, alone)
        except OSError:
            shutil.copyfile(path, alone)
        yield alone
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _playback(media_format: MediaFormat) -> Playback:
    """The format's playback copy; only films and sound have one (and only they reach FFmpeg)."""
    if media_format.playback is None:
        raise ValueError(f"{media_format.label} is not a film or sound format")
    return media_format.playback


def _open(alone: Path, media_format: MediaFormat) -> av.container.InputContainer:
    _playback(media_format)  # a photo format never reaches a demuxer
    with _refused_as("not_a_recording"):
        return av.open(str(alone), format=media_format.decoder, options=OPTIONS, metadata_errors="ignore")


def probe(alone: Path, media_format: MediaFormat, max_seconds: int, poster: Path | None) -> RecordingInfo:
    """Open the file with the forced demuxer, check its streams and length, decode the first frame
    of its picture (a film) or sound, and (for a film) save that frame, as plain pixels, to
    ``poster``. Quick enough for the upload request; the rest is the processing job's."""
    media_type = media_format.media_type
    with _open(alone, media_format) as container, _refused_as("broken"):
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        _check_streams(media_type, video, audio)
        duration = _checked_duration(container, video or audio, max_seconds)
        width = height = None
        if video is not None and media_type is MediaType.FILM:
            picture = _pixels_only(_first_frame(container, video))
            width, height = picture.size
            if poster is not None:
                picture.save(poster, format="JPEG", quality=85)
        elif audio is not None and media_type is MediaType.AUDIO:
            _first_sound(container, audio)  # a header with nothing behind it is no recording
        return RecordingInfo(duration, width, height)


def _check_streams(
    media_type: MediaType, video: av.video.stream.VideoStream | None, audio: av.audio.stream.AudioStream | None
) -> None:
    """A film needs a picture; sound needs sound and no moving picture (a film sent as sound would
    be judged against the wrong consent)."""
    if media_type is MediaType.FILM and video is None:
        raise RecordingRejected("no_video")
    if media_type is MediaType.AUDIO and (audio is None or (video is not None and video.frames > 1)):
        raise RecordingRejected("no_audio")


def _checked_duration(
    container: av.container.InputContainer, stream: av.stream.Stream | None, max_seconds: int
) -> float:
    """The recording's length in seconds: known, positive and within the limit."""
    duration = _duration(container, stream)
    if duration is None or duration <= 0:
        raise RecordingRejected("broken")
    if duration > max_seconds:
        raise RecordingRejected("too_long")
    return duration


class FilmScan:
    """The frames of a film, for face detection, at ``fps`` per second of their presentation time:
    iterating yields ``(milliseconds from the first frame, upright picture of at most side
    pixels)``, one frame at a time (the rest is decoded and dropped, never held).

    Frames are chosen by their own timestamps (the first frame in each 1/fps slot), never by the
    stream's declared frame rate or length, which a variable-frame-rate phone film does not have
    and a crafted file may lie about. Every picture that is shown is covered: a frame that is not
    chosen is shown within the same slot as one that was. So the scan refuses what it cannot
    cover: a film running past ``max_seconds`` (its header claimed less) is ``too_long``; a frame
    that does not decode, a frame without a timestamp, a timeline that runs backwards, or a film
    without a single frame is ``broken``. After the scan, ``seconds`` is the film's real length
    (its last frame's end)."""

    def __init__(self, alone: Path, media_format: MediaFormat, fps: float, max_seconds: int, side: int) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.alone, self.media_format, self.fps = alone, media_format, fps
        self.max_seconds, self.side = max_seconds, side
        self.seconds = 0.0

    def __iter__(self) -> Iterator[tuple[int, Image.Image]]:
        with _open(self.alone, self.media_format) as container, _refused_as("broken"):
            if not container.streams.video:
                raise RecordingRejected("no_video")
            video = container.streams.video[0]
            if video.time_base is None:
                raise RecordingRejected("broken")
            time_base, start, last_slot, latest = video.time_base, None, -1, 0.0
            for frame in container.decode(video):
                if frame.pts is None:
                    raise RecordingRejected("broken")
                start = frame.pts if start is None else start
                seconds = float((frame.pts - start) * time_base)
                if seconds < latest - 1 / self.fps:
                    raise RecordingRejected("broken")  # the clock ran back: the slots would hide frames
                if seconds > self.max_seconds:
                    raise RecordingRejected("too_long")
                latest = max(latest, seconds)
                self.seconds = max(self.seconds, seconds + float((frame.duration or 0) * time_base))
                slot = math.floor(seconds * self.fps + 1e-6)
                if slot <= last_slot:
                    continue
                last_slot = slot
                picture = _pixels_only(frame)
                picture.thumbnail((self.side, self.side), Image.Resampling.BILINEAR)
                yield round(seconds * 1000), picture
            if start is None:
                raise RecordingRejected("broken")


def clean_playback(alone: Path, media_format: MediaFormat, target: Path) -> str:
    """Remux the film's first video and audio stream (or the sound's audio stream) into a new
    container (the format's ``playback`` muxer) without any container or stream tag (no GPS, no
    device, no title, no encoder string), and return the file name extension of the copy."""
    playback = _playback(media_format)
    options = {"fflags": "+bitexact"}
    if playback.muxer in {"mp4", "ipod"}:
        options["movflags"] = "+faststart"
    with _open(alone, media_format) as source, _refused_as("broken"):
        streams = [s for s in (source.streams.video[:1] + source.streams.audio[:1]) if s is not None]
        if media_format.media_type is MediaType.AUDIO:
            streams = list(source.streams.audio[:1])
        muxed = 0
        with av.open(str(target), mode="w", format=playback.muxer, options=options) as output:
            mapping = {}
            for stream in streams:
                copy = output.add_stream_from_template(stream)
                copy.metadata.clear()
                mapping[stream.index] = copy
            output.metadata.clear()
            for packet in source.demux(streams):
                if packet.dts is None:
                    continue
                packet.stream = mapping[packet.stream.index]
                output.mux(packet)
                muxed += 1
    if not muxed or not target.exists():
        raise RecordingRejected("broken")  # not one packet to play: FFmpeg did not even write a header
    return playback.extension


TURN = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}


def _pixels_only(frame: av.VideoFrame) -> Image.Image:
    """The frame upright (a phone records portrait films as landscape frames plus a display
    matrix: -90 means "turn a quarter clockwise"), as a fresh image with nothing but pixels."""
    image = frame.to_image().convert("RGB")  # type: ignore[no-untyped-call]
    turn = round((frame.rotation or 0) / 90) * 90 % 360
    if turn in TURN:
        image = image.transpose(TURN[turn])
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    return clean


def _duration(container: av.container.InputContainer, stream: av.stream.Stream | None) -> float | None:
    if container.duration:
        return float(container.duration / av.time_base)
    if stream is not None and stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _first_sound(container: av.container.InputContainer, audio: av.audio.stream.AudioStream) -> None:
    for _frame in container.decode(audio):
        return
    raise RecordingRejected("broken")


def _first_frame(container: av.container.InputContainer, video: av.video.stream.VideoStream) -> av.VideoFrame:
    for frame in container.decode(video):
        return frame
    raise RecordingRejected("broken")

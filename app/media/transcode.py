"""Films and sound made anew for a channel with PyAV: H.264 and AAC in MP4 (sound alone: AAC in
.m4a), the picture turned upright and no larger than the channel's longest side, the picture's
bitrate capped, and nothing but picture and sound in the file (no container or stream tags, no
chapters, no data tracks: only the first video and audio stream are read).

The source is opened as ``app.media.recordings`` opens an upload (forced demuxer, ``file``
protocol only, alone in an empty folder). Frames pass one at a time from the decoder through
FFmpeg's filters (turn, scale, pixel format) to the encoder, so memory stays bounded whatever the
film's length. A blurred export's film has face tracks pixelated on the scaled, upright frames
before they are encoded (``app.media.film_blur``). Whatever FFmpeg raises on a file it cannot read
is ``RecordingRejected("broken")``.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.filter

from app.media.decoding import DECODER_ERRORS
from app.media.film_blur import FilmBlur, pixelate_frame
from app.media.formats import MediaFormat
from app.media.recordings import OPTIONS, RecordingRejected, isolated

# libx264 at the speed preset ffmpeg users know as "veryfast"; quality by constant rate factor,
# size bounded by the channel's cap (``maxrate`` with a two-second buffer).
PRESET = "veryfast"
CRF = "23"
AUDIO_KBPS = 128
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
# "+bitexact": no encoder version string in the container; "+faststart": the index (``moov``)
# before the media data, so a site can start playing before the whole file arrived.
MUXER_OPTIONS = {"movflags": "+faststart", "fflags": "+bitexact"}


@dataclass(frozen=True)
class Size:
    width: int
    height: int


def channel_size(width: int, height: int, max_side: int | None) -> Size:
    """The upright picture's size for the channel: the longest side at most ``max_side`` (None: as
    it is), never larger than the film, both sides even (H.264's 4:2:0 needs it) and at least 2."""
    scale = 1.0 if not max_side or max(width, height) <= max_side else max_side / max(width, height)
    return Size(max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2))


Progress = Callable[[float], None]  # how far the work is, from 0 to 1


def film_for_channel(
    source: Path,
    target: Path,
    max_side: int | None,
    max_kbps: int,
    *,
    media_format: MediaFormat,
    progress: Progress | None = None,
    blur: FilmBlur | None = None,
) -> None:
    """Write ``target`` (MP4): the film's first video stream upright, scaled for the channel and
    encoded as H.264 with its bitrate capped at ``max_kbps``, and its first audio stream (if any)
    as AAC. With ``blur``, its tracks are pixelated on every frame (``app.media.film_blur``; the
    frames' times counted from the first frame, as the scan counted them). ``progress`` hears how
    far it is every ``PROGRESS_FRAMES`` frames."""
    with _output(target), isolated(source) as alone:
        with _opened(alone, media_format) as container, _refused():
            first = _first_frame(container)  # its turn and size decide the output's stream
        with _opened(alone, media_format) as container, _refused():
            video = container.streams.video[0]
            video.thread_type = "AUTO"
            audio = container.streams.audio[0] if container.streams.audio else None
            with av.open(str(target), mode="w", format="mp4", options=MUXER_OPTIONS) as output:
                output.metadata.clear()
                picture = _Picture(output, video, first, max_side, max_kbps, blur or None)
                sound = _Sound(output, audio) if audio is not None else None
                length = _seconds(container, video)
                for packet in container.demux([s for s in (video, audio) if s is not None]):
                    for frame in packet.decode():
                        if isinstance(frame, av.VideoFrame) and packet.stream.index == video.index:
                            picture.encode(frame)
                            if progress is not None and length and picture.frames % PROGRESS_FRAMES == 0:
                                progress(min(1.0, float(frame.time or 0) / length))
                        elif isinstance(frame, av.AudioFrame) and sound is not None:
                            sound.encode(frame)
                picture.finish()
                if sound is not None:
                    sound.finish()


PROGRESS_FRAMES = 100


def _seconds(container: av.container.InputContainer, video: av.video.stream.VideoStream) -> float | None:
    if container.duration:
        return float(container.duration / av.time_base)
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return None


def _first_frame(container: av.container.InputContainer) -> av.VideoFrame:
    if not container.streams.video:
        raise RecordingRejected("no_video")
    for frame in container.decode(container.streams.video[0]):
        return frame
    raise RecordingRejected("broken")  # not one frame to show


def sound_for_channel(source: Path, target: Path, max_kbps: int, *, media_format: MediaFormat) -> None:
    """Write ``target`` (.m4a): the recording's first audio stream as AAC of at most ``max_kbps``,
    nothing else (a cover picture, tags and chapters stay behind)."""
    with _output(target), isolated(source) as alone, _opened(alone, media_format) as container, _refused():
        if not container.streams.audio:
            raise RecordingRejected("no_audio")
        audio = container.streams.audio[0]
        with av.open(str(target), mode="w", format="ipod", options=MUXER_OPTIONS) as output:
            output.metadata.clear()
            sound = _Sound(output, audio, min(max_kbps, 320))
            for packet in container.demux(audio):
                for piece in packet.decode():
                    sound.encode(piece)
            if not sound.encoded:
                raise RecordingRejected("broken")
            sound.finish()


class _Picture:
    """The video half: FFmpeg's filters turn (display matrix), scale and convert each frame, then
    libx264 encodes it. Set up from the first decoded frame (its rotation and size)."""

    def __init__(
        self,
        output: av.container.OutputContainer,
        video: av.video.stream.VideoStream,
        first: av.VideoFrame,
        max_side: int | None,
        max_kbps: int,
        blur: FilmBlur | None = None,
    ) -> None:
        time_base = video.time_base or Fraction(1, 90000)
        self.time_base, self.start, self.blur = time_base, first.pts or 0, blur
        turn = round((first.rotation or 0) / 90) * 90 % 360
        upright = (first.height, first.width) if turn in {90, 270} else (first.width, first.height)
        size = channel_size(*upright, max_side)
        rate = video.average_rate or video.guessed_rate or Fraction(30)
        self.output = output
        self.stream = output.add_stream("libx264", rate=rate)
        self.stream.width, self.stream.height, self.stream.pix_fmt = size.width, size.height, "yuv420p"
        self.stream.time_base = time_base
        self.stream.codec_context.time_base = time_base
        self.stream.options = {
            "preset": PRESET,
            "crf": CRF,
            "maxrate": f"{max_kbps}k",
            "bufsize": f"{2 * max_kbps}k",
        }
        self.stream.metadata.clear()
        self.graph = av.filter.Graph()
        chain = [
            self.graph.add_buffer(width=first.width, height=first.height, format=first.format, time_base=time_base)
        ]
        # frame.rotation is counter-clockwise: 90 is a quarter to the left, -90 (270) to the right.
        for name, argument in {90: [("transpose", "cclock")], 270: [("transpose", "clock")]}.get(
            turn, [("hflip", ""), ("vflip", "")] if turn == 180 else []
        ):
            chain.append(self.graph.add(name, argument or None))
        chain.append(self.graph.add("scale", f"{size.width}:{size.height}:flags=bicubic"))
        chain.append(self.graph.add("format", "yuv420p"))
        chain.append(self.graph.add("buffersink"))
        for before, after in itertools.pairwise(chain):
            before.link_to(after)
        self.graph.configure()
        self.last_pts: int | None = None
        self.frames = 0

    def encode(self, frame: av.VideoFrame) -> None:
        if frame.pts is None or (self.last_pts is not None and frame.pts <= self.last_pts):
            return  # no time, or out of order: a player would not show it either
        self.last_pts = frame.pts
        self.frames += 1
        self.graph.vpush(frame)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                turned = self.graph.vpull()
            except (BlockingIOError, av.error.EOFError):
                return
            if self.blur is not None and turned.pts is not None:
                ms = round(float((turned.pts - self.start) * self.time_base) * 1000)
                if boxes := self.blur.boxes_at(ms):
                    pixelate_frame(turned, boxes)
            self.output.mux(self.stream.encode(turned))

    def finish(self) -> None:
        self.output.mux(self.stream.encode(None))


class _Sound:
    """The audio half: decoded sound resampled to what AAC takes (planar float, at most stereo,
    a rate AAC knows) in frames of the encoder's size, then encoded."""

    def __init__(
        self, output: av.container.OutputContainer, audio: av.audio.stream.AudioStream, kbps: int = AUDIO_KBPS
    ) -> None:
        rate = audio.sample_rate if audio.sample_rate in AAC_RATES else 48000
        layout = "mono" if audio.channels == 1 else "stereo"
        self.output = output
        self.stream = output.add_stream("aac", rate=rate)
        self.stream.layout = layout
        self.stream.bit_rate = kbps * 1000
        self.stream.metadata.clear()
        self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate, frame_size=1024)
        self.time_base = Fraction(1, rate)
        self.samples = 0
        self.encoded = 0

    def encode(self, piece: av.AudioFrame) -> None:
        piece.pts = None  # counted below, in samples: the sound runs on without gaps or overlaps
        self._encode(self.resampler.resample(piece))

    def finish(self) -> None:
        self._encode(self.resampler.resample(None))
        self.output.mux(self.stream.encode(None))

    def _encode(self, frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            frame.pts, frame.time_base = self.samples, self.time_base
            self.samples += frame.samples
            self.output.mux(self.stream.encode(frame))
            self.encoded += 1


@contextlib.contextmanager
def _opened(alone: Path, media_format: MediaFormat) -> Iterator[av.container.InputContainer]:
    if media_format.playback is None:
        raise ValueError(f"{media_format.label} is not a film or sound format")
    try:
        container = av.open(str(alone), format=media_format.decoder, options=OPTIONS, metadata_errors="ignore")
    except DECODER_ERRORS:
        raise RecordingRejected("not_a_recording") from None
    with container:
        yield container


@contextlib.contextmanager
def _refused() -> Iterator[None]:
    try:
        yield
    except DECODER_ERRORS:
        raise RecordingRejected("broken") from None


@contextlib.contextmanager
def _output(target: Path) -> Iterator[None]:
    """A half-written ``target`` does not stay behind when the work fails."""
    try:
        yield
    except BaseException:
        target.unlink(missing_ok=True)
        raise

"""Benchmark: making a film for a channel (``app.media.transcode.film_for_channel``) against
Debian's ffmpeg doing the same with ``-c:v libx264 -preset veryfast`` (goal: at most 1.5 times its
time), and the job's peak memory above its resting size (goal: at most 300 MB).

The film: 60 s of 1920 x 1080 at 25 frames per second with moving content (a gradient sliding
over the picture, a bouncing square and some noise, so the encoder has real work), H.264 with AAC
sound (a tone), and a phone's tags (creation time, location). Both make the same output: upright,
longest side ``--side`` (1080), libx264 veryfast, CRF 23 capped at ``--kbps`` (3500) with a
two-second buffer, AAC 128 kbit/s, MP4 with faststart. Medians of ``--runs`` (3) runs each, in the
same run of this script. ``film_for_channel`` runs in a child process that reads its own resting
RSS (after imports and a warm-up on a small film) and its peak (``VmHWM``, reset through
``/proc/self/clear_refs`` before the job). Needs Linux; installs Debian's ffmpeg with apt-get
when it is missing and the script runs as root.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, RATE, RATE_AUDIO = 1920, 1080, 25, 48000


def ensure_ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's ffmpeg ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "ffmpeg"], check=False)  # noqa: S607 - Debian's apt-get, found on PATH
    found = shutil.which("ffmpeg")
    if not found:
        sys.exit("ffmpeg is missing: apt-get install ffmpeg")
    return found


def make_film(path: Path, seconds: int, width: int = WIDTH, height: int = HEIGHT) -> None:
    """Moving content, encoded well above the channel's cap (CRF 18, ultrafast) so the job scales
    and re-encodes for real."""
    import av
    import numpy as np

    rng = np.random.default_rng(7)
    noise = rng.integers(0, 8, (height, width, 3), dtype=np.uint8)
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    with av.open(str(path), mode="w", format="mp4") as output:
        output.metadata["creation_time"] = "2026-05-01T10:00:00Z"
        output.metadata["location"] = "+52.0907+005.1214/"
        video = output.add_stream("libx264", rate=RATE)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "18"}
        audio = output.add_stream("aac", rate=RATE_AUDIO)
        audio.layout = "stereo"
        for n in range(seconds * RATE):
            shift = n * 6
            picture = np.empty((height, width, 3), dtype=np.uint8)
            picture[..., 0] = (x[None, :] + shift) % 256
            picture[..., 1] = (y + shift / 2) % 256
            picture[..., 2] = ((x[None, :] + y) / 2 + shift) % 256
            side = height // 5
            left = (n * 23) % (width - side)
            top = abs((n * 17) % (2 * (height - side)) - (height - side))
            picture[top : top + side, left : left + side] = (250, 250, 250)
            picture += np.roll(noise, n * 31, axis=1)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = n, Fraction(1, RATE)
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        samples, t = 1024, 0
        tone = np.sin(2 * np.pi * 440 * np.arange(seconds * RATE_AUDIO) / RATE_AUDIO).astype(np.float32) * 0.3
        while t + samples <= len(tone):
            piece = np.stack([tone[t : t + samples]] * 2)
            frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = RATE_AUDIO, t
            output.mux(audio.encode(frame))
            t += samples
        output.mux(audio.encode(None))


CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from app.media import formats
from app.media.transcode import film_for_channel

def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

source, warm, target, side, kbps = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
film_for_channel(warm, target, side, kbps, media_format=formats.MP4)  # libraries loaded, arenas warm
target.unlink()
resting = status("VmRSS")
Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
started = time.perf_counter()
film_for_channel(source, target, side, kbps, media_format=formats.MP4)
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "resting": resting, "peak": status("VmHWM")}}))
"""


def run_job(source: Path, warm: Path, target: Path, side: int, kbps: int) -> dict[str, float]:
    script = CHILD.format(root=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", script, str(source), str(warm), str(target), str(side), str(kbps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def run_ffmpeg(ffmpeg: str, source: Path, target: Path, side: int, kbps: int) -> float:
    scale = f"scale='if(gte(iw,ih),min({side},iw),-2)':'if(gte(iw,ih),-2,min({side},ih))':flags=bicubic"
    command = [
        ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(source),
        "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1", "-map_chapters", "-1",
        "-vf", scale, "-pix_fmt", "yuv420p",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-maxrate", f"{kbps}k", "-bufsize", f"{2 * kbps}k",
        "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(target),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--side", type=int, default=1080)
    parser.add_argument("--kbps", type=int, default=3500)
    args = parser.parse_args()
    ffmpeg = ensure_ffmpeg()
    version = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source, warm = work / "film.mp4", work / "warm.mp4"
        print(f"Making a {args.seconds} s {WIDTH}x{HEIGHT} test film ...", flush=True)
        make_film(source, args.seconds)
        make_film(warm, 1, 320, 180)
        print(f"source: {source.stat().st_size / 2**20:.1f} MiB; baseline: {version}", flush=True)
        ours: list[float] = []
        theirs: list[float] = []
        growth: list[float] = []
        for run in range(1, args.runs + 1):
            job = run_job(source, warm, work / "ours.mp4", args.side, args.kbps)
            ours.append(job["seconds"])
            growth.append((job["peak"] - job["resting"]) / 1e6)
            theirs.append(run_ffmpeg(ffmpeg, source, work / "theirs.mp4", args.side, args.kbps))
            print(
                f"run {run}: film_for_channel {ours[-1]:.2f} s ({(work / 'ours.mp4').stat().st_size / 2**20:.1f} MiB),"
                f" ffmpeg {theirs[-1]:.2f} s ({(work / 'theirs.mp4').stat().st_size / 2**20:.1f} MiB),"
                f" peak above resting {growth[-1]:.0f} MB (resting {job['resting'] / 1e6:.0f} MB)",
                flush=True,
            )
    ratio = statistics.median(ours) / statistics.median(theirs)
    peak = statistics.median(growth)
    print(f"median film_for_channel: {statistics.median(ours):.2f} s; median ffmpeg -preset veryfast: "
          f"{statistics.median(theirs):.2f} s")  # fmt: skip
    print(f"ratio: {ratio:.2f}x (goal <= 1.5x) {'OK' if ratio <= 1.5 else 'OVER'}")
    print(f"peak memory above resting: {peak:.0f} MB (goal <= 300 MB) {'OK' if peak <= 300 else 'OVER'}")


if __name__ == "__main__":
    main()

"""Benchmark: peak server memory growth while a 1 GB film is uploaded (goal: at most 64 MB).

A real server (gunicorn, one sync worker, as in production) on a fresh SQLite database with the
demo school. The film (intra-only MPEG-4, 1280 x 720, about 1 GiB) is streamed to
``POST /api/v1/media`` from this process. Before it, a 12-megapixel photo and a short film of the
same frame size are uploaded, so the worker holds what any server that has taken in a photo and a
film holds (the face detector and its memory arena, PyAV); then the worker's peak RSS is reset
(``/proc/PID/clear_refs``) and read again (``VmHWM``) after the upload. The growth is the
peak minus the resting size. Also prints the upload's time against copying the same file with
``shutil.copyfile`` (the baseline, same run). Needs Linux; runs once (a gigabyte is slow enough).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_photo import make_photo  # noqa: E402

SIZE = 2**30


def make_film(path: Path, size: int) -> None:
    """Encode noisy intra-only 720p frames (25 different ones, over and over) until the file
    reaches ``size`` bytes."""
    import av
    import numpy as np

    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8) for _ in range(25)]
    with av.open(str(path), mode="w", format="mp4") as output:
        stream = output.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.gop_size = 1
        stream.codec_context.qmin = stream.codec_context.qmax = 1
        written, n = 0, 0
        while written < size:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frames[n % 25], format="rgb24")):
                written += packet.size
                output.mux(packet)
            n += 1
        for packet in stream.encode():
            output.mux(packet)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def multipart(path: Path, fields: dict[str, str]) -> tuple[str, int, Iterator[bytes]]:
    boundary = uuid.uuid4().hex
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="film.mp4"\r\n'.encode()
    head += b"Content-Type: application/octet-stream\r\n\r\n"
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk
        yield tail

    return f"multipart/form-data; boundary={boundary}", len(head) + path.stat().st_size + len(tail), body()


def upload(port: int, token: str, path: Path, group_id: int) -> tuple[int, str]:
    content_type, length, body = multipart(path, {"group_id": str(group_id), "album": "Schoolreis"})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    connection.putrequest("POST", "/api/v1/media")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", content_type)
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    for chunk in body:
        connection.send(chunk)
    response = connection.getresponse()
    return response.status, response.read().decode()[:300]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-film-"))
    env = {
        **os.environ,
        "BEELDRECHT_ENV": "development",
        "BEELDRECHT_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "BEELDRECHT_MEDIA_ROOT": str(folder / "media"),
        "BEELDRECHT_RATELIMIT_ENABLED": "false",
        "FLASK_APP": "wsgi",
    }
    binary = Path(sys.executable).parent
    try:
        film = folder / "film.mp4"
        start = time.perf_counter()
        make_film(film, SIZE)
        print(f"film: {film.stat().st_size / 2**30:.2f} GiB, made in {time.perf_counter() - start:.0f} s")
        small = folder / "small.mp4"
        make_film(small, 10 * 2**20)
        photo = folder / "photo.jpg"
        make_photo(photo)
        run = lambda *args: subprocess.run(  # noqa: E731
            [str(binary / "flask"), *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )
        run("db", "upgrade")
        run("demo", "load")
        token = run("users", "token", "comms@example.org").stdout.strip().splitlines()[-1]
        group_id = 1
        port = free_port()
        server = subprocess.Popen(
            [str(binary / "gunicorn"), "-w", "1", "--timeout", "900", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            pid = worker_pid(server.pid)
            for warm_up in (photo, small):
                status, text = upload(port, token, warm_up, group_id)
                assert status == 201, (status, text)
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak to the current size
            resting = kib(pid, "VmRSS")
            start = time.perf_counter()
            status, text = upload(port, token, film, group_id)
            elapsed = time.perf_counter() - start
            assert status == 201, (status, text)
            peak = kib(pid, "VmHWM")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        start = time.perf_counter()
        shutil.copyfile(film, folder / "copy.mp4")
        copy = time.perf_counter() - start
        print(f"worker resting RSS        {resting / 1024:8.1f} MiB")
        print(f"worker peak RSS (upload)  {peak / 1024:8.1f} MiB")
        print(f"peak growth               {(peak - resting) / 1024:8.1f} MiB   (goal: <= 64 MiB)")
        print(f"upload of 1 GiB           {elapsed:8.1f} s    ratio {elapsed / copy:.1f}x against")
        print(f"baseline: copying the file{copy:8.1f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

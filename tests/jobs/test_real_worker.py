"""The job queue end to end: a real Celery worker (``--pool=solo``, a process of its own) against the
real Redis (a database number of its own, flushed before and after) and a database shared with it
(a SQLite file, or a PostgreSQL database of its own with ``--db postgresql``). A film uploaded over HTTP is processed by the worker; a worker killed in the middle of a job
leaves it running with a stale heartbeat, and the next worker's start sends it again."""

from __future__ import annotations

import io
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.jobs.models import Job, JobState
from app.media.models import Face, MediaItem
from app.media.storage import derivative_key
from tests.media.test_faces import astronaut_film

REDIS_URL = "redis://127.0.0.1:6379/14"
ROOT = Path(__file__).parents[2]
MIGRATIONS = str(ROOT / "migrations")

pytestmark = pytest.mark.own_database


@pytest.fixture
def shared_database(db_kind: str, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own that a worker process can open too: a SQLite file, or (with
    ``--db postgresql``) a PostgreSQL database created and dropped here."""
    if db_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    import psycopg
    from sqlalchemy import make_url

    base = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@localhost/test"))
    name = f"beeldrecht_worker_{os.getpid()}_{secrets.token_hex(3)}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def shared(tmp_path: Path, shared_database: str) -> Iterator[dict[str, Any]]:
    """An app on the shared database with the test school, jobs sent to the real Redis."""
    from flask_migrate import upgrade

    from tests.factories import build_school

    broker = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        broker.ping()
    except redis.RedisError:
        pytest.fail("Redis does not answer at 127.0.0.1:6379 (make test starts it: scripts/ensure_redis.py)")
    broker.flushdb()
    settings = {
        "SQLALCHEMY_DATABASE_URI": shared_database,
        "JOBS_EAGER": False,
        "REDIS_URL": REDIS_URL,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "JOB_QUEUE": f"beeldrecht-test-{os.getpid()}",
        "SERVER_NAME": None,
    }
    app = create_app("testing", settings)
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        build_school()
        db.session.commit()
    token = app.test_cli_runner().invoke(args=["users", "token", "teacher@example.org"]).output.strip().splitlines()[-1]
    env = {
        **os.environ,
        "BEELDRECHT_ENV": "testing",
        "BEELDRECHT_DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"],
        "BEELDRECHT_JOBS_EAGER": "false",
        "BEELDRECHT_REDIS_URL": REDIS_URL,
        "BEELDRECHT_MEDIA_ROOT": settings["MEDIA_ROOT"],
        "BEELDRECHT_JOB_QUEUE": settings["JOB_QUEUE"],
    }
    yield {"app": app, "token": token, "env": env, "logs": tmp_path}
    with app.app_context():
        db.engine.dispose()
    broker.flushdb()
    broker.close()


@pytest.fixture
def worker(shared: dict[str, Any]) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start a worker (settings as BEELDRECHT_ variables); every one started is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**settings: str) -> subprocess.Popen[bytes]:
        log = open(shared["logs"] / f"worker{len(started)}.log", "wb")  # noqa: SIM115 (closed with the process)
        env = {**shared["env"], **{f"BEELDRECHT_{key}": value for key, value in settings.items()}}
        command = [sys.executable, "-m", "celery", "-A", "app.jobs.worker", "worker", "--pool=solo"]
        command += ["--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _upload(shared: dict[str, Any], data: bytes) -> dict[str, Any]:
    client = shared["app"].test_client()
    groups = client.get("/api/v1/groups", headers={"Authorization": f"Bearer {shared['token']}"}).get_json()
    group_id = next(g["id"] for g in groups if g["name"] == "5b")
    response = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(data), "film.mp4"), "group_id": group_id, "album": "Sportdag"},
        headers={"Authorization": f"Bearer {shared['token']}"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return dict(response.get_json())


def _job(shared: dict[str, Any], item_id: int) -> Job:
    with shared["app"].app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "film.process", Job.target_id == item_id))
        assert job is not None
        db.session.expunge(job)
        return job


def _wait_for(shared: dict[str, Any], item_id: int, ready: Callable[[Job], bool], seconds: float) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = _job(shared, item_id)
        if ready(job):
            return job
        time.sleep(0.05)
    logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(shared["logs"].glob("worker*.log")))
    pytest.fail(f"job of item {item_id} is {_job(shared, item_id).state} after {seconds} s; worker log:\n{logs}")


def test_a_real_worker_processes_an_uploaded_film(shared, worker):
    worker()
    answer = _upload(shared, astronaut_film())
    assert answer["processing_state"] == "processing"  # the request did not do the work
    job = _wait_for(shared, answer["id"], lambda j: j.state is JobState.DONE, 60)
    assert (job.attempts, job.progress, job.last_error) == (1, 100, None)
    with shared["app"].app_context():
        item = db.session.get_one(MediaItem, answer["id"])
        assert item.processing_state.value == "ready" and item.playback_name == "playback.mp4"
        assert db.session.scalars(select(Face).where(Face.media_id == item.id)).first() is not None
        media = Path(shared["app"].config["MEDIA_ROOT"])
        for name in ("playback.mp4", "thumbnail.jpg", "display.jpg"):
            assert (media / derivative_key(item.sha256, name)).is_file()
        assert not list((media / "incoming").iterdir())  # nothing half-written left behind


def test_a_job_whose_worker_is_killed_is_sent_again_and_finishes(shared, worker):
    first = worker(FILM_DETECTION_FPS="10")  # every frame: slow enough to be killed in the middle
    answer = _upload(shared, astronaut_film(seconds=8))
    _wait_for(shared, answer["id"], lambda j: j.state is JobState.RUNNING and j.progress >= 40, 60)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed = _job(shared, answer["id"])
    assert (killed.state, killed.attempts) == (JobState.RUNNING, 1)
    time.sleep(2.5)  # its heartbeat goes stale
    worker(JOB_STALE_SECONDS="2", FILM_DETECTION_FPS="4")
    job = _wait_for(shared, answer["id"], lambda j: j.state is JobState.DONE, 60)
    assert job.attempts == 2
    with shared["app"].app_context():
        assert db.session.get_one(MediaItem, answer["id"]).processing_state.value == "ready"

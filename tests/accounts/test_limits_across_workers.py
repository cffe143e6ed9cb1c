"""Several workers, one set of limits: the sign-in limits counted in the real Redis (a database number
of its own, flushed before and after) are shared by separate processes, as gunicorn's workers are; a
Redis that is down degrades to counting in memory instead of failing sign-ins; and ending a session
(sign-out, a password change) holds in every process, with no Redis at all, because the session's
version is in the database."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from app import create_app
from app.extensions import db
from tests.conftest import CSRF_RE
from tests.factories import PASSWORD

ROOT = Path(__file__).parents[2]
LIMITS_REDIS = "redis://127.0.0.1:6379/13"
CLOSED_PORT = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there

pytestmark = pytest.mark.own_database

# One worker process: a Beeldrecht app of its own (its own limiter object, as in a gunicorn worker)
# that sends failed sign-ins for one address and prints the statuses.
WORKER = """
import json, sys
from app import create_app
from app.extensions import db
database, storage, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database, "RATELIMIT_STORAGE_URI": storage,
                             "WTF_CSRF_ENABLED": False, "SERVER_NAME": None})
with app.app_context():
    db.create_all()
client = app.test_client()
form = {"email": "nobody@example.org", "password": "not-the-password"}
print(json.dumps([client.post("/sign-in", data=form).status_code for _ in range(count)]))
"""


@pytest.fixture
def limits_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(LIMITS_REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.fail("Redis does not answer at 127.0.0.1:6379 (make test starts it: scripts/ensure_redis.py)")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _worker(database: str, storage: str, count: int) -> list[int]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEELDRECHT_")}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", WORKER, database, storage, str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_two_workers_share_the_sign_in_limit_in_redis(tmp_path, limits_redis):
    """The account limit is 5 failures in 10 minutes: 3 in one worker and 3 in the other make 6,
    and the sixth is refused, whichever worker gets it."""
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    assert _worker(database, LIMITS_REDIS, 3) == [401, 401, 401]
    assert _worker(database, LIMITS_REDIS, 3) == [401, 401, 429]
    assert any(b"LIMITER/beeldrecht/" in key for key in limits_redis.scan_iter()), "the counts are in Redis"


def test_with_limits_in_each_workers_memory_the_same_attempts_are_not_refused(tmp_path):
    """What production refuses to run: each worker counts alone, and 6 failures pass unrefused."""
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    assert _worker(database, "memory://", 3) == [401, 401, 401]
    assert _worker(database, "memory://", 3) == [401, 401, 401]


def test_with_redis_down_sign_ins_still_work_and_are_still_limited(tmp_path, caplog):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'down.sqlite3'}",
            "RATELIMIT_STORAGE_URI": CLOSED_PORT,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": None,
        },
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    form = {"email": "nobody@example.org", "password": "not-the-password"}
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        statuses = [client.post("/sign-in", data=form).status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2  # counted in this process's memory meanwhile
    assert "falling back to in-memory storage" in caplog.text
    assert client.get("/sign-in").status_code == 200
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def reloaded_config(monkeypatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings are read from the environment when ``config`` is imported: set them, then reload."""
    import config

    for name in ("BEELDRECHT_REDIS_URL", "BEELDRECHT_RATELIMIT_STORAGE_URI", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    monkeypatch.undo()
    importlib.reload(config)


def _storage(name: str, **overrides: object) -> str:
    import config

    importlib.reload(config)
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k" * 48, "BASE_URL": "https://b.example.org"}
    return str(create_app(name, {**settings, **overrides}).config["RATELIMIT_STORAGE_URI"])


def test_the_limiter_follows_the_redis_url(reloaded_config):
    assert _storage("development") == "memory://"  # one process, nothing to share
    assert _storage("production") == "redis://127.0.0.1:6379/0"  # with the queue's Redis
    reloaded_config.setenv("BEELDRECHT_REDIS_URL", "redis://127.0.0.1:6379/5")
    assert _storage("development") == "redis://127.0.0.1:6379/5"
    assert _storage("production") == "redis://127.0.0.1:6379/5"
    assert _storage("testing") == "memory://"  # the ordinary tests count in memory
    reloaded_config.setenv("BEELDRECHT_RATELIMIT_STORAGE_URI", "memory://")
    assert _storage("development") == "memory://"  # said explicitly: it wins
    assert _storage("production") == "memory://"


def test_production_refuses_several_workers_with_limits_in_memory(reloaded_config):
    reloaded_config.setenv("BEELDRECHT_RATELIMIT_STORAGE_URI", "memory://")
    reloaded_config.setenv("WEB_CONCURRENCY", "3")
    with pytest.raises(RuntimeError, match="3 worker processes and the rate limits kept in each process's memory"):
        _storage("production")
    reloaded_config.setenv("WEB_CONCURRENCY", "1")
    assert _storage("production") == "memory://"  # one worker: its memory is the only one
    reloaded_config.delenv("BEELDRECHT_RATELIMIT_STORAGE_URI")
    reloaded_config.setenv("WEB_CONCURRENCY", "3")
    assert _storage("production") == "redis://127.0.0.1:6379/0"


# --- Ending a session holds in every worker: the version is in the database ----------------------


def _token(client) -> str:
    match = CSRF_RE.search(client.get("/account").get_data(as_text=True))
    assert match
    return match.group(1) or match.group(2)


def _sign_in(client) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match
    form = {"email": "parent@example.org", "password": PASSWORD, "csrf_token": match.group(1) or match.group(2)}
    assert client.post("/sign-in", data=form).status_code == 302


@pytest.fixture
def two_workers(tmp_path) -> Iterator[tuple]:
    """Two apps (two workers) on one database with the test school, each with its own client that
    carries the same session cookie (the browser's)."""
    from tests.factories import build_school

    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'sessions.sqlite3'}", "SERVER_NAME": None}
    first, second = create_app("testing", settings), create_app("testing", settings)
    with first.app_context():
        db.create_all()
        build_school()
        db.session.commit()
    yield first, second
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def _same_browser(source, target) -> None:
    cookie = source.get_cookie("beeldrecht_session")
    assert cookie is not None
    target.set_cookie("beeldrecht_session", cookie.value)


def test_signing_out_in_one_worker_ends_the_session_in_the_other(two_workers):
    first, second = two_workers
    browser_a, browser_b = first.test_client(), second.test_client()
    _sign_in(browser_a)
    _same_browser(browser_a, browser_b)
    assert browser_b.get("/home").status_code == 200  # the cookie is good in the other worker
    copy = second.test_client()  # the same session, on another device's tab
    _same_browser(browser_a, copy)

    assert browser_a.post("/sign-out", data={"csrf_token": _token(browser_a)}).status_code == 302
    answer = copy.get("/home")
    assert answer.status_code == 302
    assert "/sign-in" in answer.headers["Location"]


def test_a_password_change_in_one_worker_ends_other_sessions_in_the_other(two_workers):
    first, second = two_workers
    phone, laptop = first.test_client(), second.test_client()
    _sign_in(phone)
    _sign_in(laptop)  # a session of its own, on the other worker
    assert laptop.get("/home").status_code == 200

    new = "another long pass phrase 42"
    form = {"current": PASSWORD, "password": new, "confirm": new, "csrf_token": _token(phone)}
    assert phone.post("/account", data=form).status_code == 302
    assert phone.get("/home").status_code == 200  # the device that changed it stays signed in
    answer = laptop.get("/home")
    assert answer.status_code == 302
    assert "/sign-in" in answer.headers["Location"]

"""gunicorn with the repository's gunicorn.conf.py, as production runs it (a process of its own):
several workers with the rate limits in each worker's memory are refused before any worker starts;
with the limits in Redis it starts, and /metrics adds up the requests of every worker."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db

ROOT = Path(__file__).parents[1]
LIMITS_REDIS = "redis://127.0.0.1:6379/13"
TOKEN = "gunicorn-test-metrics-token-0123456789"
REFUSAL = "refuses to start in production with 2 worker processes and the rate limits kept in each process's memory"

pytestmark = pytest.mark.own_database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    """Production settings on a SQLite file with the schema (no BEELDRECHT_ variable of the caller)."""
    database = f"sqlite:///{tmp_path / 'production.sqlite3'}"
    schema = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database, "SERVER_NAME": None})
    with schema.app_context():
        db.create_all()
        db.engine.dispose()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BEELDRECHT_", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "FLASK_"))
    }
    env.update(
        {
            "BEELDRECHT_ENV": "production",
            "BEELDRECHT_SECRET_KEY": "s" * 48,
            "BEELDRECHT_DATABASE_URL": database,
            "BEELDRECHT_BASE_URL": "https://beeldrecht.example.org",
            "BEELDRECHT_FORCE_HTTPS": "false",  # plain HTTP to 127.0.0.1 here (nginx does TLS)
            "BEELDRECHT_BIND": f"127.0.0.1:{_free_port()}",
            "BEELDRECHT_THREADS": "2",
            "BEELDRECHT_METRICS_TOKEN": TOKEN,
            "BEELDRECHT_MEDIA_ROOT": str(tmp_path / "media"),
        }
    )
    return env


def _gunicorn(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *args, "wsgi:app"]
    return subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _refused(process: subprocess.Popen[str]) -> str:
    try:
        output, _ = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"gunicorn did not stop by itself:\n{output[-3000:]}")
    assert process.returncode != 0, output[-3000:]
    return output


def test_two_workers_with_limits_in_memory_are_refused_by_the_gunicorn_hook(production_env):
    """``--workers 2`` on the command line (no WEB_CONCURRENCY for the app to see): the master's
    ``on_starting`` refuses before any worker starts."""
    production_env["BEELDRECHT_RATELIMIT_STORAGE_URI"] = "memory://"
    output = _refused(_gunicorn(production_env, "--workers", "2"))
    assert REFUSAL in output
    assert "Booting worker" not in output


def test_web_concurrency_2_with_limits_in_memory_is_refused_by_the_app(production_env):
    production_env["BEELDRECHT_RATELIMIT_STORAGE_URI"] = "memory://"
    production_env["WEB_CONCURRENCY"] = "2"
    output = _refused(_gunicorn(production_env))
    assert REFUSAL in output
    assert "Booting worker" not in output


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (http://127.0.0.1 only)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        error.close()
        return int(error.code), body


def test_two_workers_with_limits_in_redis_start_and_metrics_add_up_every_worker(production_env, tmp_path):
    temporary = tmp_path / "tmp"  # where gunicorn.conf.py makes its private metrics folder
    temporary.mkdir()
    production_env["TMPDIR"] = str(temporary)
    production_env["BEELDRECHT_REDIS_URL"] = LIMITS_REDIS
    production_env["WEB_CONCURRENCY"] = "2"
    base = f"http://{production_env['BEELDRECHT_BIND']}"
    process = _gunicorn(production_env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = _get(f"{base}/sign-in")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{process.communicate(timeout=10)[0][-3000:]}")
                time.sleep(0.2)
        assert status == 200
        with ThreadPoolExecutor(4) as pool:  # at once: both workers take some
            statuses = list(pool.map(lambda _: _get(f"{base}/sign-in")[0], range(23)))
        assert statuses == [200] * 23
        assert _get(f"{base}/metrics")[0] == 401
        status, text = _get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        counted = re.search(
            r'^beeldrecht_http_requests_total\{endpoint="accounts.sign_in",method="GET",status="200"\} (\S+)$',
            text,
            re.MULTILINE,
        )
        assert counted, text[:3000]
        assert float(counted.group(1)) == 24  # every worker's requests, whichever answered the scrape
        assert re.search(r"^beeldrecht_redis_up 1\.0$", text, re.MULTILINE)
        assert re.search(r"^beeldrecht_database_up 1\.0$", text, re.MULTILINE)
        folders = list(temporary.glob("beeldrecht-metrics-*"))
        assert len(folders) == 1
        assert list(folders[0].glob("counter_*.db"))
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output[-3000:]
    assert output.count("Booting worker") >= 2
    assert not list(temporary.glob("beeldrecht-metrics-*")), "the private metrics folder is removed at exit"

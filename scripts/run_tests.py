"""The whole test suite: on SQLite, then on PostgreSQL, then the browser tests.

Redis (the job queue's broker) is started when it does not answer, and the suite fails when it
cannot be reached (scripts/ensure_redis.py).

PostgreSQL is found at TEST_DATABASE_URL (default postgresql://postgres@localhost/test).
When it cannot be reached, the PostgreSQL run fails the suite in CI (CI=true) and is
announced loudly elsewhere. The browser tests need Debian's chromium at /usr/bin/chromium;
it is installed here when missing and this process may use apt-get.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

DEFAULT_PG = "postgresql://postgres@localhost/test"
CHROMIUM = "/usr/bin/chromium"


def banner(text: str) -> None:
    line = "=" * 78
    print(f"\n{line}\n{text}\n{line}", flush=True)


def postgres_reachable(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return None


def ensure_chromium() -> bool:
    if os.path.exists(CHROMIUM):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's chromium for the browser tests ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env)
    return os.path.exists(CHROMIUM)


RESULTS = Path(tempfile.mkdtemp(prefix="beeldrecht-tests-"))


def pytest(*args: str) -> int:
    report = RESULTS / f"run{len(list(RESULTS.iterdir()))}.xml"
    return subprocess.call([sys.executable, "-m", "pytest", f"--junitxml={report}", *args])


def totals() -> tuple[int, int, int]:
    """Passed, failed (failures and errors) and skipped over every run."""
    passed = failed = skipped = 0
    for report in RESULTS.glob("*.xml"):
        for suite in ElementTree.parse(report).getroot().iter("testsuite"):  # noqa: S314 - our own pytest output
            tests, skips = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            passed += tests - skips - bad
            failed += bad
            skipped += skips
    return passed, failed, skipped


def main() -> int:
    extra = sys.argv[1:]
    failures: list[str] = []

    sys.path.insert(0, str(Path(__file__).parent))
    from ensure_redis import ensure

    redis_url = os.environ.get("BEELDRECHT_REDIS_URL", "redis://127.0.0.1:6379/0")
    problem = ensure(redis_url)
    if problem:  # the job queue's tests (a real worker among them) need it
        banner(f"Redis, the job queue's broker, cannot be reached: {problem}")
        return 1

    banner("1/3 Test suite on SQLite")
    if pytest("--db", "sqlite", "-m", "not browser", *extra) != 0:
        failures.append("SQLite")

    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    problem = postgres_reachable(url)
    if problem is None:
        banner("2/3 Test suite on PostgreSQL")
        if pytest("--db", "postgresql", "-m", "not browser", *extra) != 0:
            failures.append("PostgreSQL")
    elif os.environ.get("CI"):
        banner(f"PostgreSQL at {url} is not reachable ({problem}); CI requires it.")
        failures.append("PostgreSQL (unreachable)")
    else:
        banner(
            f"!!! THE POSTGRESQL RUN DID NOT HAPPEN: {url} is not reachable ({problem}). "
            "Start PostgreSQL or set TEST_DATABASE_URL. !!!"
        )

    banner("3/3 Browser tests (Debian chromium, Playwright)")
    if not ensure_chromium():
        print(f"{CHROMIUM} is missing and could not be installed: install Debian's chromium.")
        failures.append("browser (no chromium)")
    elif pytest("--db", "sqlite", "-m", "browser", *extra) != 0:
        failures.append("browser")

    passed, failed, skipped = totals()
    if failures:
        banner("FAILED: " + ", ".join(failures))
    else:
        banner("All test runs passed.")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

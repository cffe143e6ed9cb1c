"""Make sure Redis (the job queue's broker) answers at BEELDRECHT_REDIS_URL (default
redis://127.0.0.1:6379/0): start a local redis-server when it does not, and say how to install it
when it is missing. Exit status 1 when Redis cannot be reached. Used by `make run`, `make test`
(scripts/run_tests.py) and .ci/run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlparse

DEFAULT = "redis://127.0.0.1:6379/0"


def reachable(url: str) -> bool:
    """Redis answers PING (spoken plainly over a socket: this runs before the virtualenv exists)."""
    where = urlparse(url)
    try:
        with socket.create_connection((where.hostname or "127.0.0.1", where.port or 6379), timeout=1) as conn:
            if where.password:
                conn.sendall(f"AUTH {where.password}\r\n".encode())
                conn.recv(64)
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def ensure(url: str) -> str | None:
    """None when Redis answers (started here if needed), else why not."""
    if reachable(url):
        return None
    where = urlparse(url)
    host, port = where.hostname or "127.0.0.1", where.port or 6379
    if host not in {"127.0.0.1", "localhost"}:
        return f"Redis at {url} does not answer (not on this machine: start it there)."
    server = shutil.which("redis-server")
    if server is None:
        return (
            "Redis is not installed. Install it with `sudo apt-get install redis-server` (Debian/Ubuntu) "
            "or `brew install redis` (macOS), or point BEELDRECHT_REDIS_URL at a running Redis."
        )
    print(f"Redis does not answer at {url}; starting redis-server on {host}:{port}.", flush=True)
    subprocess.run(
        [server, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        check=False,
    )
    for _ in range(50):
        if reachable(url):
            return None
        time.sleep(0.1)
    return f"redis-server was started but does not answer at {url}."


def main() -> int:
    url = os.environ.get("BEELDRECHT_REDIS_URL", DEFAULT)
    problem = ensure(url)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Which part of the job machinery answers: Redis (the broker) and a worker. The web app keeps
serving when either is down (uploads are accepted and their jobs wait in the job table)."""

from __future__ import annotations

import redis
from flask import current_app

TIMEOUT = 0.5


def redis_state() -> str:
    try:
        client = redis.Redis.from_url(
            str(current_app.config["REDIS_URL"]), socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return "down"
    return "ok"


def worker_state(broker: str) -> str:
    """ "eager" when jobs run in the web process (tests), "down" when no worker answers a ping."""
    if current_app.config["JOBS_EAGER"]:
        return "eager"
    if broker != "ok":
        return "unknown"
    try:
        replies = current_app.extensions["celery"].control.ping(timeout=TIMEOUT)
    except Exception:  # noqa: BLE001 (whatever the broker raises: no worker can be reached)
        return "down"
    return "ok" if replies else "down"


def job_health() -> dict[str, str]:
    broker = redis_state()
    return {"redis": broker, "worker": worker_state(broker)}

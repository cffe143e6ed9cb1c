"""gunicorn settings for Beeldrecht (``gunicorn -c gunicorn.conf.py wsgi:app``); docs/deploy.md explains them.

Every value can be set from the environment without editing this file:
``WEB_CONCURRENCY`` (worker processes, read by gunicorn itself), ``BEELDRECHT_BIND``,
``BEELDRECHT_THREADS``, ``BEELDRECHT_FORWARDED_ALLOW_IPS``.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

bind = os.environ.get("BEELDRECHT_BIND", "127.0.0.1:8000")

# Processes: one per core plus one (pages are CPU-bound Python; two per core only adds switching).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))

# Threads: an upload of a 1 GB film from a phone on a slow line can take many minutes. With the
# threaded worker a slow upload holds one thread, not a whole process, and the worker keeps sending
# its heartbeat, so ``timeout`` below never kills a long upload in progress (the reverse proxy's
# body timeout and the app's MAX_CONTENT_LENGTH limit them).
worker_class = "gthread"
threads = int(os.environ.get("BEELDRECHT_THREADS", 4))

timeout = 60  # a worker that sends no heartbeat for a minute is stuck: restarted
graceful_timeout = 60  # on reload/stop, requests in progress get a minute to finish
keepalive = 5  # behind nginx, which keeps its own connections to us alive

# No max_requests: a gthread worker that is retiring after N requests still accepts a connection and
# then drops it (gunicorn 23, benoitc/gunicorn#3038, fix not released); bench/soak.py saw one such reset
# in 2,281 requests, which nginx turns into a 502 on a parent's "yes". The decoders run in the job
# worker, not here; a slow leak is caught by the monitoring (memory per process) and a reload.
max_requests = 0

# The reverse proxy's X-Forwarded-* headers are trusted from these addresses only (nginx on the same
# machine by default); the app's own ProxyFix is set with BEELDRECHT_PROXY_COUNT.
forwarded_allow_ips = os.environ.get("BEELDRECHT_FORWARDED_ALLOW_IPS", "127.0.0.1")

# No access log here: request paths can carry one-time tokens (invitations, family links) and nginx
# already logs requests. Errors go to standard error, which systemd's journal keeps.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("BEELDRECHT_LOG_LEVEL", "info")

# Load the app once in the master and fork: less memory per worker (the face-detection model, the
# word lists), and a broken configuration stops the start instead of looping worker restarts.
preload_app = True

# /metrics (app/core/metrics.py) adds up the request counts of every worker: prometheus_client's
# multiprocess mode, each worker writing its counts to files in this folder. It must be set before the
# app (and prometheus_client) is loaded, and must start empty: a private folder made for this start
# (or the one given in the environment, emptied below), removed when gunicorn stops.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="beeldrecht-metrics-")
    _OWN_METRICS_DIR = True
else:
    _OWN_METRICS_DIR = False


def on_starting(server: Any) -> None:
    """In the master, before any worker starts: refuse to run several workers that would each keep
    their own rate-limit counts (then N workers allow N times the limit), and start the metrics
    folder empty."""
    from config import MEMORY_LIMITS_WITH_WORKERS, ProductionConfig, config_for, limits_in_memory

    app = server.app.wsgi()  # loaded already (preload_app): the configuration the workers will have
    beeldrecht = "limiter" in app.extensions  # not the benchmark's baseline app (bench/fortunes_app.py)
    production = config_for(None).__name__ == ProductionConfig.__name__
    if beeldrecht and server.cfg.workers > 1 and production and limits_in_memory(app.config):
        message = MEMORY_LIMITS_WITH_WORKERS.format(workers=server.cfg.workers)
        server.log.error(message)
        raise SystemExit(message)
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker that stopped (a reload, a crash): its counts stay in the sums (counters and
    histograms keep its file), its live values go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def post_fork(server: Any, worker: Any) -> None:
    """A forked worker must not reuse the master's database connections (SQLAlchemy's advice for
    pools across fork): it drops them, without closing them under the master's feet."""
    app = worker.app.wsgi()
    database = app.extensions.get("sqlalchemy")
    if database is not None:
        with app.app_context():
            for engine in database.engines.values():
                engine.dispose(close=False)

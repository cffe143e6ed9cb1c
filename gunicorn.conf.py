"""gunicorn settings for Beeldrecht (``gunicorn -c gunicorn.conf.py wsgi:app``); docs/deploy.md explains them.

Every value can be set from the environment without editing this file:
``WEB_CONCURRENCY`` (worker processes, read by gunicorn itself), ``BEELDRECHT_BIND``,
``BEELDRECHT_THREADS``, ``BEELDRECHT_FORWARDED_ALLOW_IPS``.
"""

from __future__ import annotations

import multiprocessing
import os

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

# A process is replaced after about a thousand requests: a slow leak in a decoder library cannot grow
# without bound; the jitter keeps the workers from restarting at the same moment.
max_requests = 1000
max_requests_jitter = 100

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


def post_fork(server: object, worker: object) -> None:
    """A forked worker must not reuse the master's database connections (SQLAlchemy's advice for
    pools across fork): it drops them, without closing them under the master's feet."""
    app = worker.app.wsgi()  # type: ignore[attr-defined]
    database = app.extensions.get("sqlalchemy")
    if database is not None:
        with app.app_context():
            for engine in database.engines.values():
                engine.dispose(close=False)

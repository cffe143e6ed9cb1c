"""Request metrics for ``GET /metrics`` (Prometheus' text format, with prometheus_client).

Each request is counted by its Flask endpoint name (``media.item``, never the path: paths carry ids
and one-time tokens), its method and its status, and timed. Under gunicorn every worker is a process
of its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py does) prometheus_client writes each
worker's counts to files there and a scrape adds them up, whichever worker answers it. Without it
(``flask run``, the tests) the counts are this process's.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.registry import Collector

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
NO_ENDPOINT = "none"  # no route matched (404, 405): one label value, whatever was asked for

REQUESTS = Counter(
    "beeldrecht_http_requests",
    "HTTP requests answered, by Flask endpoint, method and status.",
    ["endpoint", "method", "status"],
    registry=None,
)
DURATION = Histogram(
    "beeldrecht_http_request_duration_seconds",
    "Time from the start of a request to its response, by Flask endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=None,
)
_STARTED = "metrics_started"


def _start_timer() -> None:
    setattr(g, _STARTED, time.perf_counter())


def _count(response: Response) -> Response:
    endpoint = request.endpoint or NO_ENDPOINT
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    started = g.get(_STARTED)
    if started is not None:
        DURATION.labels(endpoint, method).observe(time.perf_counter() - started)
    return response


def init_request_metrics(app: Flask) -> None:
    """Called first in ``create_app``: the timer starts before any other hook can answer."""
    app.before_request(_start_timer)
    app.after_request(_count)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def registry_for_scrape(collectors: Iterable[Collector]) -> CollectorRegistry:
    """The request metrics (of every worker, in multiprocess mode) and ``collectors``, which
    read their values at scrape time (the job table, Redis)."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(REQUESTS)
        registry.register(DURATION)
    for collector in collectors:
        registry.register(collector)
    return registry


def token_state() -> str:
    """``"off"`` when no token is set (then /metrics does not exist), ``"ok"`` for the right bearer
    token, ``"refused"`` otherwise."""
    expected = current_app.config.get("METRICS_TOKEN") or ""
    if not expected:
        return "off"
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), str(expected).encode()):
        return "refused"
    return "ok"

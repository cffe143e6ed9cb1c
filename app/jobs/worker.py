"""The Celery worker's entry point: ``celery -A app.jobs.worker worker -B`` (``make run`` starts it).
One worker may embed beat (``-B``); with several workers, run beat once on its own
(``celery -A app.jobs.worker beat``) and the workers without ``-B``."""

from __future__ import annotations

from typing import Any

from celery import signals

from app import create_app
from app.extensions import db
from app.jobs import queue

flask_app = create_app()
celery_app = flask_app.extensions["celery"]


@signals.worker_process_init.connect
def _fresh_connections(**_kwargs: Any) -> None:
    """A forked worker process must not share the parent's database connections."""
    with flask_app.app_context():
        db.engine.dispose(close=False)


@signals.worker_ready.connect
def _sweep_on_start(**_kwargs: Any) -> None:
    """Jobs left behind while no worker ran (Redis was down, a worker was killed) go out again."""
    with flask_app.app_context():
        queue.sweep()

"""Celery bound to the Flask app (the pattern of Flask's own "Background Tasks with Celery"): every
task runs inside an application context. Redis is the broker and carries only job ids (JSON);
results are not kept (the ``job`` table is the record). One Celery app per Flask app, never the
process-wide default, so tests that make several Flask apps never run a job in the wrong one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

from app.jobs import queue


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask, set_as_current=False)
    celery.conf.update(celery_settings(app.config, Path(app.instance_path)))
    celery.task(name=queue.RUN_JOB, acks_late=True, reject_on_worker_lost=True)(_run_job)
    celery.task(name=queue.SWEEP, acks_late=True)(_sweep)
    celery.task(name=queue.ENQUEUE)(_enqueue)
    app.extensions["celery"] = celery
    return celery


def celery_settings(config: Any, instance: Path) -> dict[str, Any]:
    eager = bool(config["JOBS_EAGER"])
    return {
        "broker_url": config["REDIS_URL"],
        "broker_connection_timeout": 2,
        "broker_connection_retry_on_startup": True,
        # The longest job must finish within the time Redis waits before it hands the message out again.
        "broker_transport_options": {
            "visibility_timeout": int(config["JOB_VISIBILITY_SECONDS"]),
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        "task_default_queue": str(config["JOB_QUEUE"]),
        "task_always_eager": eager,
        "task_eager_propagates": eager,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        # A job is acknowledged when it has run, and given back when its worker is lost (killed).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_publish_retry": False,
        "worker_hijack_root_logger": False,
        "timezone": config["BABEL_DEFAULT_TIMEZONE"],
        "beat_schedule_filename": str(instance / "celerybeat-schedule"),
        "beat_schedule": {
            "sweep-jobs": {"task": queue.SWEEP, "schedule": float(config["JOB_SWEEP_SECONDS"])},
            "clear-abandoned-uploads": {"task": queue.ENQUEUE, "schedule": 3600.0, "args": ("media.clear-incoming",)},
            "purge-jobs": {"task": queue.ENQUEUE, "schedule": crontab(hour=3, minute=15), "args": ("jobs.purge",)},
            "consent-reminders": {
                "task": queue.ENQUEUE,
                "schedule": crontab(hour=int(config["REMINDER_HOUR"]), minute=int(config["REMINDER_MINUTE"])),
                "args": ("consent.remind",),
            },
        },
    }


def _run_job(job_id: int) -> None:
    queue.run(int(job_id))


def _sweep() -> None:
    queue.sweep()


def _enqueue(kind: str) -> None:
    queue.enqueue_now(str(kind))

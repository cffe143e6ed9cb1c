"""The job machinery for ``GET /metrics``, read when Prometheus scrapes: the job table (the record, so
the numbers are the same whichever worker answers, and survive a restart of Redis) and whether Redis
answers. Labels are job kinds and states only (ids and names never)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.jobs.health import redis_state
from app.jobs.models import Job, JobState
from app.jobs.queue import HANDLERS
from app.timestamps import utcnow

log = logging.getLogger("beeldrecht.metrics")

OPEN_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.FAILED)


class JobCollector(Collector):
    """Jobs waiting, running and failed by kind, the oldest waiting job's age, the failed jobs,
    and whether the database and Redis answer. Made for one scrape, in its request's context."""

    def collect(self) -> Iterator[Metric]:
        yield from self._jobs()
        redis_up = GaugeMetricFamily("beeldrecht_redis_up", "1 when Redis (broker and limiter) answers a ping.")
        redis_up.add_metric([], 1.0 if redis_state() == "ok" else 0.0)
        yield redis_up

    def _jobs(self) -> Iterator[Metric]:
        database_up = GaugeMetricFamily("beeldrecht_database_up", "1 when the database answers.")
        try:
            rows = db.session.execute(
                select(Job.kind, Job.state, func.count(Job.id))
                .where(Job.state.in_(OPEN_STATES))
                .group_by(Job.kind, Job.state)
            ).all()
            oldest = db.session.scalar(select(func.min(Job.created_at)).where(Job.state == JobState.QUEUED))
            db.session.rollback()  # end the read transaction at once
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("metrics: the job table could not be read")
            database_up.add_metric([], 0.0)
            yield database_up
            return
        database_up.add_metric([], 1.0)
        yield database_up

        counts: dict[tuple[str, str], int] = {}
        for kind, state, count in rows:
            counts[(str(kind), JobState(state).value)] = int(count)
        kinds = sorted(set(HANDLERS) | {kind for kind, _ in counts})
        jobs = GaugeMetricFamily(
            "beeldrecht_jobs",
            "Jobs in the job table by state (queued, running, failed) and kind.",
            labels=["state", "kind"],
        )
        for state in OPEN_STATES:
            for kind in kinds:
                jobs.add_metric([state.value, kind], float(counts.get((kind, state.value), 0)))
        yield jobs

        age = GaugeMetricFamily(
            "beeldrecht_job_oldest_queued_seconds", "Age in seconds of the oldest job still waiting (0: none waits)."
        )
        age.add_metric([], max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0)
        yield age

        failures = GaugeMetricFamily(
            "beeldrecht_job_failures",
            "Jobs that failed for good (every attempt) and were not tried again: the job table's failed rows. "
            "An administrator's 'try again' lowers it, so it is a gauge, not a counter.",
        )
        failures.add_metric([], float(sum(count for (_, state), count in counts.items() if state == "failed")))
        yield failures

"""The job table: the record of every piece of slow work (the broker only carries its id), and the
outbox of mail rendered in a request and sent by a job."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import enum_column
from app.extensions import Model
from app.timestamps import utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Model):
    """One piece of work about one thing (``target_id``: an id only, never personal data), written
    in the same transaction as that thing and handed to the broker after the commit. ``attempts``
    counts the tries begun; ``last_error`` says what went wrong (the exception's kind and message,
    no personal data); ``heartbeat_at`` is when the worker last reported (a stale one means the
    worker was killed and the job is sent again)."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state_created_at", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(index=True)
    state: Mapped[JobState] = mapped_column(enum_column(JobState, "job_state"), default=JobState.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class MailOutbox(Model):
    """A mail rendered in the request (in the recipient's language) and sent by a ``mail.send`` job;
    the row goes once the mail is sent."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    from_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

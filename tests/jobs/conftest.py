"""Fixtures for the job queue: jobs held back (as if the broker had not passed them on yet), so a
test can look at an item while it is still processing and then run the job itself."""

from __future__ import annotations

import pytest

from app.jobs import queue


@pytest.fixture
def held_jobs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Job ids that would have been sent, kept here instead (the row stays ``queued``)."""
    held: list[int] = []

    def hold(job_id: int, countdown: float | None = None) -> bool:
        held.append(job_id)
        return True

    monkeypatch.setattr(queue, "send", hold)
    return held


@pytest.fixture
def media_root(app, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield tmp_path / "media"
    app.config["MEDIA_ROOT"] = None

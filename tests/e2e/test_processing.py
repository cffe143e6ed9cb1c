"""A film still processing, in the browser: the item page shows the progress bar, asks for the state
every 2 seconds, and shows the player by itself once the job is done."""

from __future__ import annotations

import io
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.jobs import queue
from app.media.ingest import ingest_upload
from app.school.models import Group
from tests.e2e.test_first_visit import sign_in
from tests.factories import AlbumFactory
from tests.media.samples import film

pytestmark = pytest.mark.browser


def test_the_item_page_follows_the_processing_and_shows_the_film_when_done(phone, live_app, monkeypatch):
    held: list[int] = []
    monkeypatch.setattr(queue, "send", lambda job_id, countdown=None: held.append(job_id) or True)
    with live_app.app_context():
        group = db.session.scalar(select(Group).where(Group.name == "5b"))
        album = AlbumFactory(group=group, title="Verwerken", taken_on=date(2026, 12, 3))
        item = ingest_upload(io.BytesIO(film(seconds=2)), album=album, uploaded_by=None).item
        db.session.commit()
        item_id = item.id
    assert len(held) == 1

    sign_in(phone, "teacher@example.org")
    phone.goto(f"/media/{item_id}")
    expect(phone.locator("#processing-label")).to_have_text("Bezig met verwerken… 0%")
    expect(phone.locator("#player")).to_have_count(0)

    with live_app.app_context():
        queue.run(held[0])
    expect(phone.locator("video#player")).to_be_visible(timeout=10000)  # reloaded by processing.js
    expect(phone.locator("#processing")).to_have_count(0)

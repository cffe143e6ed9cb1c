"""Race-free release: a withdrawal that commits before an export is always seen by it.

Many threads, each with its own connection, withdraw and grant consent while others export the
same pupils' photos. Afterwards the audit log is replayed: its ids are handed out under a lock
held until commit, so their order is the order in which transactions committed. At every
"exported" row, every pupil in that export must have had consent by the decisions committed before
it. On PostgreSQL this holds because the export locks the tagged people (FOR SHARE) and a decision
locks its subject (FOR UPDATE); on SQLite because every write transaction starts with BEGIN
IMMEDIATE, so there is one writer at a time. The same test runs on both.
"""

from __future__ import annotations

import io
import os
import random
import secrets
import threading
import time
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from tests.conftest import form_text, make_app

pytestmark = pytest.mark.own_database
PUPILS = 6
ROUNDS = 12
EXPORTERS = 4


@pytest.fixture
def own_app(db_kind, tmp_path):
    from flask_migrate import upgrade

    if db_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
        drop = None
    else:
        import psycopg

        base = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@localhost/test"))
        name = f"beeldrecht_race_{secrets.token_hex(4)}"
        admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    app = make_app(url, MEDIA_ROOT=str(tmp_path / "media"))
    with app.app_context():
        upgrade(directory=str(os.path.join(os.path.dirname(__file__), "..", "..", "migrations")))
    try:
        yield app
    finally:
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()
        if drop:
            drop()


def setup_school(app, tmp_path) -> list[tuple[int, int, int]]:
    """The test school, a form, and per pupil a photo tagged and attested, with consent granted.
    Returns (pupil, guardian, item) triples."""
    from app.consent.form_files import sync_forms
    from app.consent.operations import decide
    from app.consent.vocabulary import Means
    from app.extensions import db
    from app.media.ingest import ingest_upload
    from app.media.models import Tag
    from app.release.models import Channel
    from app.school.models import Group
    from app.timestamps import school_today
    from tests.factories import AlbumFactory, build_school, school_year_of

    with app.test_request_context(), app.app_context():
        build_school()
        forms = tmp_path / "forms"
        forms.mkdir()
        name, _start, _end = school_year_of(school_today())
        (forms / "form.toml").write_text(form_text(name), encoding="utf-8")
        assert not sync_forms(forms).problems
        group = db.session.scalar(select(Group).where(Group.name == "5b"))
        album = AlbumFactory(group=group, title="Race", taken_on=date(2026, 11, 1))
        triples = []
        for n, pupil in enumerate([p for p in group.pupils if p.guardianships][:PUPILS]):
            picture = io.BytesIO()
            Image.new("RGB", (32, 32), (n * 40, 10, 200)).save(picture, format="PNG")
            picture.seek(0)
            item = ingest_upload(picture, album=album, uploaded_by=None).item
            item.tags.append(Tag(person_id=pupil.id))
            item.tags_complete = True
            guardian = pupil.guardianships[0].guardian
            decide(pupil, "photo", "website", "grant", decided_by=guardian, recorded_by=None, means=Means.WEB)
            triples.append((pupil.id, guardian.id, item.id))
        # Released at once (no leadership approval), so every cleared export is a release to check.
        db.session.execute(update(Channel).where(Channel.key == "website").values(needs_approval=False))
        db.session.commit()
        return triples


def test_no_export_is_released_after_a_withdrawal_committed(own_app, tmp_path):
    from app.accounts.models import User
    from app.audit.models import AuditEvent
    from app.consent.operations import ConsentError, decide
    from app.consent.vocabulary import Means
    from app.extensions import db
    from app.release.exports import ExportBlocked, export_media
    from app.school.models import Person

    triples = setup_school(own_app, tmp_path)
    item_pupil = {item: pupil for pupil, _guardian, item in triples}
    errors: list[BaseException] = []
    outcomes = {"exported": 0, "refused": 0}
    lock = threading.Lock()
    start = threading.Barrier(len(triples) + EXPORTERS)

    def toggler(pupil_id: int, guardian_id: int) -> None:
        rng = random.Random(pupil_id)
        try:
            start.wait()
            for n in range(ROUNDS):
                with own_app.test_request_context(), own_app.app_context():
                    subject, guardian = db.session.get(Person, pupil_id), db.session.get(Person, guardian_id)
                    action = "withdraw" if n % 2 == 0 else "grant"
                    try:
                        decide(
                            subject, "photo", "website", action, decided_by=guardian, recorded_by=None, means=Means.WEB
                        )
                        db.session.commit()
                    except ConsentError:
                        db.session.rollback()
                # Let others run: without a pause one thread makes all its rounds under the GIL at
                # once, ending granted, and the exporters never meet a withdrawal.
                time.sleep(rng.random() * 0.004)
        except BaseException as problem:  # noqa: BLE001 - reported by the main thread
            errors.append(problem)

    def exporter(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(ROUNDS * 2):
                chosen = rng.sample(sorted(item_pupil), 3)
                with own_app.test_request_context(), own_app.app_context():
                    comms = db.session.scalar(select(User).where(User.email == "comms@example.org"))
                    try:
                        export_media("website", chosen, by=comms)
                        kind = "exported"
                    except ExportBlocked:
                        kind = "refused"
                    db.session.commit()
                with lock:
                    outcomes[kind] += 1
                time.sleep(rng.random() * 0.004)
        except BaseException as problem:  # noqa: BLE001 - reported by the main thread
            errors.append(problem)

    threads = [threading.Thread(target=toggler, args=(p, g)) for p, g, _i in triples]
    threads += [threading.Thread(target=exporter, args=(n,)) for n in range(EXPORTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert outcomes["exported"] > 0 and outcomes["refused"] > 0, outcomes  # the race was on

    # Replay the audit log in commit order.
    with own_app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["consent.decided", "release.exported"]))
            .order_by(AuditEvent.id)
        ).all()
    granted: dict[int, bool] = {}
    checked = 0
    for event in events:
        if event.action == "consent.decided" and event.details["purpose"] == "website":
            granted[event.details["subject_id"]] = event.details["decision"] == "grant"
        elif event.action == "release.exported":
            checked += 1
            for media_id in event.details["media_ids"]:
                assert granted[item_pupil[media_id]], (
                    f"export audit #{event.id} released item {media_id} after a withdrawal"
                )
    assert checked == outcomes["exported"]

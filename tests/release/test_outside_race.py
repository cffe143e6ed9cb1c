"""Someone from outside the school whose consent is withdrawn while an export runs: the withdrawal
that holds its lock first always wins (PostgreSQL: the export takes the outside people FOR SHARE,
the withdrawal FOR UPDATE; SQLite: one writer at a time)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from tests.release.test_race import own_app, setup_school  # noqa: F401  (the fixture and the school)

pytestmark = pytest.mark.own_database


def test_an_outside_consent_withdrawn_first_blocks_the_export_that_waited_for_it(own_app, tmp_path):  # noqa: F811
    from app.accounts.models import User
    from app.consent.vocabulary import MediaType
    from app.extensions import db
    from app.media.models import MediaItem, OutsideConsent
    from app.media.outsiders import add_outside_person, record_outside_consent, withdraw_outside_consent
    from app.release.exports import ExportBlocked, export_media
    from app.timestamps import school_today

    item_id = setup_school(own_app, tmp_path).items[0]

    def account(email: str) -> User:
        return db.session.scalars(select(User).where(User.email == email)).one()

    with own_app.test_request_context(), own_app.app_context():
        item = db.session.get_one(MediaItem, item_id)
        person = add_outside_person(item, "Bezoeker", by=account("admin@example.org"))
        [consent] = record_outside_consent(
            person,
            media_types=[MediaType.PHOTO],
            purposes=["website"],
            given_on=school_today(),
            by=account("admin@example.org"),
        )
        db.session.commit()
        consent_id = consent.id

    locked = threading.Event()
    errors: list[BaseException] = []

    def withdraw() -> None:
        try:
            with own_app.test_request_context(), own_app.app_context():
                withdraw_outside_consent(
                    db.session.get_one(OutsideConsent, consent_id), by=account("admin@example.org")
                )
                db.session.flush()
                locked.set()
                time.sleep(0.5)  # the export starts meanwhile: it must wait for this commit, then see it
                db.session.commit()
        except BaseException as problem:  # noqa: BLE001 - reported by the main thread
            errors.append(problem)
            locked.set()

    thread = threading.Thread(target=withdraw)
    thread.start()
    assert locked.wait(10)
    with own_app.test_request_context(), own_app.app_context():
        with pytest.raises(ExportBlocked) as refused:
            export_media("website", [item_id], by=account("comms@example.org"))
        db.session.rollback()
    thread.join()
    assert errors == []
    assert [b.code for b in refused.value.blockers] == ["outside_person"]

"""The latest-decision table the gate and the overviews read: it always says what the history
says (the rules' order: decided_at, then id), through every way of deciding and through erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.consent.models import Decision, LatestDecision
from app.extensions import db

Row = tuple[int, str, str, int, int]


def table(app) -> set[Row]:
    with app.app_context():
        rows = db.session.execute(
            select(
                LatestDecision.subject_id,
                LatestDecision.media_type,
                LatestDecision.purpose,
                LatestDecision.decided_by_id,
                LatestDecision.decision_id,
            )
        ).tuples()
        return {(s, str(m), p, d, i) for s, m, p, d, i in rows}


def from_history(app) -> set[Row]:
    """The latest of each decider per key, worked out in Python from every decision."""
    latest: dict[tuple[int, str, str, int], Decision] = {}
    with app.app_context():
        for decision in db.session.scalars(select(Decision)):
            key = (decision.subject_id, str(decision.media_type), decision.purpose, decision.decided_by_id)
            if key not in latest or (decision.decided_at, decision.id) > (latest[key].decided_at, latest[key].id):
                latest[key] = decision
        return {(*key, decision.id) for key, decision in latest.items()}


def cell(client, pupil: int, decision: str) -> None:
    response = client.submit(
        f"/consent/{pupil}/decide", {"media_type": "photo", "purpose": "website", "decision": decision}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_a_paper_form_dated_last_week_does_not_displace_this_mornings_withdrawal(
    client, login_as, world, published_form, app
):
    from app.consent.queries import Moment, consent_for, now
    from app.consent.vocabulary import MediaType

    sem = world["sem"]
    login_as("parent")
    cell(client, sem, "grant")
    cell(client, sem, "withdraw")
    client.submit("/sign-out")
    with app.app_context():
        signed_on = now().day - timedelta(days=7)
    login_as("admin")
    response = client.submit(
        f"/consent/{sem}/paper",
        {"decided_by": str(world["parent"]), "signed_on": signed_on.isoformat(), "photo__website": "grant"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    key = (sem, MediaType.PHOTO, "website")
    with app.app_context():
        grant, withdrawal, paper = db.session.scalars(
            select(Decision).where(Decision.subject_id == sem).order_by(Decision.id)
        ).all()
        assert (withdrawal.action.value, paper.action.value, paper.means.value) == ("withdraw", "grant", "paper")
        assert paper.decided_at < withdrawal.decided_at  # dated on the day it was signed
        answer = consent_for([key], now())[key]
        assert not answer.granted and [e.id for e in answer.relied_on] == [withdrawal.id]
        # Asked about a moment before the withdrawal, the history answers: the online grant held then,
        # and before that the paper one.
        before = Moment(withdrawal.decided_at - timedelta(microseconds=1), withdrawal.decided_at.date())
        assert [e.id for e in consent_for([key], before)[key].relied_on] == [grant.id]
        before = Moment(grant.decided_at - timedelta(microseconds=1), grant.decided_at.date())
        assert [e.id for e in consent_for([key], before)[key].relied_on] == [paper.id]
    assert (sem, "photo", "website", world["parent"], withdrawal.id) in table(app)
    assert table(app) == from_history(app)


def test_every_decision_moves_the_table_and_erasure_empties_it(client, login_as, world, published_form, app):
    login_as("parent")
    for decision in ("grant", "withdraw", "grant"):
        cell(client, world["sem"], decision)
        assert table(app) == from_history(app)
    assert len(table(app)) == 1
    response = client.confirm(f"/consent/{world['sem']}/all", decision="refuse_all")
    assert response.status_code == 302
    assert table(app) == from_history(app) and len(table(app)) > 1
    client.submit("/sign-out")
    login_as("admin")
    response = client.submit(f"/admin/persons/{world['parent']}/erase", {"reason": "Verzoek", "confirm": "y"})
    assert response.status_code == 302
    assert table(app) == from_history(app) == set()


@pytest.mark.own_database
def test_the_migration_back_fills_what_the_operations_keep(database_url, tmp_path):
    """Decisions made through the operations (a past-dated paper form among them); the table is
    dropped and made again by its migration: the back-fill holds exactly the same rows."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app.consent.form_files import sync_forms
    from app.consent.operations import decide, record_paper_form
    from app.consent.queries import now
    from app.consent.vocabulary import Means
    from app.school.models import Person
    from app.timestamps import school_today
    from tests.conftest import form_text, make_app
    from tests.factories import build_school, school_year_of
    from tests.test_migrations import MIGRATIONS, _drop_pg_database, _make_pg_database

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'backfill.sqlite3'}"
    else:
        url = database_url.rsplit("/", 1)[0] + "/" + _make_pg_database(database_url)
    app = make_app(url)
    try:
        with app.test_request_context(), app.app_context():
            upgrade(directory=MIGRATIONS)
            ids = build_school()
            forms = tmp_path / "forms"
            forms.mkdir()
            (forms / "form.toml").write_text(form_text(school_year_of(school_today())[0]), encoding="utf-8")
            assert not sync_forms(forms).problems
            sem, noah = db.session.get(Person, ids["sem"]), db.session.get(Person, ids["noah"])
            parent, parent2 = db.session.get(Person, ids["parent"]), db.session.get(Person, ids["parent2"])
            for action in ("grant", "withdraw", "grant"):
                decide(sem, "photo", "website", action, decided_by=parent, recorded_by=None, means=Means.WEB)
            decide(noah, "film", "press", "refuse", decided_by=parent2, recorded_by=None, means=Means.WEB)
            signed_on = now().day - timedelta(days=3)
            answers = {("photo", "website"): False, ("audio", "newsletter"): True}
            record_paper_form(sem, answers, signed_by=parent, signed_on=signed_on, recorded_by=None)
            db.session.commit()
            kept = table(app)
            assert kept == from_history(app) and len(kept) == 3
        with app.app_context():
            downgrade(directory=MIGRATIONS, revision="3f1e0c2a9b10")
            assert db.session.execute(text("SELECT count(*) FROM decision")).scalar() == 6
            db.session.commit()
            upgrade(directory=MIGRATIONS)
        assert table(app) == kept
    finally:
        with app.app_context():
            db.engine.dispose()
        if not database_url.startswith("sqlite"):
            _drop_pg_database(database_url, url.rsplit("/", 1)[1])

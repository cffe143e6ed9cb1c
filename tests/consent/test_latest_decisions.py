"""The latest-decision table the gate and the overviews read: it always says what the history
says (the rules' order: decided_at, then id), through every way of deciding and through erasure."""

from __future__ import annotations

from datetime import timedelta

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
    response = client.submit(f"/consent/{world['sem']}/all", {"decision": "refuse_all"})
    assert response.status_code == 302
    assert table(app) == from_history(app) and len(table(app)) > 1
    client.submit("/sign-out")
    login_as("admin")
    response = client.submit(f"/admin/persons/{world['parent']}/erase", {"reason": "Verzoek", "confirm": "y"})
    assert response.status_code == 302
    assert table(app) == from_history(app) == set()

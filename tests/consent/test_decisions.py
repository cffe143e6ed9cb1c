"""Recording decisions and reading effective consent in bulk."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import DBAPIError

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.consent.models import ConsentForm, Decision
from app.consent.operations import ConsentError, decide, rebuild_latest_decisions
from app.consent.queries import consent_for, now
from app.consent.rules import State
from app.consent.vocabulary import Means, MediaType
from app.extensions import db
from app.school.models import Group, Person
from tests.forms import FORM_PURPOSES as PURPOSES


def person(pid: int) -> Person:
    return db.session.get(Person, pid)


def account(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


@contextmanager
def counted_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):  # the test harness's own
            statements.append(statement)

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_guardian_grants_and_withdraws(app, world, published_form):
    with app.app_context():
        sem, karin = person(world["sem"]), person(world["parent"])
        key = (sem.id, MediaType.PHOTO, "social_media")
        assert consent_for([key], now())[key].state is State.NONE
        decide(
            sem,
            "photo",
            "social_media",
            "grant",
            decided_by=karin,
            recorded_by=account("parent@example.org"),
            means=Means.WEB,
        )
        db.session.commit()
        assert consent_for([key], now())[key].granted
        decide(
            sem,
            "photo",
            "social_media",
            "withdraw",
            decided_by=karin,
            recorded_by=account("parent@example.org"),
            means=Means.WEB,
        )
        db.session.commit()
        result = consent_for([key], now())[key]
        assert result.state is State.REFUSED and result.relied_on[0].decided_by_id == karin.id
        audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "consent.decided")).all()
        assert [e.details["decision"] for e in audited] == ["grant", "withdraw"]


def test_the_other_guardians_grant_does_not_override_a_withdrawal(app, world, published_form):
    with app.app_context():
        sem = person(world["sem"])
        mark = db.session.scalar(select(Person).where(Person.first_name == "Mark"))
        decide(
            sem,
            "photo",
            "social_media",
            "withdraw",
            decided_by=person(world["parent"]),
            recorded_by=None,
            means=Means.WEB,
        )
        decide(sem, "photo", "social_media", "grant", decided_by=mark, recorded_by=None, means=Means.PAPER)
        db.session.commit()
        key = (sem.id, MediaType.PHOTO, "social_media")
        result = consent_for([key], now())[key]
        assert result.state is State.REFUSED and result.conflict


@pytest.mark.parametrize(
    ("who", "subject", "media", "purpose", "code"),
    [
        ("parent", "noah", "photo", "website", "not_entitled"),  # another family's child
        ("teacher", "sem", "photo", "website", "not_entitled"),  # not a guardian
        ("parent", "sem", "photo", "billboard", "not_on_form"),
        ("parent", "sem", "hologram", "website", "unknown_choice"),
        ("parent", "sem", "photo", "website", "unknown_choice"),  # with action "maybe" below
    ],
)
def test_decisions_nobody_may_make_are_refused_and_nothing_is_recorded(
    app, world, published_form, who, subject, media, purpose, code
):
    with app.app_context():
        decider = person(world[who])
        action = "maybe" if code == "unknown_choice" and media == "photo" else "grant"
        with pytest.raises(ConsentError) as refused:
            decide(
                person(world[subject]), media, purpose, action, decided_by=decider, recorded_by=None, means=Means.WEB
            )
        assert refused.value.code == code
        db.session.rollback()
        assert db.session.scalar(select(Decision)) is None


def test_a_pupil_of_sixteen_decides_for_themself(app, world, published_form):
    with app.app_context():
        sem = person(world["sem"])
        sem.date_of_birth = now().day.replace(year=now().day.year - 16) - timedelta(days=1)
        db.session.commit()
        with pytest.raises(ConsentError):
            decide(
                sem, "photo", "website", "grant", decided_by=person(world["parent"]), recorded_by=None, means=Means.WEB
            )
        decide(sem, "photo", "website", "grant", decided_by=sem, recorded_by=None, means=Means.WEB)
        db.session.commit()
        key = (sem.id, MediaType.PHOTO, "website")
        assert consent_for([key], now())[key].granted


def test_without_a_form_in_force_nothing_can_be_decided(app, world):
    with app.app_context():
        with pytest.raises(ConsentError) as refused:
            decide(
                person(world["sem"]),
                "photo",
                "website",
                "grant",
                decided_by=person(world["parent"]),
                recorded_by=None,
                means=Means.WEB,
            )
        assert refused.value.code == "no_active_form"


def test_decisions_cannot_be_updated_in_place(app, world, published_form):
    with app.app_context():
        decision = decide(
            person(world["sem"]),
            "photo",
            "website",
            "grant",
            decided_by=person(world["parent"]),
            recorded_by=None,
            means=Means.WEB,
        )
        db.session.commit()
        with pytest.raises(DBAPIError, match="never updated"), db.session.begin_nested():
            db.session.execute(text("UPDATE decision SET action = 'refuse' WHERE id = :id"), {"id": decision.id})


def test_group_overview_takes_two_queries_whatever_the_history(app, world, published_form):
    """30 pupils x 3 media types x 6 purposes, with a long history behind every key."""
    with app.app_context():
        group = db.session.get(Group, world["5b"])
        pupils = [p.id for p in group.pupils]
        keys = [(p, m, purpose) for p in pupils for m in MediaType for purpose in PURPOSES]
        form_id = db.session.scalar(select(ConsentForm.id))
        guardians = {g.pupil_id: g.guardian_id for p in group.pupils for g in p.guardianships}
        moment = now()
        rows = [
            {
                "subject_id": p,
                "media_type": m.value,
                "purpose": purpose,
                "action": "grant" if n % 3 else "withdraw",
                "decided_by_id": guardians[p],
                "means": "web",
                "form_id": form_id,
                "decided_at": moment.at - timedelta(minutes=n),
                "recorded_at": moment.at,
            }
            for p in pupils[:10]
            for m in MediaType
            for purpose in PURPOSES
            for n in range(1, 8)
        ]
        # Written in bulk, past decide_answers: the latest-decision table is filled as the migration would.
        db.session.execute(insert(Decision), rows)
        rebuild_latest_decisions()
        db.session.commit()
        at = now()  # one statement to read the database's clock, not counted as the overview's
        with counted_statements() as short_history:
            answers = consent_for(keys, at)
        db.session.execute(
            insert(Decision), [dict(r, decided_at=r["decided_at"] - timedelta(days=30)) for r in rows] * 3
        )
        rebuild_latest_decisions()
        db.session.commit()
        at = now()
        with counted_statements() as long_history:
            again = consent_for(keys, at)
        assert len(answers) == len(keys) == len(pupils) * 18
        assert len(short_history) == len(long_history) == 2
        assert again == answers
        granted = {k for k, c in answers.items() if c.granted}
        assert granted == {k for k in keys if k[0] in pupils[:10]}  # the latest of each was a grant (n=1)

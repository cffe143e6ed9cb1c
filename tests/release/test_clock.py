"""Time is the database's clock, never an application server's.

Two application servers whose clocks differ must still agree that a withdrawal committed first
wins: here one "server" records the grant with its clock 10 minutes behind, another the
withdrawal with its clock ahead or behind, and a third tries the export with its own clock off
again (freezegun moves the application's clock; the database's is left alone). Decisions,
exports, publications and takedowns carry the database's time whatever the application says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from app.extensions import db
from tests.release.helpers import Caller, Release


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


@pytest.fixture
def parent(client, runner, world):
    """Sem's parent, deciding through the API as a parent's app would."""
    token = runner.invoke(args=["users", "token", "parent@example.org"]).output.strip().splitlines()[-1]
    return Caller(client, token)


def database_clock(app) -> datetime:
    from app.timestamps import database_now

    with app.app_context():
        return database_now()


def app_clock(app, minutes: int):
    """The application server's clock ``minutes`` off the database's (ticking on)."""
    return freeze_time(database_clock(app) + timedelta(minutes=minutes), tick=True)


def consent(caller: Caller, pupil: int, purpose: str, decision: str) -> None:
    body = {"media_type": "photo", "purpose": purpose, "decision": decision}
    response = caller.post(f"/api/v1/people/{pupil}/consents", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)


def export(release: Release, item: int) -> object:
    """Communications exports to the website; the leadership approves the request (the gate runs
    at both): 200 with the released export, or 409 with the blockers."""
    return release.export("website", [item])


@pytest.mark.parametrize(
    ("withdrawing_server", "exporting_server"),
    [(5, -5), (-5, 5), (3, 0), (0, -3), (-8, -8), (9, 2)],
    ids=["ahead-behind", "behind-ahead", "ahead-right", "right-behind", "both-behind", "both-ahead"],
)
def test_a_committed_withdrawal_wins_whatever_the_servers_clocks(
    release, parent, world, app, withdrawing_server, exporting_server
):
    item = release.upload(release.photo_of_two())
    release.tag(item, [world["sem"]], complete=True)
    with app_clock(app, -10):  # the grant went through a server ten minutes behind
        consent(parent, world["sem"], "website", "grant")
    with app_clock(app, exporting_server):
        assert export(release, item).status_code == 200  # the grant counts, whatever the clocks
    with app_clock(app, withdrawing_server):
        consent(parent, world["sem"], "website", "withdraw")
    with app_clock(app, exporting_server):
        refused = export(release, item)
    assert refused.status_code == 409, refused.get_data(as_text=True)
    [blocker] = refused.get_json()["error"]["blockers"]
    assert (blocker["code"], blocker["person_id"]) == ("no_consent", world["sem"])
    assert "ingetrokken door een ouder" in blocker["message"]


def test_decisions_exports_and_takedowns_carry_the_database_time(release, parent, world, app):
    from app.consent.models import Decision
    from app.release.models import Approval, Export, Publication, Quarantine, Takedown

    item = release.upload(release.photo_of_two())
    release.tag(item, [world["sem"]], complete=True)
    with app_clock(app, 120):  # an application server two hours ahead
        consent(parent, world["sem"], "social_media", "grant")
        made = release.export("instagram", [item])
        assert made.status_code == 200, made.get_data(as_text=True)
        posted = release.comms.post(
            "/api/v1/publications",
            json={"export_id": made.get_json()["id"], "media_id": item, "url": "https://instagram.com/p/t"},
        )
        assert posted.status_code == 201, posted.get_data(as_text=True)
        consent(parent, world["sem"], "social_media", "withdraw")
    with freeze_time(database_clock(app) - timedelta(minutes=45), tick=True):  # one 45 minutes behind
        [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
        resolved = release.comms.post(f"/api/v1/takedowns/{task['id']}/resolve", json={"note": "post deleted"})
        assert resolved.status_code == 200, resolved.get_data(as_text=True)
    then = database_clock(app)
    with app.app_context():
        decisions = db.session.scalars(select(Decision).where(Decision.subject_id == world["sem"])).all()
        takedown = db.session.scalars(select(Takedown)).one()
        quarantine = db.session.scalars(select(Quarantine)).one()
        stamps = [d.decided_at for d in decisions] + [d.recorded_at for d in decisions]
        export = db.session.scalars(select(Export)).one()
        approval = db.session.scalars(select(Approval)).one()
        stamps += [export.created_at, export.released_at, approval.proposed_at, approval.decided_at]
        stamps += [db.session.scalars(select(Publication)).one().created_at]
        stamps += [takedown.opened_at, takedown.resolved_at, quarantine.created_at, quarantine.lifted_at]
    assert len(decisions) == 2
    for stamp in stamps:
        assert stamp is not None and timedelta(0) <= then - stamp < timedelta(minutes=2), (stamp, then)
    assert takedown.due_at - takedown.opened_at == timedelta(hours=app.config["TAKEDOWN_DUE_HOURS"])


def test_the_gate_reads_now_from_the_database(app, world):
    from app.consent.queries import now
    from app.timestamps import school_day

    for minutes in (-600, 600):  # the application server ten hours off: another calendar day too
        with freeze_time(datetime.now(UTC) + timedelta(minutes=minutes)), app.app_context():
            moment = now()
            assert abs(moment.at - database_clock(app)) < timedelta(minutes=1)
            assert moment.day == school_day(moment.at)


@pytest.fixture
def own_postgresql_app(db_kind, tmp_path):
    """An application on a PostgreSQL database of its own, whose transactions really commit."""
    import os
    import secrets

    import psycopg
    from flask_migrate import upgrade
    from sqlalchemy.engine import make_url

    from tests.conftest import make_app

    if db_kind != "postgresql":
        pytest.skip("SQLite has one writer: an export's transaction holds the write lock from its BEGIN")
    base = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@localhost/test"))
    name = f"beeldrecht_clock_{secrets.token_hex(4)}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    app = make_app(
        base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    try:
        with app.app_context():
            upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "..", "migrations"))
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def granted_photo(app, tmp_path) -> tuple[int, int, int]:
    """The test school with a form, and Sem's photo tagged, attested and granted for the website.
    Returns (pupil, guardian, item)."""
    import io
    from datetime import date

    from PIL import Image

    from app.consent.form_files import sync_forms
    from app.consent.operations import decide
    from app.consent.vocabulary import Means
    from app.media.ingest import ingest_upload
    from app.media.models import Tag
    from app.school.models import Person
    from app.timestamps import school_today
    from tests.conftest import form_text
    from tests.factories import AlbumFactory, build_school, school_year_of

    with app.test_request_context(), app.app_context():
        ids = build_school()
        forms = tmp_path / "forms"
        forms.mkdir()
        (forms / "form.toml").write_text(form_text(school_year_of(school_today())[0]), encoding="utf-8")
        assert not sync_forms(forms).problems
        sem, parent = db.session.get(Person, ids["sem"]), db.session.get(Person, ids["parent"])
        picture = io.BytesIO()
        Image.new("RGB", (32, 32), (10, 10, 200)).save(picture, format="PNG")
        picture.seek(0)
        album = AlbumFactory(group=sem.pupil_groups[0], title="Clock", taken_on=date(2026, 11, 1))
        item = ingest_upload(picture, album=album, uploaded_by=None).item
        item.tags.append(Tag(person_id=sem.id))
        item.tags_complete = True
        decide(sem, "photo", "website", "grant", decided_by=parent, recorded_by=None, means=Means.WEB)
        db.session.commit()
        return sem.id, parent.id, item.id


@pytest.mark.own_database
def test_a_withdrawal_committed_after_the_export_began_still_wins(own_postgresql_app, tmp_path):
    """PostgreSQL, READ COMMITTED: the export's transaction is already open when the withdrawal
    commits. The gate's "now" is read after its locks (``clock_timestamp()``), so it is later than
    the withdrawal; the transaction's start (``now()``) would be earlier, and the rules would take
    the withdrawal for one still to come."""
    from app.accounts.models import User
    from app.consent.operations import decide
    from app.consent.vocabulary import Means
    from app.release.exports import ExportBlocked, export_media
    from app.school.models import Person

    app = own_postgresql_app
    pupil, guardian, item = granted_photo(app, tmp_path)
    with app.test_request_context(), app.app_context():  # the export's request, on one server
        comms = db.session.scalar(select(User).where(User.email == "comms@example.org"))
        assert comms is not None  # its transaction has begun
        with app.test_request_context(), app.app_context():  # the parent's, on another
            subject, decider = db.session.get(Person, pupil), db.session.get(Person, guardian)
            decide(subject, "photo", "website", "withdraw", decided_by=decider, recorded_by=None, means=Means.WEB)
            db.session.commit()
        with pytest.raises(ExportBlocked) as refused:
            export_media("website", [item], by=comms)
        assert [(b.code, b.person_id) for b in refused.value.blockers] == [("no_consent", pupil)]
        db.session.rollback()

"""The audit log: append-only in the database, tamper-evident by its hash chain."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.audit.log import record
from app.audit.models import AuditEvent
from app.extensions import db


def write_events(app, count: int) -> list[int]:
    with app.app_context():
        ids = [record("test.event", n=n, target_type="thing", target_id=n).id for n in range(count)]
        db.session.commit()
        return ids


def drop_guards(app) -> None:
    """What an attacker with database access would do first."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    else:
        db.session.execute(text("DROP TRIGGER audit_event_no_update"))
        db.session.execute(text("DROP TRIGGER audit_event_no_delete"))


def test_verify_reports_an_intact_chain(app, runner):
    write_events(app, 5)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 5 rows" in result.output


def test_rows_cannot_be_updated_or_deleted(app):
    ids = write_events(app, 2)
    with app.app_context():
        for statement in (
            "UPDATE audit_event SET action = 'x' WHERE id = :id",
            "DELETE FROM audit_event WHERE id = :id",
        ):
            with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
                db.session.execute(text(statement), {"id": ids[0]})


def test_a_changed_row_is_named(app, runner):
    ids = write_events(app, 4)
    with app.app_context():
        drop_guards(app)
        db.session.execute(text("UPDATE audit_event SET details = :d WHERE id = :id"), {"d": '{"n": 99}', "id": ids[2]})
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at row {ids[2]}" in result.output
    assert "changed" in result.output


def test_a_deleted_row_is_found(app, runner):
    ids = write_events(app, 4)
    with app.app_context():
        drop_guards(app)
        db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": ids[1]})
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at row {ids[2]}" in result.output


def test_a_rebuilt_chain_without_the_key_is_detected(app, runner):
    """Recomputing hashes needs the HMAC key, which is not in the database."""
    import hashlib

    ids = write_events(app, 3)
    with app.app_context():
        drop_guards(app)
        prev = "0" * 64
        for row in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            forged = hashlib.sha256((prev + row.action).encode()).hexdigest()
            db.session.execute(
                text("UPDATE audit_event SET prev_hash = :p, hash = :h WHERE id = :id"),
                {"p": prev, "h": forged, "id": row.id},
            )
            prev = forged
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at row {ids[0]}" in result.output


def test_audit_rows_hold_nothing_personal(client, login_as, world, app):
    login_as("parent")
    client.submit("/sign-in", {"email": "someone.unknown@example.org", "password": "x"})
    with app.app_context():
        for event in db.session.scalars(select(AuditEvent)):
            blob = f"{event.details} {event.target_id} {event.target_type}"
            assert "@" not in blob
            assert "de Vries" not in blob


def test_admin_page_lists_and_filters(client, login_as, world, app):
    login_as("admin")
    client.submit("/sign-out")
    login_as("admin")
    page = client.get("/admin/audit/")
    assert page.status_code == 200
    assert ">Ingelogd</div>" in page.get_data(as_text=True)
    filtered = client.get("/admin/audit/?action=auth.sign_out").get_data(as_text=True)
    assert ">Uitgelogd</div>" in filtered and ">Ingelogd</div>" not in filtered
    nothing = client.get("/admin/audit/?from=2001-01-01&until=2001-01-02").get_data(as_text=True)
    assert "Geen auditregels" in nothing
    bad_dates = client.get("/admin/audit/?from=yesterday&actor=abc")
    assert bad_dates.status_code == 200


def test_only_admins_read_the_audit_log(client, login_as, world):
    for who in ("parent", "teacher", "comms"):
        login_as(who)
        assert client.get("/admin/audit/").status_code == 404
        client.submit("/sign-out")

"""Anchors outside the database: deleting the newest audit rows or emptying the table is found."""

from __future__ import annotations

import json
import stat

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.audit.test_audit_chain import drop_guards, write_events


@pytest.fixture
def anchor_file(app, tmp_path, monkeypatch):
    path = tmp_path / "anchors" / "audit-anchors.jsonl"
    path.parent.mkdir()
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_FILE", str(path))
    return path


def anchor(runner) -> dict:
    result = runner.invoke(args=["audit", "anchor"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def verify(runner, anchor_file):
    return runner.invoke(args=["audit", "verify", "--anchor", str(anchor_file)])


def remove_rows(app, where: str) -> None:
    with app.app_context():
        drop_guards(app)
        db.session.execute(text(f"DELETE FROM audit_event {where}"))
        db.session.commit()


def truncate(app) -> None:
    with app.app_context():
        drop_guards(app)
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("TRUNCATE audit_event"))
        else:
            db.session.execute(text("DELETE FROM audit_event"))
        db.session.commit()


def test_anchor_needs_the_setting(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_FILE", None)
    result = runner.invoke(args=["audit", "anchor"])
    assert result.exit_code == 2
    assert "BEELDRECHT_AUDIT_ANCHOR_FILE is not set" in result.output


def test_anchor_appends_the_newest_row_to_a_private_file(app, runner, anchor_file):
    ids = write_events(app, 3)
    first = anchor(runner)
    assert (first["id"], first["rows"]) == (ids[-1], ids[-1])
    with app.app_context():
        stored = db.session.execute(text("SELECT hash FROM audit_event WHERE id = :id"), {"id": ids[-1]}).scalar()
    assert first["hash"] == stored
    assert stat.S_IMODE(anchor_file.stat().st_mode) == 0o600
    write_events(app, 2)
    second = anchor(runner)
    assert second["id"] == ids[-1] + 2
    lines = anchor_file.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [first["id"], second["id"]]
    assert json.loads(lines[1])["prev"] != json.loads(lines[0])["prev"]


def test_growth_after_an_anchor_is_intact(app, runner, anchor_file):
    write_events(app, 4)
    anchor(runner)
    write_events(app, 3)
    result = verify(runner, anchor_file)
    assert result.exit_code == 0, result.output
    assert "1 lines of" in result.output and "intact: 7 rows" in result.output


def test_deleted_newest_rows_are_reported(app, runner, anchor_file):
    ids = write_events(app, 5)
    anchor(runner)
    remove_rows(app, f"WHERE id > {ids[2]}")
    plain = runner.invoke(args=["audit", "verify"])
    # The configured anchor file is used by default, so the plain command finds it too.
    assert plain.exit_code == 1
    result = verify(runner, anchor_file)
    assert result.exit_code == 1
    assert f"rows deleted after id {ids[2]}" in result.output
    assert f"anchored row {ids[4]}" in result.output


def test_without_an_anchor_deleted_newest_rows_go_unseen(app, runner, anchor_file, monkeypatch):
    """The limit the anchors are for: the chain alone still says intact."""
    ids = write_events(app, 5)
    anchor(runner)
    remove_rows(app, f"WHERE id > {ids[2]}")
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_FILE", None)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output


def test_a_truncated_table_is_reported(app, runner, anchor_file):
    write_events(app, 3)
    anchor(runner)
    truncate(app)
    result = verify(runner, anchor_file)
    assert result.exit_code == 1
    assert "table truncated" in result.output


def test_a_replaced_log_is_reported(app, runner, anchor_file):
    """Emptied, then written again past the anchored id: the anchored hash no longer matches."""
    write_events(app, 3)
    line = anchor(runner)
    truncate(app)
    write_events(app, 5)
    result = verify(runner, anchor_file)
    assert result.exit_code == 1
    assert f"row {line['id']} is not the row anchored on line 1" in result.output


@pytest.mark.parametrize("edit", ["id", "hash", "last line", "removed line", "added line"])
def test_an_edited_anchor_file_is_reported(app, runner, anchor_file, edit):
    ids = write_events(app, 2)
    anchor(runner)
    write_events(app, 2)
    anchor(runner)
    write_events(app, 2)
    anchor(runner)
    lines = anchor_file.read_text().splitlines()
    if edit == "id":  # made to point at an earlier row, as someone hiding deleted rows would
        body = json.loads(lines[0])
        body["id"] = ids[0]
        lines[0] = json.dumps(body, sort_keys=True, separators=(",", ":"))
        expected = "line 1"
    elif edit == "hash":
        lines[1] = lines[1].replace(json.loads(lines[1])["hash"], "f" * 64)
        expected = "line 2"
    elif edit == "last line":
        body = json.loads(lines[2])
        body["rows"] = 1
        lines[2] = json.dumps(body, sort_keys=True, separators=(",", ":"))
        expected = "line 3"
    elif edit == "removed line":
        del lines[1]
        expected = "line 2"
    else:  # a line copied in from elsewhere
        lines.insert(1, lines[0])
        expected = "line 2"
    anchor_file.write_text("\n".join(lines) + "\n")
    result = verify(runner, anchor_file)
    assert result.exit_code == 1
    assert f"anchor file edited ({expected})" in result.output
    before = anchor_file.read_bytes()
    refused = runner.invoke(args=["audit", "anchor"])
    assert refused.exit_code == 1
    assert f"anchor file edited ({expected})" in refused.output and "nothing was appended" in refused.output
    assert anchor_file.read_bytes() == before


def test_anchor_refuses_a_log_shorter_than_its_last_anchor(app, runner, anchor_file):
    ids = write_events(app, 4)
    anchor(runner)
    remove_rows(app, f"WHERE id > {ids[1]}")
    before = anchor_file.read_bytes()
    result = runner.invoke(args=["audit", "anchor"])
    assert result.exit_code == 1
    assert "rows were deleted" in result.output
    assert anchor_file.read_bytes() == before


def test_anchor_mails_the_active_administrators(app, runner, anchor_file, world, outbox):
    write_events(app, 2)
    result = runner.invoke(args=["audit", "anchor", "--mail"])
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[0]
    assert "Mailed to 1 active administrators" in result.output
    [mail] = outbox
    assert mail.to == ["admin@example.org"]
    assert line in mail.body
    assert "Annelies" not in mail.body and "Schouten" not in mail.body
    assert "auditlog" in mail.subject.lower()


def anchor_status(client) -> str:
    import re

    page = client.get("/admin/audit/").get_data(as_text=True)
    match = re.search(r'id="anchor-status">(.*?)</p>', page, re.S)
    assert match, "no anchor status on the page"
    return match.group(1).strip()


def test_the_audit_page_shows_what_the_anchors_say(app, client, login_as, anchor_file, runner):
    login_as("admin")
    write_events(app, 3)
    anchor(runner)
    assert "de 1 regels van het ankerbestand kloppen met het log" in anchor_status(client)
    write_events(app, 2)
    last = anchor(runner)["id"]
    remove_rows(app, f"WHERE id >= {last - 1}")
    status = anchor_status(client)
    assert "Er zijn rijen van het eind van het auditlog verwijderd" in status
    assert f"eindigt bij rij {last - 2}" in status and f"legde rij {last} vast" in status
    lines = anchor_file.read_text().splitlines()
    anchor_file.write_text(lines[0] + "\n" + lines[1].replace('"rows":', '"rows":9', 1) + "\n")
    assert "Het ankerbestand is gewijzigd (regel 2)" in anchor_status(client)


def test_without_an_anchor_file_the_page_says_nothing_of_anchors(app, client, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_FILE", None)
    login_as("admin")
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "Hashketen intact" in page and "anchor-status" not in page

"""Backups that restore: a school with people, decisions, media, exports, a takedown and an anchored
audit log is backed up through ``flask backup create`` and restored by ``flask backup restore`` into
a new database and media root; the restored installation verifies its audit chain, finds every
media file, and answers every clearance question (item x channel) as the original did.

Runs on the suite's database (``--db sqlite`` or ``--db postgresql``): on PostgreSQL the original
and every restore target are databases of their own, made and dropped here.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from app.extensions import db
from tests.conftest import Client, form_text, make_app
from tests.test_migrations import MIGRATIONS, _drop_pg_database, _make_pg_database

pytestmark = pytest.mark.own_database


class Installation:
    """An app with a database, media root, forms folder and anchor file of its own."""

    def __init__(self, url: str, root: Path) -> None:
        self.url, self.root = url, root
        self.media, self.forms, self.anchors = root / "media", root / "consent_forms", root / "anchors.jsonl"
        self.forms.mkdir(parents=True)
        self.app: Flask = make_app(
            url,
            MEDIA_ROOT=str(self.media),
            CONSENT_FORMS_DIR=str(self.forms),
            AUDIT_ANCHOR_FILE=str(self.anchors),
        )
        self.app.test_client_class = Client

    def cli(self, *args: str) -> Any:
        return self.app.test_cli_runner().invoke(args=list(args))

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def new_installation(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Any]]:
    """Makes installations with a new, empty database each (``kind`` overrides the suite's)."""
    made: list[tuple[Installation, str | None]] = []

    def make(kind: str | None = None) -> Installation:
        root = tmp_path_factory.mktemp("installation")
        pg_name = None
        if (kind or ("sqlite" if database_url.startswith("sqlite") else "postgresql")) == "sqlite":
            url = f"sqlite:///{root / 'beeldrecht.sqlite3'}"
        else:
            pg_name = _make_pg_database(database_url)
            url = database_url.rsplit("/", 1)[0] + "/" + pg_name
        installation = Installation(url, root)
        made.append((installation, pg_name))
        return installation

    yield make
    for installation, pg_name in made:
        installation.close()
        if pg_name:
            _drop_pg_database(database_url, pg_name)


def build_data(original: Installation) -> dict[str, Any]:
    """The test school with a published form, three photos (tagged, decided on, one exported to two
    channels, published and withdrawn: a takedown and a quarantine), and an anchored audit log."""
    from app.consent.form_files import sync_forms
    from app.timestamps import school_today
    from tests.factories import build_school, school_year_of
    from tests.release.helpers import Release

    app = original.app
    with app.test_request_context(), app.app_context():
        upgrade(directory=MIGRATIONS)
        world = build_school()
        (original.forms / "beeldgebruik-v1.toml").write_text(form_text(school_year_of(school_today())[0]))
        assert not sync_forms(original.forms).problems
        db.session.commit()
    release = Release(app, app.test_client(), app.test_cli_runner(), world)
    both = release.upload(release.photo_of_two((200, 10, 10)))
    release.tag(both, [world["sem"]], complete=True)
    release.decide("sem", "photo", "website", "grant")
    release.decide("sem", "photo", "social_media", "grant")
    assert release.export("website", [both]).status_code == 200
    made = release.export("instagram", [both])
    assert made.status_code == 200, made.get_data(as_text=True)
    posted = release.comms.post(
        "/api/v1/publications",
        json={"export_id": made.get_json()["id"], "media_id": both, "url": "https://instagram.com/p/x"},
    )
    assert posted.status_code == 201, posted.get_data(as_text=True)
    release.decide("sem", "photo", "social_media", "withdraw")  # a takedown and a quarantine
    refused = release.upload(release.photo_of_two((10, 200, 10)))
    release.tag(refused, [world["noah"]], complete=True)
    release.decide("noah", "photo", "website", "refuse")
    unattested = release.upload(release.astronaut())
    release.tag(unattested, [world["sem"], world["noah"]], complete=False)
    assert original.cli("audit", "anchor").exit_code == 0
    return world


def clearances(installation: Installation) -> dict[tuple[int, str], Any]:
    """Every item x channel: cleared or not, and every blocker's code, person and words."""
    from app.media.models import MediaItem
    from app.release.clearance import clear
    from app.release.models import Channel

    with installation.app.test_request_context(), installation.app.app_context():
        items = list(db.session.scalars(select(MediaItem.id).order_by(MediaItem.id)))
        answers = {}
        for channel in db.session.scalars(select(Channel).order_by(Channel.key)):
            for item, answer in clear(items, channel).items():
                blockers = sorted((b.code, b.person_id, b.message) for b in answer.blockers)
                answers[(item, channel.key)] = (answer.cleared, blockers, answer.evidence)
        return answers


@pytest.fixture(scope="module")
def original(new_installation) -> Installation:
    installation = new_installation()
    build_data(installation)
    return installation


@pytest.fixture(scope="module")
def backup(original: Installation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("backups") / "nightly" / "2026-12-02"
    result = original.cli("backup", "create", str(directory))
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output
    return directory


def copy_of(backup: Path, tmp_path: Path) -> Path:
    """A copy of the backup to spoil."""
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(backup, target)
    return target


def unchanged(target: Installation) -> None:
    """Nothing was written: no tables, no media, no forms."""
    from app.backup.database import existing_tables

    with target.app.app_context():
        assert existing_tables(target.url) == []
    assert not any(path.is_file() for path in target.media.rglob("*"))
    assert list(target.forms.iterdir()) == []


def test_a_backup_restores_into_a_new_installation(original, backup, new_installation, db_kind):
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["kind"] == db_kind
    assert manifest["counts"]["media_item"] == 3 and manifest["counts"]["takedown"] == 1
    assert manifest["audit_anchor"]["id"] == manifest["counts"]["audit_event"]
    assert {"audit-anchors.jsonl", "consent_forms/beeldgebruik-v1.toml"} <= set(manifest["files"])
    assert sum(name.startswith("media/originals/") for name in manifest["files"]) == 3
    for path in [backup, *backup.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert not backup.with_name(backup.name + ".partial").exists()

    target = new_installation()
    result = target.cli("backup", "restore", str(backup))
    assert result.exit_code == 0, result.output
    assert "Audit chain intact" in result.output and f"restored to {target.anchors}" in result.output

    verified = target.cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "intact" in verified.output and "agree with the log" in verified.output
    fsck = target.cli("media", "fsck", "--grace-minutes", "0")
    assert fsck.exit_code == 0, fsck.output
    assert ", 0 items with missing files, 0 orphan files" in fsck.output
    assert (target.forms / "beeldgebruik-v1.toml").read_bytes() == (
        original.forms / "beeldgebruik-v1.toml"
    ).read_bytes()

    before, after = clearances(original), clearances(target)
    assert before == after
    assert len(before) >= 3 * 4
    assert {cleared for cleared, _blockers, _evidence in before.values()} == {True, False}
    codes = {code for _cleared, blockers, _evidence in before.values() for code, _person, _message in blockers}
    assert {"no_consent", "quarantined"} <= codes


def test_a_backup_directory_that_exists_is_refused(original, tmp_path):
    directory = tmp_path / "taken"
    directory.mkdir()
    result = original.cli("backup", "create", str(directory))
    assert result.exit_code == 2
    assert "exists" in result.output
    assert list(directory.iterdir()) == []
    assert not (tmp_path / "taken.partial").exists()


def test_a_database_that_is_not_empty_is_refused(backup, new_installation):
    target = new_installation()
    with target.app.app_context():
        upgrade(directory=MIGRATIONS)
    result = target.cli("backup", "restore", str(backup))
    assert result.exit_code == 2
    assert "the target database is not empty" in result.output
    assert not target.media.exists() or not any(p.is_file() for p in target.media.rglob("*"))


def test_a_media_root_that_is_not_empty_is_refused(backup, new_installation):
    target = new_installation()
    stray = target.media / "originals" / "ab" / ("ab" + "0" * 62)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    result = target.cli("backup", "restore", str(backup))
    assert result.exit_code == 2
    assert "is not empty" in result.output
    with target.app.app_context():
        from app.backup.database import existing_tables

        assert existing_tables(target.url) == []


def test_a_changed_file_is_named_and_nothing_is_restored(backup, new_installation, tmp_path):
    spoilt = copy_of(backup, tmp_path)
    original_file = next(p for p in (spoilt / "media" / "originals").rglob("*") if p.is_file())
    data = bytearray(original_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    original_file.write_bytes(bytes(data))
    target = new_installation()
    result = target.cli("backup", "restore", str(spoilt))
    assert result.exit_code == 1
    name = original_file.relative_to(spoilt).as_posix()
    assert f"{name} does not match its checksum" in result.output
    unchanged(target)


def test_a_changed_manifest_is_refused(backup, new_installation, tmp_path):
    """Counts lowered to hide deleted rows, and a checksum rewritten to match a changed file."""
    spoilt = copy_of(backup, tmp_path)
    manifest = json.loads((spoilt / "manifest.json").read_text())
    manifest["counts"]["decision"] -= 1
    form = spoilt / "consent_forms" / "beeldgebruik-v1.toml"
    form.write_text(form.read_text() + "\n# changed\n")
    from app.backup.files import sha256_of

    manifest["files"]["consent_forms/beeldgebruik-v1.toml"]["sha256"] = sha256_of(form)
    (spoilt / "manifest.json").write_text(json.dumps(manifest))
    target = new_installation()
    result = target.cli("backup", "restore", str(spoilt))
    assert result.exit_code == 1
    assert "manifest.json was changed: its seal does not match" in result.output
    unchanged(target)


def test_an_edited_anchor_file_in_the_backup_is_refused(backup, new_installation, tmp_path):
    spoilt = copy_of(backup, tmp_path)
    anchors = spoilt / "audit-anchors.jsonl"
    line = json.loads(anchors.read_text())
    line["id"] -= 1
    anchors.write_text(json.dumps(line) + "\n")
    target = new_installation()
    result = target.cli("backup", "restore", str(spoilt))
    assert result.exit_code == 1
    assert "audit-anchors.jsonl does not match its checksum" in result.output
    unchanged(target)
    assert not target.anchors.exists()


def test_a_backup_is_refused_while_the_anchor_file_is_edited(original, tmp_path):
    saved = original.anchors.read_bytes()
    try:
        original.anchors.write_bytes(saved.replace(b'"rows":', b'"rows":1', 1))
        result = original.cli("backup", "create", str(tmp_path / "b"))
        assert result.exit_code == 1
        assert "anchor file edited (line 1)" in result.output
        assert not (tmp_path / "b").exists() and not (tmp_path / "b.partial").exists()
    finally:
        original.anchors.write_bytes(saved)


def test_a_backup_of_another_kind_of_database_is_refused(backup, new_installation, db_kind, tmp_path):
    if db_kind == "sqlite":  # never reached: the kind is checked before the target is opened
        target = Installation(f"postgresql+psycopg://nobody@127.0.0.1:9/none_{secrets.token_hex(2)}", tmp_path / "pg")
        expected = "backup of a SQLite database and the target is PostgreSQL"
    else:
        target = new_installation("sqlite")
        expected = "backup of a PostgreSQL database and the target is SQLite"
    result = target.cli("backup", "restore", str(backup))
    assert result.exit_code == 2
    assert expected in result.output
    assert not any(p.is_file() for p in target.media.rglob("*")) if target.media.exists() else True


def test_restore_needs_a_backup(new_installation, tmp_path):
    target = new_installation()
    (tmp_path / "empty").mkdir()
    result = target.cli("backup", "restore", str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert "holds no manifest.json" in result.output
    assert os.listdir(tmp_path / "empty") == []


def test_the_dump_counts_and_anchor_come_from_one_snapshot(original, new_installation, tmp_path, monkeypatch):
    """A row committed while the backup runs (after the snapshot: PostgreSQL's exported snapshot,
    SQLite's copy) is in neither the counts nor the dump, so the restored database matches the
    manifest exactly."""
    from sqlalchemy import text

    import app.backup.database as database

    read_facts = database.read_facts

    def facts_then_a_concurrent_write(session):
        facts = read_facts(session)
        with db.engine.begin() as other:  # another connection, committed before the dump is taken or read
            other.execute(
                text(
                    "INSERT INTO location (name, address, created_at) VALUES ('Nieuwbouw', 'Laan 3', CURRENT_TIMESTAMP)"
                )
            )
        return facts

    monkeypatch.setattr(database, "read_facts", facts_then_a_concurrent_write)
    with original.app.app_context():
        before = db.session.scalar(text("SELECT count(*) FROM location"))
    result = original.cli("backup", "create", str(tmp_path / "during-a-write"))
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    with original.app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM location")) == before + 1
    manifest = json.loads((tmp_path / "during-a-write" / "manifest.json").read_text())
    assert manifest["counts"]["location"] == before
    target = new_installation()
    restored = target.cli("backup", "restore", str(tmp_path / "during-a-write"))
    assert restored.exit_code == 0, restored.output
    with target.app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM location")) == before


def test_a_pg_dump_older_than_the_server_is_refused(original, db_kind, tmp_path, monkeypatch):
    if db_kind != "postgresql":
        pytest.skip("SQLite needs no pg_dump")
    import app.backup.database as database

    monkeypatch.setattr(database, "_tool_major", lambda path: 9)
    result = original.cli("backup", "create", str(tmp_path / "b"))
    assert result.exit_code == 2
    assert "pg_dump of PostgreSQL" in result.output and "or newer is needed; found" in result.output
    assert "(9)" in result.output
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.partial").exists()

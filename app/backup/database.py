"""The database part of a backup: a consistent copy and what it holds, and putting it back.

PostgreSQL: a REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot()``);
``pg_dump --snapshot`` dumps exactly that snapshot while the same transaction reads the row
counts, the audit anchor, the alembic revision and the storage keys the rows refer to, so the
manifest and the dump agree. SQLite: the online backup API copies the database, and those facts
are read from the copy itself.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.audit.anchor import Anchor, newest
from app.backup.errors import REFUSED, BackupError
from app.backup.files import create_private_file
from app.extensions import db
from app.media.inventory import item_files, paper_scans

KINDS = ("postgresql", "sqlite")
DUMP_FILE = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
VERSION_RE = re.compile(r"\(PostgreSQL\) (\d+)")


@dataclass(frozen=True)
class SnapshotFacts:
    """What the snapshot holds: rows per table, the newest audit row, the schema's revision, and
    every storage key its rows refer to (the backup must hold all of them)."""

    counts: dict[str, int]
    anchor: Anchor
    revision: str | None
    keys: frozenset[str]


def kind_of(url: str) -> str:
    kind = make_url(url).get_backend_name()
    if kind not in KINDS:
        raise BackupError(f"backups know PostgreSQL and SQLite, not {kind}", REFUSED)
    return kind


def read_facts(session: Session) -> SnapshotFacts:
    connection = session.connection()
    tables = sorted(inspect(connection).get_table_names())
    # Table names come from the database's own catalogue, quoted.
    counts = {name: int(session.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0) for name in tables}  # noqa: S608
    revision = session.scalar(text("SELECT version_num FROM alembic_version")) if "alembic_version" in tables else None
    keys = frozenset(item_files(session)) | paper_scans(session) if "media_item" in tables else frozenset()
    return SnapshotFacts(counts, newest(session), revision, frozenset(keys))


# --- PostgreSQL ------------------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq address for the tools (without the password, which goes in their environment, not
    on a command line others can read)."""
    parsed = make_url(url)
    address = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    return address, environment


def _tool_major(path: Path) -> int | None:
    try:
        output = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
    except OSError:
        return None
    match = VERSION_RE.search(output)
    return int(match.group(1)) if match else None


def pg_tool(name: str, at_least: int) -> tuple[str, int]:
    """``pg_dump`` or ``pg_restore`` of at least major version ``at_least`` (the server's): the one in
    ``PG_BIN_DIR``, then Debian's for that version, then the one on the PATH."""
    candidates = []
    if current_app.config.get("PG_BIN_DIR"):
        candidates.append(Path(str(current_app.config["PG_BIN_DIR"])) / name)
    candidates.append(Path(f"/usr/lib/postgresql/{at_least}/bin/{name}"))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    seen = []
    for candidate in candidates:
        if not candidate.is_file():
            continue
        major = _tool_major(candidate)
        seen.append(f"{candidate} ({major or 'unknown version'})")
        if major is not None and major >= at_least:
            return str(candidate), major
    found = "; found " + ", ".join(seen) if seen else "; none was found"
    raise BackupError(
        f"{name} of PostgreSQL {at_least} or newer is needed{found}: install postgresql-client-{at_least} "
        "or set BEELDRECHT_PG_BIN_DIR to its bin folder",
        REFUSED,
    )


def _server_major(connection: Connection) -> int:
    return int((connection.dialect.server_version_info or (0,))[0])


def dump_postgresql(url: str, target: Path) -> tuple[SnapshotFacts, dict[str, Any]]:
    try:
        with db.engine.connect() as probe:
            major = _server_major(probe)
    except OperationalError as error:
        raise BackupError(f"the database cannot be reached: {error.orig}", REFUSED) from None
    tool, tool_major = pg_tool("pg_dump", major)
    address, environment = _libpq(url)
    create_private_file(target)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        with Session(bind=connection) as session:
            facts = read_facts(session)
        done = subprocess.run(  # noqa: S603 - a fixed tool with arguments we build
            [
                tool,
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-password",
                f"--file={target}",
                f"--dbname={address}",
            ],
            capture_output=True,
            text=True,
            env=environment,
            check=False,
        )
        connection.rollback()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip() or done.returncode}")
    return facts, {"server_major": major, "pg_dump_major": tool_major}


def _postgresql_tables() -> list[str]:
    try:
        with db.engine.connect() as connection:
            return sorted(inspect(connection).get_table_names())
    except OperationalError as error:
        raise BackupError(f"the target database cannot be reached: {error.orig}", REFUSED) from None


def restore_postgresql(url: str, dump: Path, dumped_by: int) -> None:
    with db.engine.connect() as probe:
        major = _server_major(probe)
    tool, _major = pg_tool("pg_restore", max(major, dumped_by))
    address, environment = _libpq(url)
    db.session.remove()
    db.engine.dispose()
    done = subprocess.run(  # noqa: S603 - a fixed tool with arguments we build
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={address}",
            str(dump),
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing was restored): {done.stderr.strip() or done.returncode}")


# --- SQLite ----------------------------------------------------------------------------------


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("backups need a SQLite database in a file", REFUSED)
    return Path(database)


def dump_sqlite(url: str, target: Path) -> tuple[SnapshotFacts, dict[str, Any]]:
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"the database {source_path} does not exist", REFUSED)
    create_private_file(target)
    _online_copy(source_path, target)
    engine = create_engine(f"sqlite:///{target}")
    try:
        with Session(bind=engine) as session:
            facts = read_facts(session)
    finally:
        engine.dispose()
    _single_file(target)
    return facts, {}


def _online_copy(source_path: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy of ``source_path`` (opened read-only) into
    ``target``, page by page, while others may keep writing to the source."""
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()


def _single_file(path: Path) -> None:
    """Out of WAL mode, so the copy is one self-contained file (no -wal or -shm beside it)."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode = DELETE")
    finally:
        connection.close()


def _sqlite_tables(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    finally:
        connection.close()
    return [str(row[0]) for row in rows]


def restore_sqlite(url: str, copy: Path) -> None:
    target = sqlite_path(url)
    db.session.remove()
    db.engine.dispose()
    target.parent.mkdir(parents=True, exist_ok=True)
    _online_copy(copy, target)


# --- Either ----------------------------------------------------------------------------------


def dump_database(url: str, directory: Path) -> tuple[SnapshotFacts, dict[str, Any]]:
    kind = kind_of(url)
    target = directory / DUMP_FILE[kind]
    facts, details = dump_postgresql(url, target) if kind == "postgresql" else dump_sqlite(url, target)
    return facts, {"kind": kind, "file": DUMP_FILE[kind]} | details


def existing_tables(url: str) -> list[str]:
    """The target's tables: an empty installation has none (a new database, before any
    ``flask db upgrade``)."""
    return _postgresql_tables() if kind_of(url) == "postgresql" else _sqlite_tables(sqlite_path(url))


def restore_database(url: str, directory: Path, database: dict[str, Any]) -> None:
    dump = directory / DUMP_FILE[database["kind"]]
    if database["kind"] == "postgresql":
        restore_postgresql(url, dump, int(database.get("pg_dump_major") or 0))
    else:
        restore_sqlite(url, dump)


def restored_facts() -> SnapshotFacts:
    db.session.remove()
    db.engine.dispose()
    return read_facts(db.session())

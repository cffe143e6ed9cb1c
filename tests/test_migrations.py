"""Models and migrations agree, there is one head, and the round trip works."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db

MIGRATIONS = str(Path(__file__).parent.parent / "migrations")


def test_single_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(MIGRATIONS)
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_the_migrations(app):
    """An autogenerate comparison of the migrated test schema finds no difference."""
    with app.app_context():
        context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_and_upgrade_round_trip(database_url, tmp_path):
    """On a database of its own, so the shared test schema is left alone."""
    from tests.conftest import make_app

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    else:
        url = database_url.rsplit("/", 1)[0] + "/" + _make_pg_database(database_url)
    app = make_app(url)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=MIGRATIONS)
        assert "audit_event" in inspect(db.engine).get_table_names()
        db.engine.dispose()
    if not database_url.startswith("sqlite"):
        _drop_pg_database(database_url, url.rsplit("/", 1)[1])


def test_a_migration_that_rebuilds_a_table_keeps_the_rows_that_refer_to_it(database_url, tmp_path):
    """On SQLite a batch migration copies a table and drops the old one; with foreign keys on, that
    DROP used to delete every tag, face and export entry of every media item (ON DELETE CASCADE).
    Round trip through a4c8e1f2b7d3 (which rebuilds media_item): the faces stay, and the pooled
    connection has its foreign keys on again afterwards."""
    from sqlalchemy import func, select, text
    from sqlalchemy.orm import Session

    from app.media.models import Face, MediaItem
    from tests.conftest import make_app
    from tests.factories import AlbumFactory, GroupFactory

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}"
    else:
        url = database_url.rsplit("/", 1)[0] + "/" + _make_pg_database(database_url)
    app = make_app(url)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with Session(db.engine) as session:
            album = AlbumFactory.build(group=GroupFactory.build())
            face = Face(frame_ms=0, box_x=0.1, box_y=0.1, box_w=0.2, box_h=0.2, score=0.9)
            session.add(album)
            session.flush()
            session.add(
                MediaItem(
                    sha256="a" * 64,
                    media_type="photo",
                    mime_type="image/jpeg",
                    size_bytes=1,
                    group_id=album.group_id,
                    album_id=album.id,
                    faces=[face],
                )
            )
            session.commit()
        downgrade(directory=MIGRATIONS, revision="a4c8e1f2b7d3")
        upgrade(directory=MIGRATIONS)
        with Session(db.engine) as session:
            faces = session.scalar(select(func.count(Face.id)))
            enforced = session.execute(text("PRAGMA foreign_keys")).scalar() if url.startswith("sqlite") else 1
        db.engine.dispose()
    assert (faces, enforced) == (1, 1)
    if not database_url.startswith("sqlite"):
        _drop_pg_database(database_url, url.rsplit("/", 1)[1])


def test_films_searched_on_sampled_frames_only_are_marked_when_the_schema_learns_of_them(database_url, tmp_path):
    """9a4f2c7e1b58 marks the ready films none of whose faces is a track (scanned the old way):
    data made at the head, the column dropped and added again by the migration."""
    from sqlalchemy.orm import Session

    from app.media.models import Face, MediaItem, ProcessingState
    from tests.conftest import make_app
    from tests.factories import AlbumFactory, GroupFactory

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'sampled.sqlite3'}"
    else:
        url = database_url.rsplit("/", 1)[0] + "/" + _make_pg_database(database_url)
    app = make_app(url)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with Session(db.engine) as session:  # this database's own session (the tests' one is swapped)
            album = AlbumFactory.build(group=GroupFactory.build())
            session.add(album)
            session.flush()

            def film(n: int, tracks: list[list[list[float]] | None], state=ProcessingState.READY) -> MediaItem:
                faces = [
                    Face(frame_ms=500, track=track, box_x=0.1, box_y=0.1, box_w=0.2, box_h=0.2, score=0.9)
                    for track in tracks
                ]
                item = MediaItem(
                    sha256=f"{n:064x}",
                    media_type="film",
                    mime_type="video/mp4",
                    size_bytes=1,
                    group_id=album.group_id,
                    album_id=album.id,
                    processing_state=state,
                    faces=faces,
                )
                session.add(item)
                return item

            sampled = film(1, [None])
            nothing_found = film(2, [])
            tracked = film(3, [[[500, 0.1, 0.1, 0.2, 0.2]]])
            waiting = film(4, [], ProcessingState.PROCESSING)  # its job scans it throughout
            session.commit()
            ids = [sampled.id, nothing_found.id, tracked.id, waiting.id]
        downgrade(directory=MIGRATIONS, revision="81fc1d79fe9c")
        upgrade(directory=MIGRATIONS)
        with Session(db.engine) as session:
            marked = [session.get_one(MediaItem, item_id).sampled_only for item_id in ids]
        db.engine.dispose()
    assert marked == [True, True, False, False]
    if not database_url.startswith("sqlite"):
        _drop_pg_database(database_url, url.rsplit("/", 1)[1])


def _admin_dsn(database_url: str) -> str:
    from sqlalchemy import make_url

    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _make_pg_database(database_url: str) -> str:
    import secrets

    import psycopg

    name = f"{database_url.rsplit('/', 1)[1]}_rt_{secrets.token_hex(2)}"
    with psycopg.connect(_admin_dsn(database_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_pg_database(database_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_dsn(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

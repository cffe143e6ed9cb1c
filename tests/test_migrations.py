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

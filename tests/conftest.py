"""Fixtures: the app on SQLite or PostgreSQL (schema built by running the migrations), a
rolled-back transaction per test, an HTTP client with CSRF help, a CLI runner, the test school
(built by ``tests/factories.py``, never the demo) and sign-in as any of its accounts.

The database is chosen with ``--db sqlite`` (default) or ``--db postgresql``; PostgreSQL is
found at ``TEST_DATABASE_URL`` (default ``postgresql://postgres@localhost/test``) and each
run works in a database of its own, created and dropped here.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import make_url

from app import create_app
from app.extensions import db, limiter
from tests.factories import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("BEELDRECHT_TEST_DB", "sqlite"),
        help="database to run the suite on",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long runs (``slow``) are left out, not skipped, unless the ``-m`` expression names them."""
    if "slow" in (config.getoption("-m") or ""):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


def pytest_report_header(config: pytest.Config) -> str:
    return f"beeldrecht database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


def _postgres_url(base: str, name: str) -> str:
    url = make_url(base).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if db_kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    import psycopg

    base = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@localhost/test")
    admin = make_url(base).set(drivername="postgresql")
    name = f"beeldrecht_test_{os.getpid()}_{secrets.token_hex(3)}"
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _postgres_url(base, name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(database_url: str, **overrides: Any) -> Flask:
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": None}
    settings.update(overrides)
    return create_app("testing", settings)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    application = make_app(database_url)
    application.instance_path = str(tmp_path_factory.mktemp("instance"))
    with application.app_context():
        upgrade(directory=str(Path(__file__).parent.parent / "migrations"))
    yield application
    with application.app_context():
        db.engine.dispose()


class _ConnectionSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session picks the engine by bind key and ignores ``bind``; this one
    stays on the test's connection."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind if self.bind is not None else super().get_bind(*args, **kwargs)


@pytest.fixture(autouse=True)
def _limiter_kept(request: pytest.FixtureRequest) -> Iterator[None]:
    """Flask-Limiter keeps its storage on the one ``limiter`` object, and every ``create_app`` binds
    it anew: a test that makes an app of its own (production settings, a Redis that is down) would
    leave the next tests counting there. The session's app is made first; its binding comes back
    after each test. Browser tests share one live app and are left alone."""
    if request.node.get_closest_marker("browser"):
        yield
        return
    if not request.node.get_closest_marker("own_database"):
        request.getfixturevalue("app")
    saved = dict(vars(limiter))
    try:
        yield
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved)


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest, _limiter_kept: None) -> Iterator[None]:
    """Each test runs inside one outer transaction that is rolled back afterwards; the
    application's own commits and rollbacks become savepoints inside it.

    No application context is held during the test: requests must each get their own,
    as in production (a shared one would share ``g`` between requests). Browser tests run
    against a live server with a database of its own and are left alone."""
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker("own_database"):
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
    original = db.session
    db.session = db._make_scoped_session(  # type: ignore[method-assign]
        {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": _ConnectionSession}
    )
    with app.app_context():
        limiter.reset()
    try:
        yield
    finally:
        db.session = original  # type: ignore[method-assign]
        outer.rollback()
        connection.close()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


class Client(FlaskClient):
    """A test client that fills in the CSRF token of the current session."""

    def csrf_token(self) -> str:
        page = self.get("/sign-in").get_data(as_text=True)
        match = CSRF_RE.search(page)
        if not match:  # signed in: the sign-in page redirects, any page carries the token
            page = self.get("/account").get_data(as_text=True)
            match = CSRF_RE.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1) or match.group(2)

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form the way a browser would: with the session's CSRF token."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=payload, **kwargs)

    def confirm(self, url: str, **query: Any) -> Any:
        """Open a page that lists changes before they are made (``/consent/<id>/all``,
        ``/consent/<id>/same-as/<other>``) and press its confirm button, as a parent would."""
        page = self.get(url, query_string=query)
        assert page.status_code == 200, page.get_data(as_text=True)[:500]
        fields = dict(
            re.findall(r'<input type="hidden" name="(decision|plan)" value="([^"]*)"', page.get_data(as_text=True))
        )
        return self.submit(url, {**fields, "confirm": "1"})


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """The test school (``tests.factories.build_school``): accounts admin@, comms@, teacher@ (5b),
    parent@ (Sem in 5b, Emma in 3a), parent2@ (Noah in 5b)."""
    from tests.factories import build_school

    with app.app_context():
        ids = build_school()
        db.session.commit()
        return ids


@pytest.fixture
def login_as(client: Client, world: dict[str, Any]) -> Callable[[str], Any]:
    """Sign in through the form as one of the test school's accounts: ``login_as("parent")``."""

    def sign_in(who: str) -> Any:
        email = who if "@" in who else f"{who}@example.org"
        response = client.submit("/sign-in", {"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return sign_in


@pytest.fixture
def outbox(app: Flask) -> list[Any]:
    """Mail sent through the in-memory backend during the test."""
    from flask_mailman import Mail

    mail: Mail = app.extensions["mailman"]
    mail.outbox = []  # type: ignore[attr-defined]
    return mail.outbox  # type: ignore[attr-defined,no-any-return]


def extract_link(text: str) -> str:
    match = re.search(r"https?://\S+", text)
    assert match, text
    return match.group(0)


# --- Consent forms: one for the current school year, so the tests do not age ---------------

SHIPPED = Path(__file__).parents[1] / "consent_forms" / "beeldgebruik-2026-2027-v1.toml"


def form_text(school_year: str, version: int = 1, purposes_block: str | None = None) -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    text = text.replace('school_year = "2026-2027"', f'school_year = "{school_year}"')
    text = text.replace("version = 1", f"version = {version}")
    if purposes_block is not None:
        text = text[: text.index("[[purposes]]")] + purposes_block
    return text


@pytest.fixture
def forms_dir(tmp_path, app):
    from app.timestamps import school_today
    from tests.factories import school_year_of

    with app.app_context():
        name, _starts, _ends = school_year_of(school_today())
    folder = tmp_path / "consent_forms"
    folder.mkdir()
    (folder / "beeldgebruik-v1.toml").write_text(form_text(name), encoding="utf-8")
    return folder


@pytest.fixture
def published_form(app, forms_dir, world):
    from app.consent.form_files import sync_forms
    from app.extensions import db

    with app.app_context():
        report = sync_forms(forms_dir)
        assert not report.problems, report.problems
        db.session.commit()
    return forms_dir

"""A real server on 127.0.0.1 with its own SQLite database and the test school, and
Debian's chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
MIGRATIONS = str(Path(__file__).parents[2] / "migrations")


@contextmanager
def running_app(folder: Path) -> Iterator[Any]:
    """The app on a server of its own at 127.0.0.1 (a free port), with a SQLite database in
    ``folder`` holding the test school and a published consent form."""
    from flask_migrate import upgrade

    from app import create_app
    from app.consent.form_files import sync_forms
    from app.extensions import db
    from app.timestamps import school_today
    from tests.conftest import form_text
    from tests.factories import build_school, school_year_of

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite3'}"})
    app.instance_path = str(folder)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        build_school()
        forms = folder / "consent_forms"
        forms.mkdir()
        name, _starts, _ends = school_year_of(school_today())
        (forms / "form.toml").write_text(form_text(name), encoding="utf-8")
        assert not sync_forms(forms).problems
        db.session.commit()
    app.config["CONSENT_FORMS_DIR"] = str(forms)  # the form versions page publishes from here
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app the browser stories share (each story leaves its changes for the next)."""
    with running_app(tmp_path_factory.mktemp("live")) as app:
        yield app


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium (make test does it)"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def phone(browser: Any, live_app: Any) -> Iterator[Any]:
    """A page in a phone-sized window, on the live server. Reduced motion: no smooth scrolling
    (Bootstrap's), so a page that comes back at an anchor is in place when a test measures it."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        base_url=live_app.config["BASE_URL"],
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",
    )
    page = context.new_page()
    yield page
    context.close()


def steady_box(locator: Any, tries: int = 50) -> Any:
    """The element's bounding box once it stops moving (a smooth scroll or a picture still loading
    moves it): two readings a frame apart agree."""
    page = locator.page
    box = locator.bounding_box()
    for _ in range(tries):
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        again = locator.bounding_box()
        if again == box:
            return box
        box = again
    return box


def draw_box(page: Any, start: tuple[float, float], end: tuple[float, float], tries: int = 3) -> None:
    """Draw a box on the item's picture (``#stage``) from ``start`` to ``end`` (fractions) and wait for
    the panel that asks who it is. Under load a drag can land before the page's script listens; the
    drag is then made again (a new drag replaces the old box)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.locator("#stage").scroll_into_view_if_needed()
    for attempt in range(tries):
        stage = steady_box(page.locator("#stage"))
        page.mouse.move(stage["x"] + stage["width"] * start[0], stage["y"] + stage["height"] * start[1])
        page.mouse.down()
        page.mouse.move(stage["x"] + stage["width"] * end[0], stage["y"] + stage["height"] * end[1], steps=5)
        page.mouse.up()
        try:
            page.locator("#box-panel").wait_for(timeout=5000)
            return
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise


def keep_picture(page: Any, path: Path, *, full_page: bool = True) -> None:
    """Save a screenshot of the page for a person to look at after the run. It checks nothing, so
    Chromium failing to capture one (it sometimes does on a loaded machine) fails no story."""
    from playwright.sync_api import Error

    try:
        page.screenshot(path=str(path), full_page=full_page)
    except Error as problem:
        print(f"no screenshot {path.name}: {problem.message.splitlines()[0]}", file=sys.stderr)

"""Benchmark: the parent's pages on a phone, before and after static files were cached and compressed.

A live server (SQLite in a temporary folder, ``tests.factories.build_school``, a published form) runs
twice in this process: once with ``STATIC_CACHING`` off (the "before": every static file ``no-store``
for a signed-in parent, uncompressed) and once as shipped (the "after": fingerprinted URLs, a year's
immutable caching, brotli/gzip; ``app.core.static_files``). Debian's chromium (Playwright) signs in as
parent@example.org and opens the parent pages (home, a child's consent page, the form page, the family
data page). For each page: a first view with an empty browser cache, then a repeat view, both on
Chromium's "Slow 3G" profile (CDP ``Network.emulateNetworkConditions``: 400 ms latency, 400 kbit/s down
and up), recording the bytes transferred (CDP ``Network.loadingFinished`` ``encodedDataLength``, headers
included) and DOMContentLoaded (the navigation timing's ``domContentLoadedEventEnd``).

Prints a table of medians over the runs and the issue's targets: <= 120 KB transferred on a repeat
visit, <= 3 s to DOMContentLoaded on a first view.

    python bench/phone.py [--runs 3]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
PARENT = "parent@example.org"
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1000 / 8, "uploadThroughput": 400 * 1000 / 8}
REPEAT_TARGET_KB = 120
FIRST_VIEW_TARGET_S = 3.0


def build_database(folder: Path) -> tuple[str, Path, dict[str, int]]:
    """The test school and a published form in a SQLite file; returns its URL, the forms folder, the ids."""
    from flask_migrate import upgrade

    from app import create_app
    from app.consent.form_files import sync_forms
    from app.extensions import db
    from app.timestamps import school_today
    from tests.conftest import form_text
    from tests.factories import build_school, school_year_of

    url = f"sqlite:///{folder / 'phone.sqlite3'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = str(folder)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        ids = build_school()
        forms = folder / "consent_forms"
        forms.mkdir()
        name, _starts, _ends = school_year_of(school_today())
        (forms / "form.toml").write_text(form_text(name), encoding="utf-8")
        report = sync_forms(forms)
        assert not report.problems, report.problems
        db.session.commit()
        db.engine.dispose()
    return url, forms, ids


@contextmanager
def live_server(database_url: str, folder: Path, forms: Path, static_caching: bool) -> Iterator[str]:
    from app import create_app
    from app.extensions import db

    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": database_url, "STATIC_CACHING": static_caching, "RATELIMIT_ENABLED": False},
    )
    app.instance_path = str(folder)
    app.config["CONSENT_FORMS_DIR"] = str(forms)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


def measure_pages(browser: Any, base: str, pages: dict[str, str]) -> dict[str, dict[str, float]]:
    """One run: sign in, then per page a first view (empty cache) and a repeat view on slow 3G."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, base_url=base)
    page = context.new_page()
    page.goto("/sign-in")
    page.fill("input[name=email]", PARENT)
    page.fill("input[name=password]", "demo-password")
    page.click("input[type=submit], button[type=submit] >> nth=0")
    page.wait_for_url("**/home")

    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    transferred: list[int] = []
    cdp.on("Network.loadingFinished", lambda event: transferred.append(int(event["encodedDataLength"])))
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)

    def view(path: str) -> tuple[float, float]:
        transferred.clear()
        response = page.goto(path, wait_until="networkidle")
        assert response is not None, path
        assert response.status == 200, (path, response.status)
        dcl_ms = page.evaluate("() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
        return sum(transferred) / 1000, dcl_ms / 1000

    results: dict[str, dict[str, float]] = {}
    for name, path in pages.items():
        cdp.send("Network.clearBrowserCache")
        first_kb, first_s = view(path)
        repeat_kb, repeat_s = view(path)
        results[name] = {"first_kb": first_kb, "repeat_kb": repeat_kb, "first_s": first_s, "repeat_s": repeat_s}
    context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        folder = Path(tmp)
        database_url, forms, ids = build_database(folder)
        pages = {
            "home": "/home",
            "child's consent": f"/consent/{ids['sem']}?overview=1",  # without: a first visit goes to the form
            "consent form": f"/consent/{ids['sem']}/form",
            "family data": "/consent/our-data",
        }
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        medians: dict[str, dict[str, dict[str, float]]] = {}
        for label, caching in (("before", False), ("after", True)):
            with live_server(database_url, folder, forms, caching) as base:
                runs = [measure_pages(browser, base, pages) for _ in range(args.runs)]
            medians[label] = {
                name: {key: statistics.median(run[name][key] for run in runs) for key in runs[0][name]}
                for name in pages
            }
        browser.close()

    print(f"Parent pages on a phone, Slow 3G (400 ms, 400 kbit/s), medians of {args.runs} runs")
    print(f"{'page':<16} {'':<7} {'first KB':>9} {'repeat KB':>10} {'first DCL s':>12} {'repeat DCL s':>13}")
    for name in pages:
        for label in ("before", "after"):
            row = medians[label][name]
            print(
                f"{name:<16} {label:<7} {row['first_kb']:>9.1f} {row['repeat_kb']:>10.1f}"
                f" {row['first_s']:>12.2f} {row['repeat_s']:>13.2f}"
            )
    after = medians["after"].values()
    worst_repeat = max(row["repeat_kb"] for row in after)
    worst_first = max(row["first_s"] for row in after)
    print(
        f"after: largest repeat view {worst_repeat:.1f} KB (target <= {REPEAT_TARGET_KB} KB: "
        f"{'met' if worst_repeat <= REPEAT_TARGET_KB else 'MISSED'}); slowest first view {worst_first:.2f} s "
        f"(target <= {FIRST_VIEW_TARGET_S:.0f} s: {'met' if worst_first <= FIRST_VIEW_TARGET_S else 'MISSED'})"
    )


if __name__ == "__main__":
    main()

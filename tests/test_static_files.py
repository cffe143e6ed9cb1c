"""Static files like a real site: fingerprinted URLs, a year of immutable caching, compression;
signed-in pages still never stored."""

from __future__ import annotations

import gzip
import hashlib
import os
import re

import brotli
import pytest

from tests.conftest import Client, make_app
from tests.factories import PASSWORD

IMMUTABLE = "public, max-age=31536000, immutable"
ASSET_RE = re.compile(r'(?:href|src)="(/(?:bootstrap/)?static/[^"]+)"')


def assets_of(client: Client, url: str) -> list[str]:
    page = client.get(url).get_data(as_text=True).replace("&amp;", "&")
    return ASSET_RE.findall(page)


def test_pages_link_static_files_by_their_content_hash(client, world):
    assets = assets_of(client, "/sign-in")
    assert any(url.startswith("/bootstrap/static/css/bootstrap.min.css?v=") for url in assets)
    assert any(url.startswith("/static/app.css?v=") for url in assets)
    with open(os.path.join(client.application.static_folder, "app.css"), "rb") as file:
        expected = hashlib.sha256(file.read()).hexdigest()[:16]
    assert f"/static/app.css?v={expected}" in assets


def test_a_fingerprinted_file_is_immutable_for_a_year_and_compressed(client, world):
    for url in assets_of(client, "/sign-in"):
        plain = client.get(url)
        assert plain.status_code == 200, url
        assert plain.headers["Cache-Control"] == IMMUTABLE, url
        assert "Content-Encoding" not in plain.headers
        if len(plain.data) < client.application.config.get("COMPRESS_MIN_SIZE", 500):
            continue  # too small to be worth compressing (the favicon)
        assert "Accept-Encoding" in plain.headers["Vary"]

        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip", url
        assert zipped.headers["Cache-Control"] == IMMUTABLE
        assert gzip.decompress(zipped.data) == plain.data
        assert len(zipped.data) < len(plain.data) / 2, url

        squeezed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert squeezed.headers["Content-Encoding"] == "br", url
        assert brotli.decompress(squeezed.data) == plain.data


def test_bootstrap_css_goes_over_the_wire_in_a_seventh_of_its_size(client, world):
    (url,) = [u for u in assets_of(client, "/sign-in") if "bootstrap.min.css" in u]
    plain = client.get(url).data
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"}).data
    assert len(plain) > 200_000 and len(zipped) < 40_000


def test_signed_in_static_files_are_cached_without_the_session_cookie(client, login_as):
    login_as("parent")
    assert client.get("/home").headers["Cache-Control"] == "no-store"
    assets = assets_of(client, "/home")
    assert assets
    for url in assets:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers["Cache-Control"] == IMMUTABLE, url
        big = len(client.get(url).data) >= client.application.config.get("COMPRESS_MIN_SIZE", 500)
        assert response.headers.get("Content-Encoding") == ("gzip" if big else None), url  # not the tiny favicon
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
    # the session itself goes on: the next page is still signed in and private
    home = client.get("/home")
    assert home.status_code == 200 and home.headers["Cache-Control"] == "no-store"


def test_a_static_url_without_the_current_hash_must_revalidate(client, world):
    for url in ("/static/app.css", "/static/app.css?v=0000000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache", url


def test_a_changed_file_gets_a_new_url(app, client, world, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    sheet = tmp_path / "app.css"
    sheet.write_text("body { color: black; }\n")

    def current_url() -> str:
        with app.test_request_context():
            from flask import url_for

            return url_for("static", filename="app.css")

    old_url = current_url()
    assert client.get(old_url).headers["Cache-Control"] == IMMUTABLE
    sheet.write_text("body { color: navy; }\n")
    os.utime(sheet, ns=(sheet.stat().st_atime_ns, sheet.stat().st_mtime_ns + 1_000_000))
    new_url = current_url()
    assert new_url != old_url
    fresh = client.get(new_url)
    assert fresh.headers["Cache-Control"] == IMMUTABLE and b"navy" in fresh.data
    # the old URL now answers with the new file, and says so by not being immutable
    assert client.get(old_url).headers["Cache-Control"] == "no-cache"


def test_a_range_request_is_answered_from_the_plain_file(client, world):
    (url,) = [u for u in assets_of(client, "/sign-in") if u.startswith("/static/app.css")]
    response = client.get(url, headers={"Range": "bytes=0-9", "Accept-Encoding": "gzip"})
    assert response.status_code == 206
    assert "Content-Encoding" not in response.headers
    assert len(response.data) == 10


def test_unknown_static_file_is_a_404(client, world):
    assert client.get("/static/nothing-here.css", headers={"Accept-Encoding": "gzip"}).status_code == 404
    assert client.get("/static/../config.py").status_code == 404


@pytest.fixture
def plain_static_app(database_url, app):
    """The "before" of the benchmark: static caching switched off."""
    application = make_app(database_url, STATIC_CACHING=False)
    application.instance_path = app.instance_path
    application.test_client_class = Client
    return application


def test_switched_off_static_files_are_plain_and_private_again(plain_static_app, world):
    client = plain_static_app.test_client()
    assert "/static/app.css" in assets_of(client, "/sign-in")
    signed_in = client.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/home").headers["Cache-Control"] == "no-store"
    response = client.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Encoding" not in response.headers

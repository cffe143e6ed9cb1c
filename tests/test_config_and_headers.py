"""Configuration safety and the security headers every page carries."""

from __future__ import annotations

import pytest

from app import create_app


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.delenv("BEELDRECHT_SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": "dev", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_real_settings_and_secure_cookies():
    app = create_app(
        "production",
        {"SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": "https://beeldrecht.example.org"},
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug


def test_production_refuses_to_start_without_the_address_its_mails_link_to(monkeypatch):
    """Without it a reset link would follow the Host header, which whoever asks for the reset sets."""
    monkeypatch.delenv("BEELDRECHT_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BEELDRECHT_BASE_URL"):
        create_app("production", {"SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": None})


def test_settings_come_from_the_environment(monkeypatch):
    from datetime import timedelta

    monkeypatch.setenv("BEELDRECHT_INVITATION_TTL", "3600")
    monkeypatch.setenv("BEELDRECHT_SIGN_IN_LIMIT_PER_ACCOUNT", "3 per minute")
    import importlib

    import config

    importlib.reload(config)
    try:
        assert timedelta(hours=1) == config.Config.INVITATION_TTL
        assert config.Config.SIGN_IN_LIMIT_PER_ACCOUNT == "3 per minute"
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="Unknown BEELDRECHT_ENV"):
        create_app("staging")


def test_security_headers_on_every_page(client, world):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached(client, login_as):
    login_as("parent")
    assert client.get("/home").headers["Cache-Control"] == "no-store"


def test_no_inline_scripts_or_styles_so_the_csp_holds(client, login_as):
    login_as("admin")
    for url in ("/home", "/admin/users", "/admin/audit/", "/account"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "<style" not in page, url


def test_error_pages_share_the_layout(client, world):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Beeldrecht" in page and 'id="error-message"' in page
    assert client.post("/home").status_code in (400, 405)


def test_an_unexpected_error_is_a_generic_500(database_url):
    from tests.conftest import make_app

    fresh = make_app(database_url, PROPAGATE_EXCEPTIONS=False)
    from app.access import ANONYMOUS, allow

    @allow(ANONYMOUS)
    def explode():
        raise ValueError("internal detail")

    fresh.add_url_rule("/explode", "explode", explode)
    response = fresh.test_client().get("/explode")
    assert response.status_code == 500
    assert b"internal detail" not in response.data
    assert "Er ging bij ons iets mis" in response.get_data(as_text=True)


def test_request_size_is_capped(client, login_as):
    login_as("admin")
    big = b"x" * (21 * 1024 * 1024)
    response = client.post("/language", data=big, content_type="application/octet-stream")
    assert response.status_code == 413


def test_language_switch(client, world):
    assert 'lang="nl"' in client.get("/sign-in").get_data(as_text=True)
    response = client.submit("/language", {"locale": "en", "next": "/sign-in"})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert 'lang="en"' in client.get("/sign-in").get_data(as_text=True)
    assert client.submit("/language", {"locale": "de", "next": "/sign-in"}).status_code == 400
    evil = client.submit("/language", {"locale": "nl", "next": "//evil.example/"})
    assert evil.headers["Location"] == "/home"

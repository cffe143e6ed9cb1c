"""The application factory: extensions, blueprints, error handlers, CLI, i18n."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, config_for


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    # Before any route is added: every <int:...> in a path is a row id, 1..2^31-1 (else 404).
    from app.ids import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    config_class = config_for(config_name)
    app.config.from_object(config_class)
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _apply_embedded_defaults(app, config_class)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]  # see Config.RATELIMIT_STORAGE_URI
    config_class.validate(app.config)

    from app.core.metrics import init_request_metrics

    init_request_metrics(app)  # first: its timer starts before any other hook can answer

    if app.config["PROXY_COUNT"]:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    register_extensions(app)
    register_jobs(app)
    register_models()
    register_signals()
    register_blueprints(app)
    register_request_hooks(app)
    register_error_handlers(app)
    register_commands(app)
    register_template_helpers(app)
    if not app.debug and not app.testing:
        logging.getLogger("beeldrecht").setLevel(logging.INFO)
    return app


def _apply_embedded_defaults(app: Flask, config_class: type[Config]) -> None:
    """Development and tests need no setup: SQLite and a generated key in the instance folder.

    Production gets neither: it must be configured, and ``ProductionConfig.validate`` says so.
    """
    if not config_class.EMBEDDED_DEFAULTS:
        return
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        database = Path(app.instance_path) / "beeldrecht.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    if not app.config.get("SECRET_KEY"):
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            os.chmod(key_file, 0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()


def register_extensions(app: Flask) -> None:
    from flask_talisman import Talisman

    from app.extensions import babel, bootstrap, csrf, db, limiter, login_manager, mail, migrate
    from app.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    from app.media.ingest import raise_upload_limit

    app.before_request(raise_upload_limit)  # before CSRF protection reads (and limits) the form
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    bootstrap.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    # One Talisman per app: it keeps its options on the instance, so a shared one would
    # let a second app (a test's production app, say) change the first one's headers.
    Talisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["HSTS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        referrer_policy="same-origin",
        content_security_policy={
            "default-src": "'self'",
            "img-src": "'self' data:",
            "object-src": "'none'",
            "base-uri": "'none'",
            "frame-ancestors": "'none'",
            "form-action": "'self'",
        },
    )
    login_manager.init_app(app)
    from app.accounts import sessions

    sessions.init_login_manager(login_manager)
    app.session_interface = sessions.SessionCookie()
    from app.core.static_files import init_static_files

    init_static_files(app)


def register_jobs(app: Flask) -> None:
    """Celery bound to this app, and every module's job kinds (each in its own ``tasks.py``)."""
    from app.accounts import tasks as _accounts_tasks  # noqa: F401
    from app.consent import tasks as _consent_tasks  # noqa: F401
    from app.jobs import mail as _mail_tasks  # noqa: F401
    from app.jobs import retention as _retention_tasks  # noqa: F401
    from app.jobs.setup import celery_init_app
    from app.media import tasks as _media_tasks  # noqa: F401
    from app.release import tasks as _release_tasks  # noqa: F401

    celery_init_app(app)
    from app.jobs.queue import latest_for

    app.add_template_global(latest_for, "latest_job")


def register_models() -> None:
    """Import every module with models, so the metadata (and Alembic) sees all tables."""
    from app.accounts import api_tokens as _api_tokens  # noqa: F401
    from app.accounts import models as _accounts  # noqa: F401
    from app.audit import models as _audit  # noqa: F401
    from app.consent import models as _consent  # noqa: F401
    from app.jobs import models as _jobs  # noqa: F401
    from app.media import models as _media  # noqa: F401
    from app.privacy import erasure as _erasure  # noqa: F401
    from app.release import models as _release  # noqa: F401
    from app.school import models as _school  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.audit.views import bp as audit_bp
    from app.consent.routes import bp as consent_bp
    from app.core.views import bp as core_bp
    from app.jobs.views import bp as jobs_bp
    from app.media.admin_views import bp as outsiders_bp
    from app.media.views import bp as media_bp
    from app.release.views import bp as release_bp
    from app.school.routes import bp as school_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(school_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(consent_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(outsiders_bp)
    app.register_blueprint(release_bp)
    app.register_blueprint(jobs_bp)
    from app.api.setup import register_api

    register_api(app)


def register_signals() -> None:
    """A decision that takes consent away opens takedowns in the same transaction; a consent form
    is published only when every channel still serves one of its purposes, and the channels follow
    it; an account for a pupil is checked against the age rule before it is written."""
    from app.accounts.operations import account_checked
    from app.consent.form_files import form_checks, forms_published
    from app.consent.operations import decision_recorded
    from app.consent.pupils import on_account_checked
    from app.release.channels import check_form, on_forms_published
    from app.release.takedowns import on_decision

    decision_recorded.connect(on_decision)
    account_checked.connect(on_account_checked)
    form_checks.connect(check_form)
    forms_published.connect(on_forms_published)


def register_request_hooks(app: Flask) -> None:
    from app import access
    from app.accounts import sessions
    from app.api.auth import authenticate_api_request

    app.before_request(authenticate_api_request)
    app.before_request(sessions.enforce_session_lifetime)
    app.before_request(access.enforce_route_rules)
    app.after_request(sessions.no_store_for_signed_in)


def register_error_handlers(app: Flask) -> None:
    from app.core.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.audit.cli import audit_cli
    from app.backup.cli import backup_cli
    from app.consent.cli import consent_cli, forms_cli
    from app.core.demo import demo_cli
    from app.jobs.cli import jobs_cli
    from app.media.cli import media_cli
    from app.school.cli import people_cli

    for group in (users_cli, audit_cli, demo_cli, people_cli, forms_cli, consent_cli, media_cli, backup_cli, jobs_cli):
        app.cli.add_command(group)


def register_template_helpers(app: Flask) -> None:
    from app.core import templating
    from app.i18n import register_template_helpers as register_i18n

    register_i18n(app)
    templating.register(app)


__all__ = ["Config", "create_app"]

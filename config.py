"""Configuration classes. Every setting can be overridden from the environment.

Environment variables use the setting's name prefixed with ``BEELDRECHT_``
(``BEELDRECHT_SECRET_KEY``, ``BEELDRECHT_DATABASE_URL``, ...). ``SECRET_KEY`` and
``DATABASE_URL`` are read without the prefix too, as most hosts set them so.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

PREFIX = "BEELDRECHT_"
WEAK_SECRET_KEYS = {"", "dev", "change-me", "secret", "changeme", "development"}


def env(name: str, default: Any = None) -> Any:
    """Read a setting from the environment, converted to the type of its default."""
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, timedelta):
        return timedelta(seconds=int(raw))
    return raw


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = env("SECRET_KEY", os.environ.get("SECRET_KEY"))
    SQLALCHEMY_DATABASE_URI: str | None = env("DATABASE_URL", os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}

    # Sessions: short, server-invalidated (see accounts.sessions), never Flask's 31 days.
    PERMANENT_SESSION_LIFETIME = env("IDLE_TIMEOUT", timedelta(hours=2))
    SESSION_ABSOLUTE_LIFETIME = env("ABSOLUTE_SESSION_LIFETIME", timedelta(hours=12))
    SESSION_REFRESH_EACH_REQUEST = True
    SESSION_COOKIE_NAME = "beeldrecht_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = env("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)

    # Upload and request caps.
    MAX_CONTENT_LENGTH = env("MAX_CONTENT_LENGTH", 20 * 1024 * 1024)
    MAX_FORM_MEMORY_SIZE = env("MAX_FORM_MEMORY_SIZE", 2 * 1024 * 1024)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = env("CSRF_TIME_LIMIT", 4 * 3600)

    # Accounts.
    INVITATION_TTL = env("INVITATION_TTL", timedelta(days=7))
    PASSWORD_RESET_TTL = env("PASSWORD_RESET_TTL", timedelta(hours=1))
    # Argon2id cost; argon2-cffi's defaults (RFC 9106 low-memory profile).
    ARGON2_TIME_COST = env("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = env("ARGON2_MEMORY_COST", 65536)
    ARGON2_PARALLELISM = env("ARGON2_PARALLELISM", 4)
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_MAX_LENGTH = 64
    SIGN_IN_LIMIT_PER_ADDRESS = env("SIGN_IN_LIMIT_PER_ADDRESS", "20 per 10 minutes")
    SIGN_IN_LIMIT_PER_ACCOUNT = env("SIGN_IN_LIMIT_PER_ACCOUNT", "5 per 10 minutes")
    RESET_LIMIT_PER_ADDRESS = env("RESET_LIMIT_PER_ADDRESS", "10 per hour")

    # Where the limiter keeps its counts. Every gunicorn worker is a process of its own: with
    # memory:// each would count on its own (N workers, N times the limit). So the counts go to the
    # Redis of REDIS_URL whenever BEELDRECHT_REDIS_URL is set, and always in production (None below
    # means "REDIS_URL", resolved by create_app); memory:// is for one process (``flask run``).
    # BEELDRECHT_RATELIMIT_STORAGE_URI, when set, wins.
    RATELIMIT_STORAGE_URI: str | None = env(
        "RATELIMIT_STORAGE_URI", None if os.environ.get(PREFIX + "REDIS_URL") else "memory://"
    )
    # Limiter keys in a Redis shared with the queue (and maybe another installation) say whose they are.
    RATELIMIT_KEY_PREFIX = env("RATELIMIT_KEY_PREFIX", "beeldrecht")
    # Redis down: the limiter counts in this process's memory until Redis answers again (logged by
    # Flask-Limiter), and a storage error never turns a sign-in into a 500. The short timeouts keep a
    # Redis that does not answer from holding every request (passed to redis-py only, not memory://).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = env("RATELIMIT_ENABLED", True)
    # Number of proxies in front of the app whose X-Forwarded-For is trusted.
    PROXY_COUNT = env("PROXY_COUNT", 0)

    # Mail (Flask-Mailman): console backend in development, SMTP in production.
    MAIL_BACKEND = env("MAIL_BACKEND", "smtp")
    MAIL_SERVER = env("MAIL_SERVER", "localhost")
    MAIL_PORT = env("MAIL_PORT", 25)
    MAIL_USERNAME = env("MAIL_USERNAME", None)
    MAIL_PASSWORD = env("MAIL_PASSWORD", None)
    MAIL_USE_TLS = env("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env("MAIL_USE_SSL", False)
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "Beeldrecht <no-reply@example.org>")
    # Seconds an SMTP server may take: well below JOB_STALE_SECONDS, or the sweeper would start the
    # mail job again on another worker while the first still waits, and the mail could go twice.
    MAIL_TIMEOUT = env("MAIL_TIMEOUT", 30)

    # The address in links sent by mail or printed by the CLI (app.urls.absolute_url). Unset, a
    # link takes the host of the request that sends it, and the CLI http://127.0.0.1:<PORT>;
    # production requires it (a client sets the Host header: a reset link must not follow it).
    BASE_URL: str | None = env("BASE_URL", None)
    PORT = env("PORT", 5000)

    # Audit chain HMAC key; kept outside the database so that database access alone
    # cannot rebuild the chain. Falls back to a key derived from SECRET_KEY.
    AUDIT_HMAC_KEY: str | None = env("AUDIT_HMAC_KEY", None)
    # The audit anchors (``flask audit anchor``): a file outside the database, appended to, that
    # remembers the newest row so deleting the newest rows or emptying the table is detected.
    AUDIT_ANCHOR_FILE: str | None = env("AUDIT_ANCHOR_FILE", None)
    # Where pg_dump and pg_restore of the server's major version are (``flask backup``); unset:
    # /usr/lib/postgresql/<server major>/bin, then the PATH.
    PG_BIN_DIR: str | None = env("PG_BIN_DIR", None)

    # Language.
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = env("TIMEZONE", "Europe/Amsterdam")
    LANGUAGES = ("nl", "en")

    # Bootstrap-Flask serves its files from the app, never a CDN.
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BTN_STYLE = "primary"
    # Static files with fingerprinted URLs, a year of immutable caching and compression
    # (``app.core.static_files``); false serves them as plain files (the benchmark's "before").
    STATIC_CACHING = env("STATIC_CACHING", True)

    # Security headers (Flask-Talisman).
    FORCE_HTTPS = env("FORCE_HTTPS", True)
    HSTS = env("HSTS", True)

    # With several guardians: "any_refusal_blocks" (any refusal or withdrawal wins) or
    # "latest_wins" (the most recent guardian decision counts). Shown to parents.
    GUARDIAN_POLICY = env("GUARDIAN_POLICY", "any_refusal_blocks")

    # Media: where files live, and the limits per media type.
    MEDIA_ROOT: str | None = env("MEDIA_ROOT", None)  # default: the instance folder's media/
    PHOTO_MAX_BYTES = env("PHOTO_MAX_BYTES", 50 * 1024 * 1024)
    PHOTO_MAX_PIXELS = env("PHOTO_MAX_PIXELS", 80_000_000)
    FILM_MAX_BYTES = env("FILM_MAX_BYTES", 2 * 1024 * 1024 * 1024)
    AUDIO_MAX_BYTES = env("AUDIO_MAX_BYTES", 200 * 1024 * 1024)
    FILM_MAX_SECONDS = env("FILM_MAX_SECONDS", 15 * 60)
    AUDIO_MAX_SECONDS = env("AUDIO_MAX_SECONDS", 60 * 60)
    MEDIA_RETENTION_YEARS = env("MEDIA_RETENTION_YEARS", 5)
    # What an upload left in incoming/ (a worker killed mid-upload) is cleared once it is this old.
    INCOMING_GRACE_MINUTES = env("INCOMING_GRACE_MINUTES", 60)
    # A returned paper consent form scanned as a PDF (a picture of it keeps the photo limits);
    # below MAX_CONTENT_LENGTH, the cap of the page it is posted on.
    PAPER_SCAN_MAX_BYTES = env("PAPER_SCAN_MAX_BYTES", 10 * 1024 * 1024)
    # Full years a pupil who left is kept after the end of their last school year (then erased by
    # ``flask people purge-leavers``): long enough to answer a family about last year's publications.
    LEAVER_RETENTION_YEARS = env("LEAVER_RETENTION_YEARS", 2)
    # Face detection (boxes only) on a copy of at most this many pixels a side; a film is scanned at
    # this many frames per second of its presentation time (its faces linked into tracks), each frame
    # at most FILM_DETECTION_SIDE pixels: larger than for photos, because a child's face in a class
    # film is small (at 1024 a face under about 95 px of a 1080p film went unfound; bench/film.py).
    FACE_DETECTION_SIDE = env("FACE_DETECTION_SIDE", 1024)
    FACE_DETECTION_THRESHOLD = env("FACE_DETECTION_THRESHOLD", 0.2)
    FILM_DETECTION_FPS = env("FILM_DETECTION_FPS", 4.0)
    FILM_DETECTION_SIDE = env("FILM_DETECTION_SIDE", 1280)
    # Release: removal work is due this many hours after consent is withdrawn; blurred exports
    # (faces of people without consent pixelated) only where the school allows them.
    TAKEDOWN_DUE_HOURS = env("TAKEDOWN_DUE_HOURS", 48)
    # Campaigns: ``flask consent remind`` reminds the same person about a campaign at most once in
    # this many days (the teachers' list of non-responders goes once, a week before the deadline).
    CAMPAIGN_REMINDER_DAYS = env("CAMPAIGN_REMINDER_DAYS", 7)
    BLURRED_EXPORTS = env("BLURRED_EXPORTS", False)
    # A post's text (caption) that names a pupil (first and family name, or first name and
    # initial) blocks the export ("refuse", protocol A4/C1) unless the school sets "allow".
    CAPTION_NAMES = env("CAPTION_NAMES", "refuse")

    # Background jobs (``app.jobs``): Celery with Redis as its broker. Our own ``job`` table is the
    # record; Redis carries only job ids. Eager (tests): a job runs in the process that commits it.
    REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
    # The broker's queue: two installations sharing one Redis need different ones (or database numbers).
    JOB_QUEUE = env("JOB_QUEUE", "beeldrecht")
    JOBS_EAGER = env("JOBS_EAGER", False)
    # A job is tried this many times (a decoding failure of a film is never retried), waiting
    # JOB_RETRY_SECONDS x 2^attempt between tries.
    JOB_MAX_ATTEMPTS = env("JOB_MAX_ATTEMPTS", 3)
    JOB_RETRY_SECONDS = env("JOB_RETRY_SECONDS", 10)
    # The sweeper (every JOB_SWEEP_SECONDS, and when a worker starts) sends again: a queued job never
    # handed to Redis after JOB_RESEND_SECONDS, a queued job handed over but not started after
    # JOB_LOST_SECONDS (Redis restarted empty), and a running job whose worker stopped reporting
    # for JOB_STALE_SECONDS (killed).
    JOB_SWEEP_SECONDS = env("JOB_SWEEP_SECONDS", 30)
    JOB_RESEND_SECONDS = env("JOB_RESEND_SECONDS", 30)
    JOB_LOST_SECONDS = env("JOB_LOST_SECONDS", 15 * 60)
    JOB_STALE_SECONDS = env("JOB_STALE_SECONDS", 120)
    # The longest a job may take (Redis hands an unacknowledged message out again after this).
    JOB_VISIBILITY_SECONDS = env("JOB_VISIBILITY_SECONDS", 4 * 3600)
    # Done jobs are removed after JOB_KEEP_DAYS; a mail whose sending failed for good (with its text,
    # address and any link) after MAIL_FAILED_KEEP_DAYS (``app.jobs.retention``, daily from beat).
    JOB_KEEP_DAYS = env("JOB_KEEP_DAYS", 30)
    MAIL_FAILED_KEEP_DAYS = env("MAIL_FAILED_KEEP_DAYS", 7)
    # Exports with more items or bytes than this make their bundle in a job (the page shows progress).
    EXPORT_BUNDLE_JOB_ITEMS = env("EXPORT_BUNDLE_JOB_ITEMS", 20)
    EXPORT_BUNDLE_JOB_BYTES = env("EXPORT_BUNDLE_JOB_BYTES", 50 * 1024 * 1024)
    # When beat runs the daily consent reminders (``flask consent remind``), in the school's time zone.
    REMINDER_HOUR = env("REMINDER_HOUR", 7)
    REMINDER_MINUTE = env("REMINDER_MINUTE", 30)

    # ``GET /metrics`` (Prometheus) answers only with ``Authorization: Bearer <this>``; unset: 404.
    METRICS_TOKEN: str | None = env("METRICS_TOKEN", None)

    PAGE_SIZE = env("PAGE_SIZE", 50)
    DEMO_DATA = False
    # A SQLite file and a generated secret key in the instance folder when none is set (not in production).
    EMBEDDED_DEFAULTS = True

    @classmethod
    def validate(cls, settings: dict[str, Any]) -> None:
        """Refuse settings that would be unsafe or meaningless."""
        if settings.get("GUARDIAN_POLICY") not in {"any_refusal_blocks", "latest_wins"}:
            raise RuntimeError("GUARDIAN_POLICY must be any_refusal_blocks or latest_wins.")
        if settings.get("CAPTION_NAMES") not in {"refuse", "allow"}:
            raise RuntimeError("CAPTION_NAMES must be refuse or allow.")


class DevelopmentConfig(Config):
    DEBUG = env("DEBUG", True)
    SESSION_COOKIE_SECURE = env("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = env("SESSION_COOKIE_SECURE", False)
    MAIL_BACKEND = env("MAIL_BACKEND", "console")
    FORCE_HTTPS = env("FORCE_HTTPS", False)
    HSTS = env("HSTS", False)
    DEMO_DATA = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
    AUDIT_HMAC_KEY = "testing-audit-key"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_BACKEND = "locmem"
    FORCE_HTTPS = False
    HSTS = False
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # Cheap hashes keep the suite fast; the production cost is tested on its own.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    DEMO_DATA = True
    # Jobs run at once, in the test's own process and transaction (a real worker has its own test).
    JOBS_EAGER = env("JOBS_EAGER", True)
    REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/15")


class ProductionConfig(Config):
    DEBUG = False
    EMBEDDED_DEFAULTS = False
    # The queue needs Redis anyway: the limiter counts there too unless told otherwise.
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", None)

    @classmethod
    def validate(cls, settings: dict[str, Any]) -> None:
        super().validate(settings)
        key = settings.get("SECRET_KEY") or ""
        if key.strip().lower() in WEAK_SECRET_KEYS or len(key) < 32:
            raise RuntimeError(
                "Beeldrecht refuses to start in production without a real SECRET_KEY: set "
                "BEELDRECHT_SECRET_KEY (or SECRET_KEY) to a random value of at least 32 characters, "
                'for example the output of: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        if not settings.get("SQLALCHEMY_DATABASE_URI"):
            raise RuntimeError("Beeldrecht refuses to start in production without BEELDRECHT_DATABASE_URL.")
        if settings.get("DEBUG"):
            raise RuntimeError("Beeldrecht refuses to start in production with DEBUG on.")
        if not settings.get("BASE_URL"):
            raise RuntimeError(
                "Beeldrecht refuses to start in production without BEELDRECHT_BASE_URL, the address "
                "its mails link to (for example https://beeldrecht.school.nl)."
            )
        workers = os.environ.get("WEB_CONCURRENCY", "").strip()
        if workers.isdigit() and int(workers) > 1 and limits_in_memory(settings):
            raise RuntimeError(MEMORY_LIMITS_WITH_WORKERS.format(workers=workers))


MEMORY_LIMITS_WITH_WORKERS = (
    "Beeldrecht refuses to start in production with {workers} worker processes and the rate limits kept "
    "in each process's memory (BEELDRECHT_RATELIMIT_STORAGE_URI=memory://): every worker would count "
    "on its own. Set BEELDRECHT_REDIS_URL (the limits then go to Redis, with the queue) and leave "
    "BEELDRECHT_RATELIMIT_STORAGE_URI unset, or run one worker."
)


def limits_in_memory(settings: Any) -> bool:
    """The limiter is on and keeps its counts in this process only."""
    uri = str(settings.get("RATELIMIT_STORAGE_URI") or "memory://")
    return bool(settings.get("RATELIMIT_ENABLED", True)) and uri.startswith("memory://")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    name = name or os.environ.get(PREFIX + "ENV") or os.environ.get("FLASK_ENV") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown BEELDRECHT_ENV {name!r}; use one of {', '.join(CONFIGS)}.") from None

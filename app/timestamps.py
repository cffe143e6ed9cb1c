"""UTC time, stored the same way on SQLite and PostgreSQL, and read from the database's clock.

SQLite ignores ``DateTime(timezone=True)``; this type stores naive UTC everywhere and
hands back aware UTC datetimes, so comparisons never mix naive and aware values.

Time that decides something (when a decision was made, when an export was cleared, when removal
work was opened or is due) is the database server's clock, never an application server's: two
application servers whose clocks differ would otherwise disagree about whether a withdrawal came
before an export. :func:`database_now` reads that clock inside the current transaction, and
:class:`DatabaseClock` is the same clock as an SQL expression (a column default, evaluated by
the INSERT itself). On PostgreSQL it is ``clock_timestamp()``, the time of the statement's
execution, not ``now()``, which stays at the start of the transaction: read after an export's
locks are granted, it is later than every decision committed before them, even one whose
transaction began after the export's (READ COMMITTED). On SQLite it is ``'now'`` with
milliseconds (``CURRENT_TIMESTAMP`` has whole seconds only).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The application server's clock: for things that decide nothing (sign-in sessions,
    token expiry, audit rows). Anything the gate compares uses :func:`database_now`."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class DatabaseClock(FunctionElement[datetime]):
    """The database server's clock as naive UTC in the format :class:`UTCDateTime` stores."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(DatabaseClock, "postgresql")
def _postgresql_clock(element: DatabaseClock, compiler: Any, **kw: Any) -> str:
    return "(clock_timestamp() AT TIME ZONE 'UTC')"


@compiles(DatabaseClock, "sqlite")
def _sqlite_clock(element: DatabaseClock, compiler: Any, **kw: Any) -> str:
    # Milliseconds, padded to the six digits SQLAlchemy writes, so stored values sort as text.
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


@compiles(DatabaseClock)
def _other_clock(element: DatabaseClock, compiler: Any, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


def database_now() -> datetime:
    """The database server's clock now (aware UTC), read in the current transaction (the
    application's Flask-SQLAlchemy session: ``app.extensions`` imports this module, not the
    other way round)."""
    from flask import current_app

    value = current_app.extensions["sqlalchemy"].session.scalar(select(DatabaseClock()))
    assert isinstance(value, datetime)
    return value


def school_day(moment: datetime) -> date:
    """The school's calendar date (its time zone) at ``moment``."""
    from flask import current_app

    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def school_today() -> date:
    """Today's date where the school is (its time zone), not the server's or UTC's, by the
    application server's clock: for calendar questions (school years, retention, date fields),
    not for the gate, whose day comes with its moment from the database."""
    return school_day(utcnow())

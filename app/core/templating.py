"""Small Jinja helpers shared by every template."""

from __future__ import annotations

from typing import Any

from flask import Flask


def without(args: Any, *keys: str) -> dict[str, str]:
    """Query arguments minus ``keys`` (used to keep filters across pagination links)."""
    return {k: v for k, v in args.items() if k not in keys}


def duration(seconds: float | None) -> str:
    """A film's or recording's length as m:ss (or h:mm:ss)."""
    total = round(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def register(app: Flask) -> None:
    app.jinja_env.filters["without"] = without
    app.jinja_env.filters["duration"] = duration

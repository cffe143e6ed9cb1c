"""Small Jinja helpers shared by every template."""

from __future__ import annotations

from typing import Any

from flask import Flask


def without(args: Any, *keys: str) -> dict[str, str]:
    """Query arguments minus ``keys`` (used to keep filters across pagination links)."""
    return {k: v for k, v in args.items() if k not in keys}


def register(app: Flask) -> None:
    app.jinja_env.filters["without"] = without

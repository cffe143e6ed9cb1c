"""Collects the school's view modules onto its blueprint."""

from app.school import admin_views, import_views, views  # noqa: F401  (registers the routes)
from app.school.blueprint import bp

__all__ = ["bp"]

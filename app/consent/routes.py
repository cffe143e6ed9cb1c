"""Collects the consent module's view modules onto its blueprint."""

from app.consent import staff_views, withdrawal_views  # noqa: F401  (registers the staff routes)
from app.consent.views import bp

__all__ = ["bp"]

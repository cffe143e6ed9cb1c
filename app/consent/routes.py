"""Collects the consent module's view modules onto its blueprint."""

from app.consent import pupil_views, staff_views, state_views, withdrawal_views  # noqa: F401  (register their routes)
from app.consent.views import bp

__all__ = ["bp"]

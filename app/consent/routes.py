"""Collects the consent module's view modules onto its blueprint."""

from app.consent import (  # noqa: F401  (register their routes)
    campaign_views,
    form_admin_views,
    paper_views,
    pupil_views,
    shortcut_views,
    staff_views,
    state_views,
    withdrawal_views,
)
from app.consent.views import bp

__all__ = ["bp"]

"""The consent module's jobs: ``consent.remind``, the daily round of reminders that beat starts
(``REMINDER_HOUR``:``REMINDER_MINUTE``); ``flask consent remind`` does the same by hand."""

from __future__ import annotations

from flask_babel import force_locale

from app.consent.campaigns import remind_open_campaigns
from app.consent.queries import now
from app.jobs.models import Job
from app.jobs.queue import handler

CONSENT_REMIND = "consent.remind"


@handler(CONSENT_REMIND)
def remind(job: Job) -> None:
    """Each mail is rendered in its recipient's language; what was sent is stored, so a second
    round the same day sends nothing new."""
    with force_locale("en"):
        remind_open_campaigns(now(), dry_run=False)

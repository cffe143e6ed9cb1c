"""Every mail Beeldrecht sends, through one sender and Flask-Mailman's configured backend
(console in development, SMTP in production, in-memory in tests). The mail is rendered here, in
the caller's transaction, into the outbox; a ``mail.send`` job sends it after the commit
(``app.jobs.mail``), so no request waits for the mail server and a rolled-back change sends nothing.

A message is a subject and a text template; callers pass the address and language it goes to
(never a model), so this module depends on nothing but Flask. Mails name no pupil unless they go
to that pupil's own guardian, or to a teacher of the pupil's group (the list of non-responders).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.jobs.mail import queue_mail


@dataclass(frozen=True)
class Message:
    subject: Callable[[], str]  # called inside the recipient's language
    template: str


INVITATION = Message(lambda: _("Your Beeldrecht account"), "accounts/mail/invitation.txt")
PASSWORD_RESET = Message(lambda: _("Choose a new Beeldrecht password"), "accounts/mail/password_reset.txt")
CONSENT_REMINDER = Message(lambda: _("Please decide about photos and films at school"), "consent/mail/reminder.txt")
WITHDRAWAL_CONFIRMATION = Message(
    lambda: _("Beeldrecht: your withdrawal has been recorded"), "consent/mail/withdrawal_confirmed.txt"
)
NON_RESPONDERS = Message(
    lambda: _("Beeldrecht: who in your group has not answered yet"), "consent/mail/non_responders.txt"
)
TAKEDOWN_NOTICE = Message(lambda: _("Beeldrecht: media must be taken down"), "release/mail/takedown.txt")
AUDIT_ANCHOR = Message(lambda: _("Beeldrecht: audit log anchor"), "audit/mail/anchor.txt")


def send_mail(message: Message, *, to: str, locale: str | None, **context: object) -> None:
    """Render ``message`` in the recipient's language (the school's default when unknown) and queue
    it to be sent once the caller's transaction commits."""
    language = locale or str(current_app.config["BABEL_DEFAULT_LOCALE"])
    with force_locale(language):
        queue_mail(
            to=to,
            subject=str(message.subject()),
            body=render_template(message.template, locale=language, **context),
            sender=str(current_app.config["MAIL_DEFAULT_SENDER"]),
        )

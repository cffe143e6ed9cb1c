"""Mail sent by Beeldrecht, through Flask-Mailman's configured backend
(console in development, SMTP in production, in-memory in tests)."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mailman import EmailMessage

from app.accounts.models import User


def _send(user: User, subject: str, template: str, **context: object) -> None:
    message = EmailMessage(
        subject=subject,
        body=render_template(template, user=user, **context),
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[user.email],
    )
    message.send()


def send_invitation(user: User, link: str, days_valid: int) -> None:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        _send(
            user,
            _("Your Beeldrecht account"),
            "accounts/mail/invitation.txt",
            link=link,
            days_valid=days_valid,
        )


def send_password_reset(user: User, link: str, minutes_valid: int) -> None:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        _send(
            user,
            _("Choose a new Beeldrecht password"),
            "accounts/mail/password_reset.txt",
            link=link,
            minutes_valid=minutes_valid,
        )


def send_takedown_notice(email: str, locale: str | None, count: int) -> None:
    """Tell communications staff that published media must come down (no names in the mail)."""
    from app.accounts.operations import absolute_url

    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = EmailMessage(
            subject=_("Beeldrecht: media must be taken down"),
            body=render_template("release/mail/takedown.txt", count=count, link=absolute_url("release.takedowns")),
            from_email=current_app.config["MAIL_DEFAULT_SENDER"],
            to=[email],
        )
        message.send()

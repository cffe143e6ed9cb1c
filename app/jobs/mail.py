"""The ``mail.send`` job: sends one mail of the outbox (rendered in the request, in the recipient's
language, by ``app.notifications.send_mail``) through Flask-Mailman's backend, and removes it once
sent. A request never talks to the mail server, so a password reset for a real account costs the
same time as one for an unknown address."""

from __future__ import annotations

from flask_mailman import EmailMessage
from sqlalchemy import delete, func

from app.extensions import db
from app.jobs.models import Job, MailOutbox
from app.jobs.queue import enqueue, handler

MAIL_SEND = "mail.send"


def queue_mail(*, to: str, subject: str, body: str, sender: str) -> MailOutbox:
    """The rendered mail and the job that sends it, in the caller's transaction."""
    mail = MailOutbox(to_address=to, subject=subject[:300], body=body, from_address=sender)
    db.session.add(mail)
    db.session.flush()
    enqueue(MAIL_SEND, mail.id)
    return mail


@handler(MAIL_SEND)
def send_outbox_mail(job: Job) -> None:
    mail = db.session.get(MailOutbox, job.target_id) if job.target_id is not None else None
    if mail is None:  # already sent (and removed) by an earlier try
        return
    EmailMessage(subject=mail.subject, body=mail.body, from_email=mail.from_address, to=[mail.to_address]).send()
    db.session.delete(mail)


def drop_mail_to(addresses: list[str]) -> int:
    """Mails not sent yet to any of ``addresses`` (an erased person's): removed, so they are never
    sent and their text is gone; their jobs then find nothing to send. How many."""
    wanted = sorted({a.strip().lower() for a in addresses if a})
    if not wanted:
        return 0
    removed = db.session.execute(delete(MailOutbox).where(func.lower(MailOutbox.to_address).in_(wanted)))
    return int(getattr(removed, "rowcount", 0) or 0)

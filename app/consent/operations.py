"""Recording decisions: check who may decide, write the event, audit it; one transaction
(the caller commits)."""

from __future__ import annotations

from datetime import datetime

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.consent.models import Decision
from app.consent.queries import active_form, latest_events, load_subjects, now
from app.consent.rules import entitled_deciders
from app.consent.vocabulary import Action, Means, MediaType
from app.extensions import db
from app.school.models import Person

# Sent inside the decision's transaction, after the event is written: the release module opens
# takedowns there, so a withdrawal and its removal work commit together.
decision_recorded = Namespace().signal("decision-recorded")


class ConsentError(Exception):
    """A decision that cannot be recorded; ``code`` says why, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def decide(
    subject: Person,
    media_type: MediaType | str,
    purpose: str,
    action: Action | str,
    *,
    decided_by: Person,
    recorded_by: User | None,
    means: Means,
    decided_at: datetime | None = None,
) -> Decision:
    """Record one decision under the active form, if ``decided_by`` may make it."""
    moment = now()
    form = active_form(moment.day)
    if form is None:
        raise ConsentError("no_active_form", _("There is no consent form in force; the school must publish one first."))
    try:
        media = MediaType(media_type)
        verb = Action(action)
    except ValueError:
        raise ConsentError("unknown_choice", _("This is not a media type or decision the form knows.")) from None
    if media not in form.media_types or purpose not in form.purposes:
        raise ConsentError("not_on_form", _("The consent form in force does not ask about this."))
    # Exports hold FOR SHARE on the tagged people while they check and record (PostgreSQL); this
    # makes a decision about one of them wait for, or be seen by, that export.
    db.session.execute(select(Person.id).where(Person.id == subject.id).with_for_update())
    subject_rules = load_subjects([subject.id])[subject.id]
    if decided_by.id not in entitled_deciders(subject_rules, moment.day):
        raise ConsentError("not_entitled", _("You may not decide about this person."))
    previous = latest_events([subject.id], [media], [purpose], moment.at).get((subject.id, media, purpose), [])
    own = next((e for e in previous if e.decided_by_id == decided_by.id and not e.expired_on(moment.day)), None)
    if own is not None and (own.action is Action.GRANT) == (verb is Action.GRANT):
        raise ConsentError("already_recorded", _("This choice was already recorded; nothing has changed."))
    decision = Decision(
        subject_id=subject.id,
        media_type=media,
        purpose=purpose,
        action=verb,
        decided_by_id=decided_by.id,
        recorded_by_id=recorded_by.id if recorded_by else None,
        means=means,
        form_id=form.id,
        decided_at=decided_at or moment.at,
        recorded_at=moment.at,
    )
    db.session.add(decision)
    db.session.flush()
    record(
        "consent.decided",
        target=decision,
        actor_id=recorded_by.id if recorded_by else None,
        subject_id=subject.id,
        media_type=media.value,
        purpose=purpose,
        decision=verb.value,
        means=means.value,
        form_id=form.id,
    )
    decision_recorded.send(decision.__class__, decision=decision)
    return decision

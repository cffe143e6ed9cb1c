"""A withdrawal made by phone, at the desk or by letter, taken down by an administrator.

It is an ordinary decision written by the one writer (``operations.decide_answers``): each "no"
means what ``rules.action_for`` says (a withdrawal of the caller's own grant, a refusal
otherwise), takedowns open in the same transaction, and the event names who withdrew (a decider
entitled at this moment), how (``Means.PHONE``/``DESK``/``LETTER``), who took it (the
administrator's account) and the administrator's note. Only a "no" can be recorded this way: a
grant must be demonstrable (the portal or signed paper), so a "yes" is refused.

The caller commits, then calls :func:`mail_confirmation` (no mail for a rolled-back decision).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.accounts.models import User
from app.audit.log import record
from app.consent.labels import MEDIA_LABELS
from app.consent.models import ConsentForm, Decision, LatestDecision
from app.consent.operations import Answers, ConsentError, decide_answers, form_in_force
from app.consent.queries import Moment, consent_for, load_subjects, now
from app.consent.rules import entitled_deciders
from app.consent.vocabulary import WITHDRAWAL_MEANS, Means, MediaType
from app.extensions import db
from app.notifications import WITHDRAWAL_CONFIRMATION, send_mail
from app.school.models import Person
from app.urls import absolute_url

NOTE_MAX = 500


class WithdrawalError(ConsentError):
    """A withdrawal that cannot be taken down; nothing is recorded."""

    statuses = {**ConsentError.statuses, "no_decision": 409, "nothing_granted": 409}


@dataclass(frozen=True)
class TakenWithdrawal:
    subject: Person
    withdrawn_by: Person
    form: ConsentForm
    decisions: list[Decision]


def possible_withdrawers(subject: Person, moment: Moment | None = None) -> list[Person]:
    """Who may withdraw for ``subject`` now: the guardians with parental authority of a pupil
    under 16, the subject themself otherwise (``rules.entitled_deciders``)."""
    day = (moment or now()).day
    ids = entitled_deciders(load_subjects([subject.id])[subject.id], day)
    return list(db.session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.last_name, Person.id)))


def granted_keys(subject: Person, form: ConsentForm, moment: Moment) -> list[tuple[MediaType, str]]:
    """Every media type x purpose of ``form`` that is granted for ``subject`` at ``moment``."""
    keys = [(subject.id, media, purpose) for media in form.media_types for purpose in form.purposes]
    answers = consent_for(keys, moment)
    return [(media, purpose) for (_s, media, purpose) in keys if answers[(subject.id, media, purpose)].granted]


def has_any_decision(subject: Person) -> bool:
    return bool(db.session.scalar(select(exists().where(LatestDecision.subject_id == subject.id))))


def take_withdrawal(
    subject: Person,
    answers: Answers | None,
    *,
    withdrawn_by: Person,
    means: Means | str,
    recorded_by: User,
    note: str = "",
) -> TakenWithdrawal:
    """Record that ``withdrawn_by`` withdrew ``answers`` (every "no"; None: everything granted
    now) about ``subject``, as ``recorded_by`` took it down ``means``; audited, takedowns opened."""
    try:
        how = Means(means)
    except ValueError:
        how = None
    if how not in WITHDRAWAL_MEANS:
        raise WithdrawalError("unknown_means", _("Say how the withdrawal reached the school: phone, desk or letter."))
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise WithdrawalError("note_too_long", _("The note is too long (at most %(n)d characters).", n=NOTE_MAX))
    if answers is not None and any(answers.values()):
        raise WithdrawalError(
            "grant_not_allowed",
            _("Consent cannot be given by phone or at the desk: it must be given on the portal or on a signed form."),
        )
    if not has_any_decision(subject):
        raise WithdrawalError(
            "no_decision",
            _("Nothing has been decided about %(name)s: there is nothing to withdraw.", name=subject.full_name),
        )
    moment = now()
    if withdrawn_by.id not in {p.id for p in possible_withdrawers(subject, moment)}:
        raise WithdrawalError(
            "not_a_decider",
            _("%(who)s may not decide about %(name)s.", who=withdrawn_by.full_name, name=subject.full_name),
        )
    form = form_in_force(moment)
    if answers is None:
        answers = dict.fromkeys(granted_keys(subject, form, moment), False)
    if not answers:
        raise WithdrawalError(
            "nothing_granted",
            _("Nothing is granted for %(name)s at the moment: there is nothing to withdraw.", name=subject.full_name),
        )
    made = decide_answers(
        subject, answers, decided_by=withdrawn_by, recorded_by=recorded_by, means=how, note=note or None
    )
    if not made:
        raise WithdrawalError("already_recorded", _("This choice was already recorded; nothing has changed."))
    record(
        "consent.withdrawal_taken",
        target=subject,
        actor_id=recorded_by.id,
        withdrawn_by_id=withdrawn_by.id,
        means=how.value,
        decisions=[d.id for d in made],
    )
    return TakenWithdrawal(subject, withdrawn_by, form, made)


def confirmation_address(person: Person) -> tuple[str, str | None] | None:
    """Where the confirmation goes: the person's account (in its language), else their address
    from the school's records (in the school's language), else nowhere."""
    account = db.session.scalar(select(User).where(User.person_id == person.id, User.active.is_(True)))
    if account is not None:
        return account.email, account.locale
    return (person.email, None) if person.email else None


def mail_confirmation(taken: TakenWithdrawal) -> bool:
    """Confirm the withdrawal to whoever made it, when they have an address: into the mail outbox of
    the withdrawal's own transaction (sent by a job once it commits; nothing if it rolls back)."""
    address = confirmation_address(taken.withdrawn_by)
    if address is None:
        return False
    to, locale = address
    send_mail(
        WITHDRAWAL_CONFIRMATION,
        to=to,
        locale=locale,
        name=taken.withdrawn_by.first_name,
        subject_name=taken.subject.first_name,
        decisions=taken.decisions,
        form=taken.form,
        means=taken.decisions[0].means.value,
        media_labels=MEDIA_LABELS,
        link=absolute_url("consent.subject", person_id=taken.subject.id),
    )
    return True

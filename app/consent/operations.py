"""Recording decisions: check who may decide, write the events, audit them; one transaction
(the caller commits).

Every way of answering (the parent's form, a one-tap cell, "withdraw everything", a paper form,
the API, the command line) goes through :func:`decide_answers`, so a "no" means the same thing
everywhere (``rules.action_for``: a withdrawal after one's own grant, a refusal otherwise). It is
also the one place that keeps the latest-decision table (``LatestDecision``) in step, in the same
transaction as the decision itself. Decisions are dated by the database's clock, read after the
subject is locked (``app.timestamps``); a paper form keeps the day it was signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import User
from app.audit.log import record
from app.consent.models import ConsentForm, Decision, LatestDecision
from app.consent.queries import Moment, active_form, latest_events, load_subjects, now, ranked_decisions
from app.consent.rules import Event, action_for, entitled_deciders
from app.consent.vocabulary import Action, Means, MediaType
from app.errors import DomainError
from app.extensions import db
from app.school.models import Person

# Sent inside the decision's transaction, after the event is written: the release module opens
# takedowns there, so a withdrawal and its removal work commit together.
decision_recorded = Namespace().signal("decision-recorded")

Key = tuple[MediaType, str]
# Yes (True) or no (False) per (media type, purpose) of the form in force.
Answers = Mapping[tuple[MediaType | str, str], bool]


class ConsentError(DomainError):
    """A decision that cannot be recorded; ``code`` says why, the message is for people."""

    statuses = {"not_entitled": 403, "already_recorded": 409, "no_active_form": 409}


def decide_answers(
    subject: Person,
    answers: Answers,
    *,
    decided_by: Person,
    recorded_by: User | None,
    means: Means,
    decided_at: datetime | None = None,
    note: str | None = None,
) -> list[Decision]:
    """Record ``decided_by``'s yes/no answers about ``subject`` under the form in force, each as
    what it means given their own standing decision; answers that change nothing record nothing.
    Returns the decisions written (in the order of ``answers``)."""
    # The lock first, then the time: a decision that waited for an export is dated after it.
    _lock_subject(subject)
    moment = now()
    form = form_in_force(moment)
    return [
        _write(subject, key, action, decided_by, recorded_by, means, form, decided_at, moment, note)
        for key, action in planned_actions(subject, answers, decided_by=decided_by, form=form, moment=moment)
    ]


def planned_actions(
    subject: Person, answers: Answers, *, decided_by: Person, form: ConsentForm, moment: Moment
) -> list[tuple[Key, Action]]:
    """What :func:`decide_answers` records for these answers at ``moment``: the action of every
    answer that changes something, in the order of ``answers``. Writes nothing, so a page can show
    it before the parent confirms (``app.consent.previews``); raises what ``decide_answers`` raises."""
    keys = [(_media_on_form(form, media), _purpose_on_form(form, purpose)) for media, purpose in answers]
    if decided_by.id not in entitled_deciders(load_subjects([subject.id])[subject.id], moment.day):
        raise ConsentError("not_entitled", _("You may not decide about this person."))
    standing = own_decisions(subject, decided_by, keys, moment)
    planned = []
    for key, yes in zip(keys, answers.values(), strict=True):
        action = action_for(yes, standing.get(key), moment.day)
        if action is not None:
            planned.append((key, action))
    return planned


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
    """One answer, as a cell or the API gives it: ``grant`` is yes; ``refuse`` and ``withdraw``
    are no. Repeating the standing answer is refused (``already_recorded``)."""
    try:
        yes = Action(action) is Action.GRANT
    except ValueError:
        raise ConsentError("unknown_choice", _("This is not a media type or decision the form knows.")) from None
    made = decide_answers(
        subject,
        {(media_type, purpose): yes},
        decided_by=decided_by,
        recorded_by=recorded_by,
        means=means,
        decided_at=decided_at,
    )
    if not made:
        raise ConsentError("already_recorded", _("This choice was already recorded; nothing has changed."))
    return made[0]


def say_no_to_everything(
    subject: Person, *, decided_by: Person, recorded_by: User | None, means: Means, undecided_too: bool
) -> list[Decision]:
    """ "Withdraw everything": every grant of ``decided_by`` that holds becomes a withdrawal, and
    with ``undecided_too`` ("say no to everything") every open question a refusal."""
    moment = now()
    answers = no_to_everything(subject, decided_by=decided_by, undecided_too=undecided_too, moment=moment)
    made = decide_answers(subject, answers, decided_by=decided_by, recorded_by=recorded_by, means=means)
    if not made:
        raise ConsentError("already_recorded", _("Nothing to change: there is no consent to withdraw."))
    return made


def no_to_everything(subject: Person, *, decided_by: Person, undecided_too: bool, moment: Moment) -> Answers:
    """The answers "withdraw everything" gives: "no" to every question of the form in force whose
    answer ``decided_by`` gave is a grant that holds, and with ``undecided_too`` to all of them."""
    form = form_in_force(moment)
    keys = [(media, purpose) for media in form.media_types for purpose in form.purposes]
    if not undecided_too:
        standing = own_decisions(subject, decided_by, keys, moment)
        keys = [key for key in keys if action_for(False, standing.get(key), moment.day) is Action.WITHDRAW]
    return dict.fromkeys(keys, False)


def record_paper_form(
    subject: Person, answers: Answers, *, signed_by: Person, signed_on: date, recorded_by: User | None
) -> list[Decision]:
    """A signed paper form, entered by an administrator (or from the command line): each event
    names the signer and who entered it, and is dated noon on the day it was signed (or now, when
    that is still to come today)."""
    moment = now()
    if signed_on > moment.day:
        raise ConsentError("future_date", _("The date lies in the future."))
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    decided_at = min(datetime.combine(signed_on, time(12), tzinfo=zone), moment.at)
    return decide_answers(
        subject, answers, decided_by=signed_by, recorded_by=recorded_by, means=Means.PAPER, decided_at=decided_at
    )


def possible_signers(subject: Person) -> list[Person]:
    """Who can sign a paper form about ``subject``: for a pupil their guardians with parental
    authority and the pupil (who signs from 16), for anyone else themself."""
    from app.school.models import PersonKind

    if subject.kind is not PersonKind.PUPIL:
        return [subject]
    return [g.guardian for g in subject.guardianships if g.has_parental_authority] + [subject]


def decider_of(user: User) -> Person:
    """The person an account decides as (a parent's own person record)."""
    person = db.session.get(Person, user.person_id) if user.person_id is not None else None
    if person is None:
        raise ConsentError("not_entitled", _("You may not decide about this person."))
    return person


def form_in_force(moment: Moment) -> ConsentForm:
    form = active_form(moment.day)
    if form is None:
        raise ConsentError("no_active_form", _("There is no consent form in force; the school must publish one first."))
    return form


def own_decisions(subject: Person, decider: Person, keys: list[Key], moment: Moment) -> dict[Key, Event]:
    """``decider``'s own latest decision about ``subject`` for each key (expired ones included:
    ``action_for`` knows they no longer hold)."""
    events = latest_events([subject.id], {m for m, _p in keys}, {p for _m, p in keys}, moment.at)
    return {
        (media, purpose): event
        for (_subject, media, purpose), history in events.items()
        for event in history
        if event.decided_by_id == decider.id
    }


def _media_on_form(form: ConsentForm, media_type: MediaType | str) -> MediaType:
    try:
        media = MediaType(media_type)
    except ValueError:
        raise ConsentError("unknown_choice", _("This is not a media type or decision the form knows.")) from None
    if media not in form.media_types:
        raise ConsentError("not_on_form", _("The consent form in force does not ask about this."))
    return media


def _purpose_on_form(form: ConsentForm, purpose: str) -> str:
    if purpose not in form.purposes:
        raise ConsentError("not_on_form", _("The consent form in force does not ask about this."))
    return purpose


def _lock_subject(subject: Person) -> None:
    """Exports hold FOR SHARE on the tagged people while they check and record (PostgreSQL); this
    makes a decision about one of them wait for, or be seen by, that export."""
    db.session.execute(select(Person.id).where(Person.id == subject.id).with_for_update())


def _write(
    subject: Person,
    key: Key,
    action: Action,
    decided_by: Person,
    recorded_by: User | None,
    means: Means,
    form: ConsentForm,
    decided_at: datetime | None,
    moment: Moment,
    note: str | None = None,
) -> Decision:
    media, purpose = key
    decision = Decision(
        subject_id=subject.id,
        media_type=media,
        purpose=purpose,
        action=action,
        decided_by_id=decided_by.id,
        recorded_by_id=recorded_by.id if recorded_by else None,
        means=means,
        form_id=form.id,
        decided_at=decided_at or moment.at,
        recorded_at=moment.at,
        note=note,
    )
    db.session.add(decision)
    db.session.flush()
    _keep_latest(decision)
    record(
        "consent.decided",
        target=decision,
        actor_id=recorded_by.id if recorded_by else None,
        subject_id=subject.id,
        media_type=media.value,
        purpose=purpose,
        decision=action.value,
        means=means.value,
        form_id=form.id,
    )
    decision_recorded.send(Decision, decision=decision)
    return decision


def _keep_latest(decision: Decision) -> None:
    """``decision`` becomes the latest of its decider for its key, unless a later one is there
    already (a paper form dated on its signing day may come after an online decision made since).
    "Later" is the order the rules use: ``decided_at``, then ``id``."""
    upsert = postgresql.insert if db.session.connection().dialect.name == "postgresql" else sqlite.insert
    statement = upsert(LatestDecision).values(
        subject_id=decision.subject_id,
        media_type=decision.media_type,
        purpose=decision.purpose,
        decided_by_id=decision.decided_by_id,
        decision_id=decision.id,
        action=decision.action,
        decided_at=decision.decided_at,
        form_id=decision.form_id,
    )
    newcomer = statement.excluded
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["subject_id", "media_type", "purpose", "decided_by_id"],
            set_={name: newcomer[name] for name in ("decision_id", "action", "decided_at", "form_id")},
            where=tuple_(newcomer.decided_at, newcomer.decision_id)
            > tuple_(LatestDecision.decided_at, LatestDecision.decision_id),
        )
    )


def rebuild_latest_decisions() -> None:
    """Fill the latest-decision table anew from the decisions. Only for bulk loads that write
    decisions without :func:`decide_answers` (benchmarks, tests); the migration that made the
    table back-filled it the same way."""
    ranked = ranked_decisions().subquery()
    columns = ["subject_id", "media_type", "purpose", "decided_by_id", "decision_id", "action", "decided_at", "form_id"]
    db.session.execute(delete(LatestDecision))
    db.session.execute(
        insert(LatestDecision).from_select(
            columns,
            select(
                ranked.c.subject_id,
                ranked.c.media_type,
                ranked.c.purpose,
                ranked.c.decided_by_id,
                ranked.c.id,
                ranked.c.action,
                ranked.c.decided_at,
                ranked.c.form_id,
            ).where(ranked.c.rank == 1),
        )
    )

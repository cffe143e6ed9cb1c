"""What an answer would change, shown before the parent confirms it: "same answers as for my other
child" and "withdraw everything" first list every question that changes (now -> then) and
whether consent is lost by it (which is when removals open, ``app.release.takedowns``).

The actions come from ``operations.planned_actions``, the very function ``decide_answers`` records
with, so the list shown is what a confirm records (unless something changed in between: the
caller compares :func:`plan_code` of the list shown with the list at the confirm). Writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.consent.models import ConsentForm
from app.consent.operations import Answers, Key, form_in_force, no_to_everything, planned_actions
from app.consent.queries import Moment, active_form, guardian_policy, latest_events, load_subjects, now
from app.consent.rules import Event, effective_consent
from app.consent.vocabulary import Action, MediaType
from app.school.models import Person

# Larger than any stored id: the planned event is the decider's latest.
_PLANNED_ID = 2**62


@dataclass(frozen=True)
class Change:
    """One question that an answer changes, for the decider who gives it."""

    media_type: MediaType
    purpose: str
    before: str  # the decider's own standing choice: "granted", "refused" or "none"
    action: Action  # what will be recorded
    consent_lost: bool  # afterwards there is no consent (publications on it are taken down)

    @property
    def key(self) -> Key:
        return (self.media_type, self.purpose)

    @property
    def after(self) -> str:
        return "granted" if self.action is Action.GRANT else "refused"


def preview_answers(subject: Person, answers: Answers, *, decided_by: Person) -> list[Change]:
    """The changes :func:`operations.decide_answers` would record for ``answers`` now."""
    moment = now()
    return _changes(subject, answers, decided_by, form_in_force(moment), moment)


def preview_no_to_everything(subject: Person, *, decided_by: Person, undecided_too: bool) -> list[Change]:
    """The changes "withdraw everything" (or, with ``undecided_too``, "say no to everything") would record."""
    moment = now()
    answers = no_to_everything(subject, decided_by=decided_by, undecided_too=undecided_too, moment=moment)
    return _changes(subject, answers, decided_by, form_in_force(moment), moment)


def standing_answers(subject: Person, decider: Person) -> Answers:
    """``decider``'s own answers about ``subject`` that hold now, for the questions of the form in
    force (yes: a grant), in the form's order; questions they have not answered are left out."""
    moment = now()
    form = form_in_force(moment)
    mine = _own_events([subject.id], decider, form, moment)
    answers: dict[tuple[MediaType | str, str], bool] = {
        (media, purpose): mine[(subject.id, media, purpose)].action is Action.GRANT
        for media in form.media_types
        for purpose in form.purposes
        if (subject.id, media, purpose) in mine
    }
    return answers


def answered_by(subject_ids: Iterable[int], decider: Person) -> set[int]:
    """Which of these subjects ``decider`` has answered at least one question of the form in force
    about (with an answer that holds); empty without a form."""
    moment = now()
    form = active_form(moment.day)
    if form is None:
        return set()
    return {subject_id for subject_id, _media, _purpose in _own_events(subject_ids, decider, form, moment)}


def plan_code(changes: Iterable[Change]) -> str:
    """The list of changes as one string, kept in the confirm form: a confirm records only what was shown."""
    return ",".join(f"{c.media_type.value}:{c.purpose}:{c.action.value}" for c in changes)


def _own_events(
    subject_ids: Iterable[int], decider: Person, form: ConsentForm, moment: Moment
) -> dict[tuple[int, MediaType, str], Event]:
    events = latest_events(subject_ids, form.media_types, form.purposes, moment.at)
    return {
        key: event
        for key, history in events.items()
        for event in history
        if event.decided_by_id == decider.id and not event.expired_on(moment.day)
    }


def _changes(subject: Person, answers: Answers, decider: Person, form: ConsentForm, moment: Moment) -> list[Change]:
    planned = planned_actions(subject, answers, decided_by=decider, form=form, moment=moment)
    if not planned:
        return []
    rules = load_subjects([subject.id])[subject.id]
    policy = guardian_policy()
    events = latest_events([subject.id], {m for (m, _p), _a in planned}, {p for (_m, p), _a in planned}, moment.at)
    changes = []
    for (media, purpose), action in planned:
        history = events.get((subject.id, media, purpose), [])
        mine = next((e for e in history if e.decided_by_id == decider.id and not e.expired_on(moment.day)), None)
        before = "none" if mine is None else "granted" if mine.action is Action.GRANT else "refused"
        planned_event = Event(_PLANNED_ID, decider.id, action, moment.at, form.valid_until)
        after = [e for e in history if e.decided_by_id != decider.id] + [planned_event]
        consent = effective_consent(rules, after, moment.at, moment.day, policy)
        changes.append(Change(media, purpose, before, action, not consent.granted))
    return changes

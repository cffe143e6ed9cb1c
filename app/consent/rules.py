"""The consent rules: what a history of decisions adds up to. Pure functions, no Flask and
no database, so every screen, the API and the export gate ask exactly the same question.

The rules (``shared/DESIGN.md``, "Consent rules"):

1. No decision means not granted.
2. Consent is per subject x media type x purpose (callers pass the events of one such key).
3. A pupil younger than 16 is decided for by the guardians with parental authority; everyone
   else (pupils of 16 and older, guardians, staff, volunteers) decides for themself. Only the
   decisions of those entitled *at the moment asked about* count.
4. Several guardians: with ``any_refusal_blocks`` (the default) a refusal or withdrawal by any
   of them wins; granted means at least one granted and none refused since. With
   ``latest_wins`` the most recent decision of any guardian counts. A disagreement between
   guardians is reported as a conflict either way.
5. A decision holds until its form's ``valid_until`` (inclusive) or, without one, until it is
   withdrawn; an expired decision counts as no decision.
6. An answer means one thing wherever it is given (the parent's form, a one-tap cell, "withdraw
   everything", a paper form, the API, the command line): "yes" is a grant; "no" after one's own
   grant that still holds is a withdrawal, "no" otherwise a refusal; repeating one's standing
   answer records nothing (:func:`action_for`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from app.consent.vocabulary import Action

ADULT_AGE = 16


class GuardianPolicy(enum.StrEnum):
    ANY_REFUSAL_BLOCKS = "any_refusal_blocks"
    LATEST_WINS = "latest_wins"


class State(enum.StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    NONE = "none"


class Rule(enum.StrEnum):
    """Which rule produced the answer; screens turn these into sentences."""

    NO_DECISION = "no_decision"
    EXPIRED = "expired"
    OWN_DECISION = "own_decision"
    GUARDIAN_REFUSAL_BLOCKS = "guardian_refusal_blocks"
    GUARDIAN_GRANTED = "guardian_granted"
    LATEST_GUARDIAN_DECISION = "latest_guardian_decision"


@dataclass(frozen=True)
class Event:
    """One decision as the rules need it."""

    id: int
    decided_by_id: int
    action: Action
    decided_at: datetime
    valid_until: date | None

    def expired_on(self, day: date) -> bool:
        return self.valid_until is not None and day > self.valid_until

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.decided_at, self.id)


@dataclass(frozen=True)
class Subject:
    id: int
    is_pupil: bool
    date_of_birth: date | None
    # Guardians with parental authority; other guardians never decide.
    guardians: frozenset[int]

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class Consent:
    state: State
    rule: Rule
    # The events the answer rests on (the evidence an export records).
    relied_on: tuple[Event, ...]
    # Who may decide at that moment: the guardians, or the subject themself.
    deciders: frozenset[int]
    decided_by_guardians: bool
    # Last day a grant holds (inclusive); None when granted until withdrawn or not granted.
    expires_on: date | None = None
    # Guardians disagree (one granted, another refused or withdrew).
    conflict: bool = False

    @property
    def granted(self) -> bool:
        return self.state is State.GRANTED


def decided_by_guardians(subject: Subject, day: date) -> bool:
    """A pupil under 16 (or of unknown age: the protective reading) is decided for."""
    if not subject.is_pupil:
        return False
    age = subject.age_on(day)
    return age is None or age < ADULT_AGE


def born_on_or_before_to_decide_alone(day: date) -> date:
    """The latest date of birth of a pupil who decides for themself on ``day`` (16 that day or
    earlier): the same age rule as :func:`decided_by_guardians`, as a bound a query can use. A
    pupil without a date of birth never decides alone (the protective reading)."""
    year = day.year - ADULT_AGE
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a year that has none: 16 on the 28th already
        return date(year, 2, 28)


def entitled_deciders(subject: Subject, day: date) -> frozenset[int]:
    return subject.guardians if decided_by_guardians(subject, day) else frozenset({subject.id})


def latest_per_decider(events: Iterable[Event], moment: datetime, deciders: frozenset[int]) -> dict[int, Event]:
    latest: dict[int, Event] = {}
    for event in events:
        if event.decided_by_id not in deciders or event.decided_at > moment:
            continue
        current = latest.get(event.decided_by_id)
        if current is None or event.order > current.order:
            latest[event.decided_by_id] = event
    return latest


def effective_consent(
    subject: Subject,
    events: Iterable[Event],
    moment: datetime,
    day: date,
    policy: GuardianPolicy = GuardianPolicy.ANY_REFUSAL_BLOCKS,
) -> Consent:
    """Consent for one subject, media type and purpose at ``moment`` (``day`` is the school's
    calendar date of that moment, for the age and expiry rules)."""
    by_guardians = decided_by_guardians(subject, day)
    deciders = entitled_deciders(subject, day)
    latest = latest_per_decider(events, moment, deciders)
    current = {d: e for d, e in latest.items() if not e.expired_on(day)}
    if not current:
        rule = Rule.EXPIRED if latest else Rule.NO_DECISION
        return Consent(State.NONE, rule, tuple(latest.values()), deciders, by_guardians)

    grants = tuple(sorted((e for e in current.values() if e.action is Action.GRANT), key=lambda e: e.order))
    refusals = tuple(sorted((e for e in current.values() if e.action is not Action.GRANT), key=lambda e: e.order))
    conflict = by_guardians and bool(grants) and bool(refusals)

    if not by_guardians:
        (event,) = current.values()
        return _one_decision_counts(event, Rule.OWN_DECISION, deciders, by_guardians, conflict=False)
    if policy is GuardianPolicy.LATEST_WINS:
        event = max(current.values(), key=lambda e: e.order)
        return _one_decision_counts(event, Rule.LATEST_GUARDIAN_DECISION, deciders, by_guardians, conflict=conflict)
    if refusals:
        return Consent(State.REFUSED, Rule.GUARDIAN_REFUSAL_BLOCKS, refusals, deciders, by_guardians, conflict=conflict)
    return Consent(
        State.GRANTED,
        Rule.GUARDIAN_GRANTED,
        grants,
        deciders,
        by_guardians,
        expires_on=_latest_expiry(grants),
    )


def _one_decision_counts(
    event: Event, rule: Rule, deciders: frozenset[int], by_guardians: bool, *, conflict: bool
) -> Consent:
    """The answer when a single decision decides (one's own, or the latest guardian's)."""
    granted = event.action is Action.GRANT
    return Consent(
        State.GRANTED if granted else State.REFUSED,
        rule,
        (event,),
        deciders,
        by_guardians,
        expires_on=event.valid_until if granted else None,
        conflict=conflict,
    )


def action_for(yes: bool, own: Event | None, day: date) -> Action | None:
    """What a decider's yes or no records, given their own latest decision for that key (rule 6);
    None when it changes nothing."""
    holds = own is not None and not own.expired_on(day)
    granted = holds and own is not None and own.action is Action.GRANT
    if yes:
        return None if granted else Action.GRANT
    if granted:
        return Action.WITHDRAW
    return None if holds else Action.REFUSE


def _latest_expiry(grants: tuple[Event, ...]) -> date | None:
    """Granted holds while any grant holds: until the last one expires (None: never)."""
    if any(e.valid_until is None for e in grants):
        return None
    return max(e.valid_until for e in grants if e.valid_until is not None)

"""The consent rules, checked by example and against a plain reference implementation over
random decision histories (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.consent.rules import Event, GuardianPolicy, Rule, State, Subject, effective_consent
from app.consent.vocabulary import Action

MOM, DAD, CHILD, STRANGER = 1, 2, 10, 99
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
YEAR_END = date(2027, 7, 31)


def pupil(age_on_t0: int = 8, guardians=(MOM, DAD)) -> Subject:
    return Subject(CHILD, True, date(2026 - age_on_t0, 3, 1), frozenset(guardians))


def ev(n: int, who: int, action: Action, days: float = 0, valid_until: date | None = YEAR_END) -> Event:
    return Event(n, who, action, T0 + timedelta(days=days), valid_until)


def at(days: float) -> tuple[datetime, date]:
    moment = T0 + timedelta(days=days)
    return moment, moment.date()


# --- By example ----------------------------------------------------------------------------------


def test_no_decision_is_not_granted():
    result = effective_consent(pupil(), [], *at(1))
    assert result.state is State.NONE and result.rule is Rule.NO_DECISION and not result.granted


def test_one_guardian_grants():
    grant = ev(1, MOM, Action.GRANT)
    result = effective_consent(pupil(), [grant], *at(1))
    assert result.granted and result.relied_on == (grant,) and result.expires_on == YEAR_END


def test_any_refusal_blocks_and_is_a_conflict():
    events = [ev(1, MOM, Action.GRANT), ev(2, DAD, Action.WITHDRAW, days=1), ev(3, MOM, Action.GRANT, days=2)]
    result = effective_consent(pupil(), events, *at(3))
    assert result.state is State.REFUSED and result.rule is Rule.GUARDIAN_REFUSAL_BLOCKS
    assert result.conflict and [e.id for e in result.relied_on] == [2]


def test_latest_wins_policy():
    events = [ev(1, DAD, Action.REFUSE), ev(2, MOM, Action.GRANT, days=1)]
    result = effective_consent(pupil(), events, *at(2), policy=GuardianPolicy.LATEST_WINS)
    assert result.granted and result.rule is Rule.LATEST_GUARDIAN_DECISION and result.conflict


def test_withdrawal_is_immediate_and_not_retroactive():
    events = [ev(1, MOM, Action.GRANT), ev(2, MOM, Action.WITHDRAW, days=5)]
    assert effective_consent(pupil(), events, *at(4.99)).granted
    assert effective_consent(pupil(), events, *at(5)).state is State.REFUSED


def test_decision_expires_with_its_form():
    events = [ev(1, MOM, Action.GRANT, valid_until=date(2026, 9, 30))]
    assert effective_consent(pupil(), events, *at(29)).granted  # 30 September: still valid
    expired = effective_consent(pupil(), events, *at(30))
    assert expired.state is State.NONE and expired.rule is Rule.EXPIRED


def test_until_withdrawn_never_expires():
    events = [ev(1, MOM, Action.GRANT, valid_until=None)]
    result = effective_consent(pupil(), events, *at(1000))
    assert result.granted and result.expires_on is None


def test_guardian_without_parental_authority_or_a_stranger_does_not_count():
    events = [ev(1, STRANGER, Action.GRANT), ev(2, DAD, Action.GRANT)]
    result = effective_consent(pupil(guardians=(MOM,)), events, *at(1))
    assert result.state is State.NONE


def test_from_sixteen_the_pupil_decides_and_guardian_decisions_stop_counting():
    child = Subject(CHILD, True, date(2010, 9, 10), frozenset({MOM}))  # 16 on 10 September 2026
    events = [ev(1, MOM, Action.GRANT), ev(2, CHILD, Action.REFUSE, days=1)]
    before = effective_consent(child, events, *at(8))  # 9 September: 15
    assert before.granted and before.decided_by_guardians
    after = effective_consent(child, events, *at(9))  # 10 September: 16
    assert after.state is State.REFUSED and after.rule is Rule.OWN_DECISION and after.deciders == {CHILD}


def test_staff_and_guardians_decide_for_themselves():
    teacher = Subject(MOM, False, None, frozenset())
    assert effective_consent(teacher, [ev(1, MOM, Action.GRANT)], *at(1)).granted
    assert effective_consent(teacher, [ev(1, DAD, Action.GRANT)], *at(1)).state is State.NONE


def test_pupil_of_unknown_age_is_protected_as_a_child():
    child = Subject(CHILD, True, None, frozenset({MOM}))
    assert effective_consent(child, [ev(1, CHILD, Action.GRANT)], *at(1)).state is State.NONE
    assert effective_consent(child, [ev(1, MOM, Action.GRANT)], *at(1)).granted


# --- Against a reference implementation --------------------------------------------------------


def reference(
    subject: Subject, events: list[Event], moment: datetime, day: date, policy: GuardianPolicy
) -> tuple[State, frozenset[int]]:
    """The rules written out plainly: replay the history in time order, one decider at a time."""
    age = None
    if subject.date_of_birth is not None:
        age = day.year - subject.date_of_birth.year
        if (day.month, day.day) < (subject.date_of_birth.month, subject.date_of_birth.day):
            age -= 1
    allowed = set(subject.guardians) if subject.is_pupil and (age is None or age < 16) else {subject.id}
    standing: dict[int, Event] = {}
    for event in sorted(events, key=lambda e: (e.decided_at, e.id)):
        if event.decided_at <= moment and event.decided_by_id in allowed:
            standing[event.decided_by_id] = event
    live = [e for e in standing.values() if e.valid_until is None or day <= e.valid_until]
    if not live:
        return State.NONE, frozenset()
    if policy is GuardianPolicy.LATEST_WINS or (len(allowed) == 1 and subject.id in allowed):
        last = sorted(live, key=lambda e: (e.decided_at, e.id))[-1]
        return (State.GRANTED if last.action is Action.GRANT else State.REFUSED), frozenset({last.id})
    refusals = [e for e in live if e.action is not Action.GRANT]
    if refusals:
        return State.REFUSED, frozenset(e.id for e in refusals)
    return State.GRANTED, frozenset(e.id for e in live)


people = st.sampled_from([MOM, DAD, CHILD, STRANGER])
event_lists = st.lists(
    st.tuples(
        people,
        st.sampled_from(list(Action)),
        st.integers(min_value=0, max_value=400),
        st.sampled_from([None, date(2026, 12, 31), YEAR_END, date(2027, 3, 1)]),
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(
    history=event_lists,
    guardians=st.sets(st.sampled_from([MOM, DAD]), max_size=2),
    is_pupil=st.booleans(),
    born=st.one_of(st.none(), st.dates(min_value=date(2009, 6, 1), max_value=date(2012, 1, 1))),
    ask_day=st.integers(min_value=0, max_value=420),
    policy=st.sampled_from(list(GuardianPolicy)),
)
def test_rules_match_the_reference(history, guardians, is_pupil, born, ask_day, policy):
    subject = Subject(CHILD, is_pupil, born, frozenset(guardians))
    events = [
        Event(n, who, action, T0 + timedelta(days=d, hours=n % 5), until)
        for n, (who, action, d, until) in enumerate(history, 1)
    ]
    moment = T0 + timedelta(days=ask_day, hours=2)
    result = effective_consent(subject, events, moment, moment.date(), policy)
    state, relied = reference(subject, events, moment, moment.date(), policy)
    assert result.state is state
    if state is not State.NONE:
        assert {e.id for e in result.relied_on} == relied


@settings(max_examples=200, deadline=None)
@given(history=event_lists, ask_day=st.integers(min_value=0, max_value=420))
def test_a_withdrawal_by_any_guardian_always_blocks(history, ask_day):
    """Whatever came before, a guardian's fresh withdrawal means not granted."""
    subject = pupil()
    events = [
        Event(n, who, action, T0 + timedelta(days=d), until) for n, (who, action, d, until) in enumerate(history, 1)
    ]
    moment = T0 + timedelta(days=ask_day)
    events.append(Event(10_000, DAD, Action.WITHDRAW, moment, None))  # under the current form
    assert not effective_consent(subject, events, moment, moment.date()).granted

"""What a consent page shows: the matrix of media types x purposes for one subject, each cell
with its effective consent, the viewer's own decision and the other deciders' decisions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.consent.models import ConsentForm
from app.consent.queries import Moment, consent_for, guardian_policy, latest_events, load_subjects
from app.consent.rules import Consent, Event, State, Subject, effective_consent, entitled_deciders
from app.consent.vocabulary import Action, MediaType
from app.extensions import db
from app.school.models import Person


@dataclass(frozen=True)
class Cell:
    media_type: MediaType
    purpose: str
    consent: Consent
    mine: Event | None
    others: tuple[Event, ...]

    @property
    def my_choice(self) -> str:
        """``granted``, ``refused`` or ``none``: what the viewer last decided (if still valid)."""
        if self.mine is None:
            return "none"
        return "granted" if self.mine.action is Action.GRANT else "refused"

    @property
    def others_differ(self) -> bool:
        mine_granted = self.mine is not None and self.mine.action is Action.GRANT
        return any((e.action is Action.GRANT) != mine_granted for e in self.others)


@dataclass(frozen=True)
class Matrix:
    subject: Person
    form: ConsentForm
    rows: tuple[tuple[MediaType, tuple[Cell, ...]], ...]
    can_decide: bool
    names: dict[int, str]
    rules: Subject

    @property
    def cells(self) -> list[Cell]:
        return [cell for _media, cells in self.rows for cell in cells]

    @property
    def undecided(self) -> int:
        return sum(1 for cell in self.cells if cell.mine is None) if self.can_decide else 0


def subject_matrix(subject: Person, form: ConsentForm, viewer_person_id: int | None, moment: Moment) -> Matrix:
    rules = load_subjects([subject.id])[subject.id]
    deciders = entitled_deciders(rules, moment.day)
    events = latest_events([subject.id], form.media_types, form.purposes, moment.at)
    policy = guardian_policy()
    rows = []
    for media in form.media_types:
        cells = []
        for purpose in form.purposes:
            history = events.get((subject.id, media, purpose), [])
            consent = effective_consent(rules, history, moment.at, moment.day, policy)
            live = [e for e in history if e.decided_by_id in deciders and not e.expired_on(moment.day)]
            mine = next((e for e in live if e.decided_by_id == viewer_person_id), None)
            others = tuple(e for e in live if e.decided_by_id != viewer_person_id)
            cells.append(Cell(media, purpose, consent, mine, others))
        rows.append((media, tuple(cells)))
    names: dict[int, str] = {  # noqa: C416 - a comprehension mypy can type
        pid: first
        for pid, first in db.session.execute(select(Person.id, Person.first_name).where(Person.id.in_(deciders)))
    }
    return Matrix(subject, form, tuple(rows), viewer_person_id in deciders, names, rules)


def open_questions(subject_ids: list[int], form: ConsentForm, moment: Moment) -> dict[int, int]:
    """For each subject, how many questions of ``form`` (media type x purpose) nobody has answered
    yet (or whose answer has expired): 0 means all answered. One query for all of them."""
    keys = [(pid, media, purpose) for pid in subject_ids for media in form.media_types for purpose in form.purposes]
    missing = dict.fromkeys(subject_ids, 0)
    for (pid, _media, _purpose), consent in consent_for(keys, moment).items():
        missing[pid] += consent.state is State.NONE
    return missing


@dataclass(frozen=True)
class GroupCell:
    """One pupil's consent for one media type and purpose, as a group overview shows it: ``key``
    names the cell in the page (``pupil-media-purpose``), ``look`` is the mark to show (the state,
    and ``!`` when the parents disagree)."""

    key: str
    purpose: str
    state: str
    look: str


@dataclass(frozen=True)
class GroupRow:
    pupil: Person
    by_media: list[tuple[MediaType, list[GroupCell]]]
    granted: dict[MediaType, int]  # how many purposes of each media type are allowed


def group_rows(pupils: list[Person], media: list[MediaType], purposes: list[str], moment: Moment) -> list[GroupRow]:
    """The rows of a group's consent overview, in two queries; the page only looks values up."""
    answers = consent_for([(p.id, m, u) for p in pupils for m in media for u in purposes], moment)
    rows = []
    for pupil in pupils:
        by_media, granted = [], {}
        for m in media:
            cells = []
            for purpose in purposes:
                consent = answers[(pupil.id, m, purpose)]
                state = consent.state.value
                look = f"{state}!" if consent.conflict else state
                cells.append(GroupCell(f"{pupil.id}-{m.value}-{purpose}", purpose, state, look))
            by_media.append((m, cells))
            granted[m] = sum(cell.state == State.GRANTED for cell in cells)
        rows.append(GroupRow(pupil, by_media, granted))
    return rows

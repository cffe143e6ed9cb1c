"""The lists a teacher uses in class: for one group and one media type, which pupils must not be
photographed (filmed, recorded) at all, which only for some uses, and whose parents chose nothing
yet, in that order (the first group matters most when the camera is out)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.consent.models import ConsentForm
from app.consent.queries import Moment, consent_for
from app.consent.rules import State
from app.consent.vocabulary import MediaType
from app.school.models import Person


@dataclass(frozen=True)
class SomeUses:
    pupil: Person
    allowed: list[str]  # the purposes that are granted: the only uses the pupil may appear in


@dataclass
class ClassList:
    """``not_at_all``: nothing granted and something refused; ``some_uses``: granted for some
    purposes only; ``undecided``: nothing chosen for any purpose (which counts as no); ``everywhere``:
    how many pupils may appear in every use."""

    not_at_all: list[Person] = field(default_factory=list)
    some_uses: list[SomeUses] = field(default_factory=list)
    undecided: list[Person] = field(default_factory=list)
    everywhere: int = 0

    @property
    def listed(self) -> int:
        return len(self.not_at_all) + len(self.some_uses) + len(self.undecided)


def class_list(pupils: list[Person], form: ConsentForm, media: MediaType, moment: Moment) -> ClassList:
    """The pupils of a group sorted into the sections of the list (one query for all of them)."""
    answers = consent_for([(p.id, media, u) for p in pupils for u in form.purposes], moment)
    result = ClassList()
    for pupil in pupils:
        states = [answers[(pupil.id, media, u)].state for u in form.purposes]
        allowed = [u for u, state in zip(form.purposes, states, strict=True) if state is State.GRANTED]
        if len(allowed) == len(states):
            result.everywhere += 1
        elif allowed:
            result.some_uses.append(SomeUses(pupil, allowed))
        elif all(state is State.NONE for state in states):
            result.undecided.append(pupil)
        else:
            result.not_at_all.append(pupil)
    return result

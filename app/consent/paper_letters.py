"""What goes on a printed paper consent form: for whom, in which language, with which questions.

A letter is printed per child (or other person) for the form in force: addressed to whoever
decides about them (``queries.who_decides``: the guardians under 16, the pupil from 16), in English
when the accounts of those people are all set to English and in Dutch otherwise, with every purpose
of the form (``consent.purposes``) times every media type, and the person's code
(``consent.paper_codes``) with the address its QR code opens. Printing a group can be limited to
those whose deciders the school cannot reach by e-mail (no address, no account).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from app.accounts.models import User
from app.consent.labels import MEDIA_LABELS
from app.consent.models import ConsentForm
from app.consent.paper_codes import code_for, shown
from app.consent.purposes import purposes_of
from app.consent.queries import who_decides
from app.extensions import db
from app.school.models import Group, Person, SchoolYear
from app.urls import absolute_url


@dataclass(frozen=True)
class Question:
    label: str
    explanation: str


@dataclass(frozen=True)
class Letter:
    """One person's paper form, every word already in the letter's language."""

    locale: str
    school: str
    name: str
    group: str
    decides_alone: bool
    title: str
    version: int
    text: str
    media: list[str]
    questions: list[Question]
    code: str
    url: str


def letters_for_group(group: Group, form: ConsentForm, day: date, *, without_email: bool) -> list[Letter]:
    """A letter per pupil of ``group`` (by name), or only for those nobody can be mailed about."""
    pupils = sorted(group.pupils, key=lambda p: (p.last_name, p.first_name))
    deciders = who_decides([p.id for p in pupils], day)
    reach = _reach({d for ids in deciders.values() for d in ids})
    if without_email:
        pupils = [p for p in pupils if not any(reach[d][0] for d in deciders[p.id])]
    return [_letter(p, group, form, deciders[p.id], [reach[d][1] for d in deciders[p.id]]) for p in pupils]


def letter_for(person: Person, form: ConsentForm, day: date) -> Letter:
    """One person's letter (on request, whether or not they can be mailed)."""
    deciders = who_decides([person.id], day)[person.id]
    reach = _reach(set(deciders))
    return _letter(person, current_group(person, day), form, deciders, [reach[d][1] for d in deciders])


def current_group(person: Person, day: date) -> Group | None:
    """The person's group in the school year containing ``day`` (a pupil is in one), if any."""
    return next(
        (g for g in person.pupil_groups if g.school_year.starts_on <= day <= g.school_year.ends_on),
        None,
    )


def _reach(person_ids: set[int]) -> dict[int, tuple[bool, str | None]]:
    """Per person: can the school mail them (an address of their own or an account), and the
    language of their account (None without one)."""
    emails = dict(db.session.execute(select(Person.id, Person.email).where(Person.id.in_(person_ids))).tuples().all())
    accounts = dict(
        db.session.execute(select(User.person_id, User.locale).where(User.person_id.in_(person_ids))).tuples().all()
    )
    return {pid: (bool(emails.get(pid)) or pid in accounts, accounts.get(pid)) for pid in person_ids}


def _letter_locale(locales: list[str | None]) -> str:
    chosen = {locale for locale in locales if locale}
    return "en" if chosen == {"en"} else "nl"


def _letter(
    subject: Person, group: Group | None, form: ConsentForm, deciders: frozenset[int], locales: list[str | None]
) -> Letter:
    locale = _letter_locale(locales)
    code = code_for(subject, form)
    year: SchoolYear | None = group.school_year if group else None
    with force_locale(locale):
        media = [str(MEDIA_LABELS[m]) for m in form.media_types]
    return Letter(
        locale=locale,
        school=group.location.name if group else "",
        name=subject.full_name,
        group=f"{group.name} ({year.name})" if group and year else "",
        decides_alone=deciders == {subject.id},
        title=form.title(locale),
        version=form.version,
        text=form.text(locale),
        media=media,
        questions=[Question(p.label(locale), p.explanation(locale)) for p in purposes_of(form)],
        code=shown(code.code),
        url=absolute_url("consent.paper_code", code=shown(code.code)),
    )

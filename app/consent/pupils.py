"""Pupils of 16 and older decide about themselves (``rules.decided_by_guardians``), in an account of
their own: who may have one, the invitation of one pupil (an administrator on the person page) and
of every pupil who has turned 16 (``flask people invite-sixteen``, daily from cron). The caller
commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.accounts import operations as accounts
from app.accounts.models import Role, User
from app.audit.log import record
from app.consent.queries import decides_alone, load_subjects, now
from app.consent.rules import decided_by_guardians
from app.extensions import db
from app.school.models import Group, Person, PersonKind, SchoolYear, group_pupil


class PupilAccountError(accounts.AccountError):
    """An account for a pupil that the rules refuse; nothing is written."""

    statuses = {"pupil_under_16": 409, "not_a_pupil": 422, "no_email": 422, "email_in_use": 409}

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code)


def check_account_for(person: Person | None, roles: set[Role], day: date) -> None:
    """Refuse an account linked to a pupil who does not decide alone on ``day`` (under 16, or of
    unknown age: their guardians decide, so they get no account), and the pupil role for anyone
    but such a pupil."""
    if person is not None and person.kind == PersonKind.PUPIL:
        subject = load_subjects([person.id]).get(person.id)
        if subject is None or decided_by_guardians(subject, day):
            raise PupilAccountError(
                "pupil_under_16",
                _(
                    "%(name)s is not 16 yet: their guardians decide, so they cannot have an account.",
                    name=person.first_name,
                ),
            )
    elif Role.PUPIL in roles:
        raise PupilAccountError("not_a_pupil", _("Only a pupil of 16 or older can have the pupil role."))


def decides_alone_today(person: Person) -> bool:
    """A pupil of 16 or older today (the pages offer them an account of their own)."""
    subject = load_subjects([person.id]).get(person.id)
    return subject is not None and subject.is_pupil and not decided_by_guardians(subject, now().day)


def on_account_checked(_sender: object, *, person: Person | None, roles: set[Role] | frozenset[Role]) -> None:
    """Connected to ``accounts.operations.account_checked``: every way of creating or changing an
    account (the accounts pages, ``flask users invite``, reminders) meets the same rule."""
    check_account_for(person, set(roles), now().day)


def invite_pupil(pupil: Person, *, invited_by: User | None, day: date) -> accounts.Invitation:
    """Invite a pupil of 16 or older to an account of their own, at their own address (from the
    import or the person page), with the pupil role only."""
    check_account_for(pupil, {Role.PUPIL}, day)
    if not pupil.email:
        raise PupilAccountError("no_email", _("%(name)s has no email address of their own.", name=pupil.first_name))
    holder = accounts.find_user_by_email(pupil.email)
    if holder is not None and holder.person_id != pupil.id:
        # Often a parent's address given for the child: never hand the parent's account to the pupil.
        raise PupilAccountError(
            "email_in_use", _("This email address belongs to another account; enter the pupil's own address.")
        )
    return accounts.invite(pupil.email, {Role.PUPIL}, person=pupil, invited_by=invited_by)


@dataclass
class SixteenReport:
    invited: int = 0
    without_email: int = 0
    address_in_use: int = 0


def pupils_to_invite(day: date) -> list[Person]:
    """Pupils of a group of the current school year who decide alone on ``day`` and have no account."""
    in_current_group = (
        select(group_pupil.c.person_id)
        .join(Group, Group.id == group_pupil.c.group_id)
        .join(SchoolYear, SchoolYear.id == Group.school_year_id)
        .where(SchoolYear.starts_on <= day, SchoolYear.ends_on >= day)
    )
    has_account = exists().where(User.person_id == Person.id)
    return list(
        db.session.scalars(
            select(Person).where(decides_alone(day), Person.id.in_(in_current_group), ~has_account).order_by(Person.id)
        )
    )


def invite_pupils_turned_sixteen(*, day: date, by: User | None = None, dry_run: bool = False) -> SixteenReport:
    """Invite every current pupil who has turned 16 and has no account yet. Safe to run every day:
    a pupil once invited has an account and is not invited again (a new link is sent from the
    person page)."""
    report = SixteenReport()
    for pupil in pupils_to_invite(day):
        if not pupil.email:
            report.without_email += 1
            continue
        holder = accounts.find_user_by_email(pupil.email)
        if holder is not None and holder.person_id != pupil.id:
            report.address_in_use += 1
            continue
        if not dry_run:
            invite_pupil(pupil, invited_by=by, day=day)
        report.invited += 1
    if not dry_run:
        record(
            "people.sixteen_invited",
            actor_id=by.id if by else None,
            invited=report.invited,
            without_email=report.without_email,
            address_in_use=report.address_in_use,
        )
    return report

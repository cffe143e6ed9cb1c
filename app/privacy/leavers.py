"""Pupils who left the school: archived when the new school year starts, erased when the
retention period is over.

"Current" comes from the date alone: the school year containing today (1 August to 31 July,
``app.school.calendar``), so on 1 August next year's groups, imported beforehand, are the
current ones without a switch. Who is a *leaver* is defined once, in ``app.school.leavers``: a
pupil who was in a group of a past year and is in no group of the current or a coming year.

Archiving takes away what lets a leaver or their family act: the pupil's own account and the
accounts of guardians with no current child left (an account with any staff role is kept).
After ``LEAVER_RETENTION_YEARS`` full years past the end of their last school year, a leaver is
erased with ``privacy.erasure.erase_person`` (a tombstone stays), and so is a guardian who is
then guardian of no one and has no account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import exists, func, select

from app.accounts.models import Role, User
from app.accounts.operations import update_account
from app.extensions import db
from app.privacy.erasure import erase_person
from app.school.leavers import in_a_year_from, is_leaver
from app.school.models import Group, Guardianship, Person, PersonKind, SchoolYear, group_pupil

PURGE_REASON = "left the school; the retention period for leavers has ended"


def leavers(today: date) -> list[tuple[Person, date]]:
    """Every leaver with the last day of their last school year, oldest first."""
    last_day = func.max(SchoolYear.ends_on)
    rows = db.session.execute(
        select(Person, last_day)
        .join(group_pupil, group_pupil.c.person_id == Person.id)
        .join(Group, Group.id == group_pupil.c.group_id)
        .join(SchoolYear, SchoolYear.id == Group.school_year_id)
        .where(is_leaver(today))
        .group_by(Person.id)
        .order_by(last_day, Person.id)
    ).all()
    return [(person, ended) for person, ended in rows]


def retention_years() -> int:
    return int(current_app.config["LEAVER_RETENTION_YEARS"])


def retention_over(ended: date, today: date) -> bool:
    years = retention_years()
    try:
        until = ended.replace(year=ended.year + years)
    except ValueError:  # 29 February
        until = ended.replace(year=ended.year + years, day=28)
    return today > until


@dataclass
class LeaverReport:
    leavers: int = 0
    accounts_disabled: list[int] = field(default_factory=list)
    erased: list[int] = field(default_factory=list)


def _has_current_child(guardian_id: int, today: date) -> bool:
    children = (
        select(Person.id)
        .join(Guardianship, Guardianship.pupil_id == Person.id)
        .where(Guardianship.guardian_id == guardian_id, in_a_year_from(today))
        .limit(1)
    )
    return db.session.scalar(children) is not None


def archive_leavers(today: date, *, by: User, dry_run: bool = False) -> LeaverReport:
    """Disable the accounts of leavers and of guardians with no current child (staff keep theirs)."""
    report = LeaverReport()
    found = leavers(today)
    report.leavers = len(found)
    people = {person.id for person, _ended in found}
    guardians = set(db.session.scalars(select(Guardianship.guardian_id).where(Guardianship.pupil_id.in_(people))))
    people |= {g for g in guardians if not _has_current_child(g, today)}
    accounts = db.session.scalars(
        select(User).where(User.person_id.in_(people), User.active.is_(True)).order_by(User.id)
    ).all()
    staff_roles = {Role.TEACHER, Role.COMMUNICATIONS, Role.LEADERSHIP, Role.ADMIN}
    for account in accounts:
        if account.roles & staff_roles or account.id == by.id:
            continue
        report.accounts_disabled.append(account.id)
        if not dry_run:
            update_account(account, roles=set(account.roles), active=False, person=account.person, by=by)
    return report


def purge_leavers(today: date, *, by: User, dry_run: bool = False) -> LeaverReport:
    """Archive, then erase every leaver whose retention is over, and their guardians who are then
    guardian of no one and have no account; the caller commits."""
    report = archive_leavers(today, by=by, dry_run=dry_run)
    due = [person for person, ended in leavers(today) if retention_over(ended, today)]
    guardians: set[int] = set()
    for pupil in due:
        guardians |= {link.guardian_id for link in pupil.guardianships}
        report.erased.append(pupil.id)
        if not dry_run:
            erase_person(pupil, by=by, reason=PURGE_REASON)
    if not dry_run:
        db.session.flush()
    erased = set(report.erased)
    for guardian_id in sorted(guardians):
        guardian = db.session.get(Person, guardian_id)
        if guardian is None or guardian.kind is not PersonKind.GUARDIAN:
            continue
        wards = {link.pupil_id for link in guardian.wards} - erased
        has_account = db.session.scalar(select(exists().where(User.person_id == guardian.id)))
        if wards or (has_account and not _only_parent_account(guardian.id)):
            continue
        report.erased.append(guardian.id)
        if not dry_run:
            erase_person(guardian, by=by, reason=PURGE_REASON)
    return report


def _only_parent_account(person_id: int) -> bool:
    """An account that is a parent's and nothing else (such an account is erased with its person)."""
    account = db.session.scalar(select(User).where(User.person_id == person_id))
    return account is None or account.roles <= {Role.PARENT}

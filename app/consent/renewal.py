"""Renewal: who still has to decide (nothing decided, or a grant about to expire), reminders to
whoever decides about them (guardians, or the pupil from 16), and the response rate per group for the administrator."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.accounts import operations as accounts
from app.accounts.models import Role, User
from app.audit.log import record
from app.consent.models import ConsentForm
from app.consent.pupils import invite_pupil
from app.consent.queries import Moment, consent_for, who_decides
from app.consent.rules import State
from app.extensions import db
from app.notifications import CONSENT_REMINDER, send_mail
from app.school.models import Group, Person, SchoolYear
from app.urls import absolute_url

EXPIRING_WITHIN = timedelta(days=30)


@dataclass(frozen=True)
class GroupResponse:
    group: Group
    pupils: int
    complete: int

    @property
    def rate(self) -> int:
        return round(100 * self.complete / self.pupils) if self.pupils else 0


def _current_groups(moment: Moment) -> list[Group]:
    return list(
        db.session.scalars(
            select(Group)
            .join(Group.school_year)
            .where(SchoolYear.starts_on <= moment.day, SchoolYear.ends_on >= moment.day)
            .order_by(Group.name)
        )
    )


def pupils_needing_a_decision(form: ConsentForm, moment: Moment) -> tuple[list[GroupResponse], set[int]]:
    """Per group: pupils whose every question is answered and not about to expire; and the ids
    of the pupils who still need a decision."""
    groups = _current_groups(moment)
    pupils = {p.id for g in groups for p in g.pupils}
    keys = [(p, m, u) for p in pupils for m in form.media_types for u in form.purposes]
    answers = consent_for(keys, moment)
    soon = moment.day + EXPIRING_WITHIN
    open_ids = {
        pid
        for (pid, _m, _u), consent in answers.items()
        if consent.state is State.NONE
        or (consent.granted and consent.expires_on is not None and consent.expires_on <= soon)
    }
    report = [GroupResponse(g, len(g.pupils), sum(1 for p in g.pupils if p.id not in open_ids)) for g in groups]
    return report, open_ids


@dataclass
class ReminderReport:
    mailed: int = 0
    invited: int = 0
    without_email: int = 0
    pupils: int = 0


def send_reminders(form: ConsentForm, moment: Moment, *, by: User | None, dry_run: bool = False) -> ReminderReport:
    """Mail whoever is asked about a pupil who still needs a decision (``queries.who_decides``: the
    guardians with parental authority under 16, the pupil themself from 16): an invitation for
    those without an account, a reminder for those with one."""
    _report, open_ids = pupils_needing_a_decision(form, moment)
    result = ReminderReport(pupils=len(open_ids))
    subjects_of: dict[int, list[int]] = defaultdict(list)
    for subject_id, deciders in who_decides(open_ids, moment.day).items():
        for decider_id in deciders:
            subjects_of[decider_id].append(subject_id)
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(open_ids | set(subjects_of))))}
    accounts_by_person = {
        u.person_id: u for u in db.session.scalars(select(User).where(User.person_id.in_(subjects_of)))
    }
    for decider_id in sorted(subjects_of):
        decider, account = people[decider_id], accounts_by_person.get(decider_id)
        oneself = subjects_of[decider_id] == [decider_id]
        if account is None and not decider.email:
            result.without_email += 1
            continue
        if dry_run:
            result.mailed += account is not None
            result.invited += account is None
            continue
        if account is None:
            if oneself:
                invite_pupil(decider, invited_by=by, day=moment.day)
            else:
                accounts.invite(decider.email or "", {Role.PARENT}, person=decider, invited_by=by)
            result.invited += 1
        elif account.active:
            names = sorted(people[pid].first_name for pid in subjects_of[decider_id])
            _mail_reminder(account, names, form, oneself=oneself)
            result.mailed += 1
    if not dry_run:
        record(
            "consent.reminders_sent",
            actor_id=by.id if by else None,
            form_id=form.id,
            pupils=result.pupils,
            mailed=result.mailed,
            invited=result.invited,
            without_email=result.without_email,
        )
    return result


def _mail_reminder(user: User, children: list[str], form: ConsentForm, *, oneself: bool = False) -> None:
    send_mail(
        CONSENT_REMINDER,
        to=user.email,
        locale=user.locale,
        children=children,
        oneself=oneself,
        link=absolute_url("core.home"),
        form=form,
    )

"""Campaigns: an administrator asks an audience (all families, one group, staff or volunteers) to
answer the form version in force before a deadline, sees who answered, and reminds who did not.

Nothing about the answers is stored with a campaign: who answered is worked out from the
decisions (``queries.consent_for``: every media type x purpose of the campaign's form decided),
and who is asked about a subject is ``queries.who_decides`` (the guardians of a pupil under 16,
the pupil from 16, staff and volunteers themselves). What a campaign stores is the mails it sent
(``CampaignMail``): so ``flask consent remind`` can run twice a day and remind the same person at
most once every ``CAMPAIGN_REMINDER_DAYS``, the teachers' list of non-responders goes once, and a
resend to a family is limited to one a day. This is the one way to remind: the web (starting a
campaign, resending) and the command call the same functions. Mail goes out as it is sent (the
in-memory backend in tests); the caller commits the record of it.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts import operations as accounts
from app.accounts.models import Role, User
from app.audit.log import record
from app.consent.models import Campaign, CampaignMail, ConsentForm
from app.consent.overview import open_questions
from app.consent.pupils import invite_pupil
from app.consent.queries import Moment, active_form, who_decides
from app.consent.vocabulary import Audience, CampaignMailKind
from app.errors import DomainError, NotFound
from app.extensions import db
from app.notifications import CONSENT_REMINDER, NON_RESPONDERS, send_mail
from app.school.models import Group, Person, PersonKind, SchoolYear
from app.urls import absolute_url

# The group's teachers get the list of non-responders this long before the deadline.
ESCALATION_BEFORE = timedelta(days=7)
# Audiences about pupils (their guardians are asked, or the pupil from 16), shown per group.
FAMILY_AUDIENCES = (Audience.FAMILIES, Audience.GROUP)
ADULTS = {Audience.STAFF: PersonKind.STAFF, Audience.VOLUNTEERS: PersonKind.VOLUNTEER}


class CampaignError(DomainError):
    """A campaign that cannot be started, or a mail that cannot be sent; nothing is changed."""

    statuses = {
        "no_form": 409,
        "already_open": 409,
        "closed": 409,
        "answered": 409,
        "unreachable": 409,
        "sent_today": 429,
    }


class Answered(enum.StrEnum):
    ALL = "answered"
    PARTLY = "partly"
    NONE = "none"


@dataclass(frozen=True)
class Row:
    """One subject of a campaign: who is asked about them and how much of the form is decided."""

    subject: Person
    group: Group | None
    asked: tuple[Person, ...]
    decided: int
    total: int
    reachable: bool  # someone asked can be mailed (an account, or an address to invite)

    @property
    def status(self) -> Answered:
        if self.decided >= self.total:
            return Answered.ALL
        return Answered.PARTLY if self.decided else Answered.NONE

    @property
    def decides_alone(self) -> bool:
        """A pupil of 16 or older: asked themself, listed apart from the families."""
        return self.subject.kind is PersonKind.PUPIL and [p.id for p in self.asked] == [self.subject.id]


@dataclass(frozen=True)
class GroupCount:
    group: Group | None
    total: int
    answered: int
    partly: int

    @property
    def none(self) -> int:
        return self.total - self.answered - self.partly

    @property
    def rate(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


@dataclass(frozen=True)
class Progress:
    campaign: Campaign
    rows: list[Row]
    accounts: dict[int, User]

    @property
    def groups(self) -> list[Group]:
        seen: dict[int, Group] = {}
        for row in self.rows:
            if row.group is not None:
                seen.setdefault(row.group.id, row.group)
        return list(seen.values())

    def counts(self) -> list[GroupCount]:
        per_group: dict[int | None, list[Row]] = defaultdict(list)
        for row in self.rows:
            per_group[row.group.id if row.group else None].append(row)
        groups: list[Group | None] = [*self.groups] if self.groups else [None]
        return [
            GroupCount(
                group,
                len(rows := per_group[group.id if group else None]),
                sum(r.status is Answered.ALL for r in rows),
                sum(r.status is Answered.PARTLY for r in rows),
            )
            for group in groups
        ]

    @property
    def open_rows(self) -> list[Row]:
        return [r for r in self.rows if r.status is not Answered.ALL]

    @property
    def unreachable(self) -> list[Row]:
        """Who has not (fully) answered and cannot be mailed: for a paper form."""
        return [r for r in self.open_rows if not r.reachable]


@dataclass
class MailReport:
    mailed: int = 0
    invited: int = 0
    unreachable: int = 0  # people asked who have no account and no address to invite
    spaced: int = 0  # reminded less than CAMPAIGN_REMINDER_DAYS ago: skipped
    escalated: int = 0  # teachers who got their group's non-responders

    def add(self, other: MailReport) -> None:
        for name in ("mailed", "invited", "unreachable", "spaced", "escalated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


# --- Which campaigns, and whom they ask ----------------------------------------------------


def is_open(campaign: Campaign, day: date) -> bool:
    """Open until the end of its deadline, while its form version is still valid."""
    valid_until = campaign.form.valid_until
    return campaign.deadline >= day and (valid_until is None or valid_until >= day)


def open_campaigns(day: date) -> list[Campaign]:
    query = (
        select(Campaign)
        .join(Campaign.form)
        .where(Campaign.deadline >= day, (ConsentForm.valid_until.is_(None)) | (ConsentForm.valid_until >= day))
        .order_by(Campaign.id)
    )
    return list(db.session.scalars(query))


def all_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.deadline.desc(), Campaign.id.desc())))


def current_groups(day: date) -> list[Group]:
    """The groups of the school year containing ``day``."""
    query = (
        select(Group)
        .join(Group.school_year)
        .where(SchoolYear.starts_on <= day, SchoolYear.ends_on >= day)
        .order_by(Group.name, Group.id)
    )
    return list(db.session.scalars(query))


def _subjects(campaign: Campaign, day: date) -> list[tuple[Person, Group | None]]:
    kind = ADULTS.get(campaign.audience)
    if kind is not None:
        people = db.session.scalars(select(Person).where(Person.kind == kind).order_by(Person.last_name, Person.id))
        return [(person, None) for person in people]
    groups = [campaign.group] if campaign.group is not None else current_groups(day)
    seen: set[int] = set()
    subjects: list[tuple[Person, Group | None]] = []
    for group in groups:
        for pupil in sorted(group.pupils, key=lambda p: (p.last_name, p.first_name, p.id)):
            if pupil.id not in seen:
                seen.add(pupil.id)
                subjects.append((pupil, group))
    return subjects


def _can_be_mailed(person: Person, account: User | None, *, oneself: bool) -> bool:
    """An active account gets a reminder; a guardian, or a pupil of 16+ about themself, without
    one is invited at their address. Staff and volunteers without an account are not invited (an
    account's roles are an administrator's choice): they get a paper form."""
    if account is not None:
        return account.active
    return bool(person.email) and (person.kind is PersonKind.GUARDIAN or (oneself and person.kind is PersonKind.PUPIL))


def campaign_progress(campaign: Campaign, moment: Moment) -> Progress:
    """Every subject of the campaign with who is asked and how much is decided, in a few queries."""
    form = campaign.form
    subjects = _subjects(campaign, moment.day)
    ids = [person.id for person, _group in subjects]
    total = len(form.media_types) * len(form.purposes)
    decided = {pid: total - missing for pid, missing in open_questions(ids, form, moment).items()}
    asked = who_decides(ids, moment.day)
    asked_ids = {pid for deciders in asked.values() for pid in deciders}
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(asked_ids)))}
    by_person = {u.person_id: u for u in db.session.scalars(select(User).where(User.person_id.in_(asked_ids)))}
    rows = []
    for person, group in subjects:
        deciders = tuple(sorted((people[i] for i in asked.get(person.id, ())), key=lambda p: (p.last_name, p.id)))
        reachable = any(_can_be_mailed(d, by_person.get(d.id), oneself=d.id == person.id) for d in deciders)
        rows.append(Row(person, group, deciders, decided[person.id], total, reachable))
    return Progress(campaign, rows, {pid: u for pid, u in by_person.items() if pid is not None})


# --- Starting ------------------------------------------------------------------------------


def _overlaps(audience: Audience, group: Group | None, other: Campaign) -> bool:
    if audience in ADULTS or other.audience in ADULTS:
        return audience == other.audience
    if Audience.FAMILIES in (audience, other.audience):
        return True
    return group is not None and group.id == other.group_id


def start_campaign(
    audience: Audience, *, group: Group | None, deadline: date | None, by: User, moment: Moment
) -> Campaign:
    """Start a campaign for the form version in force. A deadline after today is required; an
    open campaign that asks the same people (a double submit, or a second administrator) is
    refused, so nobody is asked twice."""
    if deadline is None:
        raise CampaignError("no_deadline", _("Give the campaign a deadline."))
    if deadline <= moment.day:
        raise CampaignError("deadline_not_after_today", _("The deadline must be a date after today."))
    if (audience is Audience.GROUP) != (group is not None):
        raise CampaignError("group_required", _("Choose the group this campaign is for."))
    form = active_form(moment.day)
    if form is None:
        raise CampaignError("no_form", _("There is no consent form in force."))
    if form.valid_until is not None and deadline > form.valid_until:
        raise CampaignError(
            "deadline_after_form",
            _("The deadline must be on or before %(day)s, when this form expires.", day=format_date(form.valid_until)),
        )
    # One start at a time per form (PostgreSQL; SQLite has one writer): the second of a double
    # submit waits here and then finds the first campaign. NO KEY UPDATE leaves decisions free to
    # reference the form meanwhile.
    db.session.execute(select(ConsentForm.id).where(ConsentForm.id == form.id).with_for_update(key_share=True))
    for other in open_campaigns(moment.day):
        if other.form_id == form.id and _overlaps(audience, group, other):
            raise CampaignError(
                "already_open",
                _(
                    "A campaign asking these people is already open until %(day)s.",
                    day=format_date(other.deadline),
                ),
            )
    campaign = Campaign(form=form, audience=audience, group=group, deadline=deadline, started_by_id=by.id)
    db.session.add(campaign)
    db.session.flush()
    record(
        "consent.campaign_started",
        target=campaign,
        actor_id=by.id,
        form_id=form.id,
        audience=audience.value,
        group_id=group.id if group else None,
        deadline=deadline.isoformat(),
    )
    return campaign


# --- Mail ----------------------------------------------------------------------------------


def _reminder_days() -> int:
    return max(1, int(current_app.config.get("CAMPAIGN_REMINDER_DAYS", 7)))


def _mailed_since(campaign: Campaign, since: date, kinds: Iterable[CampaignMailKind]) -> set[int]:
    query = select(CampaignMail.recipient_id).where(
        CampaignMail.campaign_id == campaign.id, CampaignMail.sent_on >= since, CampaignMail.kind.in_(list(kinds))
    )
    return set(db.session.scalars(query))


def _log_mail(
    campaign: Campaign, recipient: Person, kind: CampaignMailKind, day: date, group: Group | None = None
) -> None:
    db.session.add(
        CampaignMail(
            campaign_id=campaign.id,
            recipient_id=recipient.id,
            kind=kind,
            group_id=group.id if group else None,
            sent_on=day,
        )
    )


def _mail_deciders(
    progress: Progress,
    moment: Moment,
    *,
    kind: CampaignMailKind,
    about: set[int] | None,
    skip: set[int],
    by: User | None,
    dry_run: bool,
) -> MailReport:
    """Mail everyone asked about an open subject (of ``about``, or all): a reminder naming their
    open subjects, or an invitation for someone without an account."""
    campaign, report = progress.campaign, MailReport()
    rows_of: dict[int, list[Row]] = defaultdict(list)
    deciders: dict[int, Person] = {}
    for row in progress.open_rows:
        for decider in row.asked:
            rows_of[decider.id].append(row)
            deciders[decider.id] = decider
    wanted = {d for d, rows in rows_of.items() if about is None or any(r.subject.id in about for r in rows)}
    for decider_id in sorted(wanted):
        decider, account, rows = deciders[decider_id], progress.accounts.get(decider_id), rows_of[decider_id]
        oneself = [r.subject.id for r in rows] == [decider_id]
        if decider_id in skip:
            report.spaced += 1
            continue
        if not _can_be_mailed(decider, account, oneself=oneself):
            report.unreachable += 1
            continue
        if dry_run:
            report.mailed += account is not None
            report.invited += account is None
            continue
        if account is None:
            try:
                with db.session.begin_nested():
                    if oneself:
                        invite_pupil(decider, invited_by=by, day=moment.day)
                    else:
                        accounts.invite(decider.email or "", {Role.PARENT}, person=decider, invited_by=by)
            except accounts.AccountError:  # e.g. the address belongs to another account
                report.unreachable += 1
                continue
            report.invited += 1
            _log_mail(campaign, decider, CampaignMailKind.INVITATION, moment.day)
            continue
        send_mail(
            CONSENT_REMINDER,
            to=account.email,
            locale=account.locale,
            name=decider.first_name,
            children=sorted(r.subject.first_name for r in rows),
            oneself=oneself,
            pupil=decider.kind is PersonKind.PUPIL,
            deadline=campaign.deadline,
            link=absolute_url("core.home"),
            form=campaign.form,
        )
        report.mailed += 1
        _log_mail(campaign, decider, kind, moment.day)
    return report


def _escalate(progress: Progress, moment: Moment, *, dry_run: bool) -> int:
    """A week before the deadline, each teacher of a group with non-responders gets their names
    (pupils only, in the teacher's language), once per campaign and group."""
    campaign = progress.campaign
    if not campaign.deadline - ESCALATION_BEFORE <= moment.day <= campaign.deadline:
        return 0
    already = {
        (mail.recipient_id, mail.group_id)
        for mail in db.session.scalars(
            select(CampaignMail).where(
                CampaignMail.campaign_id == campaign.id, CampaignMail.kind == CampaignMailKind.ESCALATION
            )
        )
    }
    open_by_group: dict[int, list[Person]] = defaultdict(list)
    for row in progress.open_rows:
        if row.group is not None:
            open_by_group[row.group.id].append(row.subject)
    teacher_ids = {t.id for g in progress.groups for t in g.teachers}
    teacher_accounts = {u.person_id: u for u in db.session.scalars(select(User).where(User.person_id.in_(teacher_ids)))}
    sent = 0
    for group in progress.groups:
        pupils = open_by_group.get(group.id)
        if not pupils:
            continue
        for teacher in group.teachers:
            account = teacher_accounts.get(teacher.id)
            address = account.email if account is not None and account.active else teacher.email
            if (teacher.id, group.id) in already or not address:
                continue
            sent += 1
            if dry_run:
                continue
            send_mail(
                NON_RESPONDERS,
                to=address,
                locale=account.locale if account else None,
                name=teacher.first_name,
                group=group.name,
                names=sorted(p.full_name for p in pupils),
                deadline=campaign.deadline,
                link=absolute_url("consent.group_overview", group_id=group.id),
            )
            _log_mail(campaign, teacher, CampaignMailKind.ESCALATION, moment.day, group)
    return sent


def remind(campaign: Campaign, moment: Moment, *, by: User | None, dry_run: bool = False) -> MailReport:
    """One round of a campaign: remind who has not (fully) answered, unless reminded within
    ``CAMPAIGN_REMINDER_DAYS``, and escalate to the teachers a week before the deadline."""
    progress = campaign_progress(campaign, moment)
    recently = _mailed_since(
        campaign,
        moment.day - timedelta(days=_reminder_days() - 1),
        (CampaignMailKind.REMINDER, CampaignMailKind.INVITATION, CampaignMailKind.RESEND),
    )
    report = _mail_deciders(
        progress, moment, kind=CampaignMailKind.REMINDER, about=None, skip=recently, by=by, dry_run=dry_run
    )
    report.escalated = _escalate(progress, moment, dry_run=dry_run)
    if not dry_run:
        record(
            "consent.campaign_reminded",
            target=campaign,
            actor_id=by.id if by else None,
            mailed=report.mailed,
            invited=report.invited,
            unreachable=report.unreachable,
            spaced=report.spaced,
            escalated=report.escalated,
        )
    return report


def remind_open_campaigns(moment: Moment, *, dry_run: bool = False) -> tuple[list[Campaign], MailReport]:
    """``flask consent remind``: a round of every open campaign. Safe to run more than once a day."""
    campaigns, total = open_campaigns(moment.day), MailReport()
    for campaign in campaigns:
        total.add(remind(campaign, moment, by=None, dry_run=dry_run))
    return campaigns, total


def resend(campaign: Campaign, subject_id: int, moment: Moment, *, by: User) -> MailReport:
    """Mail everyone asked about one subject again now (one family), at most once a day."""
    if not is_open(campaign, moment.day):
        raise CampaignError("closed", _("This campaign is closed."))
    progress = campaign_progress(campaign, moment)
    row = next((r for r in progress.rows if r.subject.id == subject_id), None)
    if row is None:
        raise NotFound("not_found", _("This person is not part of this campaign."))
    if row.status is Answered.ALL:
        raise CampaignError("answered", _("%(name)s's form is fully answered.", name=row.subject.full_name))
    if not row.reachable:
        raise CampaignError(
            "unreachable",
            _("Nobody asked about %(name)s can be mailed: give them a paper form.", name=row.subject.full_name),
        )
    if _mailed_since(campaign, moment.day, (CampaignMailKind.RESEND,)) & {p.id for p in row.asked}:
        raise CampaignError("sent_today", _("This family already got a reminder today; try again tomorrow."))
    report = _mail_deciders(
        progress, moment, kind=CampaignMailKind.RESEND, about={subject_id}, skip=set(), by=by, dry_run=False
    )
    record(
        "consent.campaign_resent",
        target_type="person",
        target_id=subject_id,
        actor_id=by.id,
        campaign_id=campaign.id,
        mailed=report.mailed,
        invited=report.invited,
    )
    return report

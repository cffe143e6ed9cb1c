"""Campaigns for administrators (``app.consent.campaigns``): start one for the form in force, see
per group and per family who answered, filter, download the list as CSV, and resend to a family."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField
from wtforms.validators import InputRequired

from app.access import allow, current_account
from app.accounts.models import Role
from app.consent.campaigns import (
    Answered,
    CampaignError,
    Progress,
    Row,
    all_campaigns,
    campaign_progress,
    current_groups,
    is_open,
    remind,
    resend,
    start_campaign,
)
from app.consent.models import Campaign
from app.consent.queries import active_form, now
from app.consent.views import bp
from app.consent.vocabulary import Audience
from app.core.forms import SelectChoice, add_error
from app.core.spreadsheets import csv_text
from app.extensions import db
from app.ids import row_id
from app.school.models import Group

AUDIENCE_LABELS = {
    Audience.FAMILIES: _l("All families"),
    Audience.GROUP: _l("One group"),
    Audience.STAFF: _l("All staff"),
    Audience.VOLUNTEERS: _l("Volunteers"),
}
STATUS_LABELS = {
    Answered.ALL: _l("Answered"),
    Answered.PARTLY: _l("Partly answered"),
    Answered.NONE: _l("Not answered"),
}


class StartCampaignForm(FlaskForm):
    audience = RadioField(
        _l("Who is asked"),
        choices=[SelectChoice(a.value, label) for a, label in AUDIENCE_LABELS.items()],
        default=Audience.FAMILIES.value,
        validators=[InputRequired()],
    )
    group = SelectField(_l("Group (for one group)"), coerce=int, default=0)
    deadline = DateField(_l("Deadline"), validators=[InputRequired(message=_l("Give the campaign a deadline."))])


class ResendForm(FlaskForm):
    pass


def _start_form() -> StartCampaignForm:
    form = StartCampaignForm()
    form.group.choices = [
        SelectChoice(0, _("Choose a group")),
        *(SelectChoice(g.id, f"{g.name} ({g.location.name})") for g in current_groups(now().day)),
    ]
    return form


@bp.route("/campaigns", methods=["GET", "POST"])
@allow(Role.ADMIN)
def campaigns() -> Any:
    """The campaigns, the form in force and starting a new campaign (with its first round of mail)."""
    form = _start_form()
    if form.validate_on_submit():
        audience = Audience(form.audience.data)
        group = db.session.get(Group, form.group.data) if form.group.data else None
        moment = now()
        try:
            campaign = start_campaign(
                audience, group=group, deadline=form.deadline.data, by=current_account(), moment=moment
            )
            report = remind(campaign, moment, by=current_account())
        except CampaignError as problem:
            db.session.rollback()
            add_error(form.group if problem.code == "group_required" else form.deadline, problem.message)
            return _campaigns_page(form), problem.status
        db.session.commit()
        flash(
            _(
                "Campaign started: %(mailed)d reminders and %(invited)d invitations sent; %(missing)d people cannot be mailed.",  # noqa: E501
                mailed=report.mailed,
                invited=report.invited,
                missing=report.unreachable,
            ),
            "success",
        )
        return redirect(url_for("consent.campaign", campaign_id=campaign.id))
    return _campaigns_page(form), 400 if form.is_submitted() else 200


def _campaigns_page(form: StartCampaignForm) -> str:
    day = now().day
    return render_template(
        "consent/campaigns.html",
        form=form,
        consent_form=active_form(day),
        campaigns=all_campaigns(),
        day=day,
        is_open=is_open,
        audience_labels=AUDIENCE_LABELS,
    )


def _campaign_or_404(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def _filtered(progress: Progress) -> tuple[list[Row], int | None, str]:
    """The rows the page's filters (``group``, ``status``) keep; unknown values filter nothing."""
    group_id = request.args.get("group", type=row_id)
    if group_id not in {g.id for g in progress.groups}:
        group_id = None
    status = request.args.get("status", "")
    if status not in {s.value for s in Answered}:
        status = ""
    rows = [
        r
        for r in progress.rows
        if (group_id is None or (r.group is not None and r.group.id == group_id)) and (not status or r.status == status)
    ]
    return rows, group_id, status


def _paper_forms_link(group: Group | None) -> str | None:
    """The paper forms of a group's families without email (one PDF to print)."""
    if group is None:
        return None
    return url_for("consent.paper_forms", group_id=group.id, without_email=1)


@bp.route("/campaigns/<int:campaign_id>")
@allow(Role.ADMIN)
def campaign(campaign_id: int) -> Any:
    """Per group and per family: who answered, partly answered or did not; pupils of 16 and older apart."""
    found = _campaign_or_404(campaign_id)
    moment = now()
    progress = campaign_progress(found, moment)
    rows, group_id, status = _filtered(progress)
    unreachable_groups: dict[int | None, list[Row]] = {}
    for row in progress.unreachable:
        unreachable_groups.setdefault(row.group.id if row.group else None, []).append(row)
    return render_template(
        "consent/campaign.html",
        campaign=found,
        progress=progress,
        counts=progress.counts(),
        families=[r for r in rows if not r.decides_alone],
        deciding_alone=[r for r in rows if r.decides_alone],
        unreachable_groups=unreachable_groups,
        groups_by_id={g.id: g for g in progress.groups},
        paper_forms_link=_paper_forms_link,
        group_filter=group_id,
        status_filter=status,
        status_labels=STATUS_LABELS,
        audience_labels=AUDIENCE_LABELS,
        open=is_open(found, moment.day),
        resend_form=ResendForm(formdata=None),
    )


@bp.route("/campaigns/<int:campaign_id>/export.csv")
@allow(Role.ADMIN)
def campaign_csv(campaign_id: int) -> Any:
    """The page's list (with its filters) as CSV: nothing the page does not show."""
    found = _campaign_or_404(campaign_id)
    rows, _group_id, _status = _filtered(campaign_progress(found, now()))
    header = [_("Group"), _("Name"), _("Who decides"), _("Asked"), _("Status"), _("Answered questions")]
    body = (
        [
            r.group.name if r.group else "",
            r.subject.full_name,
            _("Themself") if r.subject in r.asked and len(r.asked) == 1 else _("Guardians"),
            ", ".join(p.full_name for p in r.asked),
            str(STATUS_LABELS[r.status]),
            f"{r.decided}/{r.total}",
        ]
        for r in rows
    )
    return Response(
        csv_text(header, body),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="campaign-{found.id}.csv"'},
    )


@bp.route("/campaigns/<int:campaign_id>/resend/<int:person_id>", methods=["POST"])
@allow(Role.ADMIN)
def campaign_resend(campaign_id: int, person_id: int) -> Any:
    """Mail the people asked about one subject again (at most once a day); audited."""
    found = _campaign_or_404(campaign_id)  # the CSRF token is checked for every POST (CSRFProtect)
    report = resend(found, person_id, now(), by=current_account())  # a refusal is answered by the error handler
    db.session.commit()
    flash(
        _("Sent again: %(mailed)d reminders, %(invited)d invitations.", mailed=report.mailed, invited=report.invited),
        "success",
    )
    return redirect(url_for("consent.campaign", campaign_id=found.id))

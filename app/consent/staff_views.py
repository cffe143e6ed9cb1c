"""Staff views: the consent overview of a group, the printable "not for photo / film / audio"
list, and an administrator recording a paper form (campaigns and reminders: ``campaign_views``)."""

from __future__ import annotations

from typing import Any

from flask import flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy.orm import joinedload
from wtforms import DateField, Field, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.access import STAFF_ROLES, allow, current_account, get_visible_or_404, group_or_404, visible_groups
from app.accounts.models import Role
from app.consent.class_lists import class_list
from app.consent.labels import MEDIA_LABELS
from app.consent.operations import Answers, ConsentError, possible_signers
from app.consent.overview import group_rows
from app.consent.paper_codes import PaperCodeError, check_code, find_code, shown
from app.consent.paper_returns import enter_paper_form
from app.consent.queries import active_form, now
from app.consent.rules import State
from app.consent.views import bp
from app.consent.vocabulary import MediaType
from app.core.forms import SelectChoice, add_error, required
from app.extensions import db
from app.media import formats
from app.media.operations import remove_files, unreferenced_scans
from app.media.scans import ScanError, StoredScan, store_scan
from app.school.leavers import current_pupils
from app.school.models import Group, Person

PHOTO_FORMATS = formats.labels(MediaType.PHOTO)


def _media_filter() -> MediaType | None:
    value = request.args.get("media", "")
    return MediaType(value) if value in {m.value for m in MediaType} else None


@bp.route("/groups/<int:group_id>")
@allow(*STAFF_ROLES)
def group_overview(group_id: int) -> Any:
    # The page names the group's location and school year: read with the group, not one by one.
    group = get_visible_or_404(
        visible_groups(current_account()).options(joinedload(Group.location), joinedload(Group.school_year)),
        Group,
        group_id,
    )
    moment = now()
    form = active_form(moment.day)
    media_filter = _media_filter()
    purpose_filter = request.args.get("purpose", "")
    if form is None:
        return render_template("consent/group.html", group=group, form=None)
    media = [media_filter] if media_filter in form.media_types else form.media_types
    purposes = [purpose_filter] if purpose_filter in form.purposes else form.purposes
    rows = group_rows(current_pupils(group, moment.day), media, purposes, moment)
    locale = str(get_locale())
    return render_template(
        "consent/group.html",
        group=group,
        form=form,
        rows=rows,
        marks=_marks(),
        labels={p: form.purpose_label(p, locale) for p in form.purposes},
        state_urls={row.pupil.id: url_for("consent.state", person_id=row.pupil.id) for row in rows},
        media=media,
        purposes=purposes,
        media_filter=media_filter.value if media_filter else "",
        purpose_filter=purpose_filter,
    )


def _marks() -> dict[str, Any]:
    """The mark of every state, with and without the parents disagreeing, rendered once a page
    (the overview looks them up for each of its up to 1,000 cells)."""
    mark = get_template_attribute("consent/_legend.html", "mark")
    return {
        (f"{state.value}!" if conflict else state.value): mark(state.value, conflict)
        for state in State
        for conflict in (False, True)
    }


@bp.route("/groups/<int:group_id>/not-allowed")
@allow(*STAFF_ROLES)
def not_allowed_list(group_id: int) -> Any:
    """One page to print and hang up: who must not be photographed, filmed or recorded, and for what."""
    group = group_or_404(current_account(), group_id)
    form = active_form(now().day)
    media = _media_filter() or MediaType.PHOTO
    moment = now()
    listed = None
    if form is not None and media in form.media_types:
        listed = class_list(current_pupils(group, moment.day), form, media, moment)
    return render_template(
        "consent/not_allowed.html",
        group=group,
        form=form,
        media=media,
        listed=listed,
        printed=moment,
    )


class PaperForm(FlaskForm):
    decided_by = SelectField(coerce=int, validators=[DataRequired()])
    signed_on = DateField(validators=[DataRequired()])
    code = StringField(_l("Code on the paper (if the school printed it)"), validators=[Optional(), Length(max=20)])
    scan = FileField(
        _l("Scan of the signed paper"),
        description=_l("A PDF or a picture (%(formats)s); only administrators can open it.", formats=PHOTO_FORMATS),
    )


@bp.route("/<int:person_id>/paper", methods=["GET", "POST"])
@allow(Role.ADMIN)
def record_paper(person_id: int) -> Any:
    """An administrator enters a signed paper form; each event names the signer and the admin."""
    subject = db.get_or_404(Person, person_id)
    consent_form = active_form(now().day)
    if consent_form is None:
        flash(_("There is no consent form in force."), "warning")
        return redirect(url_for("school.admin_edit_person", person_id=subject.id))
    locale = str(get_locale())
    signers = possible_signers(subject)

    class Form(PaperForm):
        pass

    for media in consent_form.media_types:
        for purpose in consent_form.purposes:
            setattr(
                Form,
                f"{media.value}__{purpose}",
                RadioField(
                    f"{MEDIA_LABELS[media]}: {consent_form.purpose_label(purpose, locale)}",
                    choices=[
                        SelectChoice("grant", _("Yes")),
                        SelectChoice("refuse", _("No")),
                        SelectChoice("", _("Not answered")),
                    ],
                    default="",
                    validators=[Optional()],
                ),
            )
    form = Form()
    form.decided_by.choices = [SelectChoice(p.id, p.full_name) for p in signers]
    form.decided_by.label.text = _("Signed by")
    form.signed_on.label.text = _("Date on the form")
    if not form.is_submitted() and request.args.get("code"):
        form.code.data = request.args["code"]
    paper_code, status = None, 400 if form.is_submitted() else 200
    try:
        # A printed code is checked first: a paper of someone else or of an older version is
        # refused before anything is stored.
        paper_code = find_code(form.code.data) if form.code.data else None
        if paper_code is not None:
            check_code(paper_code, subject, consent_form)
    except PaperCodeError as problem:
        add_error(form.code, problem.message)
        status = problem.status
    if paper_code is not None and not form.is_submitted():
        flash(_("The paper with code %(code)s: check the name and version above.", code=shown(paper_code.code)), "info")
    if not form.code.errors and form.validate_on_submit():
        signer = next(p for p in signers if p.id == form.decided_by.data)  # the choices validate this
        answers: Answers = {
            (media, purpose): form[f"{media.value}__{purpose}"].data == "grant"
            for media in consent_form.media_types
            for purpose in consent_form.purposes
            if form[f"{media.value}__{purpose}"].data
        }
        scan: StoredScan | None = None
        try:
            scan = store_scan(form.scan.data.stream, pdf=True) if form.scan.data else None
            made = enter_paper_form(
                subject,
                answers,
                signed_by=signer,
                signed_on=required(form.signed_on),
                recorded_by=current_account(),
                paper_code=paper_code,
                scan=(scan.key, scan.mime) if scan else None,
            )
        except (ConsentError, PaperCodeError, ScanError) as problem:
            db.session.rollback()
            if scan is not None:
                remove_files(unreferenced_scans([scan.key]))
            add_error(_field_of(form, problem.code), problem.message)
            # A refused code or scan says why in its status; the form's own refusals stay a 400.
            status = 400 if isinstance(problem, ConsentError) else problem.status
        else:
            db.session.commit()
            flash(_("Paper form recorded: %(n)d answers.", n=len(made)), "success")
            return redirect(url_for("school.admin_edit_person", person_id=subject.id))
    return render_template(
        "consent/paper.html", form=form, subject=subject, consent_form=consent_form, paper_code=paper_code
    ), status


def _field_of(form: PaperForm, code: str) -> Field:
    """The field of the paper-form page a refusal belongs to."""
    if code.startswith("scan"):
        return form.scan
    if code.startswith("code"):
        return form.code
    return form.signed_on if code == "future_date" else form.decided_by

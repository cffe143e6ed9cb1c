"""An administrator takes down a withdrawal made by phone, at the desk or by letter
(``app.consent.withdrawals``); reached from the person's page in the administration."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.access import allow, current_account
from app.accounts.models import Role
from app.consent.labels import MEDIA_LABELS
from app.consent.queries import active_form, now
from app.consent.views import bp
from app.consent.vocabulary import Means, MediaType
from app.consent.withdrawals import (
    NOTE_MAX,
    WithdrawalError,
    granted_keys,
    has_any_decision,
    mail_confirmation,
    possible_withdrawers,
    take_withdrawal,
)
from app.core.forms import MultiCheckboxField, SelectChoice, add_error, required
from app.extensions import db
from app.school.models import Person

MEANS_LABELS = {Means.PHONE: _l("By phone"), Means.DESK: _l("At the school (in person)"), Means.LETTER: _l("By letter")}


class WithdrawalForm(FlaskForm):
    withdrawn_by = SelectField(_l("Who withdrew"), coerce=int, validators=[DataRequired()])
    means = RadioField(
        _l("How"),
        choices=[SelectChoice(m.value, label) for m, label in MEANS_LABELS.items()],
        validators=[DataRequired()],
    )
    # At least one is required; not marked "required" on each box (a browser would demand all).
    choices = MultiCheckboxField(_l("What is withdrawn"), validators=[DataRequired()], render_kw={"required": False})
    note = TextAreaField(_l("Note"), validators=[Length(max=NOTE_MAX)])


def _key(value: str) -> tuple[MediaType, str]:
    media, _sep, purpose = value.partition(":")
    return MediaType(media), purpose


@bp.route("/<int:person_id>/withdrawal", methods=["GET", "POST"])
@allow(Role.ADMIN)
def take_withdrawal_view(person_id: int) -> Any:
    subject = db.get_or_404(Person, person_id)
    consent_form = active_form(now().day)
    if consent_form is None:
        flash(_("There is no consent form in force."), "warning")
        return redirect(url_for("school.admin_edit_person", person_id=subject.id))
    locale = str(get_locale())
    moment = now()
    withdrawers = possible_withdrawers(subject, moment)
    granted = granted_keys(subject, consent_form, moment)
    form = WithdrawalForm(choices=[f"{m.value}:{p}" for m, p in granted])
    form.withdrawn_by.choices = [SelectChoice(p.id, p.full_name) for p in withdrawers]
    form.choices.choices = [
        SelectChoice(f"{m.value}:{p}", f"{MEDIA_LABELS[m]}: {consent_form.purpose_label(p, locale)}")
        for m in consent_form.media_types
        for p in consent_form.purposes
    ]
    if form.validate_on_submit():
        withdrawer = next(p for p in withdrawers if p.id == form.withdrawn_by.data)  # the choices validate this
        try:
            taken = take_withdrawal(
                subject,
                dict.fromkeys((_key(v) for v in required(form.choices)), False),
                withdrawn_by=withdrawer,
                means=required(form.means),
                recorded_by=current_account(),
                note=form.note.data or "",
            )
        except WithdrawalError as problem:
            db.session.rollback()
            add_error(form.choices, problem.message)
            return _page(form, subject, consent_form, granted), problem.status
        mailed = mail_confirmation(taken)
        db.session.commit()
        sent = _("A confirmation was mailed.") if mailed else _("There is no email address: no confirmation was sent.")
        flash(_("Withdrawal recorded: %(n)d choices.", n=len(taken.decisions)) + " " + sent, "success")
        return redirect(url_for("school.admin_edit_person", person_id=subject.id))
    status = 400 if form.is_submitted() else 200
    return _page(form, subject, consent_form, granted), status


def _page(form: WithdrawalForm, subject: Person, consent_form: Any, granted: list[tuple[MediaType, str]]) -> str:
    return render_template(
        "consent/withdrawal.html",
        form=form,
        subject=subject,
        consent_form=consent_form,
        nothing_granted=not granted,
        no_decision=not has_any_decision(subject),
    )

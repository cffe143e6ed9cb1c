"""Administrator pages for people from outside the school: who still blocks public channels, and
recording (or withdrawing) their own consent from the paper they signed, with its scan."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.access import allow, current_account
from app.accounts.models import Role
from app.consent.labels import MEDIA_LABELS
from app.consent.purposes import purposes_in_force
from app.consent.vocabulary import MediaType
from app.core.forms import Choice, add_error, required
from app.errors import NotFound
from app.extensions import db
from app.media import formats
from app.media.forms import OutsideConsentForm, WithdrawOutsideConsentForm
from app.media.models import MediaItem, OutsideConsent, OutsidePerson
from app.media.naming import item_name, item_names
from app.media.outsiders import OutsiderError, record_outside_consent, withdraw_outside_consent
from app.timestamps import school_today

bp = Blueprint("outsiders", __name__, url_prefix="/admin/outside-people")


@bp.context_processor
def media_words() -> dict[str, Any]:
    return {"media_labels": MEDIA_LABELS, "accept_photos": formats.accept(MediaType.PHOTO)}


def _public_purposes() -> list[Choice]:
    """The public purposes of the form in force, in its order and words."""
    locale = str(get_locale() or "nl")
    return [Choice(key, p.label(locale)) for key, p in purposes_in_force(school_today()).items() if p.public]


def _labels(choices: list[Choice]) -> dict[str, str]:
    return {str(choice.value): choice.label for choice in choices}


def _outsider_or_404(outsider_id: int) -> OutsidePerson:
    person = db.session.get(OutsidePerson, outsider_id)
    if person is None:
        raise NotFound("not_found", _("This item has no such person from outside the school."))
    return person


@bp.route("/")
@allow(Role.ADMIN)
def index() -> str:
    """Everyone from outside the school, newest first, with their consent in force."""
    query = (
        select(OutsidePerson)
        .options(selectinload(OutsidePerson.consents), selectinload(OutsidePerson.item).selectinload(MediaItem.album))
        .order_by(OutsidePerson.created_at.desc(), OutsidePerson.id.desc())
    )
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template(
        "media/admin/outsiders.html",
        page=page,
        labels=_labels(_public_purposes()),
        names=item_names(p.media_id for p in page.items),
    )


@bp.route("/<int:outsider_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def detail(outsider_id: int) -> Any:
    """One person from outside the school: their item, their consents, and the form to record more."""
    person = _outsider_or_404(outsider_id)
    purposes = _public_purposes()
    form = OutsideConsentForm(purposes)
    if not form.is_submitted():
        form.media_types.data = [person.item.media_type.value]
        form.given_on.data = school_today()
    status = 200
    if form.validate_on_submit():
        try:
            rows = record_outside_consent(
                person,
                media_types=[MediaType(m) for m in form.media_types.data or []],
                purposes=list(form.purposes.data or []),
                given_on=required(form.given_on),
                by=current_account(),
                scan=form.scan.data.stream if form.scan.data else None,
            )
        except OutsiderError as problem:
            db.session.rollback()
            add_error(form.scan if problem.code.startswith("scan") else form.purposes, problem.message)
            status = problem.status
        else:
            db.session.commit()
            flash(_("Their consent is recorded.") if rows else _("This consent was recorded already."), "success")
            return redirect(url_for("outsiders.detail", outsider_id=person.id))
    elif form.is_submitted():
        status = 400
    person = db.session.get_one(OutsidePerson, outsider_id)
    return render_template(
        "media/admin/outsider.html",
        person=person,
        name=item_name(person.media_id),
        form=form,
        withdraw_form=WithdrawOutsideConsentForm(),
        labels=_labels(purposes),
    ), status


@bp.route("/<int:outsider_id>/consents/<int:consent_id>/withdraw", methods=["POST"])
@allow(Role.ADMIN)
def withdraw(outsider_id: int, consent_id: int) -> Any:
    """They took their consent back: it no longer counts, from now on."""
    consent = db.session.get(OutsideConsent, consent_id)
    if consent is None or consent.outside_person_id != outsider_id:
        raise NotFound("not_found", _("This item has no such person from outside the school."))
    if not WithdrawOutsideConsentForm().validate_on_submit():
        flash(_("The form had expired; please try again."), "warning")
        return redirect(url_for("outsiders.detail", outsider_id=outsider_id)), 400
    withdraw_outside_consent(consent, by=current_account())
    db.session.commit()
    flash(_("The consent is withdrawn: public channels are blocked for this person again."), "success")
    return redirect(url_for("outsiders.detail", outsider_id=outsider_id))

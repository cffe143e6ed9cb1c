"""Fewer taps for parents: yes or no to every purpose of one media type, the same answers as for
another child, and "withdraw everything" / "say no to everything". Each answer is still recorded
per purpose by ``operations.decide_answers`` (so every purpose keeps its own explicit decision);
copying and withdrawing everything first show what would change and what would be taken down
(``app.consent.previews``, ``app.release.family.removals_if``) and record only after a confirm."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.access import SIGNED_IN, allow, current_account, family_subject_or_404
from app.consent.forms import ConfirmChangesForm, DecideMediaTypeForm
from app.consent.operations import ConsentError, decide_answers, decider_of, say_no_to_everything
from app.consent.previews import (
    Change,
    plan_code,
    preview_answers,
    preview_no_to_everything,
    standing_answers,
)
from app.consent.queries import active_form, now
from app.consent.views import bp, removal_notice, render_subject
from app.consent.vocabulary import Means, MediaType
from app.extensions import db
from app.release.family import removals_if
from app.school.models import Person

EVERYTHING = {"withdraw_all", "refuse_all"}


@bp.route("/<int:person_id>/media-type", methods=["POST"])
@allow(SIGNED_IN)
def decide_media_type(person_id: int) -> Any:
    """Yes (or no) to every purpose of one media type: one decision per purpose whose answer
    changes, each recorded as the explicit answer to that purpose."""
    subject = family_subject_or_404(current_account(), person_id)
    form = DecideMediaTypeForm()
    if not form.validate_on_submit() or form.decision.data not in {"grant", "refuse"}:
        abort(400)
    try:
        media = MediaType(form.media_type.data or "")
    except ValueError:
        abort(400)
    consent_form = active_form(now().day)
    if consent_form is None or media not in consent_form.media_types:
        abort(400)
    yes = form.decision.data == "grant"
    try:
        made = decide_answers(
            subject,
            dict.fromkeys(((media, p) for p in consent_form.purposes), yes),
            decided_by=decider_of(current_account()),
            recorded_by=current_account(),
            means=Means.WEB,
        )
    except ConsentError as problem:
        db.session.rollback()
        flash(problem.message, "danger")
        return render_subject(subject, problem.status)
    if not made:
        flash(_("These choices were already recorded; nothing has changed."), "warning")
        return render_subject(subject, 409)
    db.session.commit()
    flash(
        _("Saved: yes to %(n)d uses.", n=len(made)) if yes else _("Saved: no to %(n)d uses.", n=len(made)),
        "success",
    )
    removal_notice(made)
    return redirect(url_for("consent.subject", person_id=subject.id, _anchor=f"media-{media.value}"))


@bp.route("/<int:person_id>/all", methods=["GET", "POST"])
@allow(SIGNED_IN)
def decide_all(person_id: int) -> Any:
    """ "Withdraw all consent" (every grant withdrawn) or "say no to everything" (open questions
    refused too): first a page listing what changes and what will be removed, then the confirm."""
    subject = family_subject_or_404(current_account(), person_id)
    form = ConfirmChangesForm(formdata=request.form if request.method == "POST" else request.args)
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)  # the CSRF token
    decision = form.decision.data
    if decision not in EVERYTHING:
        abort(400)
    decider = decider_of(current_account())
    try:
        changes = preview_no_to_everything(subject, decided_by=decider, undecided_too=decision == "refuse_all")
    except ConsentError as problem:
        flash(problem.message, "danger")
        return render_subject(subject, problem.status)
    if request.method == "POST" and form.confirm.data:
        stale = _stale(changes, form, _("There is no consent to withdraw: nothing has changed."))
        if stale is not None:
            return _confirm_page(subject, changes, form, stale, decision=decision)
        try:
            made = say_no_to_everything(
                subject,
                decided_by=decider,
                recorded_by=current_account(),
                means=Means.WEB,
                undecided_too=decision == "refuse_all",
            )
        except ConsentError as problem:  # a confirm sent twice at the same moment: the second waited
            db.session.rollback()
            flash(problem.message, "warning")
            return render_subject(subject, problem.status)
        db.session.commit()
        flash(_("Saved: %(n)d choices changed to no.", n=len(made)), "success")
        removal_notice(made)
        return redirect(url_for("consent.subject", person_id=subject.id))
    if not changes:
        flash(_("Nothing to change: there is no consent to withdraw."), "info")
    return _confirm_page(subject, changes, form, 200, decision=decision)


@bp.route("/<int:person_id>/same-as/<int:source_id>", methods=["GET", "POST"])
@allow(SIGNED_IN)
def copy_answers(person_id: int, source_id: int) -> Any:
    """ "The same answers as for <other child>": the list of what changes for this child first,
    then the confirm records them. Questions the other child has no answer to are left as they are."""
    account = current_account()
    subject = family_subject_or_404(account, person_id)
    source = family_subject_or_404(account, source_id)
    if source.id == subject.id:
        abort(400)  # one's own answers are the same already
    form = ConfirmChangesForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    decider = decider_of(account)
    try:
        answers = standing_answers(source, decider)
        changes = preview_answers(subject, answers, decided_by=decider) if answers else []
    except ConsentError as problem:
        flash(problem.message, "danger")
        return render_subject(subject, problem.status)
    if not answers:
        flash(
            _("You have not answered anything for %(name)s yet: there are no answers to copy.", name=source.first_name),
            "warning",
        )
        return _confirm_page(subject, [], form, 409, source=source)
    if request.method == "POST" and form.confirm.data:
        stale = _stale(changes, form, _("These answers were already saved; nothing has changed."))
        if stale is not None:
            return _confirm_page(subject, changes, form, stale, source=source)
        try:
            made = decide_answers(subject, answers, decided_by=decider, recorded_by=account, means=Means.WEB)
        except ConsentError as problem:  # the rules changed between the list and the confirm
            db.session.rollback()
            flash(problem.message, "danger")
            return render_subject(subject, problem.status)
        if not made:  # a confirm sent twice at the same moment: the second waited for the first
            db.session.rollback()
            flash(_("These answers were already saved; nothing has changed."), "warning")
            return render_subject(subject, 409)
        db.session.commit()
        flash(
            _("Saved: the same answers as for %(name)s (%(n)d changed).", name=source.first_name, n=len(made)),
            "success",
        )
        removal_notice(made)
        return redirect(url_for("consent.subject", person_id=subject.id))
    if not changes:
        flash(_("The answers for %(name)s are the same already: nothing to change.", name=source.first_name), "info")
    return _confirm_page(subject, changes, form, 200, source=source)


def _stale(changes: list[Change], form: ConfirmChangesForm, nothing: str) -> int | None:
    """The status to show the list again with, when the confirm is not for the list as it is now
    (nothing left to change: sent twice; or something changed since the list was shown)."""
    if not changes:
        flash(nothing, "warning")
        return 409
    if form.plan.data != plan_code(changes):
        flash(_("Something changed since this list was shown. Check it again, then confirm."), "warning")
        return 409
    return None


def _confirm_page(
    subject: Person,
    changes: list[Change],
    form: ConfirmChangesForm,
    status: int,
    *,
    decision: str | None = None,
    source: Person | None = None,
) -> Any:
    consent_form = active_form(now().day)
    removals = removals_if(subject.id, [c.key for c in changes if c.consent_lost])
    form.plan.data = plan_code(changes)
    form.decision.data = decision or ""
    return render_template(
        "consent/confirm_changes.html",
        subject=subject,
        source=source,
        decision=decision,
        changes=changes,
        removals=removals,
        consent_form=consent_form,
        form=form,
        action=(
            url_for("consent.copy_answers", person_id=subject.id, source_id=source.id)
            if source
            else url_for("consent.decide_all", person_id=subject.id)
        ),
    ), status

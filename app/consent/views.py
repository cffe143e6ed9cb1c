"""The parent portal: consent pages for one's children and oneself, the guided form, the
history, and "download our data". Deciding goes through ``operations.decide``, which checks
who may decide; these views only parse, call, commit and answer."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from app.access import SIGNED_IN, allow, family_subject_or_404, family_subjects
from app.accounts.models import User
from app.audit.log import record
from app.consent.forms import DecideAllForm, DecideForm, answer_form_class
from app.consent.labels import MEDIA_LABELS
from app.consent.models import ConsentForm, Decision
from app.consent.operations import ConsentError, decide
from app.consent.overview import Matrix, subject_matrix
from app.consent.queries import active_form, now
from app.consent.vocabulary import Action, Means
from app.extensions import db
from app.release.family import published_for
from app.school.models import Guardianship, Person

bp = Blueprint("consent", __name__, url_prefix="/consent")

STATUS = {"already_recorded": 409, "not_entitled": 403, "no_active_form": 409}


def _viewer() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _render_subject(subject: Person, status: int = 200, matrix: Matrix | None = None) -> Any:
    if matrix is None:
        form = active_form(now().day)
        matrix = subject_matrix(subject, form, _viewer().person_id, now()) if form else None
    return render_template(
        "consent/subject.html",
        subject=subject,
        matrix=matrix,
        media_labels=MEDIA_LABELS,
        locale=str(get_locale()),
        decide_form=DecideForm(formdata=None),
        all_form=DecideAllForm(formdata=None),
        published=published_for(subject.id),
    ), status


@bp.route("/<int:person_id>")
@allow(SIGNED_IN)
def subject(person_id: int) -> Any:
    person = family_subject_or_404(_viewer(), person_id)
    form = active_form(now().day)
    matrix = subject_matrix(person, form, _viewer().person_id, now()) if form else None
    first_visit = matrix is not None and matrix.can_decide and matrix.undecided == len(matrix.cells)
    if first_visit and request.args.get("overview") is None:
        return redirect(url_for("consent.answer_form", person_id=person.id))  # a first visit: the form first
    return _render_subject(person, matrix=matrix)


def _decide(subject: Person, media: str, purpose: str, action: str) -> Decision:
    viewer = _viewer()
    decider = db.session.get(Person, viewer.person_id) if viewer.person_id else None
    if decider is None:
        raise ConsentError("not_entitled", _("You may not decide about this person."))
    return decide(subject, media, purpose, action, decided_by=decider, recorded_by=viewer, means=Means.WEB)


def _removal_notice(decisions: list[Decision]) -> None:
    """Tell the parent what will be taken down because of these decisions."""
    from app.release.family import removals_for

    removals = removals_for([d.id for d in decisions])
    if removals:
        flash(
            ngettext(
                "This will be removed: %(list)s. The school has been asked to do it.",
                "These will be removed: %(list)s. The school has been asked to do it.",
                len(removals),
                list="; ".join(removals),
            ),
            "info",
        )


@bp.route("/<int:person_id>/decide", methods=["POST"])
@allow(SIGNED_IN)
def decide_cell(person_id: int) -> Any:
    subject = family_subject_or_404(_viewer(), person_id)
    form = DecideForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        decision = _decide(subject, form.media_type.data, form.purpose.data, form.decision.data)
    except ConsentError as problem:
        db.session.rollback()
        flash(str(problem), "warning" if problem.code == "already_recorded" else "danger")
        return _render_subject(subject, STATUS.get(problem.code, 422))
    db.session.commit()
    messages = {
        "grant": _("Saved: you gave consent."),
        "refuse": _("Saved: you refused consent."),
        "withdraw": _("Saved: you withdrew consent. It applies to everything published from now on."),
    }
    flash(messages[form.decision.data], "success")
    _removal_notice([decision])
    return redirect(
        url_for("consent.subject", person_id=subject.id, _anchor=f"{form.media_type.data}-{form.purpose.data}")
    )


@bp.route("/<int:person_id>/all", methods=["POST"])
@allow(SIGNED_IN)
def decide_all(person_id: int) -> Any:
    """Refuse everything not yet decided and withdraw everything granted, in one action."""
    subject = family_subject_or_404(_viewer(), person_id)
    form = DecideAllForm()
    if not form.validate_on_submit() or form.decision.data not in {"refuse_all", "withdraw_all"}:
        abort(400)
    consent_form = active_form(now().day)
    if consent_form is None:
        abort(409)
    matrix = subject_matrix(subject, consent_form, _viewer().person_id, now())
    if not matrix.can_decide:
        flash(_("You may not decide about this person."), "danger")
        return _render_subject(subject, 403)
    made: list[Decision] = []
    for cell in matrix.cells:
        if cell.my_choice == "granted":
            made.append(_decide(subject, cell.media_type, cell.purpose, Action.WITHDRAW))
        elif cell.my_choice == "none" and form.decision.data == "refuse_all":
            made.append(_decide(subject, cell.media_type, cell.purpose, Action.REFUSE))
    changed = len(made)
    if not changed:
        flash(_("Nothing to change: there is no consent to withdraw."), "info")
        return _render_subject(subject, 409)
    db.session.commit()
    flash(_("Saved: %(n)d choices changed to no.", n=changed), "success")
    _removal_notice(made)
    return redirect(url_for("consent.subject", person_id=subject.id))


@bp.route("/<int:person_id>/form", methods=["GET", "POST"])
@allow(SIGNED_IN)
def answer_form(person_id: int) -> Any:
    """The guided first visit: the form's text, then every question answered yes or no."""
    subject = family_subject_or_404(_viewer(), person_id)
    consent_form = active_form(now().day)
    if consent_form is None:
        return _render_subject(subject, 409)
    locale = str(get_locale())
    matrix = subject_matrix(subject, consent_form, _viewer().person_id, now())
    if not matrix.can_decide:
        abort(404)
    questions = [
        (m.value, p, f"{MEDIA_LABELS[m]}: {consent_form.purpose_label(p, locale)}")
        for m in consent_form.media_types
        for p in consent_form.purposes
    ]
    form_class = answer_form_class(questions, _("Yes"), _("No"), _("Answer yes or no."))
    current = {f"{c.media_type.value}__{c.purpose}": c.my_choice for c in matrix.cells}
    form = (
        form_class()
        if request.method == "POST"
        else form_class(
            data={k: ("grant" if v == "granted" else "refuse" if v == "refused" else None) for k, v in current.items()}
        )
    )
    if form.validate_on_submit():
        changed = 0
        for media, purpose, _label in questions:
            answer = form[f"{media}__{purpose}"].data
            before = current[f"{media}__{purpose}"]
            if (answer == "grant") == (before == "granted") and before != "none":
                continue
            action = answer if not (answer == "refuse" and before == "granted") else "withdraw"
            _decide(subject, media, purpose, action)
            changed += 1
        db.session.commit()
        flash(_("Thank you. Your answers are saved (%(n)d changed).", n=changed), "success")
        return redirect(url_for("consent.subject", person_id=subject.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "consent/answer_form.html",
        subject=subject,
        form=form,
        consent_form=consent_form,
        locale=locale,
        media_labels=MEDIA_LABELS,
    ), status


@bp.route("/<int:person_id>/history")
@allow(SIGNED_IN)
def history(person_id: int) -> str:
    subject = family_subject_or_404(_viewer(), person_id)
    decisions = db.session.scalars(
        select(Decision)
        .where(Decision.subject_id == subject.id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
    ).all()
    return render_template(
        "consent/history.html",
        subject=subject,
        decisions=decisions,
        media_labels=MEDIA_LABELS,
        locale=str(get_locale()),
    )


@bp.route("/forms/<int:form_id>")
@allow(SIGNED_IN)
def show_form(form_id: int) -> str:
    consent_form = db.get_or_404(ConsentForm, form_id)
    return render_template(
        "consent/form_text.html", consent_form=consent_form, locale=str(get_locale()), media_labels=MEDIA_LABELS
    )


@bp.route("/our-data.json")
@allow(SIGNED_IN)
def export_family() -> Response:
    """Everything held about the signed-in person and the children they are guardian of."""
    viewer = _viewer()
    people = db.session.scalars(family_subjects(viewer)).all()
    ids = [p.id for p in people]
    decisions = db.session.scalars(
        select(Decision).where(or_(Decision.subject_id.in_(ids), Decision.decided_by_id.in_(ids))).order_by(Decision.id)
    ).all()
    links = db.session.scalars(select(Guardianship).where(Guardianship.pupil_id.in_(ids))).all()
    data = {
        "account": {"email": viewer.email, "roles": sorted(r.value for r in viewer.roles), "locale": viewer.locale},
        "people": [
            {
                "id": p.id,
                "kind": p.kind.value,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
                "email": p.email,
                "external_id": p.external_id,
                "groups": [
                    {"name": g.name, "location": g.location.name, "school_year": g.school_year.name}
                    for g in p.pupil_groups
                ],
            }
            for p in people
        ],
        "guardians": [
            {
                "pupil_id": g.pupil_id,
                "guardian_id": g.guardian_id,
                "guardian_name": g.guardian.full_name,
                "has_parental_authority": g.has_parental_authority,
            }
            for g in links
        ],
        "decisions": [
            {
                "id": d.id,
                "subject_id": d.subject_id,
                "media_type": d.media_type.value,
                "purpose": d.purpose,
                "decision": d.action.value,
                "decided_by_id": d.decided_by_id,
                "means": d.means.value,
                "form": f"{d.form.form_key} v{d.form.version}",
                "decided_at": d.decided_at.isoformat(),
            }
            for d in decisions
        ],
    }
    record("data.exported", target=viewer, people=len(people), decisions=len(decisions))
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="beeldrecht-our-data.json"'},
    )

"""The parent portal: consent pages for one's children and oneself, the guided form, the
history, and "download our data". Every answer goes through ``operations.decide_answers`` (a
cell through ``decide``), which checks who may decide and what the answer means; these views only
parse, call, commit and answer. The shortcuts (yes or no to a whole media type, the same answers as
for another child, withdraw everything) are in ``shortcut_views``."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.access import (
    SIGNED_IN,
    allow,
    current_account,
    family_subject_or_404,
    history_subject_or_404,
    own_children,
)
from app.accounts.models import Role
from app.consent.forms import DecideForm, answer_form_class
from app.consent.labels import MEDIA_LABELS
from app.consent.models import ConsentForm, Decision
from app.consent.operations import ConsentError, decide, decide_answers, decider_of
from app.consent.overview import Matrix, subject_matrix
from app.consent.paper_returns import papers_of
from app.consent.previews import answered_by
from app.consent.queries import active_form, now
from app.consent.vocabulary import Action, Means, MediaType
from app.extensions import db
from app.media.links import LINK_DAYS, thumbnail_link
from app.media.models import MediaItem
from app.media.visibility import family_media
from app.privacy.family_data import export_family_data
from app.release.family import published_for, removals_for
from app.school.models import Person

bp = Blueprint("consent", __name__, url_prefix="/consent")


@bp.context_processor
def consent_words() -> dict[str, Any]:
    """Every consent page names media types and reads the form's words in the reader's language.
    The labels are translated once here, not at each of the many places an overview shows them."""
    return {"media_labels": {m: str(label) for m, label in MEDIA_LABELS.items()}, "locale": str(get_locale())}


def render_subject(subject: Person, status: int = 200, matrix: Matrix | None = None) -> Any:
    if matrix is None:
        form = active_form(now().day)
        matrix = subject_matrix(subject, form, current_account().person_id, now()) if form else None
    return render_template(
        "consent/subject.html",
        subject=subject,
        matrix=matrix,
        decide_form=DecideForm(formdata=None),
        copy_sources=copy_sources(subject) if matrix is not None and matrix.can_decide else [],
        published=published_for(subject.id),
    ), status


def copy_sources(subject: Person) -> list[Person]:
    """The signed-in parent's other children whose answers they could copy to ``subject``: those
    they have answered at least one question of the form in force about."""
    account = current_account()
    if subject.id == account.person_id:
        return []  # one's own consent is not a child's to copy
    others = [c for c in db.session.scalars(own_children(account).order_by(Person.first_name)) if c.id != subject.id]
    if not others:
        return []
    answered = answered_by([c.id for c in others], decider_of(account))
    return [c for c in others if c.id in answered]


@bp.route("/<int:person_id>")
@allow(SIGNED_IN)
def subject(person_id: int) -> Any:
    person = family_subject_or_404(current_account(), person_id)
    moment = now()
    form = active_form(moment.day)
    matrix = subject_matrix(person, form, current_account().person_id, moment) if form else None
    first_visit = matrix is not None and matrix.can_decide and matrix.undecided == len(matrix.cells)
    if first_visit and request.args.get("overview") is None:
        return redirect(url_for("consent.answer_form", person_id=person.id))  # a first visit: the form first
    return render_subject(person, matrix=matrix)


def removal_notice(decisions: list[Decision]) -> None:
    """Tell the parent what will be taken down because of these decisions."""
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
    """One tap on a cell: yes, or no (a withdrawal when it takes back one's own grant)."""
    subject = family_subject_or_404(current_account(), person_id)
    form = DecideForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        decision = decide(
            subject,
            form.media_type.data or "",
            form.purpose.data or "",
            form.decision.data or "",
            decided_by=decider_of(current_account()),
            recorded_by=current_account(),
            means=Means.WEB,
        )
    except ConsentError as problem:
        db.session.rollback()
        flash(problem.message, "warning" if problem.code == "already_recorded" else "danger")
        return render_subject(subject, problem.status)
    db.session.commit()
    messages = {
        Action.GRANT: _("Saved: you gave consent."),
        Action.REFUSE: _("Saved: you refused consent."),
        Action.WITHDRAW: _("Saved: you withdrew consent. It applies to everything published from now on."),
    }
    flash(messages[decision.action], "success")
    removal_notice([decision])
    return redirect(
        url_for("consent.subject", person_id=subject.id, _anchor=f"{form.media_type.data}-{form.purpose.data}")
    )


@bp.route("/<int:person_id>/form", methods=["GET", "POST"])
@allow(SIGNED_IN)
def answer_form(person_id: int) -> Any:
    """The guided first visit: the form's text, then every question answered yes or no."""
    subject = family_subject_or_404(current_account(), person_id)
    consent_form = active_form(now().day)
    if consent_form is None:
        return render_subject(subject, 409)
    locale = str(get_locale())
    matrix = subject_matrix(subject, consent_form, current_account().person_id, now())
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
        answers = {(media, purpose): form[f"{media}__{purpose}"].data == "grant" for media, purpose, _ in questions}
        made = decide_answers(
            subject, answers, decided_by=decider_of(current_account()), recorded_by=current_account(), means=Means.WEB
        )
        db.session.commit()
        flash(_("Thank you. Your answers are saved (%(n)d changed).", n=len(made)), "success")
        removal_notice(made)
        return redirect(url_for("consent.subject", person_id=subject.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "consent/answer_form.html",
        subject=subject,
        form=form,
        consent_form=consent_form,
        copy_sources=copy_sources(subject),
    ), status


@bp.route("/<int:person_id>/history")
@allow(SIGNED_IN)
def history(person_id: int) -> str:
    subject = history_subject_or_404(current_account(), person_id)
    decisions = db.session.scalars(
        select(Decision)
        .where(Decision.subject_id == subject.id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
    ).all()
    # The scans of signed papers are for administrators only.
    papers = papers_of(d.id for d in decisions) if current_account().has_role(Role.ADMIN) else {}
    return render_template(
        "consent/history.html",
        subject=subject,
        decisions=decisions,
        papers=papers,
    )


@bp.route("/forms/<int:form_id>")
@allow(SIGNED_IN)
def show_form(form_id: int) -> str:
    consent_form = db.get_or_404(ConsentForm, form_id)
    return render_template("consent/form_text.html", consent_form=consent_form)


@bp.route("/our-data")
@allow(SIGNED_IN)
def family_data_page() -> str:
    """The same data as the download, as a page the parent can read, print or save."""
    data = export_family_data(current_account(), as_page=True)
    db.session.commit()
    forms = {f["id"]: f for f in data["forms"]}
    names = {p["id"]: f"{p['first_name']} {p['last_name']}" for p in data["people"]}
    return render_template("consent/our_data.html", data=data, forms=forms, names=names)


@bp.route("/<int:person_id>/media")
@allow(SIGNED_IN)
def family_media_page(person_id: int) -> str:
    """The photos, films and recordings on which this child (or oneself) is tagged, with where the
    school published them; thumbnails through links made for this account."""
    account = current_account()
    subject = family_subject_or_404(account, person_id)
    items = db.session.scalars(
        family_media(account, subject.id)
        .options(selectinload(MediaItem.album))
        .order_by(MediaItem.uploaded_at.desc(), MediaItem.id.desc())
    ).all()
    published: dict[int | None, list[Any]] = {}
    for publication in published_for(subject.id):
        published.setdefault(publication.media_id, []).append(publication)
    return render_template(
        "consent/media.html",
        subject=subject,
        items=[
            (
                item,
                None if item.media_type is MediaType.AUDIO else thumbnail_link(account, item.id, absolute=False),
                published.get(item.id, []),
            )
            for item in items
        ],
        link_days=LINK_DAYS,
    )


@bp.route("/our-data.json")
@allow(SIGNED_IN)
def export_family() -> Response:
    """Everything held about the signed-in person and the children they are guardian of."""
    data = export_family_data(current_account())
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="beeldrecht-our-data.json"'},
    )

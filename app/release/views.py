"""Release pages for communications staff and administrators: export, exports and publications,
the takedown worklist, incidents, and (administrators) channels."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, Regexp

from app.access import RELEASERS, allow, current_account, visible_persons
from app.accounts.models import Role
from app.consent.vocabulary import PURPOSES
from app.core.forms import SelectChoice, required
from app.core.submit import save_or_flash
from app.extensions import db
from app.media.models import MediaItem
from app.release.channels import channels, save_channel
from app.release.exports import BundleFailed, ExportBlocked, ExportError, bundle_download, export_media, prepare_bundle
from app.release.models import Channel, Export, Incident, Measure, Publication, Takedown, TakedownStatus
from app.release.publications import record_publication, register_incident
from app.release.takedowns import resolve
from app.school.models import Person
from app.timestamps import database_now

bp = Blueprint("release", __name__, url_prefix="/release")
MEASURES = {
    Measure.NONE_YET: _l("No measure yet"),
    Measure.CONVERSATION: _l("A conversation"),
    Measure.WARNING: _l("A warning"),
    Measure.REPRIMAND: _l("A reprimand (staff)"),
    Measure.SUSPENSION: _l("Suspension"),
    Measure.DISMISSAL: _l("Dismissal (staff)"),
    Measure.SUMMARY_DISMISSAL: _l("Summary dismissal (staff)"),
    Measure.REMOVAL_FROM_SCHOOL: _l("Removal from school (pupil)"),
    Measure.POLICE_REPORT: _l("A report to the police"),
}


class ExportForm(FlaskForm):
    pass


@bp.route("/export", methods=["POST"])
@allow(*RELEASERS)
def export() -> Any:
    """Release the items chosen in the library to a channel, or show every blocker."""
    form = ExportForm()
    if not form.validate_on_submit():
        flash(_("The form had expired; please try again."), "warning")
        return redirect(url_for("media.library")), 400
    ids = [int(v) for v in request.form.getlist("media_id") if v.isdigit()]
    key = request.form.get("channel", "")
    blurred = request.form.get("blurred") == "1"
    try:
        made = export_media(key, ids, by=current_account(), blurred=blurred)
    except ExportBlocked as blocked:
        db.session.commit()  # the refused attempt stays in the audit log
        items = {i.id: i for i in db.session.scalars(select(MediaItem).where(MediaItem.id.in_(ids)))}
        channel = db.session.scalar(select(Channel).where(Channel.key == key))
        return render_template(
            "release/blocked.html", blockers=blocked.blockers, items=items, channel=channel, ids=ids, form=form
        ), 409
    except ExportError as problem:
        db.session.rollback()
        return render_template(
            "release/blocked.html", error=str(problem), blockers=[], items={}, channel=None, ids=ids, form=form
        ), problem.status
    db.session.commit()
    prepare_bundle(made)
    flash(_("Cleared and exported: download the files and record where you post them."), "success")
    return redirect(url_for("release.show_export", export_id=made.id))


@bp.route("/exports")
@allow(*RELEASERS)
def exports() -> str:
    page = db.paginate(select(Export).order_by(Export.id.desc()), per_page=30, error_out=False)
    return render_template("release/exports.html", page=page)


class PublicationForm(FlaskForm):
    media_id = IntegerField(validators=[DataRequired()])
    url = StringField(_l("Web address of the post"), validators=[DataRequired(), URL(), Length(max=500)])
    published_on = DateField(_l("Posted on"), validators=[Optional()])


@bp.route("/exports/<int:export_id>", methods=["GET", "POST"])
@allow(*RELEASERS)
def show_export(export_id: int) -> Any:
    made = db.session.get(Export, export_id) or abort(404)
    form = PublicationForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            outcome = save_or_flash(
                lambda: record_publication(
                    made,
                    form.media_id.data or 0,
                    required(form.url),
                    by=current_account(),
                    published_on=form.published_on.data,
                ),
                success=_("Publication recorded."),
                then=url_for("release.show_export", export_id=made.id),
            )
            if not isinstance(outcome, int):
                return outcome
            status = outcome
        else:
            flash(_("Give the full web address of the post, starting with https://."), "danger")
            status = 422
    return _export_page(made, form, status)


def _export_page(made: Export, form: PublicationForm, status: int = 200) -> Any:
    publications = db.session.scalars(
        select(Publication).where(Publication.export_id == made.id).order_by(Publication.id)
    ).all()
    return render_template("release/export.html", export=made, form=form, publications=publications), status


@bp.route("/exports/<int:export_id>/bundle.zip")
@allow(*RELEASERS)
def download(export_id: int) -> Any:
    made = db.session.get(Export, export_id) or abort(404)
    try:
        return bundle_download(made)
    except BundleFailed:
        flash(_("The files of this export could not be made; ask an administrator."), "danger")
        return _export_page(made, PublicationForm(formdata=None), 409)


@bp.route("/publications")
@allow(*RELEASERS)
def publications() -> str:
    query = select(Publication).order_by(Publication.published_on.desc(), Publication.id.desc())
    channel_id = request.args.get("channel", type=int)
    if channel_id:
        query = query.where(Publication.channel_id == channel_id)
    media_id = request.args.get("media", type=int)
    if media_id:
        query = query.where(Publication.media_id == media_id)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template(
        "release/publications.html", page=page, channels=channels(False), channel_id=channel_id, media_id=media_id
    )


class ResolveForm(FlaskForm):
    note = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=2000)])


@bp.route("/takedowns")
@allow(*RELEASERS)
def takedowns() -> Any:
    return _takedowns_page(request.args.get("status", "open"))


def _takedowns_page(status: str, code: int = 200) -> Any:
    query = select(Takedown).order_by(Takedown.due_at, Takedown.id)
    if status in {s.value for s in TakedownStatus}:
        query = query.where(Takedown.status == TakedownStatus(status))
    return render_template(
        "release/takedowns.html",
        takedowns=db.session.scalars(query.limit(500)).all(),
        status=status,
        now=database_now(),
        form=ResolveForm(),
    ), code


@bp.route("/takedowns/<int:takedown_id>/resolve", methods=["POST"])
@allow(*RELEASERS)
def resolve_takedown(takedown_id: int) -> Any:
    takedown = db.session.get(Takedown, takedown_id) or abort(404)
    form = ResolveForm()
    if not form.validate_on_submit():
        flash(_("Say in a note what was done (for example: post deleted)."), "danger")
        return _takedowns_page("open", 422)
    outcome = save_or_flash(
        lambda: resolve(takedown, form.note.data or "", by=current_account()),
        success=_("Removal marked as done."),
        then=url_for("release.takedowns"),
        refused="warning",
    )
    return _takedowns_page("open", outcome) if isinstance(outcome, int) else outcome


class IncidentForm(FlaskForm):
    occurred_on = DateField(_l("Date"), validators=[DataRequired()])
    channel = StringField(_l("Where (channel or site)"), validators=[DataRequired(), Length(max=80)])
    url = StringField(_l("Web address"), validators=[Optional(), URL(), Length(max=500)])
    people = SelectMultipleField(_l("People involved"), coerce=int, validators=[Optional()])
    measure = SelectField(_l("Measure taken"), validators=[DataRequired()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    open_takedown = BooleanField(_l("Open a removal task for this address"))


@bp.route("/incidents", methods=["GET", "POST"])
@allow(*RELEASERS)
def incidents() -> Any:
    form = IncidentForm()
    form.measure.choices = [SelectChoice(m.value, str(label)) for m, label in MEASURES.items()]
    people = db.session.scalars(
        visible_persons(current_account()).order_by(Person.last_name, Person.first_name).limit(2000)
    ).all()
    form.people.choices = [SelectChoice(p.id, p.full_name) for p in people]
    status = 200
    if form.is_submitted():
        if form.validate():
            chosen = [p for p in people if p.id in set(form.people.data or [])]
            outcome = save_or_flash(
                lambda: register_incident(
                    occurred_on=required(form.occurred_on),
                    channel=required(form.channel),
                    url=form.url.data or None,
                    people=chosen,
                    measure=Measure(form.measure.data),
                    notes=form.notes.data,
                    open_takedown=form.open_takedown.data,
                    by=current_account(),
                ),
                success=_("Incident registered."),
                then=url_for("release.incidents"),
            )
            if not isinstance(outcome, int):
                return outcome
            status = outcome
        else:
            status = 422
    listed = db.session.scalars(select(Incident).order_by(Incident.occurred_on.desc(), Incident.id.desc())).all()
    return render_template("release/incidents.html", form=form, incidents=listed, measures=MEASURES), status


class ChannelForm(FlaskForm):
    key = StringField(
        _l("Key"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Lower-case letters, digits and _ only.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    purpose = SelectField(_l("Purpose it serves"), validators=[DataRequired()])
    export_side = IntegerField(
        _l("Export size (longest side in pixels; empty: full size)"), validators=[Optional(), NumberRange(200, 8000)]
    )
    enabled = BooleanField(_l("In use"), default=True)


@bp.route("/channels", methods=["GET", "POST"])
@bp.route("/channels/<int:channel_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def channel_admin(channel_id: int | None = None) -> Any:
    editing = (db.session.get(Channel, channel_id) or abort(404)) if channel_id else None
    form = ChannelForm(obj=editing)
    form.purpose.choices = [SelectChoice(p, p) for p in PURPOSES]
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                save_channel(
                    editing,
                    key=form.key.data or "",
                    name=form.name.data or "",
                    purpose=form.purpose.data or "",
                    export_side=form.export_side.data,
                    enabled=bool(form.enabled.data),
                    by=current_account(),
                )
            except ExportError as problem:
                db.session.rollback()
                form.key.errors = [*form.key.errors, problem.message]
            else:
                db.session.commit()
                flash(_("Channel saved."), "success")
                return redirect(url_for("release.channel_admin"))
        status = 422
    return render_template("release/channels.html", form=form, channels=channels(False), editing=editing), status

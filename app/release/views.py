"""Release pages for communications staff and administrators: export, exports and publications,
the takedown worklist, incidents, and (administrators) channels."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, Regexp

from app.access import APPROVERS, RELEASERS, allow, current_account, visible_persons
from app.accounts.models import Role
from app.consent.purposes import purposes_in_force
from app.consent.queries import active_form
from app.core.forms import MultiCheckboxField, SelectChoice, required
from app.core.submit import save_or_flash
from app.errors import DomainError
from app.extensions import db
from app.ids import MAX_ID, row_id, row_ids
from app.jobs.queue import latest_for
from app.media.models import MediaItem
from app.media.naming import item_names
from app.media.operations import remove_files
from app.release.approvals import approve, reject
from app.release.captions import CaptionError
from app.release.channels import Register, channels, save_channel, staff_accounts
from app.release.export_recordings import files_problem
from app.release.exports import (
    EXPORT_BUNDLE,
    BundleFailed,
    BundlePending,
    ExportBlocked,
    ExportError,
    bundle_download,
    export_media,
    partial_export,
    prepare_bundle,
)
from app.release.history import history_of
from app.release.models import (
    Approval,
    ApprovalStatus,
    Channel,
    Export,
    ExportStatus,
    Incident,
    Measure,
    Publication,
    Takedown,
    TakedownStatus,
)
from app.release.publications import record_publication, register_incident
from app.release.takedowns import resolve
from app.school.models import Person
from app.timestamps import database_now, school_today

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
    # Checked by the export itself (length, control characters, pupils' names), as for the API.
    caption = TextAreaField(_l("Text of the post (optional)"))


@bp.route("/export", methods=["POST"])
@allow(*RELEASERS)
def export() -> Any:
    """Release the items chosen in the library to a channel, or show every blocker."""
    form = ExportForm()
    if not form.validate_on_submit():
        flash(_("The form had expired; please try again."), "warning")
        return redirect(url_for("media.library")), 400
    chosen = request.form.getlist("media_id")
    ids = row_ids(chosen)
    key = request.form.get("channel", "")
    blurred = request.form.get("blurred") == "1"
    try:
        if len(ids) != len(chosen):  # a tampered form: say so, rather than export fewer than asked
            raise ExportError("unknown_item", _("One of the items does not exist (any more)."), status=400)
        made = export_media(key, ids, by=current_account(), blurred=blurred, caption=form.caption.data)
    except ExportBlocked as blocked:
        db.session.commit()  # the refused attempt stays in the audit log
        items = {i.id: i for i in db.session.scalars(select(MediaItem).where(MediaItem.id.in_(ids)))}
        channel = db.session.scalar(select(Channel).where(Channel.key == key))
        return render_template(
            "release/blocked.html",
            blockers=blocked.blockers,
            items=items,
            names=item_names(ids),
            channel=channel,
            ids=ids,
            form=form,
            partial=partial_export(ids, blocked.blockers),
            blurred=blurred,
        ), 409
    except (ExportError, CaptionError) as problem:
        db.session.rollback()
        return render_template(
            "release/blocked.html", error=str(problem), blockers=[], items={}, channel=None, ids=ids, form=form
        ), problem.status
    db.session.commit()
    if made.status is ExportStatus.AWAITING_APPROVAL:
        flash(
            _(
                "Cleared, and sent to the school's leadership: %(channel)s needs their approval."
                " The files can be downloaded once it is approved.",
                channel=made.channel.name,
            ),
            "info",
        )
    else:
        prepare_bundle(made)
        flash(_("Cleared and exported: download the files and record where you post them."), "success")
    return redirect(url_for("release.show_export", export_id=made.id))


@bp.route("/exports")
@allow(*RELEASERS)
def exports() -> str:
    page = db.paginate(select(Export).order_by(Export.id.desc()), per_page=30, error_out=False)
    return render_template("release/exports.html", page=page)


class PublicationForm(FlaskForm):
    media_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])
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
    return render_template(
        "release/export.html",
        export=made,
        form=form,
        publications=publications,
        names=item_names(entry.media_id for entry in made.items if entry.media_id is not None),
        files_problem=files_problem(latest_for(EXPORT_BUNDLE, made.id)),
    ), status


@bp.route("/exports/<int:export_id>/bundle.zip")
@allow(*RELEASERS)
def download(export_id: int) -> Any:
    """The files, after the gate has run once more; someone who withdrew since stops the download."""
    made = db.session.get(Export, export_id) or abort(404)
    try:
        response = bundle_download(made, by=current_account())
    except ExportBlocked as blocked:
        db.session.commit()  # the refusal stays in the audit log; the bundle file is gone
        items = {i.id: i for i in db.session.scalars(select(MediaItem).where(MediaItem.id.in_(blocked.media_ids)))}
        return render_template(
            "release/blocked.html",
            blockers=blocked.blockers,
            items=items,
            names=item_names(blocked.media_ids),
            channel=made.channel,
            at_download=True,
        ), 409
    except BundlePending as pending:
        db.session.commit()  # the job that makes the files
        flash(pending.message, "info")
        return _export_page(made, PublicationForm(formdata=None), pending.status)
    except (BundleFailed, ExportError) as problem:
        db.session.rollback()
        flash(problem.message, "danger")
        return _export_page(made, PublicationForm(formdata=None), problem.status)
    db.session.commit()
    return response


@bp.route("/publications")
@allow(*RELEASERS)
def publications() -> str:
    query = select(Publication).order_by(Publication.published_on.desc(), Publication.id.desc())
    channel_id = request.args.get("channel", type=row_id)
    if channel_id:
        query = query.where(Publication.channel_id == channel_id)
    media_id = request.args.get("media", type=row_id)
    if media_id:
        query = query.where(Publication.media_id == media_id)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template(
        "release/publications.html",
        page=page,
        channels=channels(False),
        channel_id=channel_id,
        media_id=media_id,
        names=item_names(p.media_id for p in page.items if p.media_id is not None),
    )


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


@bp.route("/approvals")
@allow(*RELEASERS)
def approvals() -> Any:
    """What waits for a second person (leadership), with each item's release history beside it."""
    return _approvals_page(request.args.get("status", "open"))


def _approvals_page(status: str, code: int = 200) -> Any:
    query = select(Approval).order_by(Approval.proposed_at.desc(), Approval.id.desc())
    if status in {s.value for s in ApprovalStatus}:
        query = query.where(Approval.status == ApprovalStatus(status))
    listed = db.session.scalars(query.limit(200)).all()
    named = {pid for a in listed for pid in a.change.get("remove", [])}
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(named)))} if named else {}
    form = active_form(school_today())
    locale = str(get_locale() or "nl")
    return render_template(
        "release/approvals.html",
        purpose_label=lambda key: form.purpose_label(key, locale) if form else key,
        approvals=listed,
        names=item_names(a.media_id for a in listed if a.media_id is not None),
        histories={a.media_id: history_of(a.media_id) for a in listed if a.media_id is not None},
        people=people,
        status=status,
        form=DecisionForm(),
        may_decide=current_account().has_role(*APPROVERS),
    ), code


@bp.route("/approvals/<int:approval_id>/<any(approve, reject):verdict>", methods=["POST"])
@allow(*APPROVERS)
def decide_approval(approval_id: int, verdict: str) -> Any:
    """Approve (the change is applied; an export request only if the gate clears it again) or reject."""
    approval = db.session.get(Approval, approval_id) or abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The form had expired; please try again."), "warning")
        return _approvals_page("open", 400)
    files: list[str] = []
    try:
        if verdict == "approve":
            files = approve(approval, by=current_account(), note=form.note.data)
        else:
            reject(approval, by=current_account(), note=form.note.data)
    except ExportBlocked as blocked:
        db.session.commit()  # the refused release stays in the audit log
        items = {i.id: i for i in db.session.scalars(select(MediaItem).where(MediaItem.id.in_(blocked.media_ids)))}
        export = approval.export
        return render_template(
            "release/blocked.html",
            blockers=blocked.blockers,
            items=items,
            names=item_names(blocked.media_ids),
            channel=export.channel if export else None,
        ), 409
    except DomainError as problem:
        db.session.rollback()
        flash(problem.message, "danger")
        return _approvals_page("open", problem.status)
    db.session.commit()
    remove_files(files)
    if approval.export is not None and approval.export.status is ExportStatus.RELEASED:
        prepare_bundle(approval.export)
    flash(_("Approved and applied.") if verdict == "approve" else _("Rejected: nothing of it was applied."), "success")
    return redirect(url_for("release.approvals"))


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
    listed = db.session.scalars(query.limit(500)).all()
    return render_template(
        "release/takedowns.html",
        takedowns=listed,
        names=item_names(t.publication.media_id for t in listed if t.publication and t.publication.media_id),
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
    film_kbps = IntegerField(
        _l("Bitrate cap of films (kbit/s; empty: as it is)"), validators=[Optional(), NumberRange(300, 50000)]
    )
    enabled = BooleanField(_l("In use"), default=True)
    needs_approval = BooleanField(_l("Every export here needs approval by the school leadership"))
    handle = StringField(_l("Account handle or address"), validators=[Optional(), Length(max=200)])
    owner = SelectField(_l("Owner (staff member responsible)"), coerce=int, validators=[Optional()])
    credentials_keeper = StringField(
        _l("Who keeps the sign-in details (a name; never a password)"), validators=[Optional(), Length(max=120)]
    )
    two_factor = BooleanField(_l("Two-factor sign-in is on"))
    exporters = MultiCheckboxField(
        _l("May export here (nobody ticked: everyone in communications and leadership)"),
        coerce=int,
        validators=[Optional()],
    )


@bp.route("/channels", methods=["GET", "POST"])
@bp.route("/channels/<int:channel_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def channel_admin(channel_id: int | None = None) -> Any:
    editing = (db.session.get(Channel, channel_id) or abort(404)) if channel_id else None
    form = ChannelForm(obj=editing)
    locale = str(get_locale() or "nl")
    served = purposes_in_force(school_today())
    form.purpose.choices = [SelectChoice(key, f"{p.label(locale)} ({key})") for key, p in served.items()]
    if editing is not None and editing.purpose not in served:  # a purpose an older form had
        form.purpose.choices.append(SelectChoice(editing.purpose, editing.purpose))
    staff = staff_accounts()
    form.owner.choices = [SelectChoice(0, "—")] + [SelectChoice(u.id, u.email) for u in staff]
    form.exporters.choices = [SelectChoice(u.id, u.email) for u in staff if u.has_role(*RELEASERS)]
    if not form.is_submitted():
        form.owner.data = editing.owner_id or 0 if editing else 0
        form.exporters.data = [u.id for u in editing.exporters] if editing else []
        form.needs_approval.data = editing.needs_approval if editing else True
    status = 200
    if form.is_submitted():
        if form.validate():
            chosen = set(form.exporters.data or [])
            try:
                save_channel(
                    editing,
                    key=form.key.data or "",
                    name=form.name.data or "",
                    purpose=form.purpose.data or "",
                    export_side=form.export_side.data,
                    film_kbps=form.film_kbps.data,
                    enabled=bool(form.enabled.data),
                    register=Register(
                        needs_approval=bool(form.needs_approval.data),
                        handle=(form.handle.data or "").strip() or None,
                        owner=next((u for u in staff if u.id == form.owner.data), None),
                        credentials_keeper=(form.credentials_keeper.data or "").strip() or None,
                        two_factor=bool(form.two_factor.data),
                        exporters=[u for u in staff if u.id in chosen and u.has_role(*RELEASERS)],
                    ),
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

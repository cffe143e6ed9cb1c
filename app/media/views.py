"""Upload page, library, item page, and derivatives served only to those who may see them."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import DateField, MultipleFileField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.access import (
    RELEASERS,
    SIGNED_IN,
    STAFF_ROLES,
    allow,
    current_account,
    group_or_404,
    visible_groups,
    visible_persons,
)
from app.accounts.models import Role
from app.consent.vocabulary import MediaType
from app.core.forms import SelectChoice, required
from app.errors import DomainError
from app.extensions import db
from app.ids import row_id, row_ids
from app.jobs.queue import latest_for
from app.media import formats
from app.media.formats import format_of
from app.media.ingest import PROCESS_JOBS, MediaRejected, ingest_upload, media_storage, refusal_message
from app.media.links import item_of_link
from app.media.models import Album, DismissReason, Face, MediaItem, OutsideConsent, ProcessingState
from app.media.naming import item_name, item_names
from app.media.operations import (
    TagSpec,
    album_for,
    delete_media,
    remove_files,
    reopen_face,
)
from app.media.outsiders import outsider_of_or_404
from app.media.photos import face_crop
from app.media.serving import DERIVATIVES, derivative_response, playback_response, private, sandboxed
from app.media.storage import derivative_key
from app.media.visibility import face_of_or_404, media_or_404, visible_media
from app.release.approvals import (
    change_tags,
    dismiss_or_propose,
    mark_outside_or_propose,
    open_proposals,
    remove_outside_or_propose,
)
from app.release.history import has_history
from app.release.models import Approval
from app.school.leavers import current_pupils, leaver_ids, not_a_leaver
from app.school.models import Group, Guardianship, Person, PersonKind, group_pupil
from app.timestamps import school_today

bp = Blueprint("media", __name__, url_prefix="/media")
V = TypeVar("V", bound=Callable[..., Any])


@bp.context_processor
def accepted_formats() -> dict[str, Any]:
    """What the upload form takes, from the one table of formats: the picker's ``accept`` and the
    formats named per media type."""
    return {"accept": formats.accept(), "format_labels": {t.value: formats.labels(t) for t in MediaType}}


@bp.context_processor
def processing_words() -> dict[str, Any]:
    """The library tile of a film or sound whose processing is not (successfully) finished."""
    return {
        "processing_words": {
            ProcessingState.PROCESSING.value: _("processing…"),
            ProcessingState.REFUSED.value: _("could not be processed"),
            ProcessingState.FAILED.value: _("processing failed"),
        }
    }


class UploadForm(FlaskForm):
    group_id = SelectField(_l("Group"), coerce=int, validators=[DataRequired()])
    album_title = StringField(
        _l("Album"), validators=[DataRequired(), Length(max=120)], description=_l("For example: Sinterklaas 2026.")
    )
    album_date = DateField(_l("Date"), validators=[DataRequired()])
    files = MultipleFileField(_l("Photos, films or sound recordings"))


def _groups() -> list[Group]:
    return list(db.session.scalars(visible_groups(current_account()).order_by(Group.name)))


@bp.route("/upload", methods=["GET", "POST"])
@allow(*STAFF_ROLES)
def upload() -> Any:
    form = UploadForm()
    form.group_id.choices = [SelectChoice(g.id, f"{g.name} · {g.location.name}") for g in _groups()]
    wants_json = request.accept_mimetypes.best == "application/json"
    if not form.validate_on_submit():
        if wants_json:
            return jsonify(
                {
                    "error": {
                        "code": "invalid_input",
                        "message": _("Choose a group, an album and a date."),
                        "details": form.errors,
                    }
                }
            ), 400
        return render_template("media/upload.html", form=form), 400 if form.is_submitted() else 200
    group = group_or_404(current_account(), form.group_id.data)
    album = album_for(group, required(form.album_title), required(form.album_date))
    db.session.commit()
    results = _ingest_files(album.id)
    status = 200 if any(r["status"] != "refused" for r in results) else 422
    if wants_json:
        return jsonify({"album_id": album.id, "results": results}), status
    return render_template("media/upload.html", form=form, results=results), status


def _ingest_files(album_id: int) -> list[dict[str, Any]]:
    """Take in each uploaded file on its own, committed one by one: a refused file costs only its
    own result line, never the files before or after it."""
    results: list[dict[str, Any]] = []
    for storage_file in request.files.getlist("files"):
        name = storage_file.filename or "?"
        try:
            ingested = ingest_upload(
                storage_file.stream, album=db.session.get_one(Album, album_id), uploaded_by=current_account()
            )
        except MediaRejected as problem:
            db.session.rollback()
            results.append({"name": name, "status": "refused", "message": str(problem)})
            continue
        db.session.commit()
        results.append({"name": name, "status": "added" if ingested.created else "existing", "id": ingested.item.id})
    if not results:
        results.append({"name": "", "status": "refused", "message": _("Choose at least one file.")})
    return results


@dataclass(frozen=True)
class LibraryFilter:
    """The library's filters as read from the query string; handed back to the page as they came,
    so the form shows what was asked (an unreadable date or type is kept and ignored)."""

    group_id: int | None
    album_id: int | None
    media_type: str
    taken_on: str
    incomplete: bool
    faces: bool

    @classmethod
    def from_request(cls) -> LibraryFilter:
        return cls(
            group_id=request.args.get("group", type=row_id),
            album_id=request.args.get("album", type=row_id),
            media_type=request.args.get("type", ""),
            taken_on=request.args.get("date", ""),
            incomplete=request.args.get("incomplete") == "1",
            faces=request.args.get("faces") == "1",
        )

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.group_id:
            query = query.where(MediaItem.group_id == self.group_id)
        if self.album_id:
            query = query.where(MediaItem.album_id == self.album_id)
        if self.media_type in {m.value for m in MediaType}:
            query = query.where(MediaItem.media_type == MediaType(self.media_type))
        day = _day(self.taken_on)
        if day is not None:
            query = query.where(MediaItem.album_id.in_(select(Album.id).where(Album.taken_on == day)))
        if self.incomplete:
            query = query.where(MediaItem.tags_complete.is_(False))
        if self.faces:
            open_face = select(Face.media_id).where(Face.is_open)
            query = query.where(MediaItem.id.in_(open_face))
        return query


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.route("/")
@allow(*STAFF_ROLES)
def library() -> str:
    from app.release.channels import channels
    from app.release.clearance import clear
    from app.release.standing import standing_of

    filters = LibraryFilter.from_request()
    query = filters.apply(visible_media(current_account()).order_by(MediaItem.uploaded_at.desc(), MediaItem.id.desc()))
    enabled = channels()
    cleared_for = next((c for c in enabled if c.key == request.args.get("cleared")), None)
    if cleared_for is not None:  # clearance is computed, not stored: check the candidates first
        candidates = list(db.session.scalars(query.with_only_columns(MediaItem.id).limit(2000)))
        answers = clear(candidates, cleared_for)
        query = query.where(MediaItem.id.in_([i for i, a in answers.items() if a.cleared]))
    page = db.paginate(query.options(selectinload(MediaItem.faces)), per_page=48, error_out=False)
    albums = db.session.scalars(
        select(Album).where(Album.group_id.in_([g.id for g in _groups()])).order_by(Album.taken_on.desc())
    ).all()
    ids = [item.id for item in page.items]
    return render_template(
        "media/library.html",
        page=page,
        groups=_groups(),
        albums=albums,
        **asdict(filters),
        channels=enabled,
        cleared=cleared_for.key if cleared_for else "",
        # Cleared badges for every channel; the reasons it is blocked for the channel filtered on,
        # or for every channel it is not cleared for (one clearance of the page per channel).
        standing=standing_of(ids, enabled, [cleared_for] if cleared_for else enabled),
        names=item_names(ids),
        export_form=ExportForm(),
        can_export=current_account().has_role(*RELEASERS),
        blurring=current_app.config["BLURRED_EXPORTS"],
    )


class TagForm(FlaskForm):
    pass


class ExportForm(FlaskForm):
    pass


class FaceForm(FlaskForm):
    pass


def _circle(item: MediaItem) -> Select[tuple[Person]]:
    """Whom the picker offers for this item: the group's pupils, their guardians, staff and
    volunteers, within what the tagger may see; never a pupil who has left the school (they get
    no new media, ``app.school.leavers``)."""
    pupils = select(group_pupil.c.person_id).where(group_pupil.c.group_id == item.group_id)
    guardians = select(Guardianship.guardian_id).where(Guardianship.pupil_id.in_(pupils))
    return visible_persons(current_account()).where(
        or_(
            Person.id.in_(pupils),
            Person.id.in_(guardians),
            Person.kind.in_([PersonKind.STAFF, PersonKind.VOLUNTEER]),
        ),
        not_a_leaver(school_today()),
    )


def _people(item: MediaItem, query: str = "") -> list[Person]:
    """The group's pupils still at school, everyone already tagged (a leaver's tag stays, and can
    be removed), and whoever the search finds in the circle."""
    pupils = sorted(current_pupils(item.group, school_today()), key=lambda p: (p.first_name, p.last_name))
    shown = {p.id for p in pupils}
    extra = [t.person for t in item.tags if t.person_id not in shown]
    if query:
        extra += [p for p in _search(item, query) if p.id not in shown]
    seen: set[int] = set()
    return [p for p in pupils + extra if not (p.id in seen or seen.add(p.id))]  # type: ignore[func-returns-value]


def _search(item: MediaItem, query: str, limit: int = 12) -> list[Person]:
    words = [w for w in query.split() if w][:3]
    statement = _circle(item)
    for word in words:
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        statement = statement.where(or_(Person.first_name.ilike(pattern), Person.last_name.ilike(pattern)))
    return list(db.session.scalars(statement.order_by(Person.first_name, Person.last_name).limit(limit)))


def _tag_specs(item: MediaItem) -> list[TagSpec]:
    """Read the tag form: checked people, a box drawn for a person, and faces matched to people
    (a face matched to someone not ticked tags them too)."""
    chosen = row_ids(request.form.getlist("person_id"))
    faces: dict[int, list[int]] = {}
    for face in item.faces:
        for person_id in row_ids([request.form.get(f"face_{face.id}", "")]):
            faces.setdefault(person_id, []).append(face.id)
            if person_id not in chosen:
                chosen.append(person_id)
    boxes = {t.person_id: t.box for t in item.tags}
    return [
        TagSpec(person_id, _drawn_box(person_id) or boxes.get(person_id), tuple(faces.get(person_id, [])))
        for person_id in chosen
    ]


def _drawn_box(person_id: int) -> list[float] | None:
    """The box drawn for this person on the form (``x,y,w,h``), if one was drawn."""
    return _box_field(f"box_{person_id}")


def _box_field(name: str) -> list[float] | None:
    """A box drawn on the photo, sent as ``x,y,w,h`` in the form field ``name``, if one was drawn."""
    drawn = request.form.get(name, "")
    if not drawn:
        return None
    try:
        return [float(v) for v in drawn.split(",")]
    except ValueError:
        return [-1.0]  # refused by the operation with a clear message


def _publications(item: MediaItem) -> list[Any]:
    """Where the item was posted (communications and administrators only)."""
    if not current_account().has_role(*RELEASERS):
        return []
    from app.release.models import Publication

    return list(
        db.session.scalars(
            select(Publication).where(Publication.media_id == item.id).order_by(Publication.published_on.desc())
        )
    )


def _waits() -> str:
    return str(
        _(
            "This item was held back before, so your change waits for a second person of the school's"
            " leadership. Until then the item stays blocked; what adds to the tags was saved."
        )
    )


def _refused(item_id: int, problem: DomainError, form: TagForm) -> tuple[str, int]:
    """An operation refused the change: nothing of it stays, the item page says why (4xx)."""
    db.session.rollback()
    flash(problem.message, "danger")
    return _item_page(db.session.get_one(MediaItem, item_id), form, problem.status)


def _item_page(item: MediaItem, form: TagForm, status: int = 200) -> tuple[str, int]:
    query = request.args.get("q", "").strip()[:60]
    return render_template(
        "media/item.html",
        item=item,
        name=item_name(item.id),
        delete_form=DeleteForm(),
        tag_form=form,
        face_form=FaceForm(),
        people=_people(item, query),
        left=leaver_ids({t.person_id for t in item.tags}, school_today()),
        query=query,
        reasons=list(DismissReason),
        publications=_publications(item),
        guarded=has_history(item.id),
        waiting=open_proposals(item.id),
        processing=_processing_job(item),
        processing_refusal=refusal_message(item.processing_note, format_of(item.mime_type))
        if item.processing_state is ProcessingState.REFUSED
        else None,
    ), status


def _processing_job(item: MediaItem) -> Any:
    if item.media_type not in PROCESS_JOBS or item.processing_state is ProcessingState.READY:
        return None
    return latest_for(PROCESS_JOBS[item.media_type], item.id)


@bp.route("/<int:item_id>/status")
@allow(*STAFF_ROLES)
def processing_status(item_id: int) -> Response:
    """Where the item's processing is, for the item page's progress bar (polled every 2 s)."""
    item = media_or_404(current_account(), item_id)
    job = _processing_job(item)
    progress = 100 if item.processing_state is ProcessingState.READY else (job.progress if job else 0)
    return jsonify({"id": item.id, "state": item.processing_state.value, "progress": progress})


@bp.route("/<int:item_id>", methods=["GET", "POST"])
@allow(*STAFF_ROLES)
def show(item_id: int) -> Any:
    item = media_or_404(current_account(), item_id)
    form = TagForm()
    if form.validate_on_submit():
        try:
            proposal = change_tags(
                item,
                _tag_specs(item),
                complete=bool(request.form.get("complete")),
                by=current_account(),
                reason=request.form.get("explanation"),
            )
        except DomainError as problem:
            return _refused(item_id, problem, form)
        db.session.commit()
        if proposal is not None:
            flash(_waits(), "info")
            return redirect(url_for("media.show", item_id=item.id))
        flash(_("Tags saved."), "success")
        if request.form.get("next") and item.open_faces:
            flash(_("Resolve the detected faces of this item first."), "warning")
        elif request.form.get("next"):
            following = _next_to_tag(item)
            if following is None:
                flash(_("Everything in this album is tagged and resolved."), "success")
                return redirect(url_for("media.library", album=item.album_id))
            return redirect(url_for("media.show", item_id=following))
        return redirect(url_for("media.show", item_id=item.id))
    return _item_page(item, form, 400 if form.is_submitted() else 200)


def _next_to_tag(item: MediaItem) -> int | None:
    """The next item of the same album that still needs work (tags not attested, or a face to
    resolve), after this one, else from the start of the album."""
    open_face = select(Face.media_id).where(Face.is_open)
    needs_work = visible_media(current_account()).where(
        MediaItem.album_id == item.album_id,
        MediaItem.id != item.id,
        or_(MediaItem.tags_complete.is_(False), MediaItem.id.in_(open_face)),
    )
    ids = list(db.session.scalars(needs_work.with_only_columns(MediaItem.id).order_by(MediaItem.id)))
    return next((i for i in ids if i > item.id), ids[0] if ids else None)


@bp.route("/<int:item_id>/people")
@allow(*STAFF_ROLES)
def people(item_id: int) -> Response:
    """The picker's search: names only, within the item's group's circle."""
    item = media_or_404(current_account(), item_id)
    query = request.args.get("q", "").strip()[:60]
    found = _search(item, query) if len(query) >= 2 else []
    kinds = {
        PersonKind.PUPIL: _("pupil"),
        PersonKind.GUARDIAN: _("parent or guardian"),
        PersonKind.STAFF: _("staff"),
        PersonKind.VOLUNTEER: _("volunteer"),
    }
    return jsonify([{"id": p.id, "name": p.full_name, "kind": str(kinds[p.kind])} for p in found])


@bp.route("/<int:item_id>/faces/<int:face_id>", methods=["POST"])
@allow(*STAFF_ROLES)
def face(item_id: int, face_id: int) -> Any:
    """Dismiss a detected face with a reason, or undo that."""
    item = media_or_404(current_account(), item_id)
    found = face_of_or_404(item, face_id)
    if not FaceForm().validate_on_submit():
        flash(_("The form had expired; please try again."), "warning")
        return redirect(url_for("media.show", item_id=item.id)), 400
    action = request.form.get("action", "")
    try:
        if action == "reopen":
            reopen_face(found, by=current_account())
        elif action in {r.value for r in DismissReason}:
            why = request.form.get("explanation")
            if dismiss_or_propose(found, DismissReason(action), by=current_account(), why=why) is not None:
                flash(_waits(), "info")
        else:
            flash(_("Choose why this face needs no tag."), "danger")
            return _item_page(item, TagForm(), 400)
    except DomainError as problem:
        return _refused(item_id, problem, TagForm())
    db.session.commit()
    return redirect(url_for("media.show", item_id=item.id, _anchor="faces"))


@bp.route("/<int:item_id>/outside-people", methods=["POST"])
@allow(*STAFF_ROLES)
def outside_people(item_id: int) -> Any:
    """Mark someone from outside the school (with a detected face, a drawn box, or neither), or
    remove them again."""
    item = media_or_404(current_account(), item_id)
    if not FaceForm().validate_on_submit():
        flash(_("The form had expired; please try again."), "warning")
        return redirect(url_for("media.show", item_id=item.id)), 400
    action, scans = request.form.get("action", ""), []
    try:
        if action == "add":
            face = request.form.get("face_id", "")
            marked = mark_outside_or_propose(
                item,
                request.form.get("name"),
                by=current_account(),
                face_ids=row_ids([face]),
                box=_box_field("box"),
                why=request.form.get("explanation"),
            )
            if isinstance(marked, Approval):
                flash(_waits(), "info")
            else:
                flash(_("Marked as someone from outside the school."), "success")
        elif action == "remove" and (chosen := row_ids([request.form.get("outsider_id", "")])):
            outsider = outsider_of_or_404(item, chosen[0])
            outcome = remove_outside_or_propose(outsider, by=current_account(), why=request.form.get("explanation"))
            if isinstance(outcome, Approval):
                flash(_waits(), "info")
            else:
                scans = outcome
        else:
            flash(_("Say who this is, or choose whom to remove."), "danger")
            return _item_page(item, TagForm(), 400)
    except DomainError as problem:
        return _refused(item_id, problem, TagForm())
    db.session.commit()
    remove_files(scans)
    return redirect(url_for("media.show", item_id=item.id, _anchor="outside-people"))


@bp.route("/outside-consents/<int:consent_id>/scan.jpg")
@allow(Role.ADMIN)
@sandboxed
def consent_scan(consent_id: int) -> Response:
    """The cleaned scan of the paper someone from outside the school signed (administrators only)."""
    consent = db.session.get(OutsideConsent, consent_id)
    if consent is None or consent.scan_key is None:
        abort(404)
    handle = media_storage().open(consent.scan_key)
    response = send_file(handle, mimetype="image/jpeg", download_name=f"beeldrecht-scan-{consent.id}.jpg", max_age=0)
    return private(response)


@bp.route("/<int:item_id>/faces/<int:face_id>.jpg")
@allow(*STAFF_ROLES)
@sandboxed
def face_picture(item_id: int, face_id: int) -> Response:
    """A small crop around a detected face, for the list of faces to resolve: on a film, its
    track's representative frame, or with ``?at=<ms>`` another of its stills (first, last)."""
    item = media_or_404(current_account(), item_id)
    found = face_of_or_404(item, face_id)
    source, box = found.frame_name or "display.jpg", found.box
    if "at" in request.args:
        stills = dict(found.stills)
        at = request.args.get("at", "")
        if not (at.isascii() and at.isdigit() and len(at) <= 9 and int(at) in stills):
            abort(404)
        source, box = f"frame_{int(at)}.jpg", stills[int(at)]
    with media_storage().open(derivative_key(item.sha256, source)) as handle:
        crop = face_crop(handle, box)
    return _picture(crop, f"beeldrecht-{item.id}-face-{found.id}.jpg")


@bp.route("/<int:item_id>/playback")
@allow(*STAFF_ROLES)
@sandboxed
def playback(item_id: int) -> Response:
    """The tag-free copy of a film or recording, with Range support so players can seek."""
    return playback_response(media_or_404(current_account(), item_id))


def _picture(data: bytes, name: str) -> Response:
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", download_name=name, max_age=0)
    return private(response)


@bp.route("/<int:item_id>/<any(thumbnail, display):variant>.jpg")
@allow(*STAFF_ROLES)
@sandboxed
def derivative(item_id: int, variant: str) -> Response:
    """A derivative, only through this view: fixed type, no sniffing, sandboxed, never cached
    by shared caches. Originals are never served."""
    return derivative_response(media_or_404(current_account(), item_id), variant)


@bp.route("/family/<token>/thumbnail.jpg")
@allow(SIGNED_IN)
@sandboxed
def family_thumbnail(token: str) -> Response:
    """The clean thumbnail of an item showing one of the caller's family, through a signed link made
    for them (``app.media.links``): the family's data download and the parent portal use it."""
    item = item_of_link(current_account(), token)
    if item.media_type is MediaType.AUDIO:
        abort(404)  # sound has no pictures
    handle = media_storage().open(derivative_key(item.sha256, DERIVATIVES["thumbnail"]))
    response = send_file(handle, mimetype="image/jpeg", download_name=f"beeldrecht-{item.id}-thumbnail.jpg", max_age=0)
    return private(response)


class DeleteForm(FlaskForm):
    pass


@bp.route("/<int:item_id>/delete", methods=["POST"])
@allow(Role.ADMIN)
def delete(item_id: int) -> Any:
    item = media_or_404(current_account(), item_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    keys = delete_media(item, by=current_account(), reason="admin")
    db.session.commit()
    remove_files(keys)
    flash(_("The item and its files are deleted."), "success")
    return redirect(url_for("media.library"))

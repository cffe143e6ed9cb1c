"""Upload page, library, item page, and derivatives served only to those who may see them."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, MultipleFileField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.access import STAFF_ROLES, allow, group_or_404, media_or_404, visible_groups, visible_media
from app.accounts.models import Role
from app.consent.vocabulary import MediaType
from app.extensions import db
from app.media.ingest import MediaRejected, ingest_upload, media_storage
from app.media.models import Album, MediaItem
from app.media.operations import TaggingError, album_for, delete_media, remove_files, set_tags
from app.media.storage import derivative_key
from app.school.models import Group, Person

bp = Blueprint("media", __name__, url_prefix="/media")
DERIVATIVES = {"thumbnail": "thumbnail.jpg", "display": "display.jpg"}


class UploadForm(FlaskForm):
    group_id = SelectField(_l("Group"), coerce=int, validators=[DataRequired()])
    album_title = StringField(
        _l("Album"), validators=[DataRequired(), Length(max=120)], description=_l("For example: Sinterklaas 2026.")
    )
    album_date = DateField(_l("Date"), validators=[DataRequired()])
    files = MultipleFileField(_l("Photos, films or sound recordings"))


def _user() -> Any:
    return current_user._get_current_object()


def _groups() -> list[Group]:
    return list(db.session.scalars(visible_groups(_user()).order_by(Group.name)))


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
    group = group_or_404(_user(), form.group_id.data)
    album = album_for(group, form.album_title.data, form.album_date.data)
    db.session.commit()
    results: list[dict[str, Any]] = []
    for storage_file in request.files.getlist("files"):
        name = storage_file.filename or "?"
        try:
            ingested = ingest_upload(
                storage_file.stream, album=db.session.get_one(Album, album.id), uploaded_by=_user()
            )
        except MediaRejected as problem:
            db.session.rollback()
            results.append({"name": name, "status": "refused", "message": str(problem)})
            continue
        db.session.commit()
        results.append({"name": name, "status": "added" if ingested.created else "existing", "id": ingested.item.id})
    if not results:
        results.append({"name": "", "status": "refused", "message": _("Choose at least one file.")})
    status = 200 if any(r["status"] != "refused" for r in results) else 422
    if wants_json:
        return jsonify({"album_id": album.id, "results": results}), status
    return render_template("media/upload.html", form=form, results=results), status


@bp.route("/")
@allow(*STAFF_ROLES)
def library() -> str:
    query = visible_media(_user()).order_by(MediaItem.uploaded_at.desc(), MediaItem.id.desc())
    group_id = request.args.get("group", type=int)
    if group_id:
        query = query.where(MediaItem.group_id == group_id)
    album_id = request.args.get("album", type=int)
    if album_id:
        query = query.where(MediaItem.album_id == album_id)
    media_type = request.args.get("type", "")
    if media_type in {m.value for m in MediaType}:
        query = query.where(MediaItem.media_type == MediaType(media_type))
    taken_on = request.args.get("date", "")
    if taken_on:
        try:
            day = date.fromisoformat(taken_on)
        except ValueError:
            day = None
        if day is not None:
            query = query.where(MediaItem.album_id.in_(select(Album.id).where(Album.taken_on == day)))
    incomplete = request.args.get("incomplete") == "1"
    if incomplete:
        query = query.where(MediaItem.tags_complete.is_(False))
    page = db.paginate(query, per_page=48, error_out=False)
    albums = db.session.scalars(
        select(Album).where(Album.group_id.in_([g.id for g in _groups()])).order_by(Album.taken_on.desc())
    ).all()
    return render_template(
        "media/library.html", page=page, groups=_groups(), albums=albums, group_id=group_id, album_id=album_id
    )


class TagForm(FlaskForm):
    pass


def _taggable(item: MediaItem) -> list[Person]:
    """The item's group's pupils first, then everyone else the tagger may see in the group's circle."""
    return sorted(item.group.pupils, key=lambda p: (p.first_name, p.last_name)) + sorted(
        item.group.teachers, key=lambda p: p.first_name
    )


@bp.route("/<int:item_id>", methods=["GET", "POST"])
@allow(*STAFF_ROLES)
def show(item_id: int) -> Any:
    item = media_or_404(_user(), item_id)
    form = TagForm()
    if form.validate_on_submit():
        chosen = [int(v) for v in request.form.getlist("person_id") if v.isdigit()]
        boxes = {t.person_id: t.box for t in item.tags}
        try:
            set_tags(
                item, [(pid, boxes.get(pid)) for pid in chosen], complete=bool(request.form.get("complete")), by=_user()
            )
        except TaggingError as problem:
            db.session.rollback()
            flash(str(problem), "danger")
            return render_template(
                "media/item.html", item=item, delete_form=DeleteForm(), tag_form=form, people=_taggable(item)
            ), 422
        db.session.commit()
        flash(_("Tags saved."), "success")
        return redirect(url_for("media.show", item_id=item.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "media/item.html", item=item, delete_form=DeleteForm(), tag_form=form, people=_taggable(item)
    ), status


@bp.route("/<int:item_id>/<any(thumbnail, display):variant>.jpg")
@allow(*STAFF_ROLES)
def derivative(item_id: int, variant: str) -> Response:
    """A derivative, only through this view: fixed type, no sniffing, sandboxed, never cached
    by shared caches. Originals are never served."""
    item: MediaItem = media_or_404(_user(), item_id)
    if item.media_type is MediaType.AUDIO:
        abort(404)  # sound has no pictures
    handle = media_storage().open(derivative_key(item.sha256, DERIVATIVES[variant]))
    response = send_file(
        handle,
        mimetype="image/jpeg",
        download_name=f"beeldrecht-{item.id}-{variant}.jpg",
        as_attachment=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    current_app.logger.debug("served %s of media %s", variant, item.id)
    return response


# Talisman reads per-view options from this attribute: derivatives get "sandbox" as their whole CSP.
derivative.talisman_view_options = {"content_security_policy": "sandbox"}  # type: ignore[attr-defined]


class DeleteForm(FlaskForm):
    pass


@bp.route("/<int:item_id>/delete", methods=["POST"])
@allow(Role.ADMIN)
def delete(item_id: int) -> Any:
    item = media_or_404(_user(), item_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    keys = delete_media(item, by=_user(), reason="admin")
    db.session.commit()
    remove_files(keys)
    flash(_("The item and its files are deleted."), "success")
    return redirect(url_for("media.library"))

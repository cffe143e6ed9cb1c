"""The CSV import as an upload on an administrator page: check first, then import."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import SubmitField

from app.access import allow
from app.accounts.models import Role
from app.core.forms import add_error
from app.extensions import db
from app.school.blueprint import bp
from app.school.importing import ImportFileError, apply_plan, check_file
from app.timestamps import school_today

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file from the pupil administration"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileSize(MAX_IMPORT_BYTES, message=_l("The file is larger than 5 MB.")),
        ],
    )
    check = SubmitField(_l("Check only"))
    submit = SubmitField(_l("Import"))


@bp.route("/admin/import", methods=["GET", "POST"])
@allow(Role.ADMIN)
def import_people() -> Any:
    form = ImportForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("school/import.html", form=form), status
    data = form.file.data.read(MAX_IMPORT_BYTES + 1)
    try:
        result = check_file(data, today=school_today())
    except ImportFileError as problem:
        add_error(form.file, problem.message)
        return render_template("school/import.html", form=form), 400
    if result.errors:
        return render_template("school/import.html", form=form, errors=result.errors), 400
    if form.check.data:
        return render_template("school/import.html", form=form, summary=result.summary, dry_run=True)
    summary = apply_plan(result, via="web")
    db.session.commit()
    current_app.logger.info("people import applied: %s", summary)
    flash(_("The import is done."), "success")
    return render_template("school/import.html", form=ImportForm(formdata=None), summary=summary, dry_run=False)

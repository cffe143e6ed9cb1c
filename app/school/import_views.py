"""The CSV import as an upload on an administrator page: check first, then import."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from sqlalchemy import select
from wtforms import SelectField, SubmitField
from wtforms.validators import Optional

from app.access import allow
from app.accounts.models import Role
from app.core.forms import SelectChoice, add_error
from app.extensions import db
from app.school.blueprint import bp
from app.school.importing import ImportFileError, apply_plan, check_file
from app.school.models import SchoolYear
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
    school_year = SelectField(_l("School year"), validators=[Optional()])
    check = SubmitField(_l("Check only"))
    submit = SubmitField(_l("Import"))


@bp.route("/admin/import", methods=["GET", "POST"])
@allow(Role.ADMIN)
def import_people() -> Any:
    form = ImportForm()
    _year_choices(form)
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("school/import.html", form=form), status
    data = form.file.data.read(MAX_IMPORT_BYTES + 1)
    try:
        result = check_file(data, today=school_today(), school_year=form.school_year.data or None)
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
    done = ImportForm(formdata=None)
    _year_choices(done)
    return render_template("school/import.html", form=done, summary=summary, dry_run=False)


def _year_choices(form: ImportForm) -> None:
    """The current year (the default) and every year still to come; a name sent that is not one of
    them is still checked by the import itself (a clear error, nothing imported)."""
    today = school_today()
    years = db.session.scalars(select(SchoolYear).where(SchoolYear.ends_on >= today).order_by(SchoolYear.starts_on))
    form.school_year.choices = [SelectChoice("", _("The current school year"))] + [
        SelectChoice(y.name, y.name) for y in years
    ]
    form.school_year.validate_choice = False

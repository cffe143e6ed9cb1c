"""The consent form versions for administrators: what is published (and which version is in
force), the files in ``consent_forms/`` that wait to be published with what is wrong with them,
and publishing them (the same ``sync_forms`` as ``flask consent-forms sync``)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.access import allow
from app.accounts.models import Role
from app.consent.form_files import default_directory, sync_forms, waiting_files
from app.consent.models import ConsentForm
from app.consent.purposes import governing_form, purposes_of
from app.consent.views import bp
from app.extensions import db
from app.timestamps import school_today


class PublishForm(FlaskForm):
    pass


@bp.route("/versions")
@allow(Role.ADMIN)
def form_versions() -> str:
    return _page(PublishForm())


def _page(form: PublishForm, problems: list[str] | None = None) -> str:
    published = list(db.session.scalars(select(ConsentForm).order_by(ConsentForm.published_at.desc())))
    return render_template(
        "consent/form_versions.html",
        published=published,
        in_force=governing_form(school_today()),
        purposes_of=purposes_of,
        waiting=waiting_files(default_directory()),
        form=form,
        problems=problems or [],
    )


@bp.route("/versions/publish", methods=["POST"])
@allow(Role.ADMIN)
def publish_forms() -> Any:
    form = PublishForm()
    if not form.validate_on_submit():
        return _page(form, [_("The page had expired; try again.")]), 400
    report = sync_forms(default_directory())
    if report.problems:
        db.session.rollback()
        return _page(PublishForm(), [str(problem) for problem in report.problems]), 422
    db.session.commit()
    if report.published:
        for key, version in report.published:
            flash(_("Published %(form)s version %(n)d.", form=key, n=version), "success")
    else:
        flash(_("Nothing new to publish."), "info")
    return redirect(url_for("consent.form_versions"))

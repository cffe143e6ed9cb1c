"""An administrator invites one pupil of 16 or older to an account of their own, from the person
page (every pupil who turned 16 is invited by ``flask people invite-sixteen``)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.access import allow, current_account
from app.accounts.models import Role
from app.consent.pupils import invite_pupil
from app.consent.queries import now
from app.consent.views import bp
from app.extensions import db
from app.school.models import Person


class InvitePupilForm(FlaskForm):
    pass


@bp.route("/pupils/<int:person_id>/invite", methods=["POST"])
@allow(Role.ADMIN)
def invite_one_pupil(person_id: int) -> Response:
    """Refused (4xx, nothing written) for a pupil under 16, without an address of their own, or
    whose address is another account's."""
    pupil = db.get_or_404(Person, person_id)
    if not InvitePupilForm().validate_on_submit():
        abort(400)
    invitation = invite_pupil(pupil, invited_by=current_account(), day=now().day)
    db.session.commit()
    flash(_("Invitation sent to %(email)s.", email=invitation.user.email), "success")
    return redirect(url_for("school.admin_edit_person", person_id=pupil.id))

"""Staff read a person's consent as it stands, with the reason in words: a teacher for the pupils
of their own groups, communications, leadership and administrators for anyone
(``access.state_subjects``). The reason names no guardian: "refused by a guardian" is all a
teacher needs; the full history with names is the administrator's (``consent.history``)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from app.access import STAFF_ROLES, allow, current_account, history_subjects, state_subject_or_404
from app.consent.overview import subject_matrix
from app.consent.queries import active_form, now
from app.consent.reasons import reason_in_words
from app.consent.rules import decided_by_guardians
from app.consent.views import bp
from app.extensions import db
from app.school.models import Person


@bp.route("/<int:person_id>/state")
@allow(*STAFF_ROLES)
def state(person_id: int) -> Any:
    user = current_account()
    subject = state_subject_or_404(user, person_id)
    moment = now()
    form = active_form(moment.day)
    # The viewer decides nothing here: no "mine", every cell read as a bystander.
    matrix = subject_matrix(subject, form, None, moment) if form else None
    reasons = {(c.media_type, c.purpose): reason_in_words(c.consent) for c in matrix.cells} if matrix else {}
    may_read_history = db.session.scalar(history_subjects(user).where(Person.id == subject.id)) is not None
    return render_template(
        "consent/state.html",
        subject=subject,
        matrix=matrix,
        reasons=reasons,
        may_read_history=may_read_history,
        by_guardians=decided_by_guardians(matrix.rules, moment.day) if matrix else True,
    )

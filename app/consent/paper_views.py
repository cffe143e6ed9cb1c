"""Paper consent forms printed by the system (administrators): the PDF per group or per person,
looking up a returned paper by its code (typed, or opened from its QR code), and the scan of an
entered paper. The answers themselves are entered on the paper-form page (``staff_views.record_paper``)."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.access import allow, current_account, group_or_404
from app.accounts.models import Role
from app.audit.log import record
from app.consent.models import PaperReturn
from app.consent.operations import form_in_force
from app.consent.paper_codes import PaperCodeError, find_code, shown
from app.consent.paper_letters import letter_for, letters_for_group
from app.consent.paper_pdf import render_letters
from app.consent.queries import now
from app.consent.views import bp
from app.errors import DomainError, NotFound
from app.extensions import db
from app.ids import row_id
from app.media.ingest import media_storage
from app.school.models import Person


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _file_part(group_name: str) -> str:
    """A group's name as a piece of a file name ("5b", "groep-3-4")."""
    return re.sub(r"[^a-z0-9]+", "-", group_name.lower()).strip("-") or "groep"


@bp.route("/paper-forms")
@allow(Role.ADMIN)
def paper_forms() -> Any:
    """``?group_id=N`` (with ``without_email=1``: only the pupils nobody can be mailed about) or
    ``?person_id=N``: the pre-filled paper forms as one PDF, a letter per person."""
    form = form_in_force(now())
    day = now().day
    person_id = request.args.get("person_id", type=row_id)
    group_id = request.args.get("group_id", type=row_id)
    if person_id is not None:
        person = db.get_or_404(Person, person_id)
        letters, name = [letter_for(person, form, day)], "toestemmingsformulier.pdf"
        scope: dict[str, int | bool] = {"person_id": person.id}
    elif group_id is not None:
        group = group_or_404(current_account(), group_id)
        without_email = request.args.get("without_email") == "1"
        letters = letters_for_group(group, form, day, without_email=without_email)
        name = f"toestemming-groep-{_file_part(group.name)}.pdf"
        scope = {"group_id": group.id, "without_email": without_email}
        if not letters:
            flash(
                _(
                    "Everyone in group %(group)s can be reached by e-mail: there is no paper form to print.",
                    group=group.name,
                ),
                "info",
            )
            return redirect(url_for("consent.campaigns"))
    else:
        raise DomainError("scope_required", _("Choose a group or a person to print paper forms for."), status=400)
    content = render_letters(letters, title=form.title("nl"))
    record(
        "consent.paper_forms_printed",
        actor_id=current_account().id,
        form_id=form.id,
        letters=len(letters),
        group_id=scope.get("group_id"),
        person_id=scope.get("person_id"),
        without_email=bool(scope.get("without_email")),
    )
    db.session.commit()  # the codes printed on the letters, and the audit row
    return _pdf(content, name)


@bp.route("/paper-codes")
@allow(Role.ADMIN)
def paper_code() -> Any:
    """Type the code of a returned paper form, or open this page from its QR code: it leads to the
    paper-form page of the person the paper was printed for."""
    typed = request.args.get("code", "")
    if not typed:
        return render_template("consent/paper_code.html", typed="", error=None)
    try:
        found = find_code(typed)
    except PaperCodeError as problem:
        return render_template("consent/paper_code.html", typed=typed, error=problem.message), problem.status
    return redirect(url_for("consent.record_paper", person_id=found.subject_id, code=shown(found.code)))


@bp.route("/paper-returns/<int:paper_id>/scan")
@allow(Role.ADMIN)
def paper_scan(paper_id: int) -> Response:
    """The scan of an entered paper form, as a download with a neutral name (administrators only)."""
    paper = db.session.get(PaperReturn, paper_id)
    if paper is None or paper.scan_key is None or paper.scan_mime is None:
        raise NotFound("not_found", _("There is no such scan."))
    content = media_storage().open(paper.scan_key).read()
    record("consent.paper_scan_viewed", target=paper, actor_id=current_account().id, subject_id=paper.subject_id)
    db.session.commit()
    extension = "pdf" if paper.scan_mime == "application/pdf" else "jpg"
    return Response(
        content,
        mimetype=paper.scan_mime,
        headers={
            "Content-Disposition": f'attachment; filename="beeldrecht-papier-{paper.id}.{extension}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )

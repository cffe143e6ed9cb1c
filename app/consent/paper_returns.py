"""A signed paper consent form, entered by an administrator: the answers go through
``operations.record_paper_form`` (and so through the one writer of decisions), and the paper itself
is kept on record (``PaperReturn``): who signed, when, the printed code it carried and its scan,
with the decisions it made, so the history can show the paper each answer came from.

A printed code must be the person's own and of the form version in force
(``paper_codes.check_code``); the scan is checked and stored by the caller before (``app.media.scans``,
which sits above this module) and named here by its storage key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select

from app.accounts.models import User
from app.audit.log import record
from app.consent.models import Decision, PaperCode, PaperReturn, paper_return_decision
from app.consent.operations import Answers, form_in_force, record_paper_form
from app.consent.paper_codes import check_code
from app.consent.queries import now
from app.extensions import db
from app.school.models import Person


def enter_paper_form(
    subject: Person,
    answers: Answers,
    *,
    signed_by: Person,
    signed_on: date,
    recorded_by: User,
    paper_code: PaperCode | None = None,
    scan: tuple[str, str] | None = None,
) -> list[Decision]:
    """Record the answers of a signed paper about ``subject``; with a printed code or a scan
    (storage key, mime type) the paper is kept on record with the decisions it made. The caller
    commits. Returns the decisions written."""
    form = form_in_force(now())
    if paper_code is not None:
        check_code(paper_code, subject, form)
    made = record_paper_form(subject, answers, signed_by=signed_by, signed_on=signed_on, recorded_by=recorded_by)
    if paper_code is None and scan is None:
        return made
    paper = PaperReturn(
        subject_id=subject.id,
        form_id=form.id,
        code_id=paper_code.id if paper_code else None,
        signed_by_id=signed_by.id,
        signed_on=signed_on,
        recorded_by_id=recorded_by.id,
        scan_key=scan[0] if scan else None,
        scan_mime=scan[1] if scan else None,
        decisions=made,
    )
    db.session.add(paper)
    db.session.flush()
    record(
        "consent.paper_form_entered",
        target=paper,
        actor_id=recorded_by.id,
        subject_id=subject.id,
        form_id=form.id,
        by_code=paper_code is not None,
        scan=scan is not None,
        decision_ids=[d.id for d in made],
    )
    return made


def papers_of(decision_ids: Iterable[int]) -> dict[int, PaperReturn]:
    """The paper each of these decisions came from (those entered from a kept paper)."""
    ids = list(decision_ids)
    if not ids:
        return {}
    rows = (
        db.session.execute(
            select(paper_return_decision.c.decision_id, PaperReturn)
            .join(PaperReturn, PaperReturn.id == paper_return_decision.c.paper_return_id)
            .where(paper_return_decision.c.decision_id.in_(ids))
        )
        .tuples()
        .all()
    )
    return dict(rows)


def scans_about(person_id: int) -> set[str]:
    """The stored scans of papers about or signed by this person (what their erasure removes)."""
    return set(
        db.session.scalars(
            select(PaperReturn.scan_key).where(
                or_(PaperReturn.subject_id == person_id, PaperReturn.signed_by_id == person_id),
                PaperReturn.scan_key.is_not(None),
            )
        )
    )

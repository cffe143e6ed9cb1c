"""The one way a view runs an operation for a submitted form: commit and redirect on success, or
roll back and say why when the rules refuse it (the page is then shown again with that status)."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from werkzeug.wrappers import Response

from app.errors import DomainError
from app.extensions import db


def save_or_flash(save: Callable[[], object], *, success: str, then: str, refused: str = "danger") -> Response | int:
    """Run ``save``; on success commit, flash ``success`` and redirect to ``then``. When it raises a
    ``DomainError`` nothing is kept, its message is flashed, and its status is returned."""
    try:
        save()
    except DomainError as problem:
        db.session.rollback()
        flash(problem.message, refused)
        return problem.status
    db.session.commit()
    flash(success, "success")
    return redirect(then)

"""The code printed on a paper consent form: it names one person and one form version.

A code is 8 random characters (40 bits) of Crockford's base 32 alphabet (digits and capitals
without I, L, O and U), printed in two groups (``K7QP-4XM2``) and kept in a table
(``PaperCode``), one per person and form version, so a reprint carries the same code. Being
random, it reveals nothing about the child and cannot be worked out from anything printed; only
administrators can look one up. Typed back in, the look-alikes are read as what they resemble
(O as 0, I and L as 1) and spaces and dashes are ignored.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from app.consent.models import ConsentForm, PaperCode
from app.errors import DomainError
from app.extensions import db
from app.school.models import Person

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


class PaperCodeError(DomainError):
    """A typed or scanned code that does not lead to a paper form that can be entered."""

    statuses = {"code_malformed": 422, "code_unknown": 404, "code_other_person": 409, "code_old_version": 409}


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """The code as printed and shown: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


def normalised(typed: str) -> str:
    """The code someone typed, as stored; a :class:`PaperCodeError` when it cannot be a code."""
    code = typed.strip().upper().translate(_LOOK_ALIKES)
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        raise PaperCodeError(
            "code_malformed",
            _("A code has %(n)d letters and digits, like K7QP-4XM2. Check what you typed.", n=LENGTH),
        )
    return code


def code_for(subject: Person, form: ConsentForm) -> PaperCode:
    """The code of ``subject``'s paper form under ``form``: the one printed before, or a new one."""
    existing = db.session.scalar(
        select(PaperCode).where(PaperCode.subject_id == subject.id, PaperCode.form_id == form.id)
    )
    if existing is not None:
        return existing
    while True:
        code = new_code()
        if db.session.scalar(select(PaperCode.id).where(PaperCode.code == code)) is None:
            break
    paper_code = PaperCode(code=code, subject_id=subject.id, form_id=form.id)
    db.session.add(paper_code)
    db.session.flush()
    return paper_code


def find_code(typed: str) -> PaperCode:
    """The printed code someone typed or scanned; refused when it is not a code or not one of ours."""
    code = normalised(typed)
    found = db.session.scalar(select(PaperCode).where(PaperCode.code == code))
    if found is None:
        raise PaperCodeError(
            "code_unknown",
            _("No paper form has the code %(code)s. Check the code on the paper for typing errors.", code=shown(code)),
        )
    return found


def check_code(paper_code: PaperCode, subject: Person, form_in_force: ConsentForm) -> None:
    """A paper can only be entered for the person it was printed for, under the version in force:
    a paper of an older version asked other questions (or asked them in other words)."""
    if paper_code.subject_id != subject.id:
        raise PaperCodeError(
            "code_other_person",
            _(
                "The code %(code)s is on the paper form of someone else, not of %(name)s. "
                "Check that you chose the right child, or open the code itself.",
                code=shown(paper_code.code),
                name=subject.full_name,
            ),
        )
    if paper_code.form_id != form_in_force.id:
        raise PaperCodeError(
            "code_old_version",
            _(
                "This paper was printed for version %(old)d of the consent form; version %(new)d is in force now. "
                "It cannot be entered: print a new paper form and ask for it to be signed again.",
                old=paper_code.form.version,
                new=form_in_force.version,
            ),
        )

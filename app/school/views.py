"""Groups and persons as staff and parents see them, narrowed by ``app.access``."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from app.access import SIGNED_IN, STAFF_ROLES, allow, group_or_404, person_or_404, visible_groups
from app.accounts.models import Role
from app.extensions import db
from app.school.blueprint import bp
from app.school.leavers import current_pupils, pupils_at_school_per_group
from app.school.models import Group, Guardianship, Person, SchoolYear
from app.timestamps import school_today


@bp.route("/groups")
@allow(*STAFF_ROLES)
def list_groups() -> str:
    user = current_user._get_current_object()
    at_school = pupils_at_school_per_group(school_today())
    rows = db.session.execute(
        visible_groups(user)
        .add_columns(func.coalesce(at_school.c.pupils, 0))
        .outerjoin(at_school, at_school.c.group_id == Group.id)
        .join(Group.school_year)
        .order_by(SchoolYear.starts_on.desc(), Group.name)
    ).all()
    return render_template("school/groups.html", rows=rows)


@bp.route("/groups/<int:group_id>")
@allow(*STAFF_ROLES)
def show_group(group_id: int) -> str:
    """The group's pupils still at school; on a past year's group those who left are counted, not listed."""
    group = group_or_404(current_user._get_current_object(), group_id)
    pupils = current_pupils(group, school_today())
    return render_template("school/group.html", group=group, pupils=pupils, left=len(group.pupils) - len(pupils))


@bp.route("/people/<int:person_id>")
@allow(SIGNED_IN)
def show_person(person_id: int) -> str:
    user = current_user._get_current_object()
    person = person_or_404(user, person_id)
    guardians: list[Guardianship] = []
    if user.has_role(*STAFF_ROLES) or user.has_role(Role.PARENT):
        guardians = list(
            db.session.scalars(
                select(Guardianship)
                .join(Person, Person.id == Guardianship.guardian_id)
                .where(Guardianship.pupil_id == person.id)
                .order_by(Person.first_name)
            )
        )
    return render_template("school/person.html", person=person, guardians=guardians)

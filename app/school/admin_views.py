"""Administrator pages for locations, school years, groups, persons and guardianship."""

from app.access import allow
from app.accounts.models import Role
from app.school.blueprint import bp


@bp.route("/admin/persons")
@allow(Role.ADMIN)
def admin_persons() -> str:
    return "TODO"


@bp.route("/admin/groups")
@allow(Role.ADMIN)
def admin_groups() -> str:
    return "TODO"


@bp.route("/admin/persons/<int:person_id>")
@allow(Role.ADMIN)
def admin_edit_person(person_id: int) -> str:
    return "TODO"

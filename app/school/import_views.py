"""The CSV import as an upload on an administrator page."""

from app.access import allow
from app.accounts.models import Role
from app.school.blueprint import bp


@bp.route("/admin/import")
@allow(Role.ADMIN)
def import_people() -> str:
    return "TODO"

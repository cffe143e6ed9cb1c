"""Who may see and change what: the one authorization module.

Two layers, used everywhere:

* **Route rules.** Every view declares who may call it with :func:`allow`. A
  ``before_request`` hook enforces the rule and denies any endpoint that has none, so a
  forgotten decorator fails closed (and a test walks ``app.url_map`` to catch it early).
  A signed-in user without the role gets 404, exactly as for a page that does not exist.
* **Object rules.** Queries for people and groups start from :func:`visible_persons` and
  :func:`visible_groups`, which narrow to what the user may see: a parent their own family,
  a teacher their own groups. :func:`get_visible_or_404` answers 404 for an object outside
  that scope, exactly like an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import Flask, abort, current_app, flash, g, has_request_context, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, false, not_, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from app.accounts.models import Role, User
from app.consent.queries import decides_alone
from app.school.leavers import is_leaver, not_a_leaver
from app.school.models import Group, Guardianship, Person, PersonKind, group_pupil, group_teacher
from app.urls import STATIC_ENDPOINTS, is_api_request

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T", bound=tuple[Any, ...])

ANONYMOUS = "anonymous"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in account, whatever its roles
STAFF_ROLES = (Role.TEACHER, Role.COMMUNICATIONS, Role.LEADERSHIP, Role.ADMIN)
# Who exports, records publications and resolves takedowns.
RELEASERS = (Role.COMMUNICATIONS, Role.LEADERSHIP, Role.ADMIN)
# Who sees every group and person.
SCHOOL_WIDE = (Role.COMMUNICATIONS, Role.LEADERSHIP, Role.ADMIN)
# Who approves what one person may not do alone (never their own proposal).
APPROVERS = (Role.LEADERSHIP,)
# Endpoints outside our blueprints that are public by nature.
PUBLIC_ENDPOINTS = {*STATIC_ENDPOINTS, "api-docs.openapi_json"}


def allow(*who: str | Role) -> Callable[[F], F]:
    """Declare who may call a view: ``ANONYMOUS``, ``SIGNED_IN`` or one or more roles."""
    if not who:
        raise ValueError("allow() needs at least one role")

    def mark(view: F) -> F:
        view.__access__ = frozenset(who)  # type: ignore[attr-defined]
        return view

    return mark


def rule_for(app: Flask, endpoint: str) -> frozenset[str | Role] | None:
    if endpoint in PUBLIC_ENDPOINTS:
        return frozenset({ANONYMOUS})
    view = app.view_functions.get(endpoint)
    return getattr(view, "__access__", None)


def enforce_route_rules() -> Any:
    """``before_request``: deny by default, 404 for a role that does not fit."""
    if request.endpoint is None:  # no route matched: Flask answers 404/405 itself
        return None
    rule = rule_for(current_app._get_current_object(), request.endpoint)  # type: ignore[attr-defined]
    if rule is None:
        current_app.logger.error("endpoint %s has no access rule; denied", request.endpoint)
        abort(403)
    if ANONYMOUS in rule:
        return None
    if not current_user.is_authenticated:
        if is_api_request():
            abort(401)
        flash(_l("Please sign in to see this page."), "info")
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    if SIGNED_IN in rule or current_user.has_role(*(r for r in rule if isinstance(r, Role))):
        return None
    from app.audit.log import record
    from app.extensions import db

    record("access.refused", endpoint=request.endpoint)
    db.session.commit()
    abort(404)


def current_account() -> User:
    """The signed-in account of this request (the route rules have made sure there is one)."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def is_school_wide(user: User) -> bool:
    """Communications staff, leadership and administrators see every group and person."""
    return user.has_role(*SCHOOL_WIDE)


def _school_day() -> date:
    """The school's date by the database's clock (the day the consent rules are asked about),
    read once per request: a page asks several scopes about the same day."""
    from app.timestamps import database_now, school_day

    if not has_request_context():
        return school_day(database_now())
    if "access_school_day" not in g:
        g.access_school_day = school_day(database_now())
    return g.access_school_day  # type: ignore[no-any-return]


def _guarded_ids(user: User) -> Select[tuple[int]]:
    return select(Guardianship.pupil_id).where(Guardianship.guardian_id == user.person_id)


def own_children_ids(user: User) -> Select[tuple[int]]:
    """The children this account's person is a guardian of and still decides for: a pupil of 16
    or older decides alone, so their guardians no longer reach their consent, history or data."""
    return select(Person.id).where(Person.id.in_(_guarded_ids(user)), not_(decides_alone(_school_day())))


def own_children(user: User) -> Select[tuple[Person]]:
    """The pupils this account's person is a guardian of and decides for, still at school (none
    without a person): a child who left the school leaves nothing to decide."""
    if user.person_id is None:
        return select(Person).where(false())
    return select(Person).where(Person.id.in_(own_children_ids(user)), not_a_leaver(_school_day()))


def children_who_left(user: User) -> Select[tuple[Person]]:
    """The guardian's children (under 16) who have left the school: shown as such, nothing to decide.
    Their consent page stays open to the family (a withdrawal is always possible) until archiving
    closes the account."""
    if user.person_id is None:
        return select(Person).where(false())
    return select(Person).where(Person.id.in_(own_children_ids(user)), is_leaver(_school_day()))


def children_deciding_alone(user: User) -> Select[tuple[Person]]:
    """The guardian's children of 16 or older: shown as "decides for themself", nothing more."""
    if user.person_id is None:
        return select(Person).where(false())
    return select(Person).where(Person.id.in_(_guarded_ids(user)), decides_alone(_school_day()))


def taught_group_ids(user: User) -> Select[tuple[int]]:
    return select(group_teacher.c.group_id).where(group_teacher.c.person_id == user.person_id)


def scoped_by_group(
    query: Select[T], user: User, group_id: ColumnElement[int] | InstrumentedAttribute[int]
) -> Select[T]:
    """``query`` narrowed to what belongs to a group the user may see: everything for communications
    and administrators, their own groups' for a teacher, nothing for anyone else."""
    if is_school_wide(user):
        return query
    if user.has_role(Role.TEACHER) and user.person_id is not None:
        return query.where(group_id.in_(taught_group_ids(user)))
    return query.where(false())


def visible_groups(user: User) -> Select[tuple[Group]]:
    """Groups the user may see: all for communications and admins, own groups for a teacher."""
    return scoped_by_group(select(Group), user, Group.id)


def visible_persons(user: User) -> Select[tuple[Person]]:
    """Persons the user may see.

    * communications, admin: everyone;
    * teacher: the pupils of their groups, those pupils' guardians, staff and volunteers;
    * parent: themself and the children they are guardian of;
    * anyone with a person record: themself.
    """
    query = select(Person)
    if is_school_wide(user):
        return query
    if user.person_id is None:
        return query.where(false())
    scopes = [Person.id == user.person_id]
    if user.has_role(Role.PARENT):
        scopes.append(Person.id.in_(own_children_ids(user)))
    if user.has_role(Role.TEACHER):
        taught_pupils = select(group_pupil.c.person_id).where(group_pupil.c.group_id.in_(taught_group_ids(user)))
        scopes.append(Person.id.in_(taught_pupils))
        scopes.append(Person.id.in_(select(Guardianship.guardian_id).where(Guardianship.pupil_id.in_(taught_pupils))))
        scopes.append(Person.kind.in_([PersonKind.STAFF, PersonKind.VOLUNTEER]))
    return query.where(or_(*scopes))


def get_visible_or_404(query: Select[Any], model: Any, object_id: int) -> Any:
    """The object with this id if it lies inside ``query``'s scope, else 404."""
    from app.extensions import db

    found = db.session.scalar(query.where(model.id == object_id))
    if found is None:
        abort(404)
    return found


def person_or_404(user: User, person_id: int) -> Person:
    return get_visible_or_404(visible_persons(user), Person, person_id)  # type: ignore[no-any-return]


def group_or_404(user: User, group_id: int) -> Group:
    return get_visible_or_404(visible_groups(user), Group, group_id)  # type: ignore[no-any-return]


def family_subjects(user: User) -> Select[tuple[Person]]:
    """The people whose consent page this user opens as family: themself and the pupils they
    are a guardian of. Teachers' and staff's wider view of pupils is read-only elsewhere."""
    if user.person_id is None:
        return select(Person).where(false())
    return select(Person).where(or_(Person.id == user.person_id, Person.id.in_(own_children_ids(user))))


def family_subject_or_404(user: User, person_id: int) -> Person:
    return get_visible_or_404(family_subjects(user), Person, person_id)  # type: ignore[no-any-return]


def history_subjects(user: User) -> Select[tuple[Person]]:
    """Whose full consent history the user may read: an administrator anyone's (they enter paper
    forms and answer requests); everyone else their family's, as on the consent page."""
    if user.has_role(Role.ADMIN):
        return select(Person)
    return family_subjects(user)


def history_subject_or_404(user: User, person_id: int) -> Person:
    return get_visible_or_404(history_subjects(user), Person, person_id)  # type: ignore[no-any-return]


def state_subjects(user: User) -> Select[tuple[Person]]:
    """Whose current consent state (not the history) staff may read: communications, leadership
    and administrators anyone's; a teacher the pupils of their own groups (and themself); nobody else."""
    if is_school_wide(user):
        return select(Person)
    if user.has_role(Role.TEACHER) and user.person_id is not None:
        taught = select(group_pupil.c.person_id).where(group_pupil.c.group_id.in_(taught_group_ids(user)))
        return select(Person).where(or_(Person.id == user.person_id, Person.id.in_(taught)))
    return select(Person).where(false())


def state_subject_or_404(user: User, person_id: int) -> Person:
    return get_visible_or_404(state_subjects(user), Person, person_id)  # type: ignore[no-any-return]

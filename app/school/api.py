"""/api/v1 endpoints of the school: the groups and people the caller may see."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.access import SIGNED_IN, allow, current_account, person_or_404, visible_groups, visible_persons
from app.extensions import db
from app.ids import id_field
from app.school.leavers import is_leaver, not_a_leaver
from app.school.models import Group, Person, PersonKind, group_pupil
from app.timestamps import school_today
from app.urls import API_PREFIX

blp = Blueprint("school_api", __name__, url_prefix=API_PREFIX, description="Groups and people.")


class GroupSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    location = fields.String(attribute="location.name")
    school_year = fields.String(attribute="school_year.name")


class PersonSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda p: p.kind.value)
    name = fields.String(attribute="full_name")
    group_ids = fields.Function(lambda p: sorted(g.id for g in p.pupil_groups))


class PeopleQuerySchema(Schema):
    group_id = id_field()
    kind = fields.String(validate=validate.OneOf([k.value for k in PersonKind]))
    left = fields.Boolean(
        metadata={"description": "true: only pupils who have left the school (otherwise they are not listed)"}
    )


@blp.route("/groups")
@blp.response(200, GroupSchema(many=True))
@allow(SIGNED_IN)
def list_groups() -> list[Group]:
    """Groups the caller may see: all for communications and administrators, own for teachers."""
    return list(db.session.scalars(visible_groups(current_account()).order_by(Group.name)))


@blp.route("/people")
@blp.arguments(PeopleQuerySchema, location="query")
@blp.response(200, PersonSchema(many=True))
@allow(SIGNED_IN)
def list_people(args: dict[str, Any]) -> list[Person]:
    """People the caller may see; a parent's list holds their own family only. Pupils who have left
    the school are listed only with ``left=true``."""
    today = school_today()
    query = visible_persons(current_account()).order_by(Person.last_name, Person.first_name, Person.id)
    query = query.where(is_leaver(today) if args.get("left") else not_a_leaver(today))
    if "group_id" in args:
        query = query.where(
            Person.id.in_(select(group_pupil.c.person_id).where(group_pupil.c.group_id == args["group_id"]))
        )
    if "kind" in args:
        query = query.where(Person.kind == PersonKind(args["kind"]))
    return list(db.session.scalars(query.limit(1000)))


@blp.route("/people/<int:person_id>")
@blp.response(200, PersonSchema)
@allow(SIGNED_IN)
def get_person(person_id: int) -> Person:
    return person_or_404(current_account(), person_id)

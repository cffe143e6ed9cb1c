"""Column types shared by every models module (so no models module imports another package
just for a type)."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Enum, any_, bindparam
from sqlalchemy.orm import QueryableAttribute


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum: lower-case strings with a named CHECK constraint, no native type
    (native PostgreSQL enums break the downgrade/upgrade round trip)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


def one_of(
    column: ColumnElement[Any] | QueryableAttribute[Any], name: str, dialect: str, *, many: bool = False
) -> ColumnElement[bool]:
    """``column`` is one of the values of the list parameter ``name``, for statements built once
    and run many times. A list that can be long (``many``: the ids of a hundred items) is one
    array parameter on PostgreSQL (``= ANY``): the statement keeps one parameter whatever the
    list's length, so psycopg parses it once and the server plans it once (psycopg caches no
    statement with more than 50 parameters). Short lists, and every list elsewhere, are an
    expanding ``IN``, which shows the planner each value."""
    if many and dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))

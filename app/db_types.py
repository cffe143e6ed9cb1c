"""Column types shared by every models module (so no models module imports another package
just for a type)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


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

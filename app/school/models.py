"""The school: locations, school years, groups, persons and guardianship."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import enum_column
from app.extensions import Model, db
from app.timestamps import utcnow


class PersonKind(enum.StrEnum):
    PUPIL = "pupil"
    GUARDIAN = "guardian"
    STAFF = "staff"
    VOLUNTEER = "volunteer"


class Location(Model):
    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    address: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    groups: Mapped[list[Group]] = relationship(back_populates="location")

    def __str__(self) -> str:
        return self.name


class SchoolYear(Model):
    __tablename__ = "school_year"
    __table_args__ = (CheckConstraint("ends_on > starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    groups: Mapped[list[Group]] = relationship(back_populates="school_year")

    def __str__(self) -> str:
        return self.name


group_teacher = Table(
    "group_teacher",
    Model.metadata,
    Column("group_id", ForeignKey("school_group.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True),
)

group_pupil = Table(
    "group_pupil",
    Model.metadata,
    Column("group_id", ForeignKey("school_group.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Group(Model):
    """A class ("groep 5b") at one location in one school year."""

    __tablename__ = "school_group"
    __table_args__ = (UniqueConstraint("school_year_id", "location_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="RESTRICT"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id", ondelete="RESTRICT"), index=True)

    location: Mapped[Location] = relationship(back_populates="groups")
    school_year: Mapped[SchoolYear] = relationship(back_populates="groups")
    teachers: Mapped[list[Person]] = relationship(
        secondary=group_teacher, back_populates="teaching_groups", order_by="Person.last_name"
    )
    pupils: Mapped[list[Person]] = relationship(
        secondary=group_pupil, back_populates="pupil_groups", order_by="Person.last_name"
    )

    def __str__(self) -> str:
        return self.name


class Person(Model):
    """Anyone who can appear in media: pupil, guardian, staff member or volunteer."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PersonKind] = mapped_column(enum_column(PersonKind, "person_kind"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    # The pupil administration's id (e.g. ParnasSys leerlingnummer); the import key.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    teaching_groups: Mapped[list[Group]] = relationship(secondary=group_teacher, back_populates="teachers")
    pupil_groups: Mapped[list[Group]] = relationship(secondary=group_pupil, back_populates="pupils")
    guardianships: Mapped[list[Guardianship]] = relationship(
        foreign_keys="Guardianship.pupil_id", back_populates="pupil", cascade="all, delete-orphan"
    )
    wards: Mapped[list[Guardianship]] = relationship(
        foreign_keys="Guardianship.guardian_id", back_populates="guardian", cascade="all, delete-orphan"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def __str__(self) -> str:
        return self.full_name


class Guardianship(Model):
    """A guardian of a pupil; only guardians with parental authority decide for a child under 16."""

    __tablename__ = "guardianship"
    __table_args__ = (
        UniqueConstraint("guardian_id", "pupil_id"),
        CheckConstraint("guardian_id <> pupil_id", name="not_own_guardian"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    has_parental_authority: Mapped[bool] = mapped_column(default=True)

    guardian: Mapped[Person] = relationship(foreign_keys=[guardian_id], back_populates="wards")
    pupil: Mapped[Person] = relationship(foreign_keys=[pupil_id], back_populates="guardianships")


__all__ = [
    "Group",
    "Guardianship",
    "Location",
    "Person",
    "PersonKind",
    "SchoolYear",
    "db",
    "group_pupil",
    "group_teacher",
]

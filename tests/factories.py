"""Test data, made by factory-boy factories (never by the demo school, which is for trying the app).

Each factory writes through ``db.session`` as it is at call time (the per-test session of
``tests/conftest.py``, or an app's own session in tests with a database of their own) and flushes,
so ids are there at once. ``build_school`` makes the small school most tests start from.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.accounts.models import Role, User
from app.extensions import db
from app.media.models import Album
from app.school.calendar import school_year_of
from app.school.models import Group, Guardianship, Location, Person, PersonKind, SchoolYear

PASSWORD = "demo-password"


@functools.cache
def password_hash() -> str:
    """Argon2 is slow on purpose: hash the test password once per process."""
    from app.accounts.passwords import hash_password

    return hash_password(PASSWORD)


def today() -> date:
    """Today where the school is: the app's own ``school_today``, and outside an app the date in the
    configured school time zone (not the machine's: between 23:00 and 24:00 UTC it is already
    tomorrow in Amsterdam, and a test that asked the machine would be a day behind the app)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from flask import has_app_context

    from app.timestamps import school_today
    from config import Config

    if has_app_context():
        return school_today()
    return datetime.now(ZoneInfo(str(Config.BABEL_DEFAULT_TIMEZONE))).date()


def born_aged(age: int, day: date | None = None) -> date:
    """A date of birth that makes someone ``age`` years old on ``day`` (today by default)."""
    day = day or today()
    return date(day.year - age, 1, 1)


class BaseFactory(SQLAlchemyModelFactory):  # type: ignore[misc]
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - read at call time: tests swap it
        sqlalchemy_session_persistence = "flush"


class LocationFactory(BaseFactory):
    class Meta:
        model = Location
        sqlalchemy_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Locatie {n}")
    address = "Schoolstraat 1"


class SchoolYearFactory(BaseFactory):
    """The school year containing today, unless told otherwise."""

    class Meta:
        model = SchoolYear
        sqlalchemy_get_or_create = ("name",)

    name = factory.LazyFunction(lambda: school_year_of(today())[0])
    starts_on = factory.LazyAttribute(lambda o: date(int(o.name[:4]), 8, 1))
    ends_on = factory.LazyAttribute(lambda o: date(int(o.name[:4]) + 1, 7, 31))


class GroupFactory(BaseFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"{n + 1}x")  # never 5b or 3a, which tests look up by name
    location = factory.SubFactory(LocationFactory)
    school_year = factory.SubFactory(SchoolYearFactory)


class PersonFactory(BaseFactory):
    class Meta:
        model = Person

    kind = PersonKind.GUARDIAN
    first_name = factory.Sequence(lambda n: f"Voornaam{n}")
    last_name = factory.Sequence(lambda n: f"Achternaam{n}")


class PupilFactory(PersonFactory):
    """A pupil of ``age`` (default 8), optionally placed in ``group`` (a ``Group`` or its id)."""

    class Params:
        age = 8

    kind = PersonKind.PUPIL
    date_of_birth = factory.LazyAttribute(lambda o: born_aged(o.age))
    external_id = factory.Sequence(lambda n: f"LL{n + 10000:05d}")  # LL00001-LL00003: the school's own

    @factory.post_generation
    def group(self, create: bool, group: Group | int | None, **_kwargs: Any) -> None:
        if group is not None:
            _group(group).pupils.append(self)
            db.session.flush()


class GuardianFactory(PersonFactory):
    kind = PersonKind.GUARDIAN
    email = None


class StaffFactory(PersonFactory):
    kind = PersonKind.STAFF
    email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}@school.example")


class VolunteerFactory(PersonFactory):
    kind = PersonKind.VOLUNTEER


class GuardianshipFactory(BaseFactory):
    class Meta:
        model = Guardianship

    guardian = factory.SubFactory(GuardianFactory)
    pupil = factory.SubFactory(PupilFactory)
    has_parental_authority = True


class UserFactory(BaseFactory):
    """An account with ``roles`` (a set of ``Role``) that signs in with ``PASSWORD``."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password_hash = factory.LazyFunction(password_hash)
    locale = "nl"
    person = None

    @factory.post_generation
    def roles(self, create: bool, roles: set[Role] | None, **_kwargs: Any) -> None:
        self.set_roles(set(roles or {Role.PARENT}))
        db.session.flush()


class AlbumFactory(BaseFactory):
    """An album of ``group`` (a ``Group``), or of the group with ``group_id``, or of a new group."""

    class Meta:
        model = Album

    class Params:
        group_id = None

    group = factory.LazyAttribute(lambda o: _group(o.group_id) if o.group_id is not None else GroupFactory())
    title = factory.Sequence(lambda n: f"Album {n}")
    taken_on = factory.LazyFunction(today)


def _group(group: Group | int) -> Group:
    return group if isinstance(group, Group) else db.session.get_one(Group, group)


def build_school(classmates: tuple[int, int] = (6, 4)) -> dict[str, int]:
    """The school most tests start from: two locations, group 5b (St. Jozefschool, taught by
    teacher@) and 3a (De Pontonnier); Sem (5b) and Emma (3a) de Vries with their parents Karin
    (parent@) and Mark (no account, no e-mail address), Noah Jansen (5b) with Ahmed (parent2@), a
    volunteer, accounts admin@, comms@, leader@ (school leadership) and teacher@, and ``classmates`` more pupils in 5b and 3a,
    each with a guardian without an e-mail address. Returns the ids tests refer to."""
    jozef = LocationFactory(name="St. Jozefschool", address="Kerkstraat 1")
    pontonnier = LocationFactory(name="De Pontonnier", address="Havenweg 12")
    g5b = GroupFactory(name="5b", location=jozef)
    g3a = GroupFactory(name="3a", location=pontonnier)

    teacher = StaffFactory(first_name="Marieke", last_name="Hoekstra", email="teacher@example.org")
    comms = StaffFactory(first_name="Jeroen", last_name="Kok", email="comms@example.org")
    admin = StaffFactory(first_name="Annelies", last_name="Schouten", email="admin@example.org")
    leader = StaffFactory(first_name="Wim", last_name="Verhoeven", email="leader@example.org")
    VolunteerFactory(first_name="Gerda", last_name="Post")
    g5b.teachers.append(teacher)

    sem = PupilFactory(first_name="Sem", last_name="de Vries", age=8, external_id="LL00001", group=g5b)
    emma = PupilFactory(first_name="Emma", last_name="de Vries", age=6, external_id="LL00002", group=g3a)
    noah = PupilFactory(first_name="Noah", last_name="Jansen", age=8, external_id="LL00003", group=g5b)
    parent = GuardianFactory(first_name="Karin", last_name="de Vries", email="parent@example.org")
    co_parent = GuardianFactory(first_name="Mark", last_name="de Vries")
    parent2 = GuardianFactory(first_name="Ahmed", last_name="Jansen", email="parent2@example.org")
    for child in (sem, emma):
        GuardianshipFactory(guardian=parent, pupil=child)
        GuardianshipFactory(guardian=co_parent, pupil=child)
    GuardianshipFactory(guardian=parent2, pupil=noah)
    for group, age, count in ((g5b, 8, classmates[0]), (g3a, 6, classmates[1])):
        for _ in range(count):
            GuardianshipFactory(pupil=PupilFactory(age=age, group=group))

    staff = ((admin, Role.ADMIN), (comms, Role.COMMUNICATIONS), (leader, Role.LEADERSHIP), (teacher, Role.TEACHER))
    for person, role in staff:
        UserFactory(email=person.email, person=person, roles={role})
    UserFactory(email="parent@example.org", person=parent, roles={Role.PARENT})
    UserFactory(email="parent2@example.org", person=parent2, roles={Role.PARENT})
    return {
        "sem": sem.id,
        "emma": emma.id,
        "noah": noah.id,
        "parent": parent.id,
        "parent2": parent2.id,
        "teacher": teacher.id,
        "5b": g5b.id,
        "3a": g3a.id,
    }

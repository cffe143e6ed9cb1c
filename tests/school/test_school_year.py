"""A new school year: next year's groups imported before 1 August, "current" taken from the
date, pupils who left archived and, after the retention period, erased with a tombstone."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.accounts.models import Role, User
from app.extensions import db
from app.privacy.erasure import ErasureTombstone
from app.school.calendar import school_year_of
from app.school.models import Location, Person, SchoolYear
from app.timestamps import school_today
from tests.factories import GroupFactory, GuardianFactory, GuardianshipFactory, PupilFactory, UserFactory
from tests.school.test_import import csv_bytes, run_import, snapshot


def years_from_now(app, offset: int) -> SchoolYear:
    """The school year ``offset`` years after the current one, created."""
    _name, starts, ends = school_year_of(school_today())
    year = SchoolYear(
        name=f"{starts.year + offset}-{starts.year + offset + 1}",
        starts_on=starts.replace(year=starts.year + offset),
        ends_on=ends.replace(year=ends.year + offset),
    )
    db.session.add(year)
    db.session.flush()
    return year


def test_next_years_groups_are_imported_before_the_year_starts(runner, world, app, tmp_path):
    with app.app_context():
        next_year = years_from_now(app, 1).name
        db.session.commit()
    row = "LL00001;Sem;de Vries;14-03-2018;6b;St. Jozefschool;Karin;de Vries;parent@example.org"
    result = run_import(runner, tmp_path, csv_bytes(row), "--school-year", next_year)
    assert result.exit_code == 0, result.output
    with app.app_context():
        sem = db.session.get(Person, world["sem"])
        by_year = {(g.school_year.name, g.name) for g in sem.pupil_groups}
        # Sem is in 6b next year and still in 5b now: the current year is the one containing today.
        assert by_year == {(next_year, "6b"), (school_year_of(school_today())[0], "5b")}


def test_an_import_for_a_year_that_does_not_exist_changes_nothing(runner, client, login_as, world, app, tmp_path):
    before = snapshot(app)
    row = "LL00001;Sem;de Vries;14-03-2018;6b;St. Jozefschool;Karin;de Vries;parent@example.org"
    result = run_import(runner, tmp_path, csv_bytes(row), "--school-year", "2099-2100")
    assert result.exit_code == 1
    assert "the school year 2099-2100 does not exist; create it first" in result.output
    login_as("admin")
    page = client.post(
        "/admin/import",
        data={
            "csrf_token": client.csrf_token(),
            "school_year": "2099-2100",
            "submit": "1",
            "file": (io.BytesIO(csv_bytes(row)), "leerlingen.csv"),
        },
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert "schooljaar 2099-2100 bestaat niet" in page.get_data(as_text=True)
    assert snapshot(app) == before


def _leaver(app, *, years_ago: int, email: str | None) -> tuple[int, int]:
    """A pupil whose last group was ``years_ago`` school years back, with a guardian."""
    year = years_from_now(app, -years_ago)
    location = db.session.scalar(select(Location).limit(1))
    pupil = PupilFactory(age=12, group=GroupFactory(school_year=year, location=location))
    guardian = GuardianFactory(email=email)
    GuardianshipFactory(guardian=guardian, pupil=pupil)
    if email:
        UserFactory(email=email, person=guardian, roles={Role.PARENT})
    return pupil.id, guardian.id


def test_leavers_are_archived_then_erased_after_the_retention_period(runner, world, app):
    with app.app_context():
        recent, _recent_parent = _leaver(app, years_ago=1, email="left@example.org")
        old, old_parent = _leaver(app, years_ago=3, email=None)
        db.session.commit()
    result = runner.invoke(args=["people", "purge-leavers", "--by", "admin@example.org"])
    assert result.exit_code == 0, result.output
    assert "2 pupils have left: 1 accounts were disabled; 2 people were erased (retention 2 years)." in result.output
    with app.app_context():
        # Left last July: kept (retention 2 years), but the family's account no longer works.
        assert db.session.get(Person, recent) is not None
        assert db.session.scalar(select(User.active).where(User.email == "left@example.org")) is False
        # Left three years ago: erased with a tombstone, and so is the guardian left with no child.
        assert db.session.get(Person, old) is None and db.session.get(Person, old_parent) is None
        assert {t.person_id for t in db.session.scalars(select(ErasureTombstone))} == {old, old_parent}
        # Pupils of the current year and their parents are untouched.
        assert db.session.get(Person, world["sem"]) is not None
        assert db.session.scalar(select(User.active).where(User.email == "parent@example.org")) is True


def test_a_parent_with_a_child_still_at_school_keeps_the_account(runner, world, app):
    with app.app_context():
        old_year = years_from_now(app, -1)
        older = PupilFactory(age=13, group=GroupFactory(school_year=old_year))
        GuardianshipFactory(guardian=db.session.get(Person, world["parent"]), pupil=older)
        db.session.commit()
    result = runner.invoke(args=["people", "archive-leavers", "--by", "admin@example.org", "--dry-run"])
    assert "1 pupils have left: 0 accounts would be disabled." in result.output
    refused = runner.invoke(args=["people", "purge-leavers", "--by", "parent@example.org"])
    assert refused.exit_code == 1 and "not an active administrator" in refused.output

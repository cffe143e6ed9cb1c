"""The factories' promises that tests lean on without saying so."""

from app.accounts.models import Role
from app.accounts.passwords import verify_password
from app.extensions import db
from app.timestamps import school_today
from tests.factories import (
    PASSWORD,
    AlbumFactory,
    GroupFactory,
    GuardianshipFactory,
    PupilFactory,
    SchoolYearFactory,
    UserFactory,
)


def test_defaults_are_this_school_year_and_the_asked_age(app_ctx):
    today = school_today()
    year = SchoolYearFactory()
    assert year.starts_on <= today <= year.ends_on
    assert (year.ends_on - year.starts_on).days in (364, 365)
    group = GroupFactory()
    assert group.school_year is year and group.name not in ("5b", "3a")
    pupil = PupilFactory(age=15, group=group.id)
    assert pupil.age_on(today) == 15 and pupil.pupil_groups == [group]
    assert AlbumFactory(group_id=group.id).group is group


def test_a_guardianship_and_an_account_come_whole(app_ctx):
    link = GuardianshipFactory()
    assert link.id and link.guardian.wards == [link] and link.has_parental_authority
    user = UserFactory(person=link.guardian, roles={Role.PARENT, Role.TEACHER})
    db.session.refresh(user)
    assert user.roles == {Role.PARENT, Role.TEACHER}
    assert verify_password(user.password_hash, PASSWORD)
    assert UserFactory().password_hash == user.password_hash  # hashed once per process

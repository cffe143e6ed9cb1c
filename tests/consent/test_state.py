"""Staff see the state (issue 10, part 6): a teacher per pupil of their own groups with the reason
and no guardian's name, communications and leadership anyone's state but not the history, an
administrator anyone's full history; everyone else 404."""

from __future__ import annotations

import re

import pytest

from app.consent.operations import decide
from app.consent.vocabulary import Means
from app.extensions import db
from app.school.models import Person


def give(app, world, child: str, media: str, purpose: str, action: str, guardian: str = "parent") -> None:
    with app.app_context():
        decide(
            db.session.get_one(Person, world[child]),
            media,
            purpose,
            action,
            decided_by=db.session.get_one(Person, world[guardian]),
            recorded_by=None,
            means=Means.WEB,
        )
        db.session.commit()


def cell(page: str, media: str, purpose: str) -> tuple[str, str]:
    """(state, reason) of one cell of the state page."""
    match = re.search(
        rf'id="{media}-{purpose}" data-state="(\w+)">.*?<span class="reason">([^<]*)</span>', page, re.DOTALL
    )
    assert match, (media, purpose)
    return match.group(1), match.group(2)


def test_a_teacher_sees_the_state_of_a_pupil_with_the_reason_but_no_guardian_name(
    client, login_as, world, published_form, app
):
    give(app, world, "sem", "photo", "website", "grant")
    give(app, world, "sem", "photo", "social_media", "grant")
    give(app, world, "sem", "photo", "social_media", "withdraw")
    give(app, world, "sem", "film", "press", "refuse")
    login_as("teacher")
    overview = client.get(f"/consent/groups/{world['5b']}").get_data(as_text=True)
    assert f'href="/consent/{world["sem"]}/state"' in overview
    page = client.get(f"/consent/{world['sem']}/state").get_data(as_text=True)
    assert cell(page, "photo", "website")[0] == "granted"
    assert "gegeven door een ouder op" in cell(page, "photo", "website")[1]
    assert cell(page, "photo", "social_media")[0] == "refused"
    assert "ingetrokken door een ouder op" in cell(page, "photo", "social_media")[1]
    assert "geweigerd door een ouder op" in cell(page, "film", "press")[1]
    assert cell(page, "audio", "newsletter") == ("none", "nooit beslist")
    assert "Karin" not in page and "Mark" not in page  # "a guardian" is all a teacher needs
    assert "De ouders beslissen" in page
    assert f"/consent/{world['sem']}/history" not in page  # the history is the administrator's


@pytest.mark.parametrize(
    ("who", "child", "state", "history"),
    [
        ("teacher", "sem", 200, 404),
        ("teacher", "noah", 200, 404),
        ("teacher", "emma", 404, 404),  # another group
        ("comms", "emma", 200, 404),
        ("leader", "emma", 200, 404),
        ("admin", "emma", 200, 200),
        ("parent", "sem", 404, 200),  # their own child: the family pages, not the staff page
        ("parent", "noah", 404, 404),
        ("parent2", "sem", 404, 404),
    ],
)
def test_who_sees_whose_state_and_history(client, login_as, world, published_form, who, child, state, history):
    login_as(who)
    assert client.get(f"/consent/{world[child]}/state").status_code == state
    assert client.get(f"/consent/{world[child]}/history").status_code == history
    assert client.get("/consent/999999/state").status_code == 404


def test_an_administrator_reads_the_full_history_of_anyone(client, login_as, world, published_form, app):
    give(app, world, "noah", "photo", "website", "grant", guardian="parent2")
    give(app, world, "noah", "photo", "website", "withdraw", guardian="parent2")
    login_as("admin")
    state = client.get(f"/consent/{world['noah']}/state").get_data(as_text=True)
    assert f"/consent/{world['noah']}/history" in state
    page = client.get(f"/consent/{world['noah']}/history").get_data(as_text=True)
    entries = page.split('id="history"')[1]
    assert entries.count("Ahmed Jansen") == 2  # both decisions, with who made them
    assert client.get(f"/consent/{world['parent2']}/history").status_code == 200  # a guardian as subject too
    assert client.get("/consent/999999/history").status_code == 404

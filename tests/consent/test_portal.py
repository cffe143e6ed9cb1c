"""The parent portal through HTTP: the matrix, one-action decisions, the guided form, history
and the family's data."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from app.consent.models import Decision
from app.consent.operations import decide
from app.consent.vocabulary import Means
from app.extensions import db
from app.school.models import Person


def state(page: str, media: str, purpose: str) -> str:
    match = re.search(rf'id="{media}-{purpose}" data-state="(\w+)"', page)
    assert match, f"no cell {media}-{purpose}"
    return match.group(1)


def decisions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Decision.id)))


@pytest.fixture
def parent(client, login_as, published_form):
    login_as("parent")
    return client


def test_a_first_visit_leads_through_the_form_and_the_matrix_stays_reachable(parent, world):
    for child in ("sem", "emma"):
        first = parent.get(f"/consent/{world[child]}")
        assert first.status_code == 302 and first.headers["Location"].endswith(f"/consent/{world[child]}/form")
        page = parent.get(f"/consent/{world[child]}?overview=1").get_data(as_text=True)
        assert state(page, "photo", "social_media") == "none"
        assert state(page, "audio", "press") == "none"
        assert "Formulier invullen (18 open)" in page


def test_grant_and_withdraw_are_one_action_each(parent, world, app):
    url = f"/consent/{world['sem']}"
    response = parent.submit(f"{url}/decide", {"media_type": "photo", "purpose": "social_media", "decision": "grant"})
    assert response.status_code == 302
    assert state(parent.get(url).get_data(as_text=True), "photo", "social_media") == "granted"
    response = parent.submit(
        f"{url}/decide", {"media_type": "photo", "purpose": "social_media", "decision": "withdraw"}
    )
    assert response.status_code == 302
    page = parent.get(url).get_data(as_text=True)
    assert state(page, "photo", "social_media") == "refused"
    assert state(page, "film", "social_media") == "none"
    assert decisions(app) == 2


def test_a_double_submit_records_nothing_twice(parent, world, app):
    url = f"/consent/{world['sem']}/decide"
    data = {"media_type": "film", "purpose": "website", "decision": "grant"}
    assert parent.submit(url, data).status_code == 302
    again = parent.submit(url, data)
    assert again.status_code == 409
    assert decisions(app) == 1


@pytest.mark.parametrize(
    "data",
    [
        {"media_type": "photo", "purpose": "billboard", "decision": "grant"},
        {"media_type": "hologram", "purpose": "website", "decision": "grant"},
        {"media_type": "photo", "purpose": "website", "decision": "maybe"},
        {"media_type": "photo", "purpose": "website"},
    ],
)
def test_choices_not_on_the_form_are_refused(parent, world, app, data):
    response = parent.submit(f"/consent/{world['sem']}/decide", data)
    assert 400 <= response.status_code < 500
    assert decisions(app) == 0


def test_another_familys_child_is_404_everywhere(parent, world, app):
    for url in (f"/consent/{world['noah']}", f"/consent/{world['noah']}/history", f"/consent/{world['noah']}/form"):
        assert parent.get(url).status_code == 404, url
    response = parent.submit(
        f"/consent/{world['noah']}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"}
    )
    assert response.status_code == 404
    assert parent.get("/consent/999999").status_code == 404
    assert decisions(app) == 0


def test_the_guided_form_needs_every_answer(parent, world, app):
    url = f"/consent/{world['emma']}/form"
    page = parent.get(url).get_data(as_text=True)
    assert "uitdrukkelijk toestemming" in page  # the form's text comes first
    assert "checked" not in page  # nothing is pre-ticked
    partial = parent.submit(url, {"photo__website": "grant"})
    assert partial.status_code == 400
    assert decisions(app) == 0
    answers = {
        f"{m}__{p}": ("grant" if p in ("parent_portal", "newsletter") else "refuse")
        for m in ("photo", "film", "audio")
        for p in ("parent_portal", "newsletter", "school_guide", "website", "social_media", "press")
    }
    assert parent.submit(url, answers).status_code == 302
    assert decisions(app) == 18
    page = parent.get(f"/consent/{world['emma']}").get_data(as_text=True)
    assert state(page, "photo", "newsletter") == "granted" and state(page, "photo", "press") == "refused"
    # Sending the same answers again changes nothing.
    assert parent.submit(url, answers).status_code == 302
    assert decisions(app) == 18


def test_withdraw_all_and_refuse_all(parent, world, app):
    url = f"/consent/{world['sem']}"
    for purpose in ("website", "newsletter"):
        parent.submit(f"{url}/decide", {"media_type": "photo", "purpose": purpose, "decision": "grant"})
    assert parent.confirm(f"{url}/all", decision="withdraw_all").status_code == 302
    page = parent.get(url).get_data(as_text=True)
    assert state(page, "photo", "website") == "refused" and state(page, "photo", "newsletter") == "refused"
    assert state(page, "film", "website") == "none"
    nothing_left = parent.submit(f"{url}/all", {"decision": "withdraw_all", "confirm": "1"})
    assert nothing_left.status_code == 409
    assert parent.confirm(f"{url}/all", decision="refuse_all").status_code == 302
    page = parent.get(url).get_data(as_text=True)
    assert {state(page, m, p) for m in ("photo", "film", "audio") for p in ("website", "press")} == {"refused"}


def test_the_other_guardians_different_choice_is_shown(parent, world, app):
    with app.app_context():
        sem = db.session.get(Person, world["sem"])
        mark = db.session.scalar(select(Person).where(Person.first_name == "Mark"))
        decide(sem, "photo", "website", "grant", decided_by=mark, recorded_by=None, means=Means.PAPER)
        db.session.commit()
    page = parent.get(f"/consent/{world['sem']}?overview=1").get_data(as_text=True)
    assert state(page, "photo", "website") == "granted"
    assert "Mark" in page
    parent.submit(
        f"/consent/{world['sem']}/decide", {"media_type": "photo", "purpose": "website", "decision": "refuse"}
    )
    assert state(parent.get(f"/consent/{world['sem']}").get_data(as_text=True), "photo", "website") == "refused"


def test_history_shows_who_decided_when_how_and_under_which_form(parent, world):
    parent.submit(f"/consent/{world['sem']}/decide", {"media_type": "audio", "purpose": "press", "decision": "refuse"})
    page = parent.get(f"/consent/{world['sem']}/history").get_data(as_text=True)
    assert "Karin de Vries" in page and "/consent/forms/" in page
    form_link = re.search(r'href="(/consent/forms/\d+)"', page).group(1)
    assert "uitdrukkelijk toestemming" in parent.get(form_link).get_data(as_text=True)


def test_download_our_data_holds_the_family_only(parent, world, app):
    parent.submit(f"/consent/{world['sem']}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"})
    response = parent.get("/consent/our-data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert {p["first_name"] for p in data["people"]} == {"Karin", "Sem", "Emma"}
    assert "Noah" not in response.get_data(as_text=True)
    assert [d["purpose"] for d in data["decisions"]] == ["website"]


def test_staff_decide_for_themselves(client, login_as, world, published_form, app):
    login_as("teacher")
    own = f"/consent/{world['teacher']}"
    assert client.get(own).headers["Location"].endswith("/form")  # a first visit
    assert client.get(f"{own}?overview=1").status_code == 200
    assert (
        client.submit(f"{own}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"}).status_code
        == 302
    )
    assert client.get(f"/consent/{world['sem']}").status_code == 404  # a pupil of theirs is not family


def test_the_home_page_says_per_child_what_is_still_open_and_links_the_family_data(
    client, login_as, world, published_form, app
):
    login_as("parent")
    home = client.get("/home").get_data(as_text=True)
    assert home.count('data-open="18"') == 2 and "18 vragen open" in home  # 3 media types x 6 purposes each
    with app.app_context():
        from app.consent.operations import decide
        from app.consent.vocabulary import Means, MediaType
        from app.school.models import Person
        from tests.forms import FORM_PURPOSES

        sem, karin = db.session.get(Person, world["sem"]), db.session.get(Person, world["parent"])
        for media in MediaType:
            for purpose in FORM_PURPOSES:
                decide(sem, media, purpose, "refuse", decided_by=karin, recorded_by=None, means=Means.WEB)
        decide(
            db.session.get(Person, world["emma"]),
            "photo",
            "website",
            "grant",
            decided_by=karin,
            recorded_by=None,
            means=Means.WEB,
        )
        db.session.commit()
    home = client.get("/home").get_data(as_text=True)
    assert 'data-open="0"' in home and "alles beantwoord" in home and "17 vragen open" in home
    link = re.search(r'href="([^"]+)" id="our-data-link"', home).group(1)
    assert client.get(link).status_code == 200

"""Fewer taps for parents, through HTTP: yes or no to a whole media type (one explicit decision per
purpose), the same answers as for another child (shown, then confirmed), and "withdraw
everything" that first lists what changes and what will be taken down."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.consent.models import Decision
from app.consent.vocabulary import MediaType
from app.extensions import db
from app.release.models import Channel, Export, ExportItem, Publication, Takedown
from tests.forms import FORM_PURPOSES

MEDIA = ("photo", "film", "audio")


def rows(app, subject_id: int | None = None) -> list[tuple[str, str, str, str, int | None]]:
    """The decisions stored (about one subject), oldest first: media type, purpose, action, means, recorded by."""
    with app.app_context():
        query = select(Decision).order_by(Decision.id)
        if subject_id is not None:
            query = query.where(Decision.subject_id == subject_id)
        return [
            (d.media_type.value, d.purpose, d.action.value, d.means.value, d.recorded_by_id)
            for d in db.session.scalars(query)
        ]


def takedowns(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Takedown.id)))


def parent_account(app) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == "parent@example.org"))


def state(page: str, media: str, purpose: str) -> str:
    match = re.search(rf'id="{media}-{purpose}" data-state="(\w+)"', page)
    assert match, f"no cell {media}-{purpose}"
    return match.group(1)


def changes(page: str) -> dict[str, str]:
    """The list of changes on a confirmation page: ``photo-website`` -> the action it records."""
    return dict(re.findall(r'id="change-(\w+-\w+)" data-action="(\w+)"', page))


def publish(app, person_id: int, media_type: str = "photo", channel_key: str = "website") -> None:
    """An item of ``media_type`` showing the person, published on the channel (written directly: the
    release has its own tests)."""
    from app.media.models import MediaItem, Tag
    from tests.factories import AlbumFactory

    with app.app_context():
        album = AlbumFactory()
        item = MediaItem(
            sha256=f"{person_id:04d}{media_type}{channel_key}".ljust(64, "0")[:64],
            media_type=MediaType(media_type),
            mime_type="image/jpeg",
            size_bytes=1,
            group_id=album.group_id,
            album_id=album.id,
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(Tag(media_id=item.id, person_id=person_id))
        channel = db.session.scalar(select(Channel).where(Channel.key == channel_key))
        export = Export(channel_id=channel.id, bundle_token=item.sha256)
        export.items.append(ExportItem(media_id=item.id, position=1, file_name="beeldrecht-1.jpg", evidence={}))
        db.session.add(export)
        db.session.flush()
        db.session.add(
            Publication(
                export_id=export.id,
                media_id=item.id,
                channel_id=channel.id,
                url="https://school.example/news/1",
                published_on=date(2026, 10, 2),
            )
        )
        db.session.commit()


def answer_form(parent, child_id: int, yes: set[tuple[str, str]]) -> None:
    answers = {f"{m}__{p}": ("grant" if (m, p) in yes else "refuse") for m in MEDIA for p in FORM_PURPOSES}
    assert parent.submit(f"/consent/{child_id}/form", answers).status_code == 302


@pytest.fixture
def parent(client, login_as, published_form):
    login_as("parent")
    return client


# -- Yes or no to a whole media type ---------------------------------------------------------------


def test_yes_to_all_photos_records_one_explicit_grant_per_purpose_and_leaves_the_rest(parent, world, app):
    sem = world["sem"]
    url = f"/consent/{sem}"
    parent.submit(f"{url}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"})
    parent.submit(f"{url}/decide", {"media_type": "film", "purpose": "press", "decision": "refuse"})
    before = rows(app)
    response = parent.submit(f"{url}/media-type", {"media_type": "photo", "decision": "grant"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#media-photo")
    added = rows(app)[len(before) :]
    me = parent_account(app)
    # One grant per photo purpose except the one granted already; films and sound untouched.
    assert sorted(added) == sorted(("photo", p, "grant", "web", me) for p in FORM_PURPOSES if p != "website")
    page = parent.get(url).get_data(as_text=True)
    assert {state(page, "photo", p) for p in FORM_PURPOSES} == {"granted"}
    assert state(page, "film", "press") == "refused" and state(page, "film", "website") == "none"
    assert "Opgeslagen: ja voor 5 toepassingen." in page


def test_no_to_all_photos_withdraws_grants_refuses_the_rest_and_says_what_is_removed(parent, world, app):
    sem = world["sem"]
    url = f"/consent/{sem}"
    for purpose in ("website", "newsletter"):
        parent.submit(f"{url}/decide", {"media_type": "photo", "purpose": purpose, "decision": "grant"})
    publish(app, sem, "photo", "website")
    before = len(rows(app))
    response = parent.submit(f"{url}/media-type", {"media_type": "photo", "decision": "refuse"})
    assert response.status_code == 302
    added = {(m, p): action for m, p, action, means, _by in rows(app)[before:] if means == "web"}
    assert len(rows(app)) - before == len(FORM_PURPOSES) == len(added)
    assert added[("photo", "website")] == added[("photo", "newsletter")] == "withdraw"
    assert {added[("photo", p)] for p in FORM_PURPOSES if p not in ("website", "newsletter")} == {"refuse"}
    assert takedowns(app) == 1
    page = parent.get(url).get_data(as_text=True)
    assert "Dit wordt verwijderd: Website, 2 oktober 2026" in page
    # Again: nothing changes, nothing is stored twice.
    again = parent.submit(f"{url}/media-type", {"media_type": "photo", "decision": "refuse"})
    assert again.status_code == 409
    assert "al vastgelegd" in again.get_data(as_text=True)
    assert len(rows(app)) - before == len(FORM_PURPOSES) and takedowns(app) == 1


@pytest.mark.parametrize(
    "data",
    [
        {"media_type": "hologram", "decision": "grant"},
        {"media_type": "photo", "decision": "maybe"},
        {"media_type": "photo", "decision": "withdraw"},
        {"media_type": "photo"},
        {"decision": "grant"},
    ],
)
def test_a_media_type_answer_the_form_does_not_know_is_refused(parent, world, app, data):
    assert parent.submit(f"/consent/{world['sem']}/media-type", data).status_code == 400
    assert rows(app) == []


def test_a_media_type_answer_needs_the_csrf_token_and_ones_own_child(parent, world, app):
    data = {"media_type": "photo", "decision": "grant"}
    assert parent.post(f"/consent/{world['sem']}/media-type", data=data).status_code == 400
    assert parent.submit(f"/consent/{world['noah']}/media-type", data).status_code == 404
    assert parent.submit("/consent/999999/media-type", data).status_code == 404
    assert rows(app) == []


def test_the_guided_form_offers_yes_and_no_to_everything_per_media_type_and_still_stores_each_answer(
    parent, world, app
):
    page = parent.get(f"/consent/{world['emma']}/form").get_data(as_text=True)
    assert page.count('data-answer-all="grant"') == page.count('data-answer-all="refuse"') == len(MEDIA)
    assert 'class="pb-2 border-bottom answer-all" hidden' in page  # shown by the script only
    assert re.search(r'<script src="/static/answers\.js(\?v=\w+)?"></script>', page)
    assert "checked" not in page  # the buttons tick nothing by themselves
    answer_form(parent, world["emma"], {("photo", p) for p in FORM_PURPOSES})
    stored = rows(app, world["emma"])
    assert len(stored) == len(MEDIA) * len(FORM_PURPOSES)
    assert sorted(p for m, p, action, _means, _by in stored if m == "photo" and action == "grant") == sorted(
        FORM_PURPOSES
    )


# -- The same answers as for another child -------------------------------------------------------


def test_same_answers_are_shown_first_and_recorded_after_the_confirm(parent, world, app):
    sem, emma = world["sem"], world["emma"]
    answer_form(parent, sem, {("photo", "parent_portal"), ("photo", "newsletter"), ("film", "parent_portal")})
    # Emma: photos on the website granted (published there), film in the newsletter granted.
    for media, purpose in (("photo", "website"), ("film", "newsletter")):
        parent.submit(f"/consent/{emma}/decide", {"media_type": media, "purpose": purpose, "decision": "grant"})
    publish(app, emma, "photo", "website")
    before = rows(app)

    overview = parent.get(f"/consent/{emma}").get_data(as_text=True)
    assert f'href="/consent/{emma}/same-as/{sem}"' in overview
    assert "Dezelfde antwoorden als voor Sem" in overview
    page = parent.get(f"/consent/{emma}/same-as/{sem}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    listed = changes(text)
    expected = {f"{m}-{p}": "refuse" for m in MEDIA for p in FORM_PURPOSES}
    expected.update({"photo-parent_portal": "grant", "photo-newsletter": "grant", "film-parent_portal": "grant"})
    expected.update({"photo-website": "withdraw", "film-newsletter": "withdraw"})
    assert listed == expected
    assert "Website, 2 oktober 2026" in text and "Er is nog niets opgeslagen." in text
    assert rows(app) == before and takedowns(app) == 0  # showing stores nothing
    plan = re.search(r'name="plan" value="([^"]*)"', text).group(1)
    unconfirmed = parent.submit(f"/consent/{emma}/same-as/{sem}", {"plan": plan})  # no confirm: the list again
    assert unconfirmed.status_code == 200 and changes(unconfirmed.get_data(as_text=True)) == expected
    assert rows(app) == before

    response = parent.confirm(f"/consent/{emma}/same-as/{sem}")
    assert response.status_code == 302
    added = rows(app)[len(before) :]
    me = parent_account(app)
    assert sorted(added) == sorted((*key.split("-"), action, "web", me) for key, action in expected.items())
    assert takedowns(app) == 1
    page = parent.get(f"/consent/{emma}").get_data(as_text=True)
    assert "Dit wordt verwijderd: Website, 2 oktober 2026" in page
    sem_page = parent.get(f"/consent/{sem}").get_data(as_text=True)
    for media in MEDIA:
        for purpose in FORM_PURPOSES:
            assert state(page, media, purpose) == state(sem_page, media, purpose), (media, purpose)


def test_same_answers_sent_twice_record_nothing_twice(parent, world, app):
    sem, emma = world["sem"], world["emma"]
    answer_form(parent, sem, {("photo", "newsletter")})
    page = parent.get(f"/consent/{emma}/same-as/{sem}").get_data(as_text=True)
    plan = re.search(r'name="plan" value="([^"]*)"', page).group(1)
    first = parent.submit(f"/consent/{emma}/same-as/{sem}", {"plan": plan, "confirm": "1"})
    assert first.status_code == 302
    stored = rows(app)
    second = parent.submit(f"/consent/{emma}/same-as/{sem}", {"plan": plan, "confirm": "1"})
    assert second.status_code == 409
    assert "al opgeslagen" in second.get_data(as_text=True)
    assert rows(app) == stored
    # And the list now says there is nothing to change, without a confirm button.
    again = parent.get(f"/consent/{emma}/same-as/{sem}").get_data(as_text=True)
    assert changes(again) == {} and 'id="confirm"' not in again


def test_a_confirm_for_a_list_that_changed_since_records_nothing(parent, world, app):
    sem, emma = world["sem"], world["emma"]
    parent.submit(f"/consent/{sem}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"})
    page = parent.get(f"/consent/{emma}/same-as/{sem}").get_data(as_text=True)
    plan = re.search(r'name="plan" value="([^"]*)"', page).group(1)
    parent.submit(f"/consent/{sem}/decide", {"media_type": "film", "purpose": "press", "decision": "refuse"})
    before = rows(app)
    stale = parent.submit(f"/consent/{emma}/same-as/{sem}", {"plan": plan, "confirm": "1"})
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "Er is iets veranderd" in text and changes(text) == {"photo-website": "grant", "film-press": "refuse"}
    assert rows(app) == before


def test_questions_the_other_child_has_no_answer_to_are_left_as_they_are(parent, world, app):
    sem, emma = world["sem"], world["emma"]
    parent.submit(f"/consent/{sem}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"})
    parent.submit(f"/consent/{emma}/decide", {"media_type": "audio", "purpose": "press", "decision": "grant"})
    page = parent.get(f"/consent/{emma}/same-as/{sem}").get_data(as_text=True)
    assert changes(page) == {"photo-website": "grant"}
    assert parent.confirm(f"/consent/{emma}/same-as/{sem}").status_code == 302
    page = parent.get(f"/consent/{emma}").get_data(as_text=True)
    assert state(page, "photo", "website") == "granted" and state(page, "audio", "press") == "granted"
    assert state(page, "film", "website") == "none"


def test_copying_from_a_child_with_nothing_answered_says_so_and_stores_nothing(parent, world, app):
    sem, emma = world["sem"], world["emma"]
    overview = parent.get(f"/consent/{emma}?overview=1").get_data(as_text=True)
    assert "/same-as/" not in overview  # nothing to offer
    page = parent.get(f"/consent/{emma}/same-as/{sem}")
    assert page.status_code == 409
    assert "nog niets beantwoord" in page.get_data(as_text=True)
    assert parent.submit(f"/consent/{emma}/same-as/{sem}", {"plan": "", "confirm": "1"}).status_code == 409
    assert rows(app) == []


def test_copying_answers_reaches_only_ones_own_children(parent, world, app, client):
    sem, emma, noah = world["sem"], world["emma"], world["noah"]
    parent.submit(f"/consent/{sem}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"})
    before = rows(app)
    for url in (
        f"/consent/{noah}/same-as/{sem}",
        f"/consent/{sem}/same-as/{noah}",
        f"/consent/{emma}/same-as/999999",
        f"/consent/999999/same-as/{sem}",
    ):
        assert parent.get(url).status_code == 404, url
        assert parent.submit(url, {"plan": "photo:website:grant", "confirm": "1"}).status_code == 404, url
    assert parent.get(f"/consent/{sem}/same-as/{sem}").status_code == 400  # a child's own answers
    # Without the CSRF token nothing is recorded either.
    assert (
        parent.post(f"/consent/{emma}/same-as/{sem}", data={"plan": "photo:website:grant", "confirm": "1"}).status_code
        == 400
    )
    assert rows(app) == before


# -- Withdraw everything / say no to everything: confirmation first ----------------------------------


def test_withdraw_everything_shows_what_changes_and_what_is_removed_before_it_happens(parent, world, app):
    sem = world["sem"]
    url = f"/consent/{sem}"
    for purpose in ("website", "newsletter"):
        parent.submit(f"{url}/decide", {"media_type": "photo", "purpose": purpose, "decision": "grant"})
    publish(app, sem, "photo", "website")
    publish(app, sem, "film", "website")  # films were never granted: nothing more to take down there
    before = rows(app)

    overview = parent.get(url).get_data(as_text=True)
    assert f'href="{url}/all?decision=withdraw_all"' in overview
    for response in (
        parent.get(f"{url}/all?decision=withdraw_all"),
        parent.submit(f"{url}/all", {"decision": "withdraw_all"}),  # the old button: no confirm, so the list
    ):
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert changes(page) == {"photo-website": "withdraw", "photo-newsletter": "withdraw"}
        assert "ja &rarr;" in page and "ingetrokken" in page
        removals = page[page.index('id="removals"') :]
        assert "Website, 2 oktober 2026" in removals
        assert rows(app) == before and takedowns(app) == 0

    response = parent.confirm(f"{url}/all", decision="withdraw_all")
    assert response.status_code == 302
    me = parent_account(app)
    assert sorted(rows(app)[len(before) :]) == sorted(
        [("photo", "newsletter", "withdraw", "web", me), ("photo", "website", "withdraw", "web", me)]
    )
    assert takedowns(app) == 1  # the photo on the website; nothing was decided about films
    page = parent.get(url).get_data(as_text=True)
    assert "Opgeslagen: 2 keuzes gewijzigd in nee." in page


def test_the_removals_listed_are_the_ones_the_confirm_opens(parent, world, app):
    sem = world["sem"]
    url = f"/consent/{sem}"
    parent.submit(f"{url}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"})
    parent.submit(f"{url}/decide", {"media_type": "film", "purpose": "newsletter", "decision": "grant"})
    publish(app, sem, "photo", "website")
    publish(app, sem, "audio", "website")
    page = parent.get(f"{url}/all?decision=refuse_all").get_data(as_text=True)
    listed = re.findall(r"<li>([^<]+)</li>", page[page.index('id="removals"') :])
    assert parent.confirm(f"{url}/all", decision="refuse_all").status_code == 302
    with app.app_context():
        opened = db.session.scalar(select(func.count(Takedown.id)))
    assert len(listed) == opened == 2


def test_say_no_to_everything_lists_open_questions_becoming_no(parent, world, app):
    sem = world["sem"]
    url = f"/consent/{sem}"
    parent.submit(f"{url}/decide", {"media_type": "audio", "purpose": "press", "decision": "grant"})
    parent.submit(f"{url}/decide", {"media_type": "audio", "purpose": "website", "decision": "refuse"})
    page = parent.get(f"{url}/all?decision=refuse_all").get_data(as_text=True)
    listed = changes(page)
    assert listed.pop("audio-press") == "withdraw"
    assert "audio-website" not in listed  # already no
    assert set(listed.values()) == {"refuse"} and len(listed) == len(MEDIA) * len(FORM_PURPOSES) - 2
    assert "niet beantwoord" in page
    assert "Er hoeft niets wat gepubliceerd is verwijderd te worden." in page
    assert len(rows(app)) == 2


def test_withdraw_everything_with_nothing_granted_says_so(parent, world, app):
    url = f"/consent/{world['sem']}"
    page = parent.get(f"{url}/all?decision=withdraw_all")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "er is geen toestemming om in te trekken" in text and 'id="confirm"' not in text
    assert parent.submit(f"{url}/all", {"decision": "withdraw_all", "plan": "", "confirm": "1"}).status_code == 409
    assert rows(app) == []


def test_withdraw_everything_sent_twice_records_nothing_twice(parent, world, app):
    url = f"/consent/{world['sem']}"
    parent.submit(f"{url}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"})
    page = parent.get(f"{url}/all?decision=withdraw_all").get_data(as_text=True)
    plan = re.search(r'name="plan" value="([^"]*)"', page).group(1)
    data = {"decision": "withdraw_all", "plan": plan, "confirm": "1"}
    assert parent.submit(f"{url}/all", data).status_code == 302
    stored = rows(app)
    assert parent.submit(f"{url}/all", data).status_code == 409
    assert rows(app) == stored and len(stored) == 2


@pytest.mark.parametrize("decision", ["", "everything", "grant_all"])
def test_withdraw_everything_knows_only_its_two_answers(parent, world, app, decision):
    assert parent.get(f"/consent/{world['sem']}/all?decision={decision}").status_code == 400
    assert parent.submit(f"/consent/{world['sem']}/all", {"decision": decision, "confirm": "1"}).status_code == 400
    assert rows(app) == []


def test_withdraw_everything_reaches_only_ones_own_children_and_needs_the_csrf_token(parent, world, app):
    url = f"/consent/{world['sem']}"
    parent.submit(f"{url}/decide", {"media_type": "photo", "purpose": "website", "decision": "grant"})
    before = rows(app)
    noah = f"/consent/{world['noah']}/all"
    assert parent.get(f"{noah}?decision=withdraw_all").status_code == 404
    assert parent.submit(noah, {"decision": "withdraw_all", "confirm": "1"}).status_code == 404
    data = {"decision": "withdraw_all", "plan": "photo:website:withdraw", "confirm": "1"}
    assert parent.post(f"{url}/all", data=data).status_code == 400
    assert rows(app) == before

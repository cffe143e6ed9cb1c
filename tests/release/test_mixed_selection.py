"""Issue 14, part 5: communications on a mixed selection. A refusal offers to export only the
cleared items (through the same gate), items are named by album, date and number, and the library
says why an item is blocked; all through the pages a person uses."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from babel.dates import format_date
from sqlalchemy import event, func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.media.models import MediaItem
from app.release.models import Export
from tests.release.helpers import Release

CHANNEL = "newsletter"


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


class _Form(HTMLParser):
    """The fields of one form of a page (by id), as a browser would send them."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.action = form_id, False, None
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and values.get("id") == self.form_id:
            self.inside, self.action = True, values.get("action")
        elif self.inside and tag == "input" and values.get("name"):
            self.fields.append((values["name"], values.get("value", "")))
        elif self.inside and tag == "textarea":
            self._textarea = values["name"]
            self.fields.append((self._textarea, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.fields.pop()
            self.fields.append((name, text + data))

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        if tag == "form":
            self.inside = False


def form_of(page: str, form_id: str) -> tuple[str, dict[str, list[str]]]:
    parser = _Form(form_id)
    parser.feed(page)
    assert parser.action, f"no form #{form_id} on the page"
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return parser.action, fields


def name_of(app: Any, item_id: int, number: int) -> str:
    """What staff see for the item: its album, the album's date in Dutch and its number there."""
    with app.app_context():
        item = db.session.get_one(MediaItem, item_id)
        return f"{item.album.title} · {format_date(item.album.taken_on, 'medium', locale='nl')} · nr. {number}"


def export_rows(app: Any) -> list[tuple[int, list[int], str | None]]:
    with app.app_context():
        return [
            (e.id, [entry.media_id for entry in e.items], e.caption)
            for e in db.session.scalars(select(Export).order_by(Export.id))
        ]


@pytest.fixture
def mixed(release, world):
    """Three items in one album: Sem's and Noah's photos cleared for the newsletter, and between them
    a photo of a classmate whose family never answered (blocked)."""
    first = release.upload(release.photo_of_two((10, 120, 30)))
    release.tag(first, [world["sem"]], complete=True)
    blocked = release.upload(release.photo_of_two((1, 2, 3)))
    with release.app.app_context():
        from app.school.models import Group

        classmate = next(
            p.id for p in db.session.get_one(Group, world["5b"]).pupils if p.id not in (world["sem"], world["noah"])
        )
    release.tag(blocked, [classmate], complete=True)
    second = release.upload(release.photo_of_two((90, 30, 160)))
    release.tag(second, [world["noah"]], complete=True)
    release.decide("sem", "photo", CHANNEL, "grant")
    release.decide("noah", "photo", CHANNEL, "grant")
    return first, blocked, second


def test_a_refusal_offers_the_cleared_items_and_exports_exactly_those(release, mixed, client, login_as, app):
    first, blocked, second = mixed
    login_as("comms")
    chosen = {"media_id": [first, blocked, second], "channel": CHANNEL, "caption": "Op schoolreis\r\nDag 1"}
    refused = client.submit("/release/export", chosen)
    assert refused.status_code == 409, re.findall(r'id="export-error">([^<]*)', refused.get_data(as_text=True))
    page = refused.get_data(as_text=True)
    assert export_rows(app) == []
    # The blocked item is named by album, date and number (the second of the album), with its reason.
    entry = re.search(rf'<li[^>]*id="blocked-{blocked}".*?</li>\s*</ul>', page, re.S)
    assert entry and name_of(app, blocked, 2) in entry.group(0) and "nooit beslist" in entry.group(0)
    assert f'id="blocked-{first}"' not in page and f'id="blocked-{second}"' not in page
    assert "Item " not in page
    assert "Alleen de vrijgegeven items exporteren (2 van 3)" in page
    action, fields = form_of(page, "partial-export")
    assert action == "/release/export"
    assert fields["media_id"] == [str(first), str(second)] and fields["channel"] == [CHANNEL]
    assert [c.replace("\r\n", "\n") for c in fields["caption"]] == ["Op schoolreis\nDag 1"]
    assert "blurred" not in fields
    assert name_of(app, first, 1) in page and name_of(app, second, 3) in page  # what would go out

    released = client.post(action, data=fields)
    assert released.status_code == 302, released.get_data(as_text=True)[:2000]
    [(export_id, items, caption)] = export_rows(app)
    assert items == [first, second] and caption == "Op schoolreis\nDag 1"
    assert released.headers["Location"].endswith(f"/release/exports/{export_id}")
    with app.app_context():
        export = db.session.get_one(Export, export_id)
        evidence = {entry.media_id: entry.evidence["decisions"] for entry in export.items}
        assert set(evidence[first]) == {str(release.world["sem"])} and evidence[first][str(release.world["sem"])]
        assert set(evidence[second]) == {str(release.world["noah"])}
        exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "release.exported")).one()
        assert exported.details["media_ids"] == [first, second]
        refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "release.export_refused")).all()
        assert [r.details["media_ids"] for r in refusals] == [[first, blocked, second]]
    # The export page names its items the same way.
    export_page = client.get(released.headers["Location"]).get_data(as_text=True)
    assert name_of(app, first, 1) in export_page and name_of(app, second, 3) in export_page


def test_an_item_blocked_since_the_refusal_refuses_the_partial_export_again(release, mixed, client, login_as, app):
    first, blocked, second = mixed
    login_as("comms")
    page = client.submit("/release/export", {"media_id": [first, blocked, second], "channel": CHANNEL})
    action, fields = form_of(page.get_data(as_text=True), "partial-export")
    release.decide("noah", "photo", "newsletter", "withdraw")  # between the refusal and the click

    again = client.post(action, data=fields)
    assert again.status_code == 409
    page = again.get_data(as_text=True)
    assert export_rows(app) == []
    entry = re.search(rf'<li[^>]*id="blocked-{second}".*?</li>\s*</ul>', page, re.S)
    assert entry and name_of(app, second, 3) in entry.group(0) and "ingetrokken door een ouder" in entry.group(0)
    # Sem's photo is still offered, alone: 1 of the 2 now chosen.
    assert "Alleen de vrijgegeven items exporteren (1 van 2)" in page
    assert form_of(page, "partial-export")[1]["media_id"] == [str(first)]


def test_no_offer_when_no_chosen_item_is_cleared(release, mixed, client, login_as, app):
    _first, blocked, _second = mixed
    login_as("comms")
    response = client.submit("/release/export", {"media_id": [blocked], "channel": CHANNEL})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'id="partial-export"' not in page and "vrijgegeven items exporteren" not in page
    assert 'id="none-cleared"' in page and "Geen van de gekozen items mag nu naar" in page


def test_no_offer_when_the_text_of_the_post_names_a_pupil(release, mixed, client, login_as, app):
    first, blocked, second = mixed
    login_as("comms")
    response = client.submit(
        "/release/export", {"media_id": [first, blocked, second], "channel": CHANNEL, "caption": "Sem de Vries op kamp"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'id="partial-export"' not in page and "vrijgegeven items exporteren (" not in page
    assert 'id="partial-refused"' in page and "De tekst bij het bericht noemt een leerling" in page
    # Also with only cleared items: the caption alone refuses, and nothing is offered.
    response = client.submit(
        "/release/export", {"media_id": [first, second], "channel": CHANNEL, "caption": "Sem de Vries op kamp"}
    )
    assert response.status_code == 409 and 'id="partial-export"' not in response.get_data(as_text=True)
    assert export_rows(app) == []


@pytest.mark.parametrize(
    ("extra", "status"),
    [(["abc"], 400), (["999999"], 404), (["-1"], 400), ([""], 400)],
)
def test_bogus_or_unknown_ids_in_a_partial_export_are_refused(release, mixed, client, login_as, app, extra, status):
    first, _blocked, second = mixed
    login_as("comms")
    response = client.submit("/release/export", {"media_id": [first, second, *extra], "channel": CHANNEL})
    assert response.status_code == status
    assert 'id="export-error"' in response.get_data(as_text=True)
    assert export_rows(app) == []


def test_the_offer_is_no_way_in_for_a_parent_or_a_teacher(release, mixed, client, login_as, app):
    """The offered form posts to the same export route: only communications (and administrators)
    may use it; a parent or a teacher replaying it releases nothing."""
    first, blocked, second = mixed
    login_as("comms")
    page = client.submit("/release/export", {"media_id": [first, blocked, second], "channel": CHANNEL})
    action, fields = form_of(page.get_data(as_text=True), "partial-export")
    client.submit("/sign-out")
    for who in ("parent", "teacher"):
        login_as(who)
        response = client.submit(action, {"media_id": fields["media_id"], "channel": CHANNEL})
        assert response.status_code in (403, 404), who
        client.submit("/sign-out")
    assert export_rows(app) == []


def test_items_are_named_by_album_date_and_number_without_pupils(release, mixed, client, login_as, app, world):
    first, blocked, second = mixed
    login_as("comms")
    library = client.get("/media/").get_data(as_text=True)
    for item, number in ((first, 1), (blocked, 2), (second, 3)):
        name = name_of(app, item, number)
        assert f'aria-label="Kies {name}"' in library
        assert f'alt="{name}"' in library
    labels = re.findall(r'aria-label="Kies ([^"]*)"', library)
    assert labels and not any("Sem" in label or "Noah" in label for label in labels)
    item_page = client.get(f"/media/{blocked}").get_data(as_text=True)
    assert f"<title>{name_of(app, blocked, 2)}" in item_page


def _tile(page: str, item_id: int) -> str:
    match = re.search(
        rf'<div class="col-4[^"]*" id="tile-{item_id}">.*?(?=<div class="col-4|</div>\s*<nav|\Z)', page, re.S
    )
    assert match, f"no tile for item {item_id}"
    return match.group(0)


def test_the_library_says_why_an_item_is_blocked(release, mixed, client, login_as, app, world):
    first, blocked, second = mixed
    release.decide("sem", "photo", "newsletter", "withdraw")
    untagged = release.upload(release.photo_of_two((200, 10, 10)))
    login_as("comms")
    page = client.get("/media/").get_data(as_text=True)

    withdrawn = _tile(page, first)
    summary = re.search(r"<summary>(.*?)</summary>", withdrawn, re.S).group(1)
    assert "toestemming ingetrokken" in summary  # short, visible without opening
    reasons = re.findall(r'<li data-code="(\w+)"><span class="fw-semibold">([^<]*):</span> ([^<]*)</li>', withdrawn)
    newsletter = [r for r in reasons if "Nieuwsbrief" in r[1]]
    assert newsletter and newsletter[0][0] == "no_consent"
    assert "Sem de Vries (groep 5b)" in newsletter[0][2] and "ingetrokken door een ouder op" in newsletter[0][2]

    never = _tile(page, blocked)
    assert "geen toestemming" in re.search(r"<summary>(.*?)</summary>", never, re.S).group(1)
    assert "nooit beslist" in never

    tags = _tile(page, untagged)
    assert "tags onvolledig" in re.search(r"<summary>(.*?)</summary>", tags, re.S).group(1)

    # Noah's photo is cleared for the newsletter: a badge, and no reason for that channel.
    cleared = _tile(page, second)
    assert "✓ Nieuwsbrief" in cleared
    assert not [r for r in re.findall(r"<span class=\"fw-semibold\">([^<]*):</span>", cleared) if "Nieuwsbrief" in r]

    # Filtered on the newsletter, only what is cleared for it is listed, without reasons for it.
    filtered = client.get(f"/media/?cleared={CHANNEL}").get_data(as_text=True)
    assert f'id="tile-{second}"' in filtered and f'id="tile-{first}"' not in filtered
    assert "<summary>" not in _tile(filtered, second)


def _statements(app: Any, client: Any, url: str) -> int:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_library_costs_the_same_statements_for_more_items(release, mixed, client, login_as, app, world):
    """Names and reasons are computed for the page at once: more items, no more statements."""
    login_as("comms")
    client.get("/media/")
    few = _statements(app, client, "/media/")
    for n in range(4):
        item = release.upload(release.photo_of_two((n * 40, 200, 9)))
        release.tag(item, [world["noah"], world["sem"]], complete=n % 2 == 0)
    release.decide("sem", "photo", "newsletter", "withdraw")
    more = _statements(app, client, "/media/")
    with app.app_context():
        assert db.session.scalar(select(func.count(MediaItem.id))) == 7
    assert more == few


def test_the_offer_keeps_the_blurred_choice(release, mixed, client, login_as, app):
    first, blocked, second = mixed
    before, app.config["BLURRED_EXPORTS"] = app.config["BLURRED_EXPORTS"], True
    try:
        login_as("comms")
        chosen = {"media_id": [first, blocked, second], "channel": CHANNEL, "blurred": "1"}
        page = client.submit("/release/export", chosen).get_data(as_text=True)
        action, fields = form_of(page, "partial-export")  # the classmate has no box to blur: still blocked
        assert fields["blurred"] == ["1"] and fields["media_id"] == [str(first), str(second)]
        assert client.post(action, data=fields).status_code == 302
    finally:
        app.config["BLURRED_EXPORTS"] = before
    with app.app_context():
        [export] = db.session.scalars(select(Export)).all()
        assert export.blurred and [entry.media_id for entry in export.items] == [first, second]

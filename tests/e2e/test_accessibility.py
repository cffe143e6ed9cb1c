"""Issue 14: every page of every role passes axe-core (no serious or critical violation) at a
phone's 390 x 844 and a desktop's 1280 x 900, has one <h1>, a skip link, focus rings that show,
scrolling regions the keyboard reaches; and the consent form is answered with the keyboard alone.

The pages come from ``app.url_map``: every GET route is crawled (with ids of objects made here) or
listed in ``EXCLUDED`` with the reason it is not a page (a file, JSON, a redirect), and a test
fails for a route that is neither, so a new page cannot escape the check. The crawl runs on an app
of its own (``running_app``): the other browser stories change the shared one. With
``BEELDRECHT_AXE_REPORT=path`` the crawl writes its counts of violating elements per page, role,
width and impact there (a Markdown table), for the issue's closing note; ``AXE_DEBUG=1`` prints
every finding, the minor ones too.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.axe import IMPACTS, axe_context, axe_results, counts, describe, start_axe
from tests.e2e.conftest import running_app
from tests.e2e.test_first_visit import sign_in

pytestmark = pytest.mark.browser

WIDTHS = ((390, 844), (1280, 900))
ACCOUNTS = {
    "admin": "admin@example.org",
    "communications": "comms@example.org",
    "leadership": "leader@example.org",
    "teacher": "teacher@example.org",
    "parent": "parent@example.org",
    "pupil": "pupil@example.org",  # 17, decides alone
    "signed_out": None,
}
# GET routes that are not HTML pages, each with why; every other GET route is crawled.
EXCLUDED = {
    "/static/<path:filename>": "static files",
    "/bootstrap/static/<path:filename>": "Bootstrap's static files",
    "/favicon.ico": "the icon",
    "/healthz": "plain-text health check",
    "/": "a redirect to the home page or the sign-in page",
    "/api/v1/openapi.json": "JSON (the API's description)",
    "/consent/our-data.json": "JSON download (the page /consent/our-data shows the same)",
    "/consent/campaigns/<int:campaign_id>/export.csv": "CSV download",
    "/consent/paper-forms": "PDF of the pre-filled paper forms (needs ?group_id= or ?person_id=)",
    "/consent/paper-returns/<int:paper_id>/scan": "the scan of a paper form (PDF or image)",
    "/media/outside-consents/<int:consent_id>/scan.jpg": "an image",
    "/media/<int:item_id>/<any(thumbnail, display):variant>.jpg": "an image",
    "/media/<int:item_id>/faces/<int:face_id>.jpg": "an image",
    "/media/family/<token>/thumbnail.jpg": "an image",
    "/media/<int:item_id>/playback": "the film or recording itself",
    "/media/<int:item_id>/people": "JSON (the tag picker's search)",
    "/media/<int:item_id>/status": "JSON (the processing progress the item page polls)",
    "/metrics": "Prometheus text behind a bearer token (404 without BEELDRECHT_METRICS_TOKEN)",
    "/release/exports/<int:export_id>/bundle.zip": "the export's ZIP file",
}
EXCLUDED_QUERY = {"/consent/paper-forms": "?person_id={sem}"}  # what the excluded route needs to answer
EXCLUDED_PREFIXES = {"/api/v1/": "the JSON API (bearer tokens, no pages)"}
# Pages about the signed-in person's own family (their child, or themself): staff open their own.
FAMILY_PAGES = {
    "consent.subject",
    "consent.answer_form",
    "consent.family_media_page",
    "consent.history",
    "consent.decide_all",
}
REPORT: dict[tuple[str, int, str], tuple[dict[str, int], str]] = {}


@dataclass(frozen=True)
class Visit:
    """One page to check: ``url`` to open, the route ``rules`` it stands for (a link that leads on
    to a page stands for both), the path it must land on and the status it must answer."""

    url: str
    rules: tuple[str, ...]
    lands_on: str | None = None
    status: int = 200
    label: str = ""  # in reports, for a URL with a secret in it

    @property
    def name(self) -> str:
        return self.label or self.url


def excluded(rule: str) -> str | None:
    return EXCLUDED.get(rule) or next(
        (why for prefix, why in EXCLUDED_PREFIXES.items() if rule.startswith(prefix)), None
    )


def get_rules(app: Any) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]


def fill(rule: Any, values: dict[str, Any]) -> str:
    missing = set(rule.arguments) - set(values)
    assert not missing, f"tests/e2e/test_accessibility.py needs a sample value for {missing} of {rule.rule}"
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def make_world(app: Any) -> dict[str, Any]:
    """The objects the pages show: a photo with a face (tagged), a film, a recording, an export
    with its publication and takedown, an open approval, a campaign, a paper form with its scan,
    someone from outside the school, a pupil of 17 with an account, and Sem's answered consent
    (Emma's is not answered: her page leads to the form)."""
    import skimage.data
    from PIL import Image
    from sqlalchemy import select

    from app.accounts.models import Role, User
    from app.accounts.tokens import TokenPurpose, issue_token
    from app.consent.models import Campaign, ConsentForm, PaperReturn
    from app.consent.operations import decide
    from app.consent.vocabulary import Audience, Means, MediaType
    from app.extensions import db
    from app.jobs.queue import enqueue
    from app.media.ingest import ingest_upload
    from app.media.models import Face, OutsideConsent
    from app.media.operations import TagSpec, set_tags
    from app.media.outsiders import add_outside_person, record_outside_consent
    from app.media.scans import store_scan
    from app.release.exports import EXPORT_BUNDLE
    from app.release.models import Approval, ApprovalKind, Channel, Export, ExportItem, Publication, Takedown
    from app.school.models import Group, Location, Person, SchoolYear
    from app.timestamps import school_today
    from tests.factories import AlbumFactory, GuardianshipFactory, PupilFactory, UserFactory
    from tests.media.samples import sound
    from tests.media.test_faces import astronaut_film

    def one(model: Any, *where: Any) -> Any:
        return db.session.scalars(select(model).where(*where).order_by(model.id)).first()

    with app.test_request_context(), app.app_context():
        admin = one(User, User.email == "admin@example.org")
        teacher = one(User, User.email == "teacher@example.org")
        g5b = one(Group, Group.name == "5b")
        sem = one(Person, Person.first_name == "Sem")
        emma = one(Person, Person.first_name == "Emma")
        noah = one(Person, Person.first_name == "Noah")
        karin = one(Person, Person.first_name == "Karin")
        lisa = PupilFactory(first_name="Lisa", last_name="Bakker", age=17, email="pupil@example.org", group=g5b)
        UserFactory(email="pupil@example.org", person=lisa, roles={Role.PUPIL})
        daan = PupilFactory(first_name="Daan", last_name="de Vries", age=9, group=g5b)  # answered by keyboard
        GuardianshipFactory(guardian=karin, pupil=daan)
        for media in ("photo", "film"):
            for purpose in ("website", "school_guide"):
                decide(sem, media, purpose, "grant", decided_by=karin, recorded_by=None, means=Means.WEB)
        decide(sem, "audio", "website", "refuse", decided_by=karin, recorded_by=None, means=Means.WEB)

        album = AlbumFactory(group=g5b, title="Sportdag", taken_on=date(2026, 10, 1))
        picture = io.BytesIO()
        Image.fromarray(skimage.data.astronaut()).save(picture, format="JPEG")
        picture.seek(0)
        photo = ingest_upload(picture, album=album, uploaded_by=teacher).item
        film = ingest_upload(io.BytesIO(astronaut_film()), album=album, uploaded_by=teacher).item
        recording = ingest_upload(io.BytesIO(sound()), album=album, uploaded_by=teacher).item
        db.session.commit()  # the film's and the recording's processing jobs run (eagerly) at the commit
        db.session.refresh(film)
        face = one(Face, Face.media_id == photo.id)
        assert face is not None, "the photo of the astronaut should have a detected face"
        # Sem and Noah on the photo (Noah has no consent: exporting it is refused).
        set_tags(photo, [TagSpec(sem.id, face_ids=(face.id,)), TagSpec(noah.id)], complete=True, by=teacher)
        film_faces = tuple(db.session.scalars(select(Face.id).where(Face.media_id == film.id)))
        set_tags(film, [TagSpec(sem.id, face_ids=film_faces)], complete=True, by=teacher)  # cleared: exported

        channel = one(Channel, Channel.key == "website")
        export = Export(channel_id=channel.id, bundle_token="cd" * 32)
        export.items.append(ExportItem(media_id=film.id, position=1, file_name="beeldrecht-1-1.mp4", evidence={}))
        db.session.add(export)
        db.session.flush()
        enqueue(EXPORT_BUNDLE, export.id)  # as an export with a film does: its job makes the channel's copy
        publication = Publication(
            export_id=export.id,
            media_id=film.id,
            channel_id=channel.id,
            url="https://example.org/sportdag",
            published_on=date(2026, 10, 2),
        )
        db.session.add(publication)
        db.session.flush()
        db.session.add(
            Takedown(publication_id=publication.id, url=publication.url, due_at=datetime(2026, 10, 4, tzinfo=UTC))
        )
        db.session.add(Approval(kind=ApprovalKind.TAGS, media_id=photo.id, change={"remove": []}, reason="Dubbel"))

        outsider = add_outside_person(photo, "Bezoeker", by=admin)
        scan = io.BytesIO()
        Image.new("RGB", (60, 80), (250, 250, 250)).save(scan, format="PNG")
        scan.seek(0)
        record_outside_consent(
            outsider, media_types=[MediaType.PHOTO], purposes=["website"], given_on=school_today(), by=admin, scan=scan
        )
        form = one(ConsentForm)
        campaign = Campaign(form=form, audience=Audience.FAMILIES, deadline=school_today() + timedelta(days=14))
        db.session.add(campaign)
        scan.seek(0)
        stored = store_scan(scan, pdf=True)
        paper = PaperReturn(
            subject_id=noah.id,
            form_id=form.id,
            signed_by_id=one(Person, Person.first_name == "Ahmed").id,
            signed_on=school_today(),
            recorded_by_id=admin.id,
            scan_key=stored.key,
            scan_mime=stored.mime,
        )
        db.session.add(paper)
        db.session.flush()
        invited = UserFactory(email="new.parent@example.org", roles={Role.PARENT}, password_hash=None)
        resetting = one(User, User.email == "parent2@example.org")
        world = {
            "people": {
                "sem": sem.id,
                "emma": emma.id,
                "lisa": lisa.id,
                "daan": daan.id,
                **{u.email: u.person_id for u in db.session.scalars(select(User))},
            },
            "group_id": g5b.id,
            "user_id": one(User, User.email == "parent@example.org").id,
            "location_id": one(Location).id,
            "year_id": one(SchoolYear).id,
            "form_id": form.id,
            "item_id": photo.id,
            "film_id": film.id,
            "recording_id": recording.id,
            "face_id": face.id,
            "variant": "thumbnail",
            "export_id": export.id,
            "channel_id": channel.id,
            "outsider_id": outsider.id,
            "consent_id": one(OutsideConsent).id,
            "campaign_id": campaign.id,
            "paper_id": paper.id,
            "token": issue_token(invited, TokenPurpose.INVITATION, timedelta(days=7)),
            "reset_token": issue_token(resetting, TokenPurpose.PASSWORD_RESET, timedelta(hours=1)),
            "filename": "app.css",
        }
        db.session.commit()
    return world


@pytest.fixture(scope="module")
def axe_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("axe")
    with running_app(folder) as app:
        app.config["MEDIA_ROOT"] = str(folder / "media")
        yield app, make_world(app)


def allowed(app: Any, rule: Any, role: str) -> bool:
    from app.access import ANONYMOUS, SIGNED_IN, rule_for

    who = {str(r) for r in rule_for(app, rule.endpoint) or ()}
    if role == "signed_out":
        return ANONYMOUS in who
    return ANONYMOUS not in who and (SIGNED_IN in who or role in who)


def plan(app: Any, world: dict[str, Any], role: str) -> list[Visit]:
    """Every page ``role`` reaches: each GET route the role may open that is no file or JSON, with
    ids of the world's objects, and the pages behind links (an invitation, a password reset)."""
    email = ACCOUNTS[role]
    own = world["people"].get(email) if email else None
    child = {"parent": world["people"]["sem"], "pupil": world["people"]["lisa"]}.get(role)
    visits = []
    for rule in sorted(get_rules(app), key=lambda r: r.rule):
        if excluded(rule.rule) or not allowed(app, rule, role):
            continue
        if rule.endpoint in ("accounts.open_invitation", "accounts.open_reset", "accounts.reset_password"):
            continue  # visited below through their links
        if rule.endpoint == "consent.copy_answers" and role != "parent":
            continue  # "same answers as for <child>" needs two children of one's own
        person = (child or own) if rule.endpoint in FAMILY_PAGES else (child or world["people"]["sem"])
        if rule.endpoint == "consent.copy_answers":  # Sem's answers (given) shown for Emma (none yet)
            url = fill(rule, {"person_id": world["people"]["emma"], "source_id": world["people"]["sem"]})
        else:
            url = fill(rule, {**world, "person_id": person})
        if rule.endpoint == "consent.subject":
            url += "?overview=1"  # the overview, also on a first visit (which leads to the form)
        if rule.endpoint == "consent.decide_all":
            url += "?decision=withdraw_all"  # the confirmation page of "withdraw everything"
        lands_on = "/invitation" if rule.endpoint == "accounts.accept_invitation" else None
        if rule.endpoint == "accounts.accept_invitation":
            url = f"/invitation/{world['token']}"  # the link from the mail stores the token, then shows the page
        label = "/invitation/<token> (accepting)" if lands_on else ""
        visits.append(Visit(url, (rule.rule,), lands_on=lands_on, label=label))
    if role == "signed_out":
        visits += [
            Visit(
                f"/password/reset/{world['reset_token']}",
                ("/password/reset/<token>", "/password/reset"),
                "/password/reset",
            ),
            Visit(
                "/invitation/not-a-real-token", ("/invitation/<token>",), status=404, label="/invitation/<bad token>"
            ),
            Visit("/no-such-page", (), status=404),
        ]
    if role in ("admin", "communications", "leadership", "teacher"):
        visits += [Visit(f"/media/{world['film_id']}", ()), Visit(f"/media/{world['recording_id']}", ())]
    if role == "parent":
        visits.append(
            Visit(f"/consent/{world['people']['emma']}", (), lands_on=f"/consent/{world['people']['emma']}/form")
        )
    return visits


def test_every_html_page_is_crawled_or_excluded_with_a_reason(axe_app):
    app, world = axe_app
    covered = {rule for role in ACCOUNTS for visit in plan(app, world, role) for rule in visit.rules}
    rules = {rule.rule for rule in get_rules(app)}
    forgotten = sorted(rule for rule in rules - covered if not excluded(rule))
    assert forgotten == [], f"pages no role's crawl opens: add them to the crawl, or to EXCLUDED with why: {forgotten}"
    assert sorted(rule for rule in covered if excluded(rule)) == []
    assert sorted(set(EXCLUDED) - rules) == [], "EXCLUDED names routes that no longer exist"


def test_the_excluded_routes_are_no_html_pages(axe_app, browser):
    """What EXCLUDED says holds: as the administrator, none of those routes answers a page (an
    error page for a sample without its token, such as the API's 401, is the error page)."""
    app, world = axe_app
    samples = {
        **world,
        "person_id": world["people"]["sem"],
    }
    context = browser.new_context(base_url=app.config["BASE_URL"])
    page = context.new_page()
    sign_in(page, ACCOUNTS["admin"])
    pages, failed = [], []
    for rule in get_rules(app):
        if not excluded(rule.rule):
            continue
        filename = "css/bootstrap.min.css" if rule.endpoint == "bootstrap.static" else "app.css"
        item = world["recording_id"] if rule.endpoint == "media.playback" else world["item_id"]
        url = fill(rule, {**samples, "filename": filename, "item_id": item})
        url += EXCLUDED_QUERY.get(rule.rule, "").format(sem=world["people"]["sem"])
        response = page.request.get(url, max_redirects=0)
        refused_here = {"media.family_thumbnail", "core.metrics"}  # another parent's token; no metrics token set
        if rule.rule in EXCLUDED and response.status >= 400 and rule.endpoint not in refused_here:
            failed.append(f"{rule.rule}: {response.status}")
        if "text/html" in response.headers.get("content-type", "") and response.status < 300:
            pages.append(f"{rule.rule}: {response.status} {response.headers.get('content-type')}")
    context.close()
    assert pages == []
    # The samples reach the real thing, not an error page (a family thumbnail's token is made for
    # one parent's page: the administrator's is refused).
    assert failed == [], "\n".join(failed)


def write_report() -> None:
    target = os.environ.get("BEELDRECHT_AXE_REPORT")
    if not target:
        return
    lines = [
        f"axe-core results per page: violating elements by impact ({', '.join(reversed(IMPACTS))})",
        "",
        "| role | width | page | critical | serious | moderate | minor | rules |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (role, width, url), (n, rules) in sorted(REPORT.items()):
        lines.append(
            f"| {role} | {width} | {url} | {n['critical']} | {n['serious']} | {n['moderate']} | {n['minor']} | {rules} |"
        )
    Path(target).write_text("\n".join(lines) + "\n", encoding="utf-8")


PAGE_FACTS = """() => ({
    headings: document.querySelectorAll('h1').length,
    skip: document.querySelectorAll("a.skip-link[href='#main']").length === 1 && !!document.getElementById('main'),
    wide: document.documentElement.scrollWidth,
})"""


def look(page: Any, label: str, width: int, problems: list[str]) -> None:
    """What needs no axe: exactly one <h1>, the skip link to the main content, nothing wider than
    the window (a page that scrolls sideways, such as the administrator's menu did); then start axe."""
    facts = page.evaluate(PAGE_FACTS)
    if facts["wide"] > width:
        problems.append(f"{label} at {width} px: {facts['wide']} px wide, it scrolls sideways")
    if facts["headings"] != 1:
        problems.append(f"{label} at {width} px: {facts['headings']} <h1> elements, not 1")
    if not facts["skip"]:
        problems.append(f"{label} at {width} px: no skip link to #main")
    start_axe(page)


def tally(page: Any, role: str, width: int, label: str, problems: list[str]) -> None:
    """axe's answer for the page: its counts for the report, and any serious or critical violation."""
    found = axe_results(page, impacts=IMPACTS)
    REPORT[(role, width, label)] = (counts(found), " ".join(f"{v['id']}:{len(v.get('nodes', []))}" for v in found))
    if found and os.environ.get("AXE_DEBUG"):
        print(label, width, describe(found))
    bad = [violation for violation in found if violation.get("impact") in ("serious", "critical")]
    if bad:
        problems.append(f"{label} at {width} px:\n{describe(bad)}")


def refused_export(page: Any, world: dict[str, Any]) -> None:
    """The refusal page: the photo (Noah has no consent) exported from the library to the website."""
    page.goto("/media/")
    page.check(f"input.tile-pick[value='{world['item_id']}']")
    page.select_option("#export-channel", "website")
    page.click("#export-button")
    page.locator("#blockers").wait_for()


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_page_of_the_role_has_no_serious_axe_violation(axe_app, browser, role):
    """Each page at both widths at once (a context per width, signed in once): open it in both,
    start axe in both, then read both answers."""
    app, world = axe_app
    visits = plan(app, world, role)
    problems: list[str] = []
    windows = []
    for width, height in WIDTHS:
        context = axe_context(browser, app.config["BASE_URL"], width, height)
        page = context.new_page()
        if ACCOUNTS[role]:
            sign_in(page, ACCOUNTS[role])
            assert urlsplit(page.url).path != "/sign-in", f"{role} could not sign in"
        windows.append((width, context, page))
    for visit in visits:
        opened = []
        for width, _context, page in windows:
            response = page.goto(visit.url)
            assert response is not None
            path = urlsplit(page.url).path
            if response.status != visit.status or (visit.lands_on and path != visit.lands_on):
                problems.append(
                    f"{visit.name} as {role} at {width} px: {response.status} at {path}, not {visit.status}"
                )
                continue
            assert "text/html" in response.headers.get("content-type", ""), visit.name
            look(page, visit.name, width, problems)
            opened.append((width, page))
        for width, page in opened:
            tally(page, role, width, visit.name, problems)
    if role == "communications":
        label = "refused export (POST /release/export)"
        for width, _context, page in windows:
            refused_export(page, world)
            look(page, label, width, problems)
        for width, _context, page in windows:
            tally(page, role, width, label, problems)
    for _width, context, _page in windows:
        context.close()
    write_report()
    assert problems == [], f"{len(problems)} problems on {role}'s pages:\n" + "\n".join(problems)


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two CSS colours given as rgb()/rgba() (alpha ignored: opaque here)."""

    def luminance(colour: str) -> float:
        red, green, blue = (int(part) / 255 for part in re.findall(r"[\d.]+", colour)[:3])
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


FOCUS_RING = """() => {
    const element = document.activeElement, style = getComputedStyle(element);
    // The ring is drawn outside the control (outline-offset): what lies behind it is the parents'.
    let behind = element.parentElement, background = 'rgba(0, 0, 0, 0)';
    while (behind && /rgba\\(.*, 0\\)$|transparent/.test(background)) {
        background = getComputedStyle(behind).backgroundColor;
        behind = behind.parentElement;
    }
    if (/rgba\\(.*, 0\\)$|transparent/.test(background)) background = 'rgb(255, 255, 255)';
    return {tag: element.tagName, type: element.type || '', color: style.outlineColor, width: parseFloat(style.outlineWidth),
            style: style.outlineStyle, offset: parseFloat(style.outlineOffset), background: background};
}"""


def tab_to(page: Any, selector: str, tries: int = 80) -> int:
    """Press Tab until ``selector`` has the focus; how many presses it took (fails after ``tries``)."""
    for presses in range(1, tries + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"Tab never reached {selector} in {tries} presses")


def window(browser: Any, app: Any, width: int = 390, height: int = 844) -> Any:
    """A normal context (the CSP is kept) on the crawl's app."""
    return browser.new_context(viewport={"width": width, "height": height}, base_url=app.config["BASE_URL"])


def test_skip_link_is_the_first_stop_shows_and_leads_to_the_content(axe_app, browser):
    app, _world = axe_app
    context = window(browser, app)
    page = context.new_page()
    sign_in(page, ACCOUNTS["teacher"])
    page.goto("/groups")
    page.keyboard.press("Tab")
    link = page.locator("a.skip-link")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    assert link.inner_text() == "Naar de inhoud"
    box = link.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 10 and box["y"] >= 0  # visible once focused
    page.keyboard.press("Enter")
    assert urlsplit(page.url).fragment == "main"
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # on into the page's own content, past the menu
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")
    context.close()


@pytest.mark.parametrize("target", ["input[type=radio]", "main button[type=submit]", "main a[href]"])
def test_the_focus_ring_shows_against_its_background(axe_app, browser, target):
    """Focus by keyboard: a solid outline of at least 2 px whose colour has 3:1 or more against the
    background behind the control (the radio buttons' ring was Bootstrap's faint glow)."""
    app, world = axe_app
    context = window(browser, app)
    page = context.new_page()
    sign_in(page, ACCOUNTS["parent"])
    page.goto(f"/consent/{world['people']['emma']}/form")
    tab_to(page, target)
    ring = page.evaluate(FOCUS_RING)
    context.close()
    assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2 and ring["offset"] >= 0, ring
    assert contrast(ring["color"], ring["background"]) >= 3, ring


def test_the_focus_ring_shows_on_the_menu_bar(axe_app, browser):
    app, _world = axe_app
    context = window(browser, app, 1280, 900)
    page = context.new_page()
    sign_in(page, ACCOUNTS["teacher"])
    tab_to(page, "nav .nav-link")
    ring = page.evaluate(FOCUS_RING)
    context.close()
    assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2, ring
    assert contrast(ring["color"], ring["background"]) >= 3, ring


def test_the_group_overview_table_scrolls_by_keyboard(axe_app, browser):
    """The wide consent table of a group: a named region that Tab reaches and the arrow keys scroll."""
    app, world = axe_app
    context = window(browser, app, 800, 900)
    page = context.new_page()
    sign_in(page, ACCOUNTS["teacher"])
    page.goto(f"/consent/groups/{world['group_id']}")
    region = page.locator(".table-responsive:has(#overview)")
    assert region.get_attribute("role") == "region"
    assert "5b" in (region.get_attribute("aria-label") or "")
    assert region.evaluate("r => r.scrollWidth > r.clientWidth"), "the table should be wider than 800 px"
    tab_to(page, ".table-responsive:has(#overview)")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    page.wait_for_function("() => document.querySelector('.table-responsive:has(#overview)').scrollLeft > 0")
    context.close()


def test_every_scrolling_table_is_a_named_region_the_keyboard_reaches():
    """Each template's .table-responsive wrapper (a wide table scrolls sideways on a phone) has
    tabindex=0, role=region and a name, so the crawl's axe check holds also for tables wider than
    the test data makes them."""
    templates = Path(__file__).parents[2] / "app" / "templates"
    missing = []
    for path in sorted(templates.rglob("*.html")):
        for tag in re.findall(r"<div[^>]*class=\"[^\"]*table-responsive[^>]*>", path.read_text(encoding="utf-8")):
            named = "scroll_region(" in tag or (
                'tabindex="0"' in tag and 'role="region"' in tag and "aria-label" in tag
            )
            if not named:
                missing.append(f"{path.relative_to(templates)}: {tag}")
    assert missing == []


def test_the_consent_form_is_answered_with_the_keyboard_alone(axe_app, browser):
    """A parent answers the guided form with Tab, Space and the arrow keys only, and sends it with Enter."""
    from sqlalchemy import select

    from app.consent.models import Decision
    from app.extensions import db

    app, world = axe_app
    daan = world["people"]["daan"]
    context = window(browser, app)
    page = context.new_page()
    sign_in(page, ACCOUNTS["parent"])
    page.goto(f"/consent/{daan}")
    assert urlsplit(page.url).path == f"/consent/{daan}/form"
    groups = page.locator("main form input[type=radio]").evaluate_all("rs => [...new Set(rs.map(r => r.name))]")
    assert len(groups) >= 3
    first_group, arrowed = groups[0], False

    def unanswered() -> list[str]:
        return list(
            page.evaluate(
                "names => names.filter(n => !document.querySelector(`main form input[name='${n}']:checked`))", groups
            )
        )

    for _ in range(len(groups) * 4 + 40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => ({type: document.activeElement.type, name: document.activeElement.name,"
            " answers: !!(document.activeElement.form && document.activeElement.form.querySelector('[type=radio]'))})"
        )
        if focused["type"] == "radio":
            page.keyboard.press("Space")  # the first choice of the question (yes)
            if focused["name"] == first_group and not arrowed:
                page.keyboard.press("ArrowRight")  # the next choice (no), as the arrow keys do in a radio group
                arrowed = True
        elif focused["type"] == "submit" and focused["answers"] and not unanswered():
            break  # the button that sends the answers, once every question has one
    else:
        raise AssertionError(f"Tab never reached the form's submit button with everything answered: {unanswered()}")
    assert arrowed
    page.keyboard.press("Enter")
    page.locator(".alert-success").wait_for()
    context.close()
    with app.app_context():
        decisions = db.session.scalars(select(Decision).where(Decision.subject_id == daan)).all()
        assert len(decisions) == len(groups)
        first_media, first_purpose = first_group.split("__")
        choices = {(str(d.media_type.value), d.purpose): str(d.action.value) for d in decisions}
        assert choices[(first_media, first_purpose)] == "refuse"
        assert sorted(set(choices.values())) == ["grant", "refuse"]

"""Every route x every role: the route policy holds everywhere, and foreign objects are 404.

The matrix is built from ``app.url_map`` and each view's declared rule, so a new route is
checked the moment it exists; a route without a rule fails ``test_every_route_has_a_rule``.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from flask import Flask

from app.access import ANONYMOUS, SIGNED_IN, rule_for
from app.accounts.models import Role
from tests.conftest import Client
from tests.factories import PASSWORD

ROLES = {
    "anonymous": None,
    "parent": Role.PARENT,
    "teacher": Role.TEACHER,
    "comms": Role.COMMUNICATIONS,
    "leader": Role.LEADERSHIP,
    "admin": Role.ADMIN,
    "pupil": Role.PUPIL,
}
CELLS: Counter[str] = Counter()


def sample_values(world: dict, app: Flask, who: str) -> dict[str, object]:
    """A value for every URL parameter: objects the role may open (its own person record)."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.consent.models import Campaign, ConsentForm, PaperReturn
    from app.extensions import db
    from app.jobs.models import Job
    from app.media.models import Face, MediaItem, OutsideConsent, OutsidePerson
    from app.release.models import Approval, Channel, Export, Takedown
    from app.school.models import Guardianship, Location, SchoolYear

    with app.app_context():
        own = db.session.scalar(select(User.person_id).where(User.email == f"{who}@example.org"))
        return {
            "person_id": own or world["sem"],
            "source_id": own or world["sem"],
            "group_id": world["5b"],
            "user_id": db.session.scalar(select(User.id).where(User.email == "parent@example.org")),
            "location_id": db.session.scalar(select(Location.id).limit(1)),
            "year_id": db.session.scalar(select(SchoolYear.id).limit(1)),
            "school_year_id": db.session.scalar(select(SchoolYear.id).limit(1)),
            "guardianship_id": db.session.scalar(
                select(Guardianship.id).where(Guardianship.pupil_id == world["sem"]).limit(1)
            ),
            "token": "not-a-real-token",
            "filename": "app.css",
            "form_id": db.session.scalar(select(ConsentForm.id).limit(1)),
            "item_id": db.session.scalar(select(Face.media_id).order_by(Face.id).limit(1)),  # the photo
            "face_id": db.session.scalar(select(Face.id).order_by(Face.id).limit(1)),
            "recording_id": db.session.scalar(select(MediaItem.id).where(MediaItem.playback_name.is_not(None))),
            "export_id": db.session.scalar(select(Export.id).limit(1)),
            "takedown_id": db.session.scalar(select(Takedown.id).limit(1)),
            "channel_id": db.session.scalar(select(Channel.id).limit(1)),
            "variant": "thumbnail",
            "approval_id": db.session.scalar(select(Approval.id).limit(1)),
            "verdict": "approve",
            "outsider_id": db.session.scalar(select(OutsidePerson.id).limit(1)),
            "consent_id": db.session.scalar(select(OutsideConsent.id).limit(1)),
            "campaign_id": db.session.scalar(select(Campaign.id).limit(1)),
            "paper_id": db.session.scalar(select(PaperReturn.id).limit(1)),
            "job_id": db.session.scalar(select(Job.id).limit(1)),  # the sound recording's processing
        }


def make_pupil_account(app: Flask) -> None:
    """pupil@example.org: a pupil of 17 in 5b with an account of their own."""
    from app.extensions import db
    from tests.factories import PupilFactory, UserFactory

    with app.app_context():
        pupil = PupilFactory(first_name="Lisa", age=17, email="pupil@example.org")
        UserFactory(email="pupil@example.org", person=pupil, roles={Role.PUPIL})
        db.session.commit()


def routes(app: Flask):
    # Deleting the sample item comes last: the routes after it would find nothing to open.
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint == "media.delete"):
        if rule.endpoint in ("static", "bootstrap.static"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.fixture
def a_photo(app, world, tmp_path):
    """One photo of group 5b, so the media routes have an object to open."""
    import io
    from datetime import UTC, date, datetime, timedelta

    import skimage.data
    from PIL import Image
    from sqlalchemy import select

    from app.accounts.models import User
    from app.consent.models import Campaign, ConsentForm
    from app.consent.vocabulary import Audience, MediaType
    from app.extensions import db
    from app.media.ingest import ingest_upload
    from app.media.outsiders import add_outside_person, record_outside_consent
    from app.release.models import Approval, ApprovalKind, Channel, Export, ExportItem, Publication, Takedown
    from app.timestamps import school_today
    from tests.factories import AlbumFactory
    from tests.media.samples import sound

    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    with app.app_context():
        album = AlbumFactory(group_id=world["5b"], title="Matrix", taken_on=date(2026, 10, 1))
        data = io.BytesIO()
        Image.fromarray(skimage.data.astronaut()).save(data, format="JPEG")  # one face, so a face route has one
        data.seek(0)
        photo = ingest_upload(data, album=album, uploaded_by=None).item
        ingest_upload(io.BytesIO(sound()), album=album, uploaded_by=None)  # for the playback route
        # An export with a publication and its takedown, written directly (the gate has its own tests).
        channel = db.session.scalar(select(Channel).where(Channel.key == "website"))
        export = Export(channel_id=channel.id, bundle_token="ab" * 32)
        export.items.append(ExportItem(media_id=photo.id, position=1, file_name="beeldrecht-1-1.jpg", evidence={}))
        db.session.add(export)
        db.session.flush()
        publication = Publication(
            export_id=export.id,
            media_id=photo.id,
            channel_id=channel.id,
            url="https://example.org/p",
            published_on=date(2026, 10, 2),
        )
        db.session.add(publication)
        db.session.flush()
        db.session.add(
            Takedown(publication_id=publication.id, url=publication.url, due_at=datetime(2026, 10, 4, tzinfo=UTC))
        )
        db.session.add(Approval(kind=ApprovalKind.TAGS, media_id=photo.id, change={"remove": []}, reason="x"))
        # Someone from outside the school with their own consent and its scan.
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        outsider = add_outside_person(photo, "Visitor", by=admin)
        scan = io.BytesIO()
        Image.new("RGB", (60, 80), (250, 250, 250)).save(scan, format="PNG")
        scan.seek(0)
        record_outside_consent(
            outsider, media_types=[MediaType.PHOTO], purposes=["website"], given_on=school_today(), by=admin, scan=scan
        )
        # A campaign asking staff: the admin's own person (the sample person id) is one of them.
        form = db.session.scalar(select(ConsentForm).limit(1))
        db.session.add(Campaign(form=form, audience=Audience.STAFF, deadline=school_today() + timedelta(days=14)))
        # An entered paper consent form with its scan, for the scan's route.
        from app.consent.models import PaperReturn
        from app.media.scans import store_scan

        scan.seek(0)
        stored = store_scan(scan, pdf=True)
        form_id = db.session.scalar(select(ConsentForm.id).limit(1))
        db.session.add(
            PaperReturn(
                subject_id=world["sem"],
                form_id=form_id,
                signed_by_id=world["parent"],
                signed_on=school_today(),
                recorded_by_id=admin.id,
                scan_key=stored.key,
                scan_mime=stored.mime,
            )
        )
        db.session.commit()
    yield
    app.config["MEDIA_ROOT"] = None


def url_for_rule(rule, values: dict[str, object]) -> str:
    missing = set(rule.arguments) - set(values)
    assert not missing, f"add a sample value for {missing} of {rule.rule} in tests/test_access_matrix.py"
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_every_route_has_a_rule(app):
    missing = [rule.rule for rule in app.url_map.iter_rules() if rule_for(app, rule.endpoint) is None]
    assert missing == []


def test_a_route_without_a_rule_is_denied(database_url):
    from tests.conftest import make_app

    fresh = make_app(database_url)
    fresh.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    response = fresh.test_client().get("/forgotten")
    assert response.status_code == 403
    assert b"secret" not in response.data


@pytest.mark.parametrize("who", list(ROLES))
def test_role_route_matrix(app, world, published_form, a_photo, who):
    app.test_client_class = Client
    client = app.test_client()
    if who == "pupil":
        make_pupil_account(app)
    if who != "anonymous":
        assert client.submit("/sign-in", {"email": f"{who}@example.org", "password": PASSWORD}).status_code == 302
    role = ROLES[who]
    values = sample_values(world, app, who)
    problems = []
    for rule, method in routes(app):
        if rule.endpoint in ("accounts.sign_out",):
            continue  # would end the session the matrix runs in; covered in test_sign_in.py
        allowed = rule_for(app, rule.endpoint)
        # Only films and sound have a playback copy: that route opens the recording.
        url = url_for_rule(
            rule, {**values, "item_id": values["recording_id"]} if rule.endpoint == "media.playback" else values
        )
        data = {"csrf_token": client.csrf_token()} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        CELLS[f"{who} {method} {rule.rule}"] += 1
        if rule.rule.startswith("/api/v1/") and ANONYMOUS not in allowed:
            # The API ignores session cookies: without a bearer token everyone is 401.
            ok = response.status_code == 401
        elif ANONYMOUS in allowed:
            ok = response.status_code not in (401, 403) and response.status_code < 500
        elif role is None:
            ok = response.status_code == 302 and "/sign-in" in response.headers["Location"]
        elif SIGNED_IN in allowed or role in allowed:
            ok = response.status_code in (200, 302, 400, 409, 410, 422)
        else:
            ok = response.status_code == 404
        if not ok:
            problems.append(f"{who}: {method} {url} -> {response.status_code} (rule {sorted(map(str, allowed))})")
    assert problems == []
    assert len(CELLS) > 0


FOREIGN = [
    # (who, url template, expected) - own objects 200, another family's or group's 404
    ("parent", "/people/{sem}", 200),
    ("parent", "/people/{emma}", 200),
    ("parent", "/people/{parent}", 200),
    ("parent", "/people/{noah}", 404),
    ("parent", "/people/{parent2}", 404),
    ("parent", "/people/{teacher}", 404),
    ("parent2", "/people/{noah}", 200),
    ("parent2", "/people/{sem}", 404),
    ("teacher", "/people/{sem}", 200),
    ("teacher", "/people/{noah}", 200),
    ("teacher", "/people/{emma}", 404),
    ("teacher", "/groups/{5b}", 200),
    ("teacher", "/groups/{3a}", 404),
    ("comms", "/groups/{3a}", 200),
    ("comms", "/people/{emma}", 200),
    ("parent", "/people/999999", 404),
    ("teacher", "/groups/999999", 404),
    ("admin", "/people/999999", 404),
    ("parent", "/people/abc", 404),
    ("admin", "/admin/users/abc", 404),
    ("admin", "/admin/users/999999", 404),
]


@pytest.mark.parametrize(("who", "template", "expected"), FOREIGN)
def test_objects_of_another_family_or_group_answer_404(client, login_as, world, who, template, expected):
    login_as(who)
    url = template.format(**world)
    response = client.get(url)
    assert response.status_code == expected, url
    if expected == 404:  # indistinguishable from an id that does not exist
        nonexistent = client.get("/people/999999").get_data(as_text=True)
        # The CSRF token is signed with a timestamp: it differs when a second ticks over between the two.
        same = lambda page: re.sub(r'name="csrf_token"[^>]*>', "", page)  # noqa: E731
        assert same(response.get_data(as_text=True)) == same(nonexistent.replace("/people/999999", url))


def test_parent_home_shows_only_own_children(client, login_as, world):
    login_as("parent2")
    page = client.get("/home").get_data(as_text=True)
    assert "Noah Jansen" in page
    assert "Sem de Vries" not in page and "Emma de Vries" not in page


def test_teacher_sees_only_own_groups(client, login_as, world):
    login_as("teacher")
    page = client.get("/groups").get_data(as_text=True)
    assert f'/groups/{world["5b"]}"' in page
    assert f'/groups/{world["3a"]}"' not in page


def test_refused_access_is_audited(client, login_as, world, app):
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from app.extensions import db

    login_as("parent")
    client.get("/admin/users")
    with app.app_context():
        refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.refused")).all()
        assert [e.details["endpoint"] for e in refused] == ["accounts.list_users"]

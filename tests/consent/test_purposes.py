"""Purposes belong to the consent form: a new version adds or drops purposes, with their words,
public or not, and the channels that serve them; channels must keep a purpose of the form in force."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.consent.models import ConsentForm
from app.extensions import db
from app.release.models import Channel
from tests.conftest import form_text

SHIPPED_V2 = Path(__file__).parents[2] / "consent_forms" / "beeldgebruik-2026-2027-v2.toml"
NEW = ["school_photographer", "yearbook", "training_recordings", "research"]


def version_two(school_year: str) -> str:
    return SHIPPED_V2.read_text(encoding="utf-8").replace('school_year = "2026-2027"', f'school_year = "{school_year}"')


def without_purpose(text: str, key: str) -> str:
    """The form text with one ``[[purposes]]`` entry left out (and the version raised)."""
    head, *entries = text.split("[[purposes]]")
    kept = [entry for entry in entries if f'key = "{key}"' not in entry]
    return (head + "".join("[[purposes]]" + entry for entry in kept)).replace("version = 2", "version = 3")


@pytest.fixture
def school_year(app):
    from app.timestamps import school_today
    from tests.factories import school_year_of

    with app.app_context():
        return school_year_of(school_today())[0]


def sync(runner, folder):
    return runner.invoke(args=["consent-forms", "sync", "--directory", str(folder)])


def test_version_two_adds_four_purposes_with_their_words_and_channels(
    runner, forms_dir, school_year, app, client, world
):
    assert sync(runner, forms_dir).exit_code == 0
    (forms_dir / "beeldgebruik-v2.toml").write_text(version_two(school_year), encoding="utf-8")
    result = sync(runner, forms_dir)
    assert result.exit_code == 0, result.output
    with app.app_context():
        channels = {c.key: c for c in db.session.scalars(select(Channel))}
        assert {"school_photographer", "yearbook", "teacher_training", "research", "press"} <= set(channels)
        assert channels["yearbook"].purpose == "yearbook" and channels["yearbook"].public  # printed, taken home
        assert channels["yearbook"].needs_approval
        assert not channels["school_photographer"].public and not channels["research"].needs_approval
        assert channels["instagram"].public and not channels["newsletter"].public
    token = runner.invoke(args=["users", "token", "parent@example.org"]).output.strip().splitlines()[-1]
    listed = client.get("/api/v1/purposes", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert listed["form"].endswith("v2") and [p["key"] for p in listed["purposes"]][-4:] == NEW
    yearbook = next(p for p in listed["purposes"] if p["key"] == "yearbook")
    assert yearbook["public"] and yearbook["channels"] == ["yearbook"] and "groep 8" in yearbook["explanation_nl"]


def test_parents_are_asked_about_the_new_purposes_with_their_explanation(
    runner, forms_dir, school_year, app, client, login_as, world
):
    assert sync(runner, forms_dir).exit_code == 0
    (forms_dir / "beeldgebruik-v2.toml").write_text(version_two(school_year), encoding="utf-8")
    assert sync(runner, forms_dir).exit_code == 0
    login_as("parent")
    page = client.get(f"/consent/{world['sem']}/form").get_data(as_text=True)
    assert "Schoolfotograaf (portret- en groepsfoto&#39;s)" in page
    assert "Het gedrukte jaarboek dat elke leerling van groep 8 mee naar huis krijgt" in page
    assert 'name="photo__yearbook"' in page


def test_a_dropped_purpose_keeps_its_decisions_in_the_history(
    runner, forms_dir, school_year, app, client, login_as, world
):
    from tests.release.helpers import Release

    assert sync(runner, forms_dir).exit_code == 0
    Release(app, client, runner, world).decide("sem", "photo", "press", "grant")
    (forms_dir / "beeldgebruik-v3.toml").write_text(
        without_purpose(version_two(school_year), "press").replace('channels = ["press"]\n', ""), encoding="utf-8"
    )
    result = sync(runner, forms_dir)
    assert result.exit_code == 0, result.output
    login_as("parent")
    history = client.get(f"/consent/{world['sem']}/history").get_data(as_text=True)
    assert "Pers (krant, lokale omroep)" in history  # in the words of the version it was made under
    token = runner.invoke(args=["users", "token", "parent@example.org"]).output.strip().splitlines()[-1]
    consents = client.get(f"/api/v1/people/{world['sem']}/consents", headers={"Authorization": f"Bearer {token}"})
    assert "press" not in {c["purpose"] for c in consents.get_json()}  # not asked about any more


def test_a_form_that_drops_a_channels_purpose_is_refused_naming_the_channel(runner, forms_dir, school_year, app):
    assert sync(runner, forms_dir).exit_code == 0
    (forms_dir / "beeldgebruik-v3.toml").write_text(
        without_purpose(version_two(school_year), "social_media"), encoding="utf-8"
    )
    result = sync(runner, forms_dir)
    assert result.exit_code == 1
    assert (
        "beeldgebruik-v3.toml" in result.output
        and "channel 'instagram' serves the purpose 'social_media'" in result.output
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(ConsentForm.id))) == 1  # nothing published
        assert db.session.scalar(select(func.count(Channel.id)).where(Channel.key == "yearbook")) == 0


def test_a_form_cannot_give_an_existing_channel_another_purpose(runner, forms_dir, school_year, app):
    assert sync(runner, forms_dir).exit_code == 0
    text = version_two(school_year).replace('channels = ["yearbook"]', 'channels = ["website"]')
    (forms_dir / "beeldgebruik-v2.toml").write_text(text, encoding="utf-8")
    result = sync(runner, forms_dir)
    assert (
        result.exit_code == 1
        and "channel 'website' already serves the purpose 'website', not 'yearbook'" in result.output
    )


def test_a_channel_serves_a_purpose_of_the_form_in_force(client, login_as, published_form, app):
    login_as("admin")
    page = client.get("/release/channels").get_data(as_text=True)
    assert 'value="social_media"' in page and 'value="yearbook"' not in page  # version 1 has no yearbook
    form = {"key": "jaarboek", "name": "Jaarboek", "purpose": "yearbook", "export_side": "", "enabled": "y"}
    assert client.submit("/release/channels", form).status_code in (400, 422)
    with app.app_context():
        assert db.session.scalar(select(Channel).where(Channel.key == "jaarboek")) is None


def test_form_files_may_name_any_purpose_key_but_not_a_malformed_one(runner, forms_dir, school_year):
    block = (
        '[[purposes]]\nkey = "yearbook"\npublic = true\nlabel = { nl = "Jaarboek", en = "Yearbook" }\n'
        'explanation = { nl = "Het jaarboek.", en = "" }\n'
    )
    (forms_dir / "beeldgebruik-v1.toml").write_text(form_text(school_year, purposes_block=block), encoding="utf-8")
    result = sync(runner, forms_dir)
    assert result.exit_code == 1 and "purposes[1].explanation.en: missing or empty" in result.output


def test_the_admin_publishes_a_new_version_from_the_form_versions_page(
    runner, forms_dir, school_year, app, client, login_as, monkeypatch
):
    monkeypatch.setitem(app.config, "CONSENT_FORMS_DIR", str(forms_dir))
    assert sync(runner, forms_dir).exit_code == 0
    (forms_dir / "beeldgebruik-v2.toml").write_text(version_two(school_year), encoding="utf-8")
    (forms_dir / "draft.toml").write_text("id = 'draft'\nversion = 'one'\n", encoding="utf-8")
    login_as("admin")
    page = client.get("/consent/versions").get_data(as_text=True)
    assert "beeldgebruik-v2.toml" in page and "draft.toml" in page and "version: missing, or not a whole number" in page
    refused = client.submit("/consent/versions/publish", {})
    assert refused.status_code == 422 and "Er is niets gepubliceerd" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ConsentForm.id))) == 1
    (forms_dir / "draft.toml").unlink()
    published = client.submit("/consent/versions/publish", {})
    assert published.status_code == 302
    page = client.get("/consent/versions").get_data(as_text=True)
    assert "beeldgebruik versie 2 is gepubliceerd." in page
    with app.app_context():
        assert db.session.scalar(select(func.count(ConsentForm.id))) == 2
        assert db.session.scalar(select(Channel).where(Channel.key == "yearbook")) is not None

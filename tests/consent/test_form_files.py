"""``flask consent-forms sync``: validation that names file and field, immutability."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.consent.models import ConsentForm
from app.extensions import db
from tests.consent.conftest import SHIPPED, form_text


def sync(runner, folder):
    return runner.invoke(args=["consent-forms", "sync", "--directory", str(folder)])


def test_the_shipped_form_is_valid_and_complete(runner, tmp_path, app):
    result = runner.invoke(args=["consent-forms", "sync"])
    assert result.exit_code == 0, result.output
    assert "Published beeldgebruik version 1" in result.output
    assert "Published beeldgebruik version 2" in result.output
    with app.app_context():
        first, second = db.session.scalars(select(ConsentForm).order_by(ConsentForm.version))
        assert first.purposes == ["parent_portal", "newsletter", "school_guide", "website", "social_media", "press"]
        assert second.purposes == [
            *first.purposes,
            "school_photographer",
            "yearbook",
            "training_recordings",
            "research",
        ]
        for form in (first, second):
            assert [m.value for m in form.media_types] == ["photo", "film", "audio"]
            assert str(form.valid_until) == "2027-07-31"
            assert "uitdrukkelijk toestemming" in form.text("nl") and "explicitly consent" in form.text("en")
        assert all(second.purpose_explanation(p, locale) for p in second.purposes for locale in ("nl", "en"))
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "consent.form_published"))
    again = runner.invoke(args=["consent-forms", "sync"])
    assert again.exit_code == 0 and "0 published, 2 unchanged" in again.output


def test_a_changed_published_version_is_refused(runner, forms_dir, app):
    assert sync(runner, forms_dir).exit_code == 0
    path = next(forms_dir.glob("*.toml"))
    published = path.read_text(encoding="utf-8")
    path.write_text(published.replace("uitstapjes", "schoolreisjes"), encoding="utf-8")
    result = sync(runner, forms_dir)
    assert result.exit_code == 1
    assert path.name in result.output and "raise the version" in result.output
    # The way it should be done: the published file stays, the change goes into version 2.
    path.write_text(published, encoding="utf-8")
    changed = published.replace("uitstapjes", "schoolreisjes").replace("version = 1", "version = 2")
    (forms_dir / "beeldgebruik-v2.toml").write_text(changed, encoding="utf-8")
    result = sync(runner, forms_dir)
    assert result.exit_code == 0 and "Published beeldgebruik version 2" in result.output
    with app.app_context():
        assert sorted(f.version for f in db.session.scalars(select(ConsentForm))) == [1, 2]


BROKEN = [
    ("broken TOML", lambda t: t.replace('id = "beeldgebruik"', 'id = "beeldgebruik'), "(file): not valid TOML"),
    ("missing field", lambda t: t.replace('validity = "school_year"', ""), "validity:"),
    (
        "missing English title",
        lambda t: t.replace('en = "Consent for photos, films and sound recordings 2026-2027"', ""),
        "title.en:",
    ),
    (
        "purpose key not a key",
        lambda t: t.replace('key = "press"', 'key = "Pers & radio"'),
        "purposes[6].key: missing, or not 2 to 32 lower-case letters",
    ),
    (
        "duplicate purpose",
        lambda t: t.replace('key = "press"', 'key = "website"'),
        "purposes[6].key: duplicate purpose 'website'",
    ),
    (
        "unknown media type",
        lambda t: t.replace('"audio"]', '"hologram"]'),
        "media_types: unknown media type 'hologram'",
    ),
    ("bad school year", lambda t: t.replace('school_year = "2026-2027"', 'school_year = "2026"'), "school_year:"),
    (
        "purpose without public",
        lambda t: t.replace('public = false\nlabel = { nl = "Nieuwsbrief', 'label = { nl = "Nieuwsbrief'),
        "purposes[2].public:",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_form_files_are_refused_naming_file_and_field(runner, tmp_path, app, case, mutate, message):
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "good.toml").write_text(form_text("2025-2026", version=3), encoding="utf-8")
    broken = mutate(SHIPPED.read_text(encoding="utf-8"))
    (folder / "broken.toml").write_text(broken, encoding="utf-8")
    result = sync(runner, folder)
    assert result.exit_code == 1
    assert f"broken.toml: {message}" in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(ConsentForm)) is None  # not even the good file


def test_two_files_with_the_same_version_are_refused(runner, tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "a.toml").write_text(form_text("2026-2027"), encoding="utf-8")
    (folder / "b.toml").write_text(form_text("2026-2027").replace("uitstapjes", "reisjes"), encoding="utf-8")
    result = sync(runner, folder)
    assert result.exit_code == 1 and "also in a.toml" in result.output


def test_an_empty_folder_is_refused(runner, tmp_path):
    result = sync(runner, tmp_path)
    assert result.exit_code == 1 and "holds no consent form" in result.output

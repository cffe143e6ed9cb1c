"""A consent form for the current school year (so the tests do not age), published."""

from __future__ import annotations

from pathlib import Path

import pytest

SHIPPED = Path(__file__).parents[2] / "consent_forms" / "beeldgebruik-2026-2027-v1.toml"


def form_text(school_year: str, version: int = 1, purposes_block: str | None = None) -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    text = text.replace('school_year = "2026-2027"', f'school_year = "{school_year}"')
    text = text.replace("version = 1", f"version = {version}")
    if purposes_block is not None:
        text = text[: text.index("[[purposes]]")] + purposes_block
    return text


@pytest.fixture
def forms_dir(tmp_path, app):
    from app.core.demo import current_school_year

    with app.app_context():
        from app.timestamps import school_today

        name, _starts, _ends = current_school_year(school_today())
    folder = tmp_path / "consent_forms"
    folder.mkdir()
    (folder / "beeldgebruik-v1.toml").write_text(form_text(name), encoding="utf-8")
    return folder


@pytest.fixture
def published_form(app, forms_dir, world):
    from app.consent.form_files import sync_forms
    from app.extensions import db

    with app.app_context():
        report = sync_forms(forms_dir)
        assert not report.problems, report.problems
        db.session.commit()
    return forms_dir

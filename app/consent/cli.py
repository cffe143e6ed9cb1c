"""``flask consent-forms sync``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.consent.form_files import sync_forms
from app.extensions import db

forms_cli = AppGroup("consent-forms", help="The consent form versions in consent_forms/.")


def default_directory() -> Path:
    return Path(current_app.config.get("CONSENT_FORMS_DIR") or Path(current_app.root_path).parent / "consent_forms")


@forms_cli.command("sync")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), help="Default: consent_forms/.")
def sync_command(directory: Path | None) -> None:
    """Validate the form files and publish new versions; refuse changed published ones."""
    report = sync_forms(directory or default_directory())
    if report.problems:
        db.session.rollback()
        click.echo("Consent forms NOT synced; fix these and run again:", err=True)
        for problem in report.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    for key, version in report.published:
        click.echo(f"Published {key} version {version}.")
    click.echo(f"{len(report.published)} published, {len(report.unchanged)} unchanged.")

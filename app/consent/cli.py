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


consent_cli = AppGroup("consent", help="Consent: reminders.")


@consent_cli.command("remind")
@click.option("--dry-run", is_flag=True, help="Count who would get a reminder; send nothing.")
def remind_command(dry_run: bool) -> None:
    """Mail every guardian of a pupil with open or expiring questions (invite those without an account)."""
    from flask_babel import force_locale

    from app.consent.queries import active_form, now
    from app.consent.renewal import send_reminders

    form = active_form(now().day)
    if form is None:
        raise click.ClickException("There is no consent form in force; publish one with 'flask consent-forms sync'.")
    with force_locale("en"):
        report = send_reminders(form, now(), by=None, dry_run=dry_run)
    db.session.commit()
    verb = "would get" if dry_run else "got"
    click.echo(
        f"{report.pupils} pupils need a decision: {report.mailed} guardians {verb} a reminder, "
        f"{report.invited} {verb} an invitation, {report.without_email} have no email address."
    )

"""``flask people import FILE.csv [--dry-run]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from app.extensions import db
from app.school.importing import ImportFileError, Plan, apply_plan, check_file
from app.timestamps import school_today

people_cli = AppGroup("people", help="People and groups: the CSV import, invitations of pupils of 16.")
PROGRESS_FROM = 500  # rows; smaller files finish before a bar is worth drawing


def _echo_summary(summary: dict[str, int], dry_run: bool) -> None:
    verb = "would be" if dry_run else "were"
    click.echo(
        f"{summary['rows']} rows: {summary['created']} pupils {verb} created, {summary['updated']} updated, "
        f"{summary['unchanged']} unchanged; {summary['guardians_created']} guardians {verb} created, "
        f"{summary['links_changed']} guardian links {verb} added or changed, "
        f"{summary['groups_created']} groups {verb} created."
    )


@people_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change; write nothing.")
@click.option("--school-year", help='Import into this school year (e.g. "2027-2028"); default: the current one.')
def import_command(path: Path, dry_run: bool, school_year: str | None) -> None:
    """Import pupils, their group and up to two guardians from PATH (see docs/import.md)."""
    with force_locale("en"):  # the command line speaks English, like its documentation
        _import(path, dry_run, school_year)


def _import(path: Path, dry_run: bool, school_year: str | None = None) -> None:
    data = path.read_bytes()
    lines = data.count(b"\n")
    try:
        if lines >= PROGRESS_FROM:
            with click.progressbar(length=lines, label="Checking rows", file=sys.stderr) as bar:
                result: Plan = check_file(data, today=school_today(), school_year=school_year, progress=bar.update)
        else:
            result = check_file(data, today=school_today(), school_year=school_year)
    except ImportFileError as problem:
        raise click.ClickException(f"{path.name}: {problem}") from None
    if result.errors:
        click.echo(f"{path.name}: nothing was imported; {len(result.errors)} problems:", err=True)
        for error in result.errors:
            where = f"line {error.line}" if error.line else "file"
            click.echo(f"  {where}: {error.message}", err=True)
        sys.exit(1)
    if dry_run:
        _echo_summary(result.summary, dry_run=True)
        click.echo("Dry run: nothing was written.")
        return
    summary = apply_plan(result, via="cli")
    db.session.commit()
    _echo_summary(summary, dry_run=False)


def _administrator(email: str) -> Any:
    from app.accounts.models import Role
    from app.accounts.operations import find_user_by_email

    admin = find_user_by_email(email)
    if admin is None or not admin.active or not admin.has_role(Role.ADMIN):
        raise click.ClickException(f"{email} is not an active administrator account.")
    return admin


@people_cli.command("archive-leavers")
@click.option("--by", "admin_email", required=True, help="Email of the administrator doing it (audited).")
@click.option("--dry-run", is_flag=True, help="Count; change nothing.")
def archive_leavers_command(admin_email: str, dry_run: bool) -> None:
    """Disable the accounts of pupils who left and of guardians with no current child."""
    from app.privacy.leavers import archive_leavers

    report = archive_leavers(school_today(), by=_administrator(admin_email), dry_run=dry_run)
    db.session.commit()
    verb = "would be" if dry_run else "were"
    click.echo(f"{report.leavers} pupils have left: {len(report.accounts_disabled)} accounts {verb} disabled.")


@people_cli.command("purge-leavers")
@click.option("--by", "admin_email", required=True, help="Email of the administrator doing it (audited).")
@click.option("--dry-run", is_flag=True, help="Count; erase nothing.")
def purge_leavers_command(admin_email: str, dry_run: bool) -> None:
    """Archive leavers, then erase (with a tombstone) those kept longer than LEAVER_RETENTION_YEARS."""
    from app.privacy.leavers import purge_leavers, retention_years

    report = purge_leavers(school_today(), by=_administrator(admin_email), dry_run=dry_run)
    db.session.commit()
    verb = "would be" if dry_run else "were"
    click.echo(
        f"{report.leavers} pupils have left: {len(report.accounts_disabled)} accounts {verb} disabled; "
        f"{len(report.erased)} people {verb} erased (retention {retention_years()} years)."
    )


@people_cli.command("invite-sixteen")
@click.option("--dry-run", is_flag=True, help="Count who would be invited; send nothing.")
def invite_sixteen_command(dry_run: bool) -> None:
    """Invite every current pupil who has turned 16 to an account of their own (run daily from cron).

    A pupil who already has an account is left alone, so running it again sends nothing new."""
    from app.consent.pupils import invite_pupils_turned_sixteen
    from app.consent.queries import now

    with force_locale("en"):
        report = invite_pupils_turned_sixteen(day=now().day, dry_run=dry_run)
    db.session.commit()
    verb = "would be" if dry_run else "were"
    click.echo(
        f"{report.invited} pupils of 16 or older {verb} invited; {report.without_email} have no email address "
        f"of their own, {report.address_in_use} have an address that belongs to another account."
    )

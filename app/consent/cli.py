"""``flask consent-forms sync``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from app.consent.form_files import default_directory, sync_forms
from app.extensions import db
from app.ids import MAX_ID

forms_cli = AppGroup("consent-forms", help="The consent form versions in consent_forms/.")


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


consent_cli = AppGroup("consent", help="Consent: paper forms and reminders.")


def _answer(text: str) -> tuple[tuple[str, str], bool]:
    """``photo:website=yes`` -> ((photo, website), True)."""
    key, _sep, value = text.partition("=")
    media, _colon, purpose = key.partition(":")
    if not (media and purpose) or value.lower() not in {"yes", "no", "ja", "nee"}:
        raise click.BadParameter(f"{text!r}: write MEDIA:PURPOSE=yes or MEDIA:PURPOSE=no, e.g. photo:website=no")
    return (media, purpose), value.lower() in {"yes", "ja"}


@consent_cli.command("record")
@click.argument("subject_id", type=click.IntRange(1, MAX_ID))
@click.argument("answers", nargs=-1, required=True)
@click.option(
    "--signed-by", "signer_id", type=click.IntRange(1, MAX_ID), required=True, help="Person id of who signed the form."
)
@click.option("--signed-on", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Date on the form (YYYY-MM-DD).")
@click.option("--recorded-by", "recorder", required=True, help="Email of the administrator entering it.")
def record_command(subject_id: int, answers: tuple[str, ...], signer_id: int, signed_on: Any, recorder: str) -> None:
    """Enter a signed paper form about SUBJECT_ID: ANSWERS such as photo:website=yes film:social_media=no.

    The same rules as the web's paper form: a "no" to a consent the signer gave is recorded as a
    withdrawal, an answer that changes nothing is skipped."""
    from flask_babel import force_locale

    from app.accounts.models import Role
    from app.accounts.operations import find_user_by_email
    from app.consent.operations import ConsentError, record_paper_form
    from app.school.models import Person

    subject, signer = db.session.get(Person, subject_id), db.session.get(Person, signer_id)
    if subject is None or signer is None:
        raise click.ClickException(f"There is no person with id {subject_id if subject is None else signer_id}.")
    admin = find_user_by_email(recorder)
    if admin is None or not admin.active or not admin.has_role(Role.ADMIN):
        raise click.ClickException(f"{recorder} is not an active administrator account.")
    parsed = dict(_answer(text) for text in answers)
    try:
        with force_locale("en"):
            made = record_paper_form(subject, parsed, signed_by=signer, signed_on=signed_on.date(), recorded_by=admin)
    except ConsentError as problem:
        db.session.rollback()
        raise click.ClickException(f"{problem.message} ({problem.code})") from None
    db.session.commit()
    for decision in made:
        click.echo(f"{decision.media_type.value}:{decision.purpose}: {decision.action.value} (decision {decision.id})")
    click.echo(f"Paper form recorded: {len(made)} answers ({len(parsed) - len(made)} unchanged).")


@consent_cli.command("withdraw")
@click.argument("subject_id", type=click.IntRange(1, MAX_ID))
@click.argument("answers", nargs=-1)
@click.option("--by", "withdrawer_id", type=click.IntRange(1, MAX_ID), required=True, help="Person id of who withdrew.")
@click.option("--how", type=click.Choice(["phone", "desk", "letter"]), required=True, help="How it reached the school.")
@click.option("--recorded-by", "recorder", required=True, help="Email of the administrator who took it.")
@click.option("--note", default="", help="What the administrator wrote down (at most 500 characters).")
def withdraw_command(
    subject_id: int, answers: tuple[str, ...], withdrawer_id: int, how: str, recorder: str, note: str
) -> None:
    """Record a withdrawal about SUBJECT_ID made by phone, at the desk or by letter: ANSWERS such
    as photo:website=no (none: everything granted now). A grant cannot be recorded this way."""
    from flask_babel import force_locale

    from app.accounts.models import Role
    from app.accounts.operations import find_user_by_email
    from app.consent.withdrawals import WithdrawalError, mail_confirmation, take_withdrawal
    from app.school.models import Person

    subject, withdrawer = db.session.get(Person, subject_id), db.session.get(Person, withdrawer_id)
    if subject is None or withdrawer is None:
        raise click.ClickException(f"There is no person with id {subject_id if subject is None else withdrawer_id}.")
    admin = find_user_by_email(recorder)
    if admin is None or not admin.active or not admin.has_role(Role.ADMIN):
        raise click.ClickException(f"{recorder} is not an active administrator account.")
    parsed = dict(_answer(text) for text in answers) if answers else None
    try:
        with force_locale("en"):
            taken = take_withdrawal(subject, parsed, withdrawn_by=withdrawer, means=how, recorded_by=admin, note=note)
    except WithdrawalError as problem:
        db.session.rollback()
        raise click.ClickException(f"{problem.message} ({problem.code})") from None
    mailed = mail_confirmation(taken)
    db.session.commit()
    for decision in taken.decisions:
        click.echo(f"{decision.media_type.value}:{decision.purpose}: {decision.action.value} (decision {decision.id})")
    click.echo(
        f"Withdrawal recorded: {len(taken.decisions)} answers; "
        + ("confirmation mailed." if mailed else "no email address, no confirmation sent.")
    )


@consent_cli.command("remind")
@click.option("--dry-run", is_flag=True, help="Count who would get a mail; send nothing.")
def remind_command(dry_run: bool) -> None:
    """A round of every open campaign: remind who has not (fully) answered (at most once every
    CAMPAIGN_REMINDER_DAYS), and a week before the deadline mail each group's teachers their
    non-responders. Run it daily (cron or a systemd timer); running it twice a day sends nothing new."""
    from flask_babel import force_locale

    from app.consent.campaigns import remind_open_campaigns
    from app.consent.queries import now

    with force_locale("en"):
        campaigns, report = remind_open_campaigns(now(), dry_run=dry_run)
    if not campaigns:
        click.echo("No open campaign: nothing to remind. Start one on Consent campaigns.")
        return
    db.session.commit()
    verb = "would get" if dry_run else "got"
    click.echo(
        f"{len(campaigns)} open campaigns: {report.mailed} people {verb} a reminder, {report.invited} {verb} an "
        f"invitation, {report.escalated} teachers {verb} their non-responders; {report.spaced} were reminded "
        f"recently, {report.unreachable} cannot be mailed."
    )

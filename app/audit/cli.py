"""``flask audit verify`` and ``flask audit anchor``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.models import Role, User, UserRole
from app.audit.anchor import AnchorFileEdited, AnchorRefused, append_anchor, check_anchors, newest
from app.audit.log import verify_chain
from app.extensions import db
from app.notifications import AUDIT_ANCHOR, send_mail

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
@click.option(
    "--anchor",
    "anchor_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An anchor file (flask audit anchor): also find deleted newest rows and an emptied table. "
    "Default: BEELDRECHT_AUDIT_ANCHOR_FILE when it exists.",
)
def verify_command(anchor_file: Path | None) -> None:
    """Check the hash chain (and the anchors); exit 1 naming the first problem."""
    if anchor_file is None:
        configured = current_app.config.get("AUDIT_ANCHOR_FILE")
        if configured and Path(configured).is_file():
            anchor_file = Path(configured)
    report = verify_chain()
    broken = not report.intact
    if broken:
        click.echo(f"Audit chain BROKEN at row {report.first_bad_id}: {report.reason}.", err=True)
        click.echo(f"{report.rows} rows before it verified.", err=True)
    if anchor_file is not None:
        anchors = check_anchors(anchor_file)
        if not anchors.intact:
            click.echo(f"Audit log BROKEN against the anchors in {anchor_file}: {anchors.problem}.", err=True)
            broken = True
        else:
            click.echo(f"Anchors: {anchors.anchors} lines of {anchor_file} agree with the log.")
    if broken:
        sys.exit(1)
    click.echo(f"Audit chain intact: {report.rows} rows verified.")


@audit_cli.command("anchor")
@click.option("--mail", is_flag=True, help="Also mail the line to every active administrator.")
def anchor_command(mail: bool) -> None:
    """Append the newest row's id and hash to BEELDRECHT_AUDIT_ANCHOR_FILE and print the line."""
    setting = current_app.config.get("AUDIT_ANCHOR_FILE")
    if not setting:
        click.echo(
            "BEELDRECHT_AUDIT_ANCHOR_FILE is not set: name a file outside the database "
            "(e.g. /var/lib/beeldrecht/audit-anchors.jsonl) for the anchors.",
            err=True,
        )
        sys.exit(2)
    anchor = newest()
    try:
        line = append_anchor(Path(setting), anchor)
    except AnchorFileEdited as edited:
        click.echo(f"{setting}: {edited}; nothing was appended.", err=True)
        sys.exit(1)
    except AnchorRefused as refused:
        click.echo(f"{setting}: {refused}.", err=True)
        sys.exit(1)
    except OSError as error:
        click.echo(f"{setting}: cannot append the anchor: {error.strerror or error}.", err=True)
        sys.exit(2)
    click.echo(line)
    if mail:
        sent = _mail_administrators(line, anchor.at or "-", anchor.rows)
        db.session.commit()  # the mails are in the outbox: the commit hands them to the worker
        click.echo(f"Mailed to {sent} active administrators.")


def _mail_administrators(line: str, at: str, rows: int) -> int:
    """The line, plainly (ids and hashes, nothing personal), to every active administrator."""
    admins = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    ).all()
    for admin in admins:
        send_mail(AUDIT_ANCHOR, to=admin.email, locale=admin.locale, line=line, anchor_time=at, rows=rows)
    return len(admins)

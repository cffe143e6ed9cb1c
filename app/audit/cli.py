"""``flask audit verify``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.audit.log import verify_chain

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check the hash chain; exit 1 naming the first bad row."""
    report = verify_chain()
    if report.intact:
        click.echo(f"Audit chain intact: {report.rows} rows verified.")
        return
    click.echo(f"Audit chain BROKEN at row {report.first_bad_id}: {report.reason}.", err=True)
    click.echo(f"{report.rows} rows before it verified.", err=True)
    sys.exit(1)

"""``flask backup create DIR`` and ``flask backup restore DIR`` (see docs/backup.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.backup.create import create_backup
from app.backup.errors import BackupError
from app.backup.restore import restore_backup

backup_cli = AppGroup("backup", help="Backups that restore.")


@backup_cli.command("create")
@click.argument("directory", type=click.Path(path_type=Path))
def create_command(directory: Path) -> None:
    """Write a consistent backup into the new directory DIRECTORY."""
    try:
        made = create_backup(directory)
    except BackupError as error:
        click.echo(f"No backup made: {error}.", err=True)
        sys.exit(error.exit_code)
    anchor = made.facts.anchor
    click.echo(f"Backup written to {made.directory}: {made.files} files, {made.size} bytes.")
    click.echo(
        f"{sum(made.facts.counts.values())} rows in {len(made.facts.counts)} tables; audit log up to row {anchor.id}."
    )


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(path_type=Path))
def restore_command(directory: Path) -> None:
    """Rebuild this (empty) installation from the backup in DIRECTORY."""
    try:
        restored = restore_backup(directory)
    except BackupError as error:
        click.echo(f"Not restored: {error}.", err=True)
        sys.exit(error.exit_code)
    click.echo(
        f"Restored {sum(restored.counts.values())} rows in {len(restored.counts)} tables, "
        f"{restored.media_files} media files and {restored.forms_copied} consent form files."
    )
    click.echo(f"Audit chain intact up to row {restored.anchor.id}, as in the manifest; {restored.anchor_file}.")
